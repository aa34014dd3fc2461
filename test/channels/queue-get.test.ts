/**
 * `get()`, `getNowait()` and `for await` on a queue handle: one consumer kept open while takes keep
 * coming, prefetched items, and what goes back to the queue when the handle stops asking. Over
 * every transport (an in-memory hub and a hub on a real Unix socket); see queue.test.ts for how
 * the tests wait (promises, `until` on the hub's own stats, never time).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/channels/bus.js';
import type { Queue, QueueOptions } from '../../src/channels/queue.js';
import { EndedError, InvalidArgumentError, TimeoutError } from '../../src/errors.js';
import { rejection, transports, until, type TestBed } from '../transports.js';

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe.each(transports)('Queue.get over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const busOf = new Map<object, Bus>();
  const queue = async <T>(name: string, options?: QueueOptions): Promise<Queue<T>> => {
    const b = await t.bus();
    const q = b.queue<T>(name, options);
    busOf.set(q, b);
    return q;
  };
  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === name);
  /** A producer handle of `name` whose `items` the hub holds. */
  const filled = async <T>(name: string, items: T[]): Promise<Queue<T>> => {
    const p = await queue<T>(name);
    await p.sendAll(items);
    await p.flush();
    return p;
  };

  it('a get() loop takes every item in order over one consumer, holding at most prefetch', async () => {
    const p = await queue<number>('loop');
    const sent = p.sendAll(range(0, 3000)).then(() => p.end());
    const c = await queue<number>('loop', { prefetch: 64 });
    const got: number[] = [];
    let most = 0;
    for (;;) {
      const v = await c.get().catch((err: unknown) => (err instanceof EndedError ? undefined : Promise.reject(err)));
      if (v === undefined) break;
      got.push(v);
      const s = stats('loop');
      if (s) {
        expect(s.consumers).toBe(1);
        most = Math.max(most, Number(s.inflight));
      }
    }
    await sent;
    expect(got).toEqual(range(0, 3000));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(64);
    await expect(c.get()).rejects.toBeInstanceOf(EndedError);
  });

  it('the sentinel loop of the Python docs: while ((x = await q.get()) !== null)', async () => {
    const p = await queue<number | null>('sentinel');
    await p.sendAll([...range(1, 100), null]);
    const c = await queue<number | null>('sentinel');
    const got: number[] = [];
    let x: number | null;
    while ((x = await c.get()) !== null) got.push(x);
    expect(got).toEqual(range(1, 100));
    // The handle stops asking: after lingerMs its consumer closes, and the sentinel it took counts
    // as processed: the hub holds nothing more, and forgets the queue once the idle producer has
    // let go too.
    await until(() => stats('sentinel') === undefined, 'the hub to forget the queue');
  });

  it('a handle that stops calling get() gives the items it holds back after lingerMs; the one it took stays taken', async () => {
    const p = await filled<number>('linger', range(1, 20));
    const slow = await queue<number>('linger', { prefetch: 8, lingerMs: 30 });
    expect(await slow.get()).toBe(1);
    await until(() => Number(stats('linger')?.inflight) >= 2, 'the slow handle to hold more than it took');
    // `slow` stops asking: its consumer closes, 2..8 go back to the front of the queue.
    await until(() => stats('linger')?.consumers === 0, 'the slow handle to let go');
    const other = await queue<number>('linger');
    const rest: number[] = [];
    for (let i = 0; i < 19; i++) rest.push(await other.get());
    expect(rest).toEqual(range(2, 19));
  });

  it('producers that went idle give their credit back: a new producer gets room although they never ended', async () => {
    // maxsize 8: each producer holds at most 2 in credit. Four producers that sent one item each
    // hold 4 items' worth of credit they do not use: with 4 items queued, the queue is full.
    const idle = await Promise.all([0, 1, 2, 3].map(() => queue<number>('credit', { maxsize: 8, lingerMs: 20 })));
    for (const [i, p] of idle.entries()) {
      await p.put(i);
      await p.flush();
    }
    await until(() => stats('credit')?.producers === 0, 'the idle producers to let go');
    expect(stats('credit')).toMatchObject({ queued: 4, ends: 0 });
    const late = await queue<number>('credit');
    await late.put(4);
    await late.put(5);
    await late.flush();
    expect(stats('credit')).toMatchObject({ queued: 6 });
    // They have not ended: one that sends again opens a new channel, and its end counts.
    await idle[0]!.put(6);
    await idle[0]!.end();
    expect(stats('credit')).toMatchObject({ queued: 7, ends: 1 });
  });

  it('two for await loops on one handle: a break in one leaves the other its item (no duplicate)', async () => {
    const p = await filled<number>('two-loops', range(1, 6));
    const c = await queue<number>('two-loops', { lingerMs: 10_000 });
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = (async () => {
      for await (const x of c) {
        seen.push(x);
        await gate; // this body runs while the other loop breaks
      }
    })();
    for await (const x of c) {
      seen.push(x);
      break;
    }
    release();
    await p.end();
    await slow;
    expect(seen.sort((a, b) => a - b)).toEqual(range(1, 6));
  });

  it('a producer gets the room there is, however little, while the queue holds items', async () => {
    // maxsize 100: a producer's window is 25. With 95 items queued and 5 free, a put waits for nothing.
    const first = await queue<number>('room', { maxsize: 100, lingerMs: 10 });
    await first.sendAll(range(0, 95));
    await first.flush();
    await until(() => stats('room')?.producers === 0, 'the first producer to let go');
    const other = await queue<number>('room');
    for (let i = 0; i < 5; i++) await other.put(100 + i);
    await other.flush();
    expect(stats('room')).toMatchObject({ queued: 100 });
  });

  it('bus.close() while a get() waits: the get() rejects with ERR_CLOSED', async () => {
    const c = await queue<number>('close-wait');
    const waiting = rejection(c.get());
    await until(() => stats('close-wait')?.consumers === 1, 'the consumer to open');
    await busOf.get(c)!.close();
    expect(await waiting).toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('a get() served from what the handle holds and bus.close() in the same turn: the item counts as taken', async () => {
    const p = await filled<number>('same-turn', [1, 2, 3]);
    const c = await queue<number>('same-turn');
    expect(await c.get()).toBe(1);
    await until(() => (c as unknown as { pull: { holding: boolean } }).pull.holding, 'the handle to hold 2');
    const [v] = await Promise.all([c.get(), busOf.get(c)!.close()]);
    expect(v).toBe(2);
    const other = await queue<number>('same-turn');
    expect(await other.get()).toBe(3);
    expect(await rejection(other.getNowait())).toBeInstanceOf(TimeoutError);
  });

  it('a prefetch or lingerMs that is not a number in range is ERR_INVALID_ARGUMENT when the handle is made', async () => {
    const b = await t.bus();
    for (const options of [{ prefetch: 0 }, { prefetch: 1.5 }, { lingerMs: -1 }, { lingerMs: Number.NaN }]) {
      expect(() => b.queue('bad', options)).toThrow(InvalidArgumentError);
    }
  });

  it('concurrent get()s on one handle are served in the order they were called', async () => {
    const c = await queue<string>('order');
    const gets = [c.get(), c.get(), c.get()];
    const p = await queue<string>('order');
    await p.sendAll(['a', 'b', 'c']);
    expect(await Promise.all(gets)).toEqual(['a', 'b', 'c']);
  });

  it('get({ timeout }) and getNowait() reject with ERR_TIMEOUT on an empty queue, then take what comes', async () => {
    const c = await queue<number>('empty', { lingerMs: 10_000 });
    expect(await rejection(c.getNowait())).toBeInstanceOf(TimeoutError);
    const err = await rejection(c.get({ timeout: 20 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('ERR_TIMEOUT');
    const p = await queue<number>('empty');
    await p.sendAll([1, 2]);
    expect(await c.getNowait()).toBe(1);
    expect(await c.getNowait()).toBe(2);
    expect(await rejection(c.get({ timeout: -1 }))).toBeInstanceOf(InvalidArgumentError);
  });

  it('getNowait() on a handle that holds nothing yet takes an item the hub holds, in one round trip', async () => {
    const p = await filled<number>('nowait', range(1, 5));
    const got: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await queue<number>('nowait');
      got.push(await c.getNowait());
      await busOf.get(c)!.close(); // the item it took counts as processed; the rest go back
    }
    expect(got.sort()).toEqual(range(1, 5));
    expect(await rejection((await queue<number>('nowait')).getNowait())).toBeInstanceOf(TimeoutError);
  });

  it('closing the bus counts the item get() took as processed and gives back the rest', async () => {
    const p = await filled<number>('close', [1, 2, 3]);
    const c = await queue<number>('close', { lingerMs: 10_000 });
    expect(await c.get()).toBe(1);
    await busOf.get(c)!.close();
    const other = await queue<number>('close');
    expect([await other.get(), await other.get()]).toEqual([2, 3]);
    await until(() => stats('close')?.queued === 0 && stats('close')?.inflight === 1, 'only 3 to be out');
  });

  it('for await takes prefetched items; a break gives back what was not taken at once', async () => {
    const p = await filled<number>('iter', range(1, 10));
    const c = await queue<number>('iter', { lingerMs: 10_000 });
    const got: number[] = [];
    for await (const x of c) {
      got.push(x);
      if (x === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    await until(() => stats('iter')?.consumers === 0, 'the loop to let go');
    expect(stats('iter')).toMatchObject({ queued: 7, inflight: 0 });
  });

  it('for await keeps the item of a running body past lingerMs, and holds nothing more: other handles get the rest', async () => {
    const p = await filled<number>('body', range(1, 5));
    const c = await queue<number>('body', { lingerMs: 10 });
    const other = await queue<number>('body');
    for await (const x of c) {
      expect(x).toBe(1);
      // A body five times lingerMs long (the scenario, not a wait for something): the loop's
      // consumer stays open with 1 unprocessed, and its window of 1 prefetched nothing more.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stats('body')).toMatchObject({ consumers: 1, inflight: 1, queued: 4 });
      expect([await other.get(), await other.get(), await other.get(), await other.get()]).toEqual([2, 3, 4, 5]);
      break;
    }
    await until(() => stats('body')?.inflight === 1, 'only the last item other took to be out');
  });
});
