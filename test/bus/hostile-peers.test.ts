/**
 * Reproductions of what an outside attack on the hub found, each now a regression test: a peer
 * speaking the documented protocol with amplifying, oversized or lying frames must not crash,
 * freeze or wedge the hub, nor touch another session. Every test runs a real hub on a Unix socket
 * in its own folder, raw clients (test/raw-client.ts) as the hostile peers, and a well-behaved Bus
 * that must still move messages afterwards. A crash of the hub would be an uncaught exception in
 * this process, which fails the test.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../raw-client.js';
import { Hub, type HubOptions } from '../../src/bus/hub.js';
import { connect, type Bus, type BusOptions } from '../../src/channels/bus.js';
import type { Delivery } from '../../src/channels/inbound.js';
import { perTestSockets } from '../helpers.js';
import { rejection, roundTrip, until } from '../transports.js';

const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

const tmp = perTestSockets();

async function listen(options: HubOptions = {}): Promise<Hub> {
  const hub = await Hub.listen(tmp.sock('hub'), options);
  tmp.defer(() => hub.close());
  return hub;
}

async function bus(options: BusOptions = {}): Promise<Bus> {
  const b = await connect(tmp.sock('hub'), options);
  tmp.defer(() => b.destroy());
  return b;
}

async function raw(): Promise<RawClient> {
  const c = await RawClient.open(tmp.sock('hub'));
  tmp.defer(() => c.socket.destroy());
  c.write(HELLO);
  return c;
}

/** Two raw clients holding the two ends of the relayed pipe `name`, on channels `ca` and `cb`. */
async function relayedPipe(name: string, ca = 1, cb = 1): Promise<[RawClient, RawClient]> {
  const a = await raw();
  const b = await raw();
  a.write(`{"t":"open","c":${ca},"k":"pipe","n":"${name}","r":"end"}\n`);
  await a.line((f) => f.t === 'opened');
  b.write(`{"t":"open","c":${cb},"k":"pipe","n":"${name}","r":"end"}\n`);
  await b.line((f) => f.t === 'opened');
  return [a, b];
}

/** A bus on a fresh hub where queue `name` got one item, ended, was drained and forgotten. */
async function endedAndForgotten(name: string): Promise<Bus> {
  const hub = await listen();
  const b = await bus();
  const q = b.queue<number>(name);
  await q.send(1);
  await q.end();
  expect(await firstValueFrom(b.queue<number>(name).recv().pipe(toArray()))).toEqual([1]);
  await until(() => hub.stats().resources.length === 0, 'the queue to be forgotten');
  return b;
}

/** A well-behaved client still moves a value through a queue of its own. */
async function stillServes(): Promise<void> {
  const b = await bus();
  const q = b.queue<string>(`alive-${Math.random()}`);
  await q.send('ok');
  expect(await q.get()).toBe('ok');
}

