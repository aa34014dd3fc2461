/**
 * Regression tests for the bugs a review found (its reproducer scripts were turned into these).
 * Each test is named after the behaviour it protects, with a line on what used to go wrong.
 *
 * Waiting: tests wait for promises, events, or `until(...)` a state holds. Before a test claims
 * that something has NOT happened, it passes a causal barrier: over a hub, a `roundTrip` on the
 * connection (see test/transports.ts); for a `Pipe()` or `memoryHub()` in this process, `turn()`:
 * every hop there runs on the asap scheduler, i.e. as a microtask, so once one macrotask turn has
 * passed, everything that was in flight has landed (and nothing is left to happen later).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RawClient } from './raw-client.js';
import { Hub } from '../src/bus/hub.js';
import { Port } from '../src/bus/port.js';
import { Session } from '../src/bus/session.js';
import { Bus, connect } from '../src/channels/bus.js';
import type { Delivery } from '../src/channels/inbound.js';
import { Pipe, type PipeEnd } from '../src/channels/pipe.js';
import { ClosedError, ConnectionLostError, FrameTooLargeError } from '../src/errors.js';
import { memoryHub } from '../src/testing.js';
import { tempDir } from './helpers.js';
import { rejection, roundTrip, track, until } from './transports.js';

/** One macrotask turn: a barrier for in-memory hops, which are all microtasks (see the top). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** The values a pipe end holds received and not yet handed to a subscriber (internal state). */
const heldBy = (end: PipeEnd<unknown>) => (end as unknown as { inbound: { inbox: { length: number } } }).inbound.inbox.length;

/** The socket wire of the hub's newest session: lines queued, not yet written, and whether it waits for `drain` (internal state). */
function wireOf(hub: Hub): { queued: string[]; blocked: boolean } {
  const sessions = [...(hub as unknown as { sessions: Set<{ wire: { queued: string[]; blocked: boolean } }> }).sessions];
  const session = sessions[sessions.length - 1];
  if (!session) throw new Error('the hub has no session');
  return session.wire;
}

const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

