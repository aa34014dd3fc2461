/**
 * Queue logic, in real time, over every transport (test/transports.ts): an in-memory hub and a
 * hub on a real Unix socket.
 *
 * Quiescence: over a socket, one macrotask is no barrier (a frame may still be in the kernel or
 * wait for the next poll), so no test waits for time. Each waits for what it can observe: a
 * promise, or `until(...)` values arrived and `hub.stats()` (the hub runs in this process, so its
 * stats are exact) reached a state. Before a test checks that something has NOT happened (a send
 * still pending, no more items taken), it also makes a `roundTrip` on the connections involved,
 * producer first: whatever was on its way (credit, and the item sent on it, and its delivery) has
 * then arrived, so a bound that does not hold is seen, not raced past.
 */
import { firstValueFrom, toArray, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/channels/bus.js';
import type { Delivery } from '../../src/channels/inbound.js';
import type { Queue, QueueOptions } from '../../src/channels/queue.js';
import {
  BufferOverflowError, EndedError, InvalidArgumentError, OptionsMismatchError, TimeoutError,
} from '../../src/errors.js';
import { rejection, roundTrip, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('Queue over $name', (transport) => {
  let t: TestBed;
  let subs: Subscription[];

  beforeEach(async () => {
    t = await transport.setup();
    subs = [];
  });

  afterEach(async (ctx) => {
    for (const s of subs) s.unsubscribe();
    // A failed test may have left sends waiting for room: do not wait for them to drain.
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const connectionOf = new Map<object, Bus>();
  /** The queue `name`, on a connection of its own. */
  const queue = async <T>(name: string, options?: QueueOptions): Promise<Queue<T>> => {
    const b = await t.bus();
    const q = b.queue<T>(name, options);
    connectionOf.set(q, b);
    return q;
  };
  /** Round trips on the connections of `queues`, one after the other (see the top of the file). */
  async function quiet(...queues: object[]): Promise<void> {
    for (const q of queues) await roundTrip(connectionOf.get(q)!);
  }

  function queueStats(name: string) {
    return t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === name);
  }

  const resolvedCount = (sends: { state: string }[]) => sends.filter((s) => s.state === 'resolved').length;

  it('maxsize bounds what the hub holds while the consumer does not ack; sends wait for room', async () => {
    const producer = await queue<number>('bounded', { maxsize: 3 });
    const consumer = await queue<number>('bounded', { maxsize: 3 });
    const held: Delivery<number>[] = [];
    subs.push(consumer.recvWithAck({ prefetch: 10 }).subscribe((d) => held.push(d)));

    const sends = Array.from({ length: 10 }, (_, i) => track(producer.send(i)));
    const bound = () => {
      const s = queueStats('bounded')!;
      expect((s.queued as number) + (s.inflight as number)).toBeLessThanOrEqual(3);
      return s;
    };
    /** Waits for `delivered` items at the consumer, as many sends resolved, `acked` acks at the hub. */
    const reach = (delivered: number, acked: number) => until(
      () => held.length >= delivered && resolvedCount(sends) >= delivered && queueStats('bounded')?.inflight === delivered - acked,
      `${delivered} delivered, ${acked} acked`,
    );

    // The hub took 3 items (maxsize) and delivered them; the consumer holds them unacked.
    await reach(3, 0);
    await quiet(producer, consumer);
    expect(bound()).toMatchObject({ queued: 0, inflight: 3, maxsize: 3 });
    expect(held.map((d) => d.value)).toEqual([0, 1, 2]);
    expect(sends.map((s) => s.state)).toEqual([...Array(3).fill('resolved'), ...Array(7).fill('pending')]);

    // Acking one makes room for exactly one more.
    held[0]!.ack();
    await reach(4, 1);
    await quiet(producer, consumer);
    expect(bound()).toMatchObject({ queued: 0, inflight: 3 });
    expect(held.map((d) => d.value)).toEqual([0, 1, 2, 3]);
    expect(sends.map((s) => s.state)).toEqual([...Array(4).fill('resolved'), ...Array(6).fill('pending')]);

    // Acking the rest one at a time: the bound holds at every step, and everything arrives once.
    for (let next = 1; next < 10; next++) {
      held[next]!.ack();
      const delivered = Math.min(10, next + 4);
      await reach(delivered, next + 1);
      await quiet(producer, consumer);
      bound();
      expect(held).toHaveLength(delivered);
      expect(resolvedCount(sends)).toBe(delivered);
    }
    await Promise.all(sends.map((s) => s.p));
    expect(held.map((d) => d.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(queueStats('bounded')).toMatchObject({ queued: 0, inflight: 0 });
  });

  it('maxsize bounds the items queued when there is no consumer at all', async () => {
    const producer = await queue<number>('noconsumer', { maxsize: 4 });
    const sends = Array.from({ length: 9 }, (_, i) => track(producer.send(i)));
    await until(() => resolvedCount(sends) >= 4 && queueStats('noconsumer')?.queued === 4, 'the queue to be full');
    await quiet(producer);
    expect(queueStats('noconsumer')).toMatchObject({ queued: 4, inflight: 0 });
    expect(sends.map((s) => s.state)).toEqual([...Array(4).fill('resolved'), ...Array(5).fill('pending')]);

    // A consumer drains it all, in order, and the waiting sends complete.
    const got = firstValueFrom((await queue<number>('noconsumer')).recv().pipe(toArray()));
    await Promise.all(sends.map((s) => s.p));
    await producer.end();
    expect(await got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('send after the queue ended rejects with EndedError (same handle, and a new producer)', async () => {
    const a = await queue<string>('ending');
    await a.send('kept');
    await a.end();

    const same = await rejection(a.send('late'));
    expect(same).toBeInstanceOf(EndedError);
    expect(same.code).toBe('ERR_ENDED');

    // end() resolves once 'kept' is acknowledged, which may be before the hub has read the `end`
    // frame: wait for the hub to know. It still holds 'kept', so a new producer is refused.
    await until(() => queueStats('ending')?.ended === true, 'the hub to see the end');
    expect(queueStats('ending')).toMatchObject({ ended: true, queued: 1 });
    const other = await rejection((await queue<string>('ending')).send('late too'));
    expect(other).toBeInstanceOf(EndedError);
    expect(other.code).toBe('ERR_ENDED');

    // Nothing late got in.
    expect(await firstValueFrom((await queue<string>('ending')).recv().pipe(toArray()))).toEqual(['kept']);
  });

  it('a late consumer completes at once when the queue has ended and drained (queue still held by a producer handle)', async () => {
    const name = 'late';
    const a = await queue<number>(name);
    // A second producer handle that sent and stays open: the hub keeps knowing the queue.
    const b = await queue<number>(name);
    await b.send(1);
    await a.send(2);
    await a.end(); // producers: 1 → the queue has ended
    expect(await firstValueFrom((await queue<number>(name)).recv().pipe(toArray()))).toEqual([1, 2]);
    expect(queueStats(name)).toMatchObject({ ended: true, queued: 0, inflight: 0 });

    const late = (await queue<number>(name)).recv();
    expect(await firstValueFrom(late.pipe(toArray()))).toEqual([]);
    // get() on an ended, drained queue rejects with ERR_ENDED.
    const err = await rejection((await queue<number>(name)).get());
    expect(err).toBeInstanceOf(EndedError);
  });

  // Lifetime (docs/channels.md): an ended queue is forgotten once it is drained and every channel
  // on it has closed; the name then starts a new queue, as a long-running hub needs for reruns.
  it('an ended, drained queue with no channels left is forgotten, and its name starts afresh', async () => {
    const name = 'late-idle';
    const a = await queue<number>(name);
    await a.send(1);
    await a.end();
    expect(await firstValueFrom((await queue<number>(name)).recv().pipe(toArray()))).toEqual([1]);
    await until(() => queueStats(name) === undefined, 'the hub to forget the queue');

    const again = await queue<number>(name);
    await again.send(2);
    await again.flush();
    expect(queueStats(name)).toMatchObject({ ended: false, queued: 1 });
    expect(await (await queue<number>(name)).get()).toBe(2);
  });

  it('get({timeout}) on an empty queue rejects with TimeoutError', async () => {
    const q = await queue<number>('empty');
    const started = Date.now();
    const err = await rejection(q.get({ timeout: 20 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('ERR_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    // The consumer channel it opened was closed again, and the queue forgotten.
    await until(() => queueStats('empty') === undefined, 'the hub to forget the queue');
  });

  it('get() takes one item and leaves the rest for others, losing nothing', async () => {
    const p = await queue<number>('one');
    for (let i = 1; i <= 5; i++) await p.send(i);
    const c = await queue<number>('one');
    expect(await c.get()).toBe(1);
    // get() acks its item and closes its channel (the ack goes out first): once the hub has
    // dropped the consumer, it has seen the ack too.
    await until(() => queueStats('one')?.consumers === 0, 'the consumer of get() to leave');
    expect(queueStats('one')).toMatchObject({ queued: 4, inflight: 0, consumers: 0 });
    expect(await c.get()).toBe(2);
    await p.end();
    // 3 may be in c's prefetch: it comes back once c lets go, after 4 and 5 perhaps.
    expect((await firstValueFrom((await queue<number>('one')).recv().pipe(toArray()))).sort()).toEqual([3, 4, 5]);
  });

  it('for await pulls the items and stops at the end', async () => {
    const p = await queue<string>('iter');
    const sent = Promise.all(['a', 'b', 'c'].map((x) => p.send(x))).then(() => p.end());
    const got: string[] = [];
    for await (const x of await queue<string>('iter')) got.push(x);
    await sent;
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('for await on a handle with prefetch 1 holds one item at a time', async () => {
    const p = await queue<number>('iter1');
    for (let i = 0; i < 4; i++) await p.send(i);
    await p.end();
    const seen: unknown[] = [];
    // No wait is needed in the body: the hub sends item x only once it has the ack and the credit
    // for x - 1 (they travel together), so when x arrives the hub's counters are final until the
    // loop asks for the next one.
    for await (const x of await queue<number>('iter1', { prefetch: 1 })) {
      seen.push([x, queueStats('iter1')!.inflight, queueStats('iter1')!.queued]);
    }
    // While a loop body runs, the hub has exactly that one item out, the rest queued.
    expect(seen).toEqual([[0, 1, 3], [1, 1, 2], [2, 1, 1], [3, 1, 0]]);
  });

  it('break in for await gives the unprocessed items back to the queue', async () => {
    const p = await queue<number>('brk');
    for (let i = 1; i <= 5; i++) await p.send(i);
    await p.end();
    const got: number[] = [];
    for await (const x of await queue<number>('brk')) {
      got.push(x);
      if (x === 2) break;
    }
    expect(got).toEqual([1, 2]);
    // 1 and 2 were processed (their loop bodies finished); 3 to 5 are back in the queue, once each.
    await until(() => queueStats('brk')?.consumers === 0, 'the broken-off consumer to leave');
    expect(queueStats('brk')).toMatchObject({ queued: 3, inflight: 0 });
    expect(await firstValueFrom((await queue<number>('brk')).recv().pipe(toArray()))).toEqual([3, 4, 5]);
  });

  it('options mismatch on the same name → OptionsMismatchError on the second handle\'s send', async () => {
    const first = await queue<number>('opts', { maxsize: 10 });
    await first.send(1);
    const second = await queue<number>('opts', { maxsize: 20 });
    const err = await rejection(second.send(2));
    expect(err).toBeInstanceOf(OptionsMismatchError);
    expect(err.code).toBe('ERR_OPTIONS_MISMATCH');
    expect(err.message).toMatch(/maxsize/);
    // The queue is unharmed, and a handle that leaves the option out is accepted.
    await first.send(3);
    await first.flush();
    expect(queueStats('opts')).toMatchObject({ maxsize: 10, queued: 2 });
    const third = await queue<number>('opts');
    expect(await third.get()).toBe(1);
    expect(await third.get()).toBe(3);
  });

  it('sending undefined or a BigInt rejects with InvalidArgumentError', async () => {
    const q = await queue<unknown>('bad-values');
    for (const v of [undefined, 10n, () => 1, Symbol('s')]) {
      const err = await rejection(q.send(v));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(() => q.next(undefined)).toThrow(InvalidArgumentError);
    expect(() => q.next(1n)).toThrow(InvalidArgumentError);
    // A refused value does not break the handle.
    await q.send('fine');
    await q.flush();
    expect(queueStats('bad-values')).toMatchObject({ queued: 1 });
  });

  it('the Observer side throws BufferOverflowError past maxBuffer', async () => {
    const q = await queue<number>('overflow', { maxBuffer: 10, maxsize: 5 });
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

    // The hub fills up to maxsize and grants nothing more while no one consumes.
    await until(() => (queueStats('overflow')?.queued as number | undefined) === 5, 'the queue to be full');
    await quiet(q);
    expect(queueStats('overflow')).toMatchObject({ queued: 5, inflight: 0, maxsize: 5 });

    // The 10 accepted values all arrive, in order; the refused ones never do.
    q.complete();
    expect(await firstValueFrom((await queue<number>('overflow', { maxsize: 5 })).recv().pipe(toArray())))
      .toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