describe('frames the hub derives from a peer\'s frame are bounded', { timeout: 20_000 }, () => {
  it('an ack of 40,000 ranges of frames never sent is refused, and does not kill the hub', async () => {
    // Used to be relayed re-encoded at 1.44 MB: FrameTooLargeError thrown from a scheduled flush killed the hub.
    await listen();
    const [a, b] = await relayedPipe('p');
    const ranges = Array.from({ length: 40_000 }, () => '[9e15,9e15]').join(',');
    a.write(`{"t":"ack","c":1,"r":[${ranges}]}\n`);
    expect(await a.line((f) => f.t === 'error' && f.c === undefined)).toMatchObject({ e: { code: 'ERR_PROTOCOL' } });
    expect(await b.line((f) => f.t === 'error')).toMatchObject({ c: 1, e: { code: 'ERR_PEER_GONE' } });
    await stillServes();
  });

  it('a relayed ack that fits the line of one end but not of the other is split, and every value is acknowledged', async () => {
    // The end that acks uses channel 1, the sender channel 123456789: the relayed frame is 8 bytes longer.
    const maxLine = 16 * 1024;
    await listen({ maxLine });
    const [a, b] = await relayedPipe('p', 1, 123456789);
    const sends = 4000;
    a.write(`{"t":"credit","c":1,"n":${sends}}\n`);
    await b.line((f) => f.t === 'credit');
    b.write(Array.from({ length: sends }, (_, i) => `{"c":123456789,"d":${i}}\n`).join(''));
    await a.line((f) => f.d === sends - 1);
    // Odd sequence numbers only (no two ranges touch), as many as make a frame of maxLine - 4 to maxLine bytes.
    const base = '{"t":"ack","c":1,"r":[]}'.length;
    const picked: string[] = [];
    let length = base - 1;
    for (let seq = sends - 1; seq >= 1; seq -= 2) {
      const r = `[${seq},${seq}]`;
      if (length + r.length + 1 > maxLine) continue;
      picked.push(r);
      length += r.length + 1;
      if (length > maxLine - 4) break;
    }
    const frame = `{"t":"ack","c":1,"r":[${picked.reverse().join(',')}]}`;
    expect(frame.length).toBeGreaterThan(maxLine - 8);
    expect(frame.length).toBeLessThanOrEqual(maxLine);
    a.write(frame + '\n');
    a.write('{"t":"ping","n":1}\n');
    await a.line((f) => f.t === 'pong');
    // The sender hears of every range it was sent, in frames that fit its line.
    const acked = new Set<number>();
    await until(() => {
      for (const line of b.lines) {
        const f = JSON.parse(line) as { t?: string; r?: [number, number][] };
        if (f.t === 'ack') for (const [from, to] of f.r!) for (let s = from; s <= to; s++) acked.add(s);
      }
      return acked.size === picked.length;
    }, 'every relayed range');
    expect(b.lines.every((l) => Buffer.byteLength(l) <= maxLine)).toBe(true);
    expect(b.lines.filter((l) => l.startsWith('{"t":"ack"')).length).toBeGreaterThan(1);
    await stillServes();
  });

  it('a consumer with prefetch 200,000 that acks every other delivery in one turn sends its acks in frames that fit', async () => {
    // Used to build one 1.49 MB ack frame and throw FrameTooLargeError out of the flush, killing the consumer's process.
    const hub = await listen();
    const b = await bus();
    const n = 200_000;
    const q = b.queue<number>('big', { maxsize: n });
    const sent = q.sendAll(Array.from({ length: n }, (_, i) => i)).then(() => q.end());
    const deliveries: Delivery<number>[] = [];
    let all!: () => void;
    const received = new Promise<void>((resolve) => (all = resolve));
    const done = q.recvWithAck({ prefetch: n }).forEach((d) => {
      if (deliveries.push(d) === n) all();
    });
    await received;
    for (let i = 0; i < n; i += 2) deliveries[i]!.ack();
    await roundTrip(b);
    expect(hub.stats().resources.find((r) => r.name === 'big')).toMatchObject({ inflight: n / 2, consumers: 1 });
    for (let i = 1; i < n; i += 2) deliveries[i]!.ack();
    await done;
    await sent;
    // The consumer completed: the queue ended and every item was acknowledged. What the hub
    // still holds is the one-character item of the round trip's own queue.
    await until(() => hub.stats().queuedChars === 1, 'the hub to hold only the round trip\'s item');
    expect(b.closed).toBe(false);
  });

  it('a pipe end whose peer fails it with an error message that fills the line learns ERR_PEER_GONE', async () => {
    // Used to hang: the hub's longer ERR_PEER_GONE frame quoting the message could not be written.
    const maxLine = 4096;
    await listen({ maxLine });
    const [a] = await relayedPipe('p');
    const good = await bus({ maxLine });
    const end = good.pipe<string>('p2', { direct: false });
    const [c] = [await raw()];
    c.write('{"t":"open","c":1,"k":"pipe","n":"p2","r":"end"}\n');
    await c.line((f) => f.t === 'opened');
    const message = 'm'.repeat(maxLine - 100);
    c.write(`{"t":"error","c":1,"e":{"name":"Error","message":"${message}","code":"ERR_REMOTE"}}\n`);
    const err = await rejection(firstValueFrom(end.recv()));
    expect(err.code).toBe('ERR_PEER_GONE');
    expect(err.message.length).toBeLessThan(maxLine);
    expect(await rejection(end.send('late'))).toMatchObject({ code: 'ERR_PEER_GONE' });
    a.write('{"t":"ping","n":1}\n');
    await a.line((f) => f.t === 'pong');
    await stillServes();
  });

  it('a producer\'s end with an error message that fills the line ends the queue for its consumers; the name can be opened again', async () => {
    // Used to poison the queue: the hub could not frame the end for its consumers, who never completed.
    const maxLine = 4096;
    const hub = await listen({ maxLine });
    const good = await bus({ maxLine });
    const q = good.queue<number>('jobs');
    const got = firstValueFrom(q.recv().pipe(toArray()));
    await roundTrip(good);
    const p = await raw();
    p.write('{"t":"open","c":1,"k":"queue","n":"jobs","r":"put"}\n');
    await p.line((f) => f.t === 'credit');
    p.write('{"c":1,"d":7}\n');
    const message = 'x'.repeat(maxLine - 80);
    p.write(`{"t":"end","c":1,"e":{"name":"Error","message":"${message}","code":"ERR_REMOTE"}}\n`);
    const err = await rejection(got);
    expect(err.code).toBe('ERR_REMOTE');
    expect(err.message.length).toBeLessThanOrEqual(1024 + 16);
    p.socket.destroy();
    await until(() => !hub.stats().resources.some((r) => r.name === 'jobs'), 'the queue to be forgotten');
    await good.queue<number>('jobs').send(1);
    expect(await good.queue<number>('jobs').get()).toBe(1);
  });

  it('hostbus\'s own queue.error() with a message just under the line limit reaches the consumer, cut to fit', async () => {
    const maxLine = 4096;
    await listen({ maxLine });
    const producer = await bus({ maxLine });
    const consumer = await bus({ maxLine });
    const got = firstValueFrom(consumer.queue<number>('q').recv().pipe(toArray()));
    await roundTrip(consumer);
    for (const size of [maxLine - 120, maxLine - 100, maxLine - 80]) {
      const q = producer.queue<number>(`e${size}`);
      const c = firstValueFrom(consumer.queue<number>(`e${size}`).recv().pipe(toArray()));
      await roundTrip(consumer);
      await q.send(1);
      q.error(new Error('y'.repeat(size)));
      const err = await rejection(c);
      expect(err.code).toBe('ERR_REMOTE');
      expect(err.message).toMatch(/^Error: y+\.\.\.$/);
    }
    void got.catch(() => undefined);
  });

  it('credit of 2^53 - 1, twice, on one end of a relayed pipe is refused at that end; the other end is unharmed', async () => {
    // Used to be relayed as a sum the other end rejected with ERR_PROTOCOL, closing its whole connection.
    await listen();
    const good = await bus();
    const end = good.pipe<number>('p', { direct: false });
    const a = await raw();
    a.write('{"t":"open","c":1,"k":"pipe","n":"p","r":"end"}\n');
    await a.line((f) => f.t === 'opened');
    const max = Number.MAX_SAFE_INTEGER;
    a.write(`{"t":"credit","c":1,"n":${max}}\n{"t":"credit","c":1,"n":${max}}\n`);
    expect(await a.line((f) => f.t === 'error' && f.c === undefined)).toMatchObject({ e: { code: 'ERR_PROTOCOL' } });
    expect(await rejection(firstValueFrom(end.recv()))).toMatchObject({ code: 'ERR_PEER_GONE' });
    expect(good.closed).toBe(false);
    await roundTrip(good);
  });
});

