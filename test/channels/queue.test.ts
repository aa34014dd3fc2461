/**
 * Queue logic over an in-memory hub, in real time on the asap scheduler.
 *
 * Quiescence: a memoryHub on the default asap scheduler does every hop (wire flushes, session
 * flushes, the hub's deferred refills) in microtasks; no timer is involved unless a test asks for
 * one (`get({timeout})`). So once a macrotask (`setImmediate`) has run, every chain of reactions
 * has run to its end: `settled()` is a barrier, not a sleep.
 */
import { firstValueFrom, toArray, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/channels/bus.js';
import type { Delivery } from '../../src/channels/inbound.js';
import {
  BufferOverflowError, EndedError, InvalidArgumentError, OptionsMismatchError, TimeoutError,
} from '../../src/errors.js';
import type { Hub } from '../../src/bus/hub.js';
import { memoryHub, type MemoryHub } from '../../src/testing.js';

let mh: MemoryHub;
let hub: Hub;
let buses: Bus[];
let subs: Subscription[];

beforeEach(() => {
  mh = memoryHub();
  hub = mh.hub;
  buses = [];
  subs = [];
});

afterEach(async () => {
  for (const s of subs) s.unsubscribe();
  // Closing the hub first ends every session, so nothing a bus waits for can hang its close().
  await hub.close();
  await Promise.all(buses.map((b) => b.close()));
});

function bus(): Bus {
  const b = mh.connect();
  buses.push(b);
  return b;
}

/** One macrotask later, every microtask-driven hop of the memory hub has run (see above). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function queueStats(name: string) {
  return hub.stats().resources.find((r) => r.kind === 'queue' && r.name === name);
}

/** Tracks a promise's state without ever leaving a rejection unhandled. */
function track<T>(p: Promise<T>): { p: Promise<T>; state: 'pending' | 'resolved' | 'rejected'; err?: unknown } {
  const t = { p, state: 'pending' as 'pending' | 'resolved' | 'rejected', err: undefined as unknown };
  p.then(() => { t.state = 'resolved'; }, (err) => { t.state = 'rejected'; t.err = err; });
  return t;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(() => { throw new Error('expected a rejection'); }, (err: Error) => err);
}

describe('Queue over memoryHub', () => {
  it('maxsize bounds what the hub holds while the consumer does not ack; sends wait for room', async () => {
    const producer = bus().queue<number>('bounded', { maxsize: 3 });
    const consumer = bus().queue<number>('bounded', { maxsize: 3 });
    const held: Delivery<number>[] = [];
    subs.push(consumer.recvWithAck({ prefetch: 10 }).subscribe((d) => held.push(d)));

    const sends = Array.from({ length: 10 }, (_, i) => track(producer.send(i)));
    await settled();

    const bound = () => {
      const s = queueStats('bounded')!;
      expect((s.queued as number) + (s.inflight as number)).toBeLessThanOrEqual(3);
      return s;
    };
    // The hub took 3 items (maxsize) and delivered them; the consumer holds them unacked.
    expect(bound()).toMatchObject({ queued: 0, inflight: 3, maxsize: 3 });
    expect(held.map((d) => d.value)).toEqual([0, 1, 2]);
    expect(sends.map((s) => s.state)).toEqual([...Array(3).fill('resolved'), ...Array(7).fill('pending')]);

    // Acking one makes room for exactly one more.
    held[0]!.ack();
    await settled();
    expect(bound()).toMatchObject({ queued: 0, inflight: 3 });
    expect(held.map((d) => d.value)).toEqual([0, 1, 2, 3]);
    expect(sends.map((s) => s.state)).toEqual([...Array(4).fill('resolved'), ...Array(6).fill('pending')]);

    // Acking the rest one at a time: the bound holds at every step, and everything arrives once.
    for (let next = 1; next < 10; next++) {
      held[next]!.ack();
      await settled();
      bound();
      expect(sends.filter((s) => s.state === 'resolved')).toHaveLength(Math.min(10, next + 4));
    }
    await Promise.all(sends.map((s) => s.p));
    expect(held.map((d) => d.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(queueStats('bounded')).toMatchObject({ queued: 0, inflight: 0 });
  });

  it('maxsize bounds the items queued when there is no consumer at all', async () => {
    const producer = bus().queue<number>('noconsumer', { maxsize: 4 });
    const sends = Array.from({ length: 9 }, (_, i) => track(producer.send(i)));
    await settled();
    expect(queueStats('noconsumer')).toMatchObject({ queued: 4, inflight: 0 });
    expect(sends.map((s) => s.state)).toEqual([...Array(4).fill('resolved'), ...Array(5).fill('pending')]);

    // A consumer drains it all, in order, and the waiting sends complete.
    const got = firstValueFrom(bus().queue<number>('noconsumer').recv().pipe(toArray()));
    await Promise.all(sends.map((s) => s.p));
    await producer.end();
    expect(await got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('send after the queue ended rejects with EndedError (same handle, and a new producer)', async () => {
    const a = bus().queue<string>('ending');
    await a.send('kept');
    await a.end();

    const same = await rejection(a.send('late'));
    expect(same).toBeInstanceOf(EndedError);
    expect(same.code).toBe('ERR_ENDED');

    // The hub still holds 'kept', so it knows the queue has ended: a new producer is refused.
    expect(queueStats('ending')).toMatchObject({ ended: true, queued: 1 });
    const other = await rejection(bus().queue<string>('ending').send('late too'));
    expect(other).toBeInstanceOf(EndedError);
    expect(other.code).toBe('ERR_ENDED');

    // Nothing late got in.
    expect(await firstValueFrom(bus().queue<string>('ending').recv().pipe(toArray()))).toEqual(['kept']);
  });

  it('a late consumer completes at once when the queue has ended and drained (queue still held by a producer handle)', async () => {
    const name = 'late';
    const a = bus().queue<number>(name);
    // A second producer handle that sent and stays open: the hub keeps knowing the queue.
    const b = bus().queue<number>(name);
    await b.send(1);
    await a.send(2);
    await a.end(); // producers: 1 → the queue has ended
    expect(await firstValueFrom(bus().queue<number>(name).recv().pipe(toArray()))).toEqual([1, 2]);
    expect(queueStats(name)).toMatchObject({ ended: true, queued: 0, inflight: 0 });

    const late = bus().queue<number>(name).recv();
    expect(await firstValueFrom(late.pipe(toArray()))).toEqual([]);
    // get() on an ended, drained queue rejects with ERR_ENDED.
    const err = await rejection(bus().queue<number>(name).get());
    expect(err).toBeInstanceOf(EndedError);
  });

  // Lifetime (docs/channels.md): an ended queue is forgotten once it is drained and every channel
  // on it has closed; the name then starts a new queue, as a long-running hub needs for reruns.
  it('an ended, drained queue with no channels left is forgotten, and its name starts afresh', async () => {
    const name = 'late-idle';
    const a = bus().queue<number>(name);
    await a.send(1);
    await a.end();
    expect(await firstValueFrom(bus().queue<number>(name).recv().pipe(toArray()))).toEqual([1]);
    await settled();
    expect(queueStats(name)).toBeUndefined();

    const again = bus().queue<number>(name);
    await again.send(2);
    expect(await bus().queue<number>(name).get()).toBe(2);
  });

  it('get({timeout}) on an empty queue rejects with TimeoutError', async () => {
    const q = bus().queue<number>('empty');
    const started = Date.now();
    const err = await rejection(q.get({ timeout: 20 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('ERR_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    // The consumer channel it opened was closed again.
    await settled();
    expect(queueStats('empty')).toBeUndefined();
  });

  it('get() takes one item and leaves the rest for others, losing nothing', async () => {
    const p = bus().queue<number>('one');
    for (let i = 1; i <= 5; i++) await p.send(i);
    const c = bus().queue<number>('one');
    expect(await c.get()).toBe(1);
    await settled();
    expect(queueStats('one')).toMatchObject({ queued: 4, inflight: 0, consumers: 0 });
    expect(await c.get()).toBe(2);
    await p.end();
    expect(await firstValueFrom(bus().queue<number>('one').recv().pipe(toArray()))).toEqual([3, 4, 5]);
  });

  it('for await pulls the items and stops at the end', async () => {
    const p = bus().queue<string>('iter');
    const sent = Promise.all(['a', 'b', 'c'].map((x) => p.send(x))).then(() => p.end());
    const got: string[] = [];
    for await (const x of bus().queue<string>('iter')) got.push(x);
    await sent;
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('for await holds one item at a time (prefetch 1)', async () => {
    const p = bus().queue<number>('iter1');
    for (let i = 0; i < 4; i++) await p.send(i);
    await p.end();
    const seen: unknown[] = [];
    for await (const x of bus().queue<number>('iter1')) {
      await settled();
      seen.push([x, queueStats('iter1')!.inflight, queueStats('iter1')!.queued]);
    }
    // While a loop body runs, the hub has exactly that one item out, the rest queued.
    expect(seen).toEqual([[0, 1, 3], [1, 1, 2], [2, 1, 1], [3, 1, 0]]);
  });

  it('break in for await gives the unprocessed items back to the queue', async () => {
    const p = bus().queue<number>('brk');
    for (let i = 1; i <= 5; i++) await p.send(i);
    await p.end();
    const got: number[] = [];
    for await (const x of bus().queue<number>('brk')) {
      got.push(x);
      if (x === 2) break;
    }
    expect(got).toEqual([1, 2]);
    // 1 and 2 were processed (their loop bodies finished); 3 to 5 are still there, once each.
    expect(await firstValueFrom(bus().queue<number>('brk').recv().pipe(toArray()))).toEqual([3, 4, 5]);
  });

  it('options mismatch on the same name → OptionsMismatchError on the second handle\'s send', async () => {
    const first = bus().queue<number>('opts', { maxsize: 10 });
    await first.send(1);
    const second = bus().queue<number>('opts', { maxsize: 20 });
    const err = await rejection(second.send(2));
    expect(err).toBeInstanceOf(OptionsMismatchError);
    expect(err.code).toBe('ERR_OPTIONS_MISMATCH');
    expect(err.message).toMatch(/maxsize/);
    // The queue is unharmed, and a handle that leaves the option out is accepted.
    await first.send(3);
    expect(queueStats('opts')).toMatchObject({ maxsize: 10, queued: 2 });
    const third = bus().queue<number>('opts');
    expect(await third.get()).toBe(1);
    expect(await third.get()).toBe(3);
  });

  it('sending undefined or a BigInt rejects with InvalidArgumentError', async () => {
    const q = bus().queue<unknown>('bad-values');
    for (const v of [undefined, 10n, () => 1, Symbol('s')]) {
      const err = await rejection(q.send(v));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(() => q.next(undefined)).toThrow(InvalidArgumentError);
    expect(() => q.next(1n)).toThrow(InvalidArgumentError);
    // A refused value does not break the handle.
    await q.send('fine');
    expect(queueStats('bad-values')).toMatchObject({ queued: 1 });
  });

  it('the Observer side throws BufferOverflowError past maxBuffer', async () => {
    const q = bus().queue<number>('overflow', { maxBuffer: 10, maxsize: 5 });
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        q.next(i);
        outcomes.push('ok');
      } catch (err) {
        expect(err).toBeInstanceOf(BufferOverflowError);
        expect((err as BufferOverflowError).code).toBe('ERR_BUFFER_OVERFLOW');
        outcomes.push('overflow');
      }
    }
    // Synchronously no credit has come yet: 10 wait, the 11th and later are refused.
    expect(outcomes).toEqual([...Array(10).fill('ok'), ...Array(10).fill('overflow')]);

    await settled();
    expect(queueStats('overflow')).toMatchObject({ queued: 5, maxsize: 5 });

    // The 10 accepted values all arrive, in order; the refused ones never do.
    q.complete();
    expect(await firstValueFrom(bus().queue<number>('overflow', { maxsize: 5 }).recv().pipe(toArray())))
      .toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