describe('Pipe() in one process', { timeout: 5000 }, () => {
  const opened: PipeEnd<unknown>[] = [];
  const subs: Subscription[] = [];
  /** A `Pipe()` whose ends are closed after the test. */
  function pipe<T>(prefetch?: number): [PipeEnd<T>, PipeEnd<T>] {
    const ends = Pipe<T>(prefetch === undefined ? {} : { prefetch });
    opened.push(...(ends as PipeEnd<unknown>[]));
    return ends;
  }

  afterEach(() => {
    for (const s of subs.splice(0)) s.unsubscribe();
    for (const end of opened.splice(0)) end.close();
  });

  it('repeated firstValueFrom(recv()) takes the values one by one, in order, losing none', async () => {
    // Used to lose values: ones delivered to a subscriber that had already left (first()) were dropped.
    const [a, b] = pipe<number>(4);
    const sent = a.sendAll(range(0, 10));
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push(await firstValueFrom(b.recv()));
    expect(got).toEqual([0, 1, 2]);
    expect(await firstValueFrom(b.recv().pipe(take(7), toArray()))).toEqual(range(3, 7));
    await sent;
  });

  it('a pipe end never holds more values unprocessed than its prefetch, however often first() subscribes', async () => {
    // Used to grant credit twice per take(1) subscription: 100 rounds left it holding 104 values with prefetch 4.
    const [a, b] = pipe<number>(4);
    for (let i = 0; i < 100; i++) {
      const next = firstValueFrom(b.recv());
      void a.send(i);
      expect(await next).toBe(i);
    }
    const sent = a.sendAll(range(100, 1000));
    await turn();
    expect(heldBy(b)).toBeGreaterThan(0);
    expect(heldBy(b)).toBeLessThanOrEqual(4);
    expect(await firstValueFrom(b.recv().pipe(take(1000), toArray()))).toEqual(range(100, 1000));
    await sent;
  });

  it('flush() and end() resolve only once every value before them is acked, when acks come out of order', async () => {
    // Used to settle everything up to the highest ack: acking value 2 resolved send(1) and end() with value 1 unprocessed.
    const [a, b] = pipe<number>();
    const held: Delivery<number>[] = [];
    subs.push(b.recvWithAck().subscribe((d) => {
      held.push(d);
      if (d.value === 2) d.ack();
    }));
    const send1 = a.send(1);
    const flushed1 = track(a.flush());
    const send2 = a.send(2);
    const ended = track(a.end());
    await until(() => held.length === 2, 'both deliveries');
    await turn(); // the ack of value 2 has reached `a`
    expect(flushed1.state).toBe('pending');
    expect(ended.state).toBe('pending');
    held[0]!.ack();
    await Promise.all([send1, send2, flushed1.p, ended.p]);
  });

  it('break out of for await gives the unprocessed values to the next subscriber, none lost', async () => {
    // Used to lose the values prefetched by the loop: the next subscriber got only [9, 10].
    const [a, b] = pipe<number>(8);
    const sends = range(1, 10).map((v) => a.send(v));
    const loop: number[] = [];
    for await (const v of b) {
      loop.push(v);
      if (v === 2) break;
    }
    expect(loop).toEqual([1, 2]);
    const later: number[] = [];
    subs.push(b.recv().subscribe((v) => later.push(v)));
    await Promise.all(sends);
    await a.flush(); // resolves once `b` processed every value
    expect(later).toEqual(range(3, 8));
  });

  it('recvWithAck: leaving with unacked deliveries gives them to the next subscriber; a late ack() does nothing', async () => {
    // Used to drop the unacked delivery when its subscriber left, and a late ack() still counted it as processed.
    const [a, b] = pipe<number>(4);
    const sends = [a.send(1)];
    const flushed1 = a.flush();
    sends.push(a.send(2));
    const flushed2 = track(a.flush());
    sends.push(...range(3, 4).map((v) => a.send(v)));
    const taken: Delivery<number>[] = [];
    b.recvWithAck().pipe(take(2)).subscribe((d) => {
      taken.push(d);
      if (d.value === 1) d.ack();
    });
    await until(() => taken.length === 2, 'two deliveries');
    // take(2) has unsubscribed, with value 2 unacked: this ack comes too late and must not count.
    taken[1]!.ack();
    await flushed1;
    await turn();
    expect(flushed2.state).toBe('pending');
    const later: number[] = [];
    subs.push(b.recv().subscribe((v) => later.push(v)));
    await Promise.all([...sends, flushed2.p, a.flush()]);
    expect(later).toEqual([2, 3, 4, 5, 6]);
  });

  it('an end that ended first still acks what it processes after the other end ends: send() and end() resolve', async () => {
    // Used to close the channel as soon as both directions had ended, before the last value was acked: ERR_PEER_GONE.
    const [a, b] = pipe<string>();
    await b.end();
    const sent = a.send('job');
    const ended = a.end();
    const processed: string[] = [];
    for await (const v of b) {
      await turn(); // the end from `a` arrives while this value is being processed
      processed.push(v);
    }
    expect(processed).toEqual(['job']);
    await sent;
    await ended;
  });

  it('after close(), this end\'s own pending send and recv fail with ERR_CLOSED', async () => {
    // Used to report ERR_PEER_GONE ("the other end closed") for a close made on this very end.
    const [a] = pipe<number>();
    let recvErr: unknown;
    subs.push(a.recv().subscribe({ error: (err) => { recvErr = err; } }));
    const sent = a.send(1);
    a.close();
    const err = await rejection(sent);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.code).toBe('ERR_CLOSED');
    expect(recvErr).toBeInstanceOf(ClosedError);
  });
});