describe('what the fuzz suite found', { timeout: 20_000 }, () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);

  it.each([
    ['a frame type', `{"t":${deep}}`, 'ERR_PROTOCOL', undefined],
    ['an ack range', `{"t":"ack","c":1,"r":[${deep}]}`, 'ERR_PROTOCOL', undefined],
    ['a queue option', `{"t":"open","c":2,"k":"queue","n":"a","r":"put","o":{"producers":${deep}}}`, 'ERR_INVALID_ARGUMENT', 2],
  ])('a value nested 5,000 deep as %s gets its typed error, not ERR_REMOTE', async (_, line, code, channel) => {
    // Used to be quoted with JSON.stringify in the error message: RangeError, answered as ERR_REMOTE.
    await listen();
    const c = await raw();
    c.write('{"t":"open","c":1,"k":"queue","n":"q","r":"get"}\n');
    await c.line((f) => f.t === 'opened');
    c.write(line + '\n');
    const f = await c.line((x) => x.t === 'error');
    expect(f).toMatchObject({ e: { code } });
    expect(f.c).toBe(channel);
    await stillServes();
  });

  it('producers opening and closing while the hub is full wait for room once per queue, not once per open', async () => {
    // The hub's list of queues waiting for room grew by two entries per open and close.
    const hub = await listen({ maxQueuedChars: 100 });
    const b = await bus();
    await b.queue<string>('full').send('x'.repeat(98));
    const c = await raw();
    for (let i = 1; i <= 2000; i++) c.write(`{"t":"open","c":${i},"k":"queue","n":"full","r":"put"}\n{"t":"close","c":${i}}\n`);
    c.write('{"t":"ping","n":1}\n');
    await c.line((f) => f.t === 'pong');
    expect((hub as unknown as { waitingRoom: Set<unknown> }).waitingRoom.size).toBeLessThanOrEqual(1);
  });

  it('a refused open of an ended, forgotten queue leaves it remembered: a late consumer still completes', async () => {
    const b = await endedAndForgotten('done');
    const c = await raw();
    c.write('{"t":"open","c":1,"k":"queue","n":"done","r":"bogus"}\n');
    expect(await c.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_INVALID_ARGUMENT' } });
    expect(await firstValueFrom(b.queue<number>('done').recv().pipe(toArray()))).toEqual([]);
  });

  it('a peer that does not read still gets its session error, whole, once it reads', async () => {
    // Used to be cut off with its queue thrown away, the error frame with it (or half of it).
    await listen();
    const a = await RawClient.open(tmp.sock('hub'), true);
    tmp.defer(() => a.socket.destroy());
    const b = await raw();
    a.write(HELLO + '{"t":"open","c":1,"k":"pipe","n":"p","r":"end"}\n');
    b.write('{"t":"open","c":1,"k":"pipe","n":"p","r":"end"}\n');
    await b.line((f) => f.t === 'opened');
    a.write('{"t":"credit","c":1,"n":2000}\n');
    await b.line((f) => f.t === 'credit');
    const value = 'x'.repeat(1168);
    b.write(Array.from({ length: 1500 }, () => `{"c":1,"d":"${value}"}\n`).join(''));
    b.write('{"t":"ping","n":1}\n');
    await b.line((f) => f.t === 'pong'); // the hub has read all of it, and queued it for a
    a.write('{"t":"bogus"}\n');
    a.socket.resume();
    await a.closed;
    const last = JSON.parse(a.lines[a.lines.length - 1]!);
    expect(last).toMatchObject({ t: 'error', e: { code: 'ERR_PROTOCOL' } });
    expect(a.partial).toBe('');
    await stillServes();
  });
});

