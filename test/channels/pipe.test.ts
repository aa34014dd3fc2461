/**
 * Pipes: named pipes through a hub, over every transport (test/transports.ts), and `Pipe()` in one
 * process.
 *
 * Quiescence over a socket is never "one more turn": a test that claims something has NOT
 * happened (a send still pending, values waiting with no subscriber) first waits for a causal
 * barrier, a message that provably travelled behind whatever could have made it happen, e.g. a
 * reply from the other end, or a value on a second pipe between the same two connections (the hub
 * relays what it reads from one connection in order, so the later value arrives after the
 * earlier ones).
 */
import { firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/channels/bus.js';
import type { Delivery } from '../../src/channels/inbound.js';
import { Pipe, type PipeEnd, type PipeOptions } from '../../src/channels/pipe.js';
import { EndedError, PeerGoneError, PipeBusyError } from '../../src/errors.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

/** Everything `recv()` gave, and how it stopped; `done` settles when it stopped. */
function collect<T>(end: PipeEnd<T>, subs: Subscription[]) {
  const out = { values: [] as T[], completed: false, error: undefined as unknown, done: undefined as unknown as Promise<void> };
  out.done = new Promise<void>((resolve) => {
    subs.push(end.recv().subscribe({
      next: (v) => out.values.push(v),
      error: (err) => { out.error = err; resolve(); },
      complete: () => { out.completed = true; resolve(); },
    }));
  });
  return out;
}

describe.each(transports)('named pipe over $name', (transport) => {
  let t: TestBed;
  let subs: Subscription[];

  beforeEach(async () => {
    t = await transport.setup();
    subs = [];
  });

  afterEach(async (ctx) => {
    for (const s of subs) s.unsubscribe();
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const pipeStats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'pipe' && r.name === name);

  /** The two ends of pipe `name`, each on a connection of its own. */
  async function pair<T>(name: string, optionsA?: PipeOptions, optionsB?: PipeOptions) {
    const busA = await t.bus();
    const busB = await t.bus();
    return { a: busA.pipe<T>(name, optionsA), b: busB.pipe<T>(name, optionsB), busA, busB };
  }

  let barriers = 0;
  /**
   * Resolves once a value `from` sent now has been processed on `to`: so has every data frame
   * `from` wrote before, on any pipe between these two connections.
   */
  async function barrier(from: Bus, to: Bus): Promise<void> {
    const name = `barrier-${++barriers}`;
    const rx = to.pipe<string>(name);
    const tx = from.pipe<string>(name);
    const got = firstValueFrom(rx.recv());
    await tx.send('sync');
    expect(await got).toBe('sync');
    await Promise.all([tx.end(), rx.end()]);
  }

  it('carries values both ways, in order', async () => {
    const { a, b } = await pair<string>('duplex');
    const fromA = Array.from({ length: 200 }, (_, i) => `a${i}`);
    const fromB = Array.from({ length: 150 }, (_, i) => `b${i}`);
    const atB = firstValueFrom(b.recv().pipe(toArray()));
    const atA = firstValueFrom(a.recv().pipe(toArray()));
    await Promise.all([
      Promise.all(fromA.map((v) => a.send(v))).then(() => a.end()),
      Promise.all(fromB.map((v) => b.send(v))).then(() => b.end()),
    ]);
    expect(await atB).toEqual(fromA);
    expect(await atA).toEqual(fromB);
  });

  it('send() resolves once the value went out; flush() only once the other end has processed it', async () => {
    const { a, b } = await pair<string>('acked');
    const held: Delivery<string>[] = [];
    subs.push(b.recvWithAck().subscribe((d) => held.push(d)));
    const atA = collect(a, subs);

    await a.send('x');
    const sent = track(a.flush());
    await until(() => held.length === 1, "'x' to reach b");
    expect(held[0]!.value).toBe('x');
    // b's reply reaches a after anything the hub sent a about 'x' before it relayed the reply.
    await b.send('got x');
    await until(() => atA.values.length === 1, "b's reply to reach a");
    expect(atA.values).toEqual(['got x']);
    expect(sent.state).toBe('pending');

    held[0]!.ack();
    await sent.p;
    expect(sent.state).toBe('resolved');
  });

  it('end() half-closes: the other end completes and can still send back', async () => {
    const { a, b } = await pair<string>('half');
    const atB = firstValueFrom(b.recv().pipe(toArray()));
    await a.send('1');
    await a.send('2');
    const aEnded = a.end();
    expect(await atB).toEqual(['1', '2']);
    await aEnded;
    const late = await rejection(a.send('late'));
    expect(late).toBeInstanceOf(EndedError);

    // The other direction is still open.
    const atA = firstValueFrom(a.recv().pipe(toArray()));
    await b.send('back 1');
    await b.send('back 2');
    await b.end();
    expect(await atA).toEqual(['back 1', 'back 2']);
  });

  it('values that arrive while nobody is subscribed wait for the next subscriber, none lost', async () => {
    const { a, b, busA, busB } = await pair<number>('later');
    const sends = [1, 2, 3, 4, 5].map((v) => a.send(v));
    const flushed = track(a.flush());
    // One subscriber takes one value and leaves; its credit let every send go out, and each
    // resolved then, although nobody has read 2..5.
    expect(await firstValueFrom(b.recv())).toBe(1);
    await Promise.all(sends);
    // 2..5 were written before anything a sends now: after the barrier they are at b, with
    // nobody subscribed, and nobody has processed them.
    await barrier(busA, busB);
    expect(flushed.state).toBe('pending');

    const ended = a.end();
    expect(await firstValueFrom(b.recv().pipe(toArray()))).toEqual([2, 3, 4, 5]);
    await flushed.p;
    await ended;
  });

  it('a second concurrent subscriber gets PipeBusyError; the first goes on', async () => {
    const { a, b } = await pair<string>('busy-sub');
    const first = collect(b, subs);
    for (const second of [() => firstValueFrom(b.recv()), () => firstValueFrom(b.recvWithAck())]) {
      const err = await rejection(second());
      expect(err).toBeInstanceOf(PipeBusyError);
      expect(err.code).toBe('ERR_PIPE_BUSY');
    }
    await a.send('still here');
    await a.end();
    await first.done;
    expect(first).toMatchObject({ values: ['still here'], completed: true, error: undefined });
  });

  it('a third open of the name gets ERR_PIPE_BUSY on its send; the pair is unharmed', async () => {
    const { a, b } = await pair<string>('three');
    const atB = collect(b, subs);
    await a.send('one'); // both ends are paired at the hub before the third opens
    expect(pipeStats('three')).toMatchObject({ ends: 2, paired: true });

    const third = (await t.bus()).pipe<string>('three');
    const err = await rejection(third.send('intruder'));
    expect(err).toBeInstanceOf(PipeBusyError);
    expect(err.code).toBe('ERR_PIPE_BUSY');

    await a.send('two');
    await a.end();
    await atB.done;
    expect(atB).toMatchObject({ values: ['one', 'two'], completed: true });
    expect(pipeStats('three')).toMatchObject({ ends: 2, paired: true });
  });

  it('when one end\'s connection is destroyed, the other end gets PeerGoneError after the values sent before', async () => {
    const { a, b, busA } = await pair<string>('gone');
    const atB = collect(b, subs);
    await a.send('0'); // b's credit is at a
    const lastOnes = ['1', '2', '3'].map((v) => track(a.send(v)));
    // a never subscribes, but its credit is out (as an OS pipe's buffer): this goes out; a never
    // processes it, so b's flush() learns that a went away.
    await b.send('back');
    const back = track(b.flush());
    busA.destroy();

    await atB.done;
    expect(atB.values).toEqual(['0', '1', '2', '3']);
    expect(atB.completed).toBe(false);
    expect(atB.error).toBeInstanceOf(PeerGoneError);
    expect((atB.error as PeerGoneError).code).toBe('ERR_PEER_GONE');

    const err = await rejection(back.p);
    expect(err).toBeInstanceOf(PeerGoneError);
    expect(err.code).toBe('ERR_PEER_GONE');
    expect(await rejection(b.send('after'))).toBeInstanceOf(PeerGoneError);
    // a's own sends settle one way or the other (their acks may not make it back): never a hang.
    await Promise.allSettled(lastOnes.map((s) => s.p));
    await until(() => pipeStats('gone') === undefined, 'the hub to forget the pipe');
  });

  it('the hub forgets the pipe once both ends have left, and the name pairs afresh', async () => {
    const busA = await t.bus();
    const busB = await t.bus();
    const a = busA.pipe<string>('forget');
    await until(() => pipeStats('forget')?.ends === 1, 'the first end at the hub');
    expect(pipeStats('forget')).toMatchObject({ ends: 1, paired: false });
    const b = busB.pipe<string>('forget');
    await until(() => pipeStats('forget')?.ends === 2, 'the second end at the hub');
    expect(pipeStats('forget')).toMatchObject({ ends: 2, paired: true });

    await Promise.all([a.end(), b.end()]);
    await until(() => pipeStats('forget') === undefined, 'the hub to forget the pipe');

    const again = await pair<string>('forget');
    const got = firstValueFrom(again.b.recv().pipe(toArray()));
    await again.a.send('new');
    await again.a.end();
    expect(await got).toEqual(['new']);
  });

  it('for await pulls values, each processed when its loop body is done, and ends on end()', async () => {
    const { a, b } = await pair<string>('iter');
    const atA = collect(a, subs);
    const sends = ['a', 'b', 'c'].map((v) => a.send(v));
    const flushed = track(a.flush());
    const ended = track(a.end());
    const got: string[] = [];
    for await (const x of b) {
      // The reply reaches a after anything the hub told a about x; c is acked only once the
      // last body is done, so a's flush and end are still pending.
      await b.send(`got ${x}`);
      await until(() => atA.values.length === got.length + 1, `the reply to ${x}`);
      expect(flushed.state).toBe('pending');
      expect(ended.state).toBe('pending');
      got.push(x);
    }
    expect(got).toEqual(['a', 'b', 'c']);
    expect(atA.values).toEqual(['got a', 'got b', 'got c']);
    await Promise.all(sends);
    await flushed.p;
    await ended.p;
  });

  // An end that has ended its own direction keeps its channel open until it has processed (and
  // acknowledged) every value that came before the other end's `end`.
  it('flush() resolves once the other end processed the value, also after that end ended its own direction', async () => {
    const { a, b } = await pair<string>('ended-first');
    const held: Delivery<string>[] = [];
    let completed = false;
    subs.push(a.recvWithAck().subscribe({ next: (d) => held.push(d), complete: () => { completed = true; } }));
    await a.end();
    await b.send('x');
    const sent = track(b.flush());
    await until(() => held.length === 1, "'x' to reach a");
    const bEnded = track(b.end());
    await until(() => completed, "b's end to reach a");
    expect(sent.state, `not acked yet, but: ${String(sent.err)}`).toBe('pending'); 

    held[0]!.ack(); // a processed 'x'
    await sent.p; 
    await bEnded.p;
    await until(() => pipeStats('ended-first') === undefined, 'the hub to forget the pipe');
  });

  it('sendAll of 10,000 values with prefetch 16 arrives complete and in order', async () => {
    const { a, b } = await pair<number>('bulk', {}, { prefetch: 16 });
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    const got: number[] = [];
    let unacked = 0;
    let most = 0;
    const done = new Promise<void>((resolve, reject) => {
      subs.push(b.recvWithAck().subscribe({
        next: (d) => {
          got.push(d.value);
          most = Math.max(most, ++unacked);
          queueMicrotask(() => { unacked--; d.ack(); });
        },
        error: reject,
        complete: resolve,
      }));
    });
    await a.sendAll(values);
    await a.end();
    await done;
    expect(got).toEqual(values);
    expect(most).toBeLessThanOrEqual(16);
  });
});

describe('Pipe() in one process', () => {
  it('carries values both ways, in order', async () => {
    const [x, y] = Pipe<number>();
    const atY = firstValueFrom(y.recv().pipe(toArray()));
    const atX = firstValueFrom(x.recv().pipe(toArray()));
    const fromX = Array.from({ length: 100 }, (_, i) => i);
    const fromY = Array.from({ length: 100 }, (_, i) => 1000 + i);
    await Promise.all([
      Promise.all(fromX.map((v) => x.send(v))).then(() => x.end()),
      Promise.all(fromY.map((v) => y.send(v))).then(() => y.end()),
    ]);
    expect(await atY).toEqual(fromX);
    expect(await atX).toEqual(fromY);
  });

  it('end() half-closes: the other end completes and can still send back', async () => {
    const [x, y] = Pipe<string>();
    const atY = firstValueFrom(y.recv().pipe(toArray()));
    await x.send('1');
    await x.end();
    expect(await atY).toEqual(['1']);
    expect(await rejection(x.send('late'))).toBeInstanceOf(EndedError);

    const atX = firstValueFrom(x.recv().pipe(toArray()));
    await y.send('back');
    await y.end();
    expect(await atX).toEqual(['back']);
  });

  // The same for Pipe(): the channel closes only once both ends processed everything.
  it('flush() resolves once the other end processed the value, also after that end ended its own direction', async () => {
    const [x, y] = Pipe<string>();
    const held: Delivery<string>[] = [];
    let completed = false;
    const sub = x.recvWithAck().subscribe({ next: (d) => held.push(d), complete: () => { completed = true; } });
    try {
      await x.end();
      await y.send('v');
      const sent = track(y.flush());
      await until(() => held.length === 1, "'v' to reach x");
      const yEnded = track(y.end());
      await until(() => completed, "y's end to reach x");
      expect(sent.state, `not acked yet, but: ${String(sent.err)}`).toBe('pending'); 
      held[0]!.ack();
      await sent.p; 
      await yEnded.p;
    } finally {
      sub.unsubscribe();
    }
  });

  it('a second concurrent subscriber gets PipeBusyError; the first goes on', async () => {
    const [x, y] = Pipe<string>();
    const first = firstValueFrom(y.recv().pipe(take(2), toArray()));
    const err = await rejection(firstValueFrom(y.recv()));
    expect(err).toBeInstanceOf(PipeBusyError);
    expect(err.code).toBe('ERR_PIPE_BUSY');
    await x.send('one');
    await x.send('two');
    expect(await first).toEqual(['one', 'two']);
    await x.end();
    await y.end();
  });
});