describe('memory hub', { timeout: 5000 }, () => {
  const buses: Bus[] = [];
  const subs: Subscription[] = [];
  let mh: ReturnType<typeof memoryHub>;
  let maxLine: number | undefined;

  /** A memory hub, and clients with the same maxLine (default: the default). */
  const setup = (limit?: number) => {
    maxLine = limit;
    mh = memoryHub(limit === undefined ? {} : { maxLine: limit });
  };
  const bus = () => {
    const b = mh.connect(maxLine === undefined ? {} : { maxLine });
    buses.push(b);
    return b;
  };

  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    for (const b of buses.splice(0)) b.destroy();
    await mh.hub.close();
  });

  it('a named pipe end that ended, or failed, before the other end opened: the late end completes, or errors with that error', async () => {
    // Used to drop an end that reached the hub before the other end existed: the late end's recv never finished.
    setup();
    const A = bus();
    const B = bus();
    const a = A.pipe<number>('p');
    await a.end();
    const c = A.pipe<number>('p2');
    c.error(new Error('boom'));
    await roundTrip(A); // the hub has both ends' `end` frames

    let completed = false;
    subs.push(B.pipe<number>('p').recv().subscribe({ complete: () => { completed = true; } }));
    let failed: (Error & { code?: string }) | undefined;
    subs.push(B.pipe<number>('p2').recv().subscribe({ error: (err: Error) => { failed = err; } }));
    await roundTrip(B); // B has whatever the hub sent in answer to the opens
    expect(completed).toBe(true);
    expect(failed?.code).toBe('ERR_REMOTE');
    expect(failed?.message).toContain('boom');
  });

  it('two concurrent sendAll on one queue handle both resolve and every value arrives', async () => {
    // Used to keep one waiter for room: the first sendAll was forgotten and never resolved (4,024 of 6,000 arrived).
    setup();
    const q = bus().queue<number>('q', { maxsize: 100 });
    const got = new Set<number>();
    subs.push(bus().queue<number>('q').recv().subscribe((v) => got.add(v)));
    const first = track(q.sendAll(range(0, 3000)));
    const second = track(q.sendAll(range(10_000, 3000)));
    await until(() => first.state !== 'pending' && second.state !== 'pending', 'both sendAll to settle', 1500);
    await Promise.all([first.p, second.p]);
    await until(() => got.size === 6000, 'every value', 1000);
    expect([...got].sort((x, y) => x - y)).toEqual([...range(0, 3000), ...range(10_000, 3000)]);
  });

  it('a value over the frame limit, queued while waiting for credit, is refused alone; the rest go through and the connection stays', async () => {
    // Used to fail the value after it, leave the big one pending forever, and close the producer's connection.
    setup(1000);
    const P = bus();
    const q = P.queue<string>('q', { maxsize: 4 }); // producer window: 1 item
    const got: string[] = [];
    subs.push(bus().queue<string>('q').recv().subscribe((v) => got.push(v)));
    const small1 = q.send('a');
    const small2 = q.send('b');
    const big = q.send('x'.repeat(2000));
    const small3 = q.send('c');
    const other = P.queue<string>('other').send('unrelated');
    await Promise.all([small1, small2, small3, other]);
    expect(await rejection(big)).toBeInstanceOf(FrameTooLargeError);
    await until(() => got.length === 3, 'three items');
    expect(got).toEqual(['a', 'b', 'c']);
    expect(P.closed).toBe(false);
  });

  it('a payload that the hub could not frame again for a consumer is refused at the producer; consumers are unharmed', async () => {
    // Used to accept it, then fail the consumer's connection with ERR_FRAME_TOO_LARGE when the hub re-framed it on channel 10.
    setup(2000);
    const P = bus();
    const C = bus();
    // The consumer's connection gets channel ids from 10 on: one more digit than the producer's 1.
    for (let i = 0; i < 9; i++) subs.push(C.queue(`pad${i}`).recv().subscribe({ error: () => undefined }));
    const q = P.queue<string>('q');
    const payload = 'x'.repeat(2000 - '{"c":1,"d":""}'.length); // the producer's line: exactly maxLine bytes
    expect((await rejection(q.send(payload))).code).toBe('ERR_FRAME_TOO_LARGE');
    expect(P.closed).toBe(false);

    const got: string[] = [];
    let consumerErr: unknown;
    subs.push(C.queue<string>('q').recv().subscribe({ next: (v) => got.push(v), error: (err) => { consumerErr = err; } }));
    await q.send('small');
    await until(() => got.length > 0 || consumerErr !== undefined, 'the small item');
    expect(consumerErr).toBeUndefined();
    expect(got).toEqual(['small']);
    expect(C.closed).toBe(false);
  });

  it('100 get() calls bring exactly 100 data frames to the consumer', async () => {
    // Used to grant credit just before closing each get()'s channel: 199 frames for 100 items, 99 sent straight back.
    setup();
    const P = bus();
    const C = bus();
    await P.queue<number>('q').sendAll(range(0, 100));
    const onData = vi.spyOn(Port.prototype, 'onData');
    try {
      const cq = C.queue<number>('q');
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push(await cq.get());
      expect(got).toEqual(range(0, 100));
      await roundTrip(C);
      // Data frames any port received: the consumer's 100, and the round trip's one at the hub.
      expect(onData).toHaveBeenCalledTimes(101);
    } finally {
      onData.mockRestore();
    }
  });
});