describe('kinds, names and consumers', { timeout: 30_000 }, () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('an open of kind %j is refused with ERR_INVALID_ARGUMENT; stats() still works', async (kind) => {
    // Used to store garbage among the hub's resources: ERR_REMOTE "resource.attach is not a function", then stats() threw.
    const hub = await listen();
    const c = await raw();
    c.write(`{"t":"open","c":1,"k":"${kind}","n":"x","r":"put"}\n`);
    expect(await c.line((f) => f.t === 'error')).toMatchObject({ c: 1, e: { code: 'ERR_INVALID_ARGUMENT' } });
    expect(hub.stats().resources).toEqual([]);
    await stillServes();
  });

  it('a name of 257 characters is ERR_INVALID_ARGUMENT, as errors.md says', async () => {
    await listen();
    const c = await raw();
    c.write(`{"t":"open","c":1,"k":"queue","n":"${'n'.repeat(257)}","r":"put"}\n`);
    expect(await c.line((f) => f.t === 'error')).toMatchObject({ c: 1, e: { code: 'ERR_INVALID_ARGUMENT' } });
  });

  it('32,768 consumers of one connection on a queue holding an item go away without stalling the hub', async () => {
    // Used to stall the event loop 2.7 s at 32,768 consumers (quadratic in consumers); every put scanned them all.
    const hub = await listen({ maxChannels: 40_000 });
    const c = await raw();
    const good = await bus();
    await good.queue<number>('crowd').send(1);
    const n = 32_768;
    let opens = '';
    for (let i = 1; i <= n; i++) opens += `{"t":"open","c":${i},"k":"queue","n":"crowd","r":"get"}\n`;
    c.write(opens);
    c.write('{"t":"ping","n":1}\n');
    await c.line((f) => f.t === 'pong');
    expect(hub.stats().resources.find((r) => r.name === 'crowd')).toMatchObject({ consumers: n, queued: 1 });
    const t0 = performance.now();
    c.socket.destroy();
    await until(() => hub.stats().sessions === 1, 'the crowd to go');
    const elapsed = performance.now() - t0;
    expect(elapsed, 'time for the hub to drop 32,768 consumers').toBeLessThan(1500);
    expect(await good.queue<number>('crowd').get()).toBe(1);
  });
});