describe('hub on a Unix socket', { timeout: 5000 }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cleanups: (() => unknown)[];

  beforeEach(async () => {
    tmp = await tempDir();
    cleanups = [];
  });

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await tmp.cleanup();
  });

  async function listen(options: { maxLine?: number } = {}): Promise<Hub> {
    const hub = await Hub.listen(tmp.sock('hub'), options);
    cleanups.push(() => hub.close());
    return hub;
  }

  async function raw(paused = false): Promise<RawClient> {
    const client = await RawClient.open(tmp.sock('hub'), paused);
    cleanups.push(() => client.socket.destroy());
    return client;
  }

  async function bus(options: { maxLine?: number; onClose?: (err?: Error) => void } = {}): Promise<Bus> {
    const b = await connect(tmp.sock('hub'), options);
    cleanups.push(() => b.close());
    return b;
  }

  it('an ack frame with a huge range does not block the hub\'s event loop: it is refused', async () => {
    // Used to walk every sequence number of the range: [[1, 2**40]] froze the hub's process.
    // Now a range past what the hub sent on the channel is a protocol error, found at once.
    const hub = await listen();
    const client = await raw();
    client.write(HELLO);
    client.write('{"t":"open","c":1,"k":"queue","n":"q","r":"get"}\n');
    await client.line((f) => f.t === 'opened' && f.c === 1);
    client.write(`{"t":"ack","c":1,"r":[[1,${2 ** 40}]]}\n{"t":"ping","n":7}\n`);
    const f = await client.line((x) => x.t === 'error');
    expect(f).toMatchObject({ e: { code: 'ERR_PROTOCOL', message: expect.stringMatching(/where only 0 were sent/) } });
    await client.closed;
    await until(() => hub.stats().sessions === 0, 'the session to go');
    await roundTrip(await bus());
  });

  it('a hub with a small maxLine still sends its error frame (the code alone) and does not crash', async () => {
    // Used to throw ERR_FRAME_TOO_LARGE out of the hub's socket handler when the error frame was over maxLine.
    const maxLine = 120;
    const hub = await listen({ maxLine });
    const client = await raw();
    client.write(HELLO);
    client.write('x'.repeat(maxLine * 2) + '\n');
    const f = await client.line((x) => x.t === 'error');
    expect((f.e as { code: string }).code).toBe('ERR_FRAME_TOO_LARGE');
    await client.closed;
    await until(() => hub.stats().sessions === 0, 'the session to go');
    // The hub goes on serving.
    const b = await bus({ maxLine });
    await roundTrip(b);
  });

  it('when the hub closes, the client\'s onClose gets ERR_CONNECTION_LOST', async () => {
    // Used to call onClose with no error, as if the client had closed the connection itself.
    const hub = await listen();
    let settle!: (err: Error | undefined) => void;
    const closed = new Promise<Error | undefined>((resolve) => (settle = resolve));
    const b = await bus({ onClose: settle });
    await roundTrip(b);
    await hub.close();
    const err = await closed;
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as ConnectionLostError).code).toBe('ERR_CONNECTION_LOST');
    expect(b.closed).toBe(true);
  });

  it('when the hub\'s process is killed, the client\'s onClose gets ERR_CONNECTION_LOST', async () => {
    // Used to call onClose with no error after the hub died by SIGKILL.
    const path = tmp.sock('hub');
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const code = "const { Hub } = await import(process.argv[2]); await Hub.listen(process.argv[1]); console.log('ready'); setInterval(() => {}, 1000);";
    const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', code, path, dist], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      child.stdout!.destroy();
    });
    await Promise.race([
      once(child.stdout!, 'data'),
      exited.then(() => { throw new Error('the hub process exited before it was ready (is dist/ built?)'); }),
    ]);
    let settle!: (err: Error | undefined) => void;
    const closed = new Promise<Error | undefined>((resolve) => (settle = resolve));
    const b = await bus({ onClose: settle });
    await roundTrip(b);
    child.kill('SIGKILL');
    await exited;
    const err = await closed;
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as ConnectionLostError).code).toBe('ERR_CONNECTION_LOST');
  });

  it('a client that floods pings without reading does not make the hub queue a pong per ping', async () => {
    // Used to queue one pong per ping in the hub's wire: 1.7 million lines for a peer that never reads.
    const hub = await listen();
    const client = await raw(true);
    client.write(HELLO);
    const chunk = '{"t":"ping","n":1}\n'.repeat(10_000);
    for (let i = 0; i < 20; i++) {
      client.write(chunk);
      await turn();
    }
    // The hub handles lines in order: once it has opened this queue, it has read every ping.
    client.write('{"t":"open","c":1,"k":"queue","n":"after-pings","r":"get"}\n');
    await until(() => hub.stats().resources.some((r) => r.name === 'after-pings'), 'the open after the pings');
    expect(wireOf(hub).queued.length).toBeLessThan(100);
  });

  it('a client that never reads while the hub has much to send is cut off with ERR_SLOW_PEER', async () => {
    // Used to queue whatever was sent to it in the hub's memory, without bound.
    const hub = await listen();
    const producer = new Bus(hub.connectMemory()); // in memory: the 10 MB get there fast
    cleanups.push(() => producer.close());
    await producer.queue<string>('big').sendAll(Array.from({ length: 10 }, () => 'x'.repeat(1_040_000)));
    const fail = vi.spyOn(Session.prototype, 'fail');
    try {
      const client = await raw(true);
      client.write(HELLO + '{"t":"open","c":1,"k":"queue","n":"big","r":"get"}\n{"t":"credit","c":1,"n":1}\n');
      // One item fills the socket: the wire waits for `drain`, and what comes next waits in the hub.
      await until(() => hub.stats().sessions === 2 && wireOf(hub).blocked, 'the wire to block');
      // Each new consumer channel gets the 10 items again (the previous one gave them back on
      // close): 8 rounds queue over 80 MB for this client, above the 64 Mi-character cap.
      let lines = '';
      for (let c = 2; c <= 9; c++) {
        lines += `{"t":"close","c":${c - 1}}\n{"t":"open","c":${c},"k":"queue","n":"big","r":"get"}\n{"t":"credit","c":${c},"n":100}\n`;
      }
      client.write(lines);
      // A paused socket does not notice the hub's close: the hub's side is what shows it.
      await until(() => hub.stats().sessions === 1, 'the slow session to be cut off');
      const codes = fail.mock.calls.map(([err]) => (err as Error & { code?: string }).code);
      expect(codes).toEqual(['ERR_SLOW_PEER']);
      // Nothing was lost with it: all ten items are back in the queue, none counted in flight
      // (one used to stay "in flight" on the consumer that the write itself had cut off).
      const big = hub.stats().resources.find((r) => r.name === 'big')!;
      expect({ queued: big.queued, inflight: big.inflight, consumers: big.consumers }).toEqual({ queued: 10, inflight: 0, consumers: 0 });
    } finally {
      fail.mockRestore();
    }
  });
});