describe('limits', { timeout: 20_000 }, () => {
  it('connections past maxConnections get ERR_LIMIT; the count shows in stats()', async () => {
    const hub = await listen({ maxConnections: 2 });
    await bus();
    await bus();
    const third = await RawClient.open(tmp.sock('hub'));
    tmp.defer(() => third.socket.destroy());
    expect(await third.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_LIMIT', message: expect.stringMatching(/maxConnections/) } });
    await third.closed;
    expect(hub.stats().limits.maxConnections).toBe(1);
    expect(hub.stats().sessions).toBe(2);
  });

  it('a connection that never sends hello is dropped after helloTimeoutMs; pending ones past maxPendingConnections are refused', async () => {
    const hub = await listen({ helloTimeoutMs: 200, maxPendingConnections: 2 });
    const silent = await Promise.all([0, 1].map(() => RawClient.open(tmp.sock('hub'))));
    for (const s of silent) tmp.defer(() => s.socket.destroy());
    await until(() => hub.stats().pending === 2, 'two pending');
    const third = await RawClient.open(tmp.sock('hub'));
    tmp.defer(() => third.socket.destroy());
    expect(await third.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_LIMIT', message: expect.stringMatching(/maxPendingConnections/) } });
    for (const s of silent) {
      expect(await s.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_LIMIT', message: expect.stringMatching(/helloTimeoutMs/) } });
      await s.closed;
    }
    expect(hub.stats()).toMatchObject({ sessions: 0, pending: 0, limits: { helloTimeoutMs: 2, maxPendingConnections: 1 } });
    await stillServes();
  });

  it('a channel past maxChannels fails alone with ERR_LIMIT; the connection goes on', async () => {
    const hub = await listen({ maxChannels: 3 });
    const b = await bus();
    const queues = [0, 1, 2, 3].map((i) => b.queue<number>(`q${i}`));
    await Promise.all(queues.slice(0, 3).map((q) => q.send(1)));
    expect(await rejection(queues[3]!.send(1))).toMatchObject({ code: 'ERR_LIMIT' });
    expect(hub.stats().limits.maxChannels).toBe(1);
    expect(b.closed).toBe(false);
  });

  it('a peer that keeps opening past maxChannels without closing the refused channels is cut off with ERR_LIMIT', async () => {
    const hub = await listen({ maxChannels: 4 });
    const c = await raw();
    for (let i = 1; i <= 9; i++) c.write(`{"t":"open","c":${i},"k":"queue","n":"q","r":"get"}\n`);
    expect(await c.line((f) => f.t === 'error' && f.c === undefined)).toMatchObject({ e: { code: 'ERR_LIMIT' } });
    await c.closed;
    await until(() => hub.stats().sessions === 0, 'the session to go');
  });

  it('resources past maxResources: the open fails with ERR_LIMIT', async () => {
    const hub = await listen({ maxResources: 2 });
    const b = await bus();
    await b.queue<number>('a').send(1);
    await b.queue<number>('b').send(1);
    expect(await rejection(b.queue<number>('c').send(1))).toMatchObject({ code: 'ERR_LIMIT', message: expect.stringMatching(/maxResources/) });
    expect(hub.stats().limits.maxResources).toBe(1);
  });

  it('items past maxQueuedChars: producers wait for room, and an item that would cross the limit fails its producer with ERR_LIMIT', async () => {
    const hub = await listen({ maxQueuedChars: 10_000 });
    const b = await bus();
    const big = 'z'.repeat(1000);
    const q = b.queue<string>('held', { maxsize: 100 });
    // The sends go out within the credit maxsize allows; the hub refuses the item that would
    // cross its limit, and that failure reaches the producer's flush() (and any later send).
    const sends = await Promise.allSettled(Array.from({ length: 12 }, () => q.send(big)));
    expect(sends.every((r) => r.status === 'fulfilled')).toBe(true);
    await expect(q.flush()).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    await expect(q.send(big)).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    const held = hub.stats().queuedChars / JSON.stringify(big).length;
    expect(held).toBe(Math.floor(10_000 / JSON.stringify(big).length));
    expect(hub.stats().limits.maxQueuedChars).toBeGreaterThan(0);
    // Consuming frees room: other producers get credit again.
    const taken = await firstValueFrom(b.queue<string>('held').recv().pipe(take(held), toArray()));
    expect(taken.every((v) => v === big)).toBe(true);
    await until(() => hub.stats().queuedChars === 0, 'the queue to be empty');
    const other = b.queue<string>('other');
    await other.send(big);
    await other.flush();
    expect(hub.stats().queuedChars).toBe(2 + 1000);
    // The loss was seen (flush() rejected with it): closing the bus does not report it again.
    await b.close();
  });

  it('values refused after their send() resolved, and never reported, make bus.close() reject', async () => {
    await listen({ maxQueuedChars: 2_000 });
    const b = await bus();
    const q = b.queue<string>('unseen', { maxsize: 100 });
    const sends = await Promise.allSettled([1, 2, 3].map(() => q.send('z'.repeat(1000))));
    expect(sends.every((r) => r.status === 'fulfilled')).toBe(true);
    await expect(b.close()).rejects.toMatchObject({ code: 'ERR_LIMIT' });
  });

  it('HubOptions are checked: a limit that is not a positive integer is ERR_INVALID_ARGUMENT', async () => {
    await expect(Hub.listen(tmp.sock('bad'), { maxConnections: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => new Hub({ maxQueuedChars: 1.5 })).toThrow(/maxQueuedChars must be a positive integer/);
  });
});

describe('queues', { timeout: 20_000 }, () => {
  it('a consumer that subscribes after the queue ended, drained and was forgotten completes at once', async () => {
    // Used to wait on a new queue of that name, against docs/channels.md.
    const b = await endedAndForgotten('done');
    expect(await firstValueFrom(b.queue<number>('done').recv().pipe(toArray()))).toEqual([]);
    // A producer starts the name anew, as before.
    const again = b.queue<number>('done');
    await again.send(2);
    expect(await again.get()).toBe(2);
  });

  it('stats() shows how many ends a queue has and needs, and the producers that left without ending', async () => {
    // With producers: 3 and one producer dead, the queue never ended and nothing showed why.
    const hub = await listen();
    const b = await bus();
    const ended = b.queue<number>('three', { producers: 3 });
    await ended.send(1);
    await ended.end();
    const c = await raw();
    c.write('{"t":"open","c":1,"k":"queue","n":"three","r":"put","o":{"producers":3}}\n');
    await c.line((f) => f.t === 'credit');
    c.socket.destroy();
    await until(() => hub.stats().resources.find((r) => r.name === 'three')?.producersGone === 1, 'the producer to be gone');
    expect(hub.stats().resources.find((r) => r.name === 'three')).toMatchObject({ ends: 1, endsNeeded: 3, producersGone: 1, ended: false });
  });
});

describe('deep and odd input', { timeout: 20_000 }, () => {
  it('a data frame spelled {"d":...,"c":1} with a payload nested 10,000 levels deep is carried as it is', async () => {
    // Used to get ERR_REMOTE "RangeError: Maximum call stack size exceeded", and the session closed.
    await listen();
    const good = await bus();
    const q = good.queue<unknown>('deep');
    const got = firstValueFrom(q.recv().pipe(take(1)));
    await roundTrip(good);
    const p = await raw();
    p.write('{"t":"open","c":1,"k":"queue","n":"deep","r":"put"}\n');
    await p.line((f) => f.t === 'credit');
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    p.write(`{"d":${deep},"c":1}\n`);
    expect(await p.line((f) => f.t === 'ack')).toMatchObject({ c: 1, r: [[1, 1]] });
    let v = await got;
    let depth = 0;
    while (Array.isArray(v) && v.length === 1) {
      v = v[0];
      depth++;
    }
    expect(depth + 1).toBe(10_000);
  });

  it('a frame of exactly maxLine bytes ended by \\r\\n is accepted', async () => {
    const maxLine = 1024;
    await listen({ maxLine });
    const c = await raw();
    const head = '{"t":"ping","n":1';
    const frame = head + ' '.repeat(maxLine - head.length - 1) + '}';
    expect(Buffer.byteLength(frame)).toBe(maxLine);
    c.write(frame + '\r\n');
    expect(await c.line((f) => f.t === 'pong' || f.t === 'error')).toEqual({ t: 'pong', n: 1 });
    c.write(frame + ' \r\n');
    expect(await c.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_FRAME_TOO_LARGE' } });
  });

  it('invalid UTF-8 inside a JSON string is accepted, each bad sequence read as U+FFFD', async () => {
    await listen();
    const good = await bus();
    const q = good.queue<string>('utf8');
    const got = q.get();
    await roundTrip(good);
    const p = await raw();
    p.write('{"t":"open","c":1,"k":"queue","n":"utf8","r":"put"}\n');
    await p.line((f) => f.t === 'credit');
    p.write(Buffer.concat([Buffer.from('{"c":1,"d":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}\n')]));
    expect(await got).toBe('a\ufffd\ufffdb');
  });
});

describe('a lost connection: promises reject, nothing throws', { timeout: 20_000 }, () => {
  it('send, sendAll, end and a relayed pipe on handles opened after the connection was lost reject', async () => {
    // Used to throw ConnectionLostError synchronously from send(), sendAll(), end() and bus.pipe(name, { direct: false }).
    const hub = await listen();
    const b = await bus();
    await roundTrip(b);
    await hub.close();
    await until(() => b.closed, 'the bus to see the hub go');
    const calls: (() => Promise<unknown>)[] = [
      () => b.queue<number>('a').send(1),
      () => b.queue<number>('b').sendAll([1, 2]),
      () => b.queue<number>('c').end(),
      () => b.pipe<number>('p', { direct: false }).send(1),
      () => b.pipe<number>('p2', { direct: false }).end(),
      () => firstValueFrom(b.pipe<number>('p3', { direct: false }).recv()),
      () => b.queue<number>('d').get(),
    ];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => { promise = call(); }).not.toThrow();
      expect(await rejection(promise!)).toMatchObject({ code: 'ERR_CONNECTION_LOST' });
    }
  });
});
