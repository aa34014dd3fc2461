/**
 * Values and arrays held by the hub (Python's Value and Array), over every transport: creation by
 * the first open and matching of later ones, typecodes enforced, atomic add and cas, update's
 * retry, conditional writes (ifRevision, fence), revisions, Python's indexes and slices.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError, LimitError, NotFoundError, OptionsMismatchError, RevisionMismatchError, StaleFenceError,
} from '../../src/errors.js';
import { rejection, transports, type TestBed } from '../transports.js';

describe.each(transports)('values and arrays over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  it('a value: the first open creates it, another connection reads and changes it, the revision grows with each change', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const num = a.value('num', 0.0, { type: 'd' });
    expect(await num.get()).toBe(0);
    expect(num.revision).toBe(0);
    const there = b.value<number>('num');
    await there.set(3.1415927);
    expect(there.revision).toBe(1);
    expect(await num.get()).toBe(3.1415927);
    expect(await num.add(1)).toBeCloseTo(4.1415927);
    expect(num.revision).toBe(2);
    expect(await num.snapshot()).toEqual({ value: 4.1415927, revision: 2 });
  });

  it('a later open with the same initial content attaches; with another, or another type, is ERR_OPTIONS_MISMATCH; with none, attaches', async () => {
    const a = await t.bus();
    await a.value('v', 5, { type: 'i' }).set(7);
    expect(await a.value('v', 5, { type: 'i' }).get()).toBe(7);
    expect(await a.value('v').get()).toBe(7);
    const other = await rejection(a.value('v', 6).get());
    expect(other).toBeInstanceOf(OptionsMismatchError);
    expect(other.message).toMatch(/other initial content/);
    expect(await rejection(a.value('v', 5, { type: 'q' }).get())).toBeInstanceOf(OptionsMismatchError);
    const missing = await rejection(a.value('nobody').get());
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toMatch(/create it first/);
  });

  it('a typecode is enforced by the hub: an integer type refuses 3.5 and values out of its range, add included; f rounds to 32 bits', async () => {
    const a = await t.bus();
    const i = a.value('int', 0, { type: 'i' });
    const half = await rejection(i.set(3.5));
    expect(half).toBeInstanceOf(InvalidArgumentError);
    expect(half.message).toMatch(/integer from -2147483648 to 2147483647/);
    expect(await rejection(i.set(2 ** 31))).toBeInstanceOf(InvalidArgumentError);
    await i.set(2 ** 31 - 1);
    expect(await rejection(i.add(1))).toBeInstanceOf(InvalidArgumentError);
    expect(await i.get()).toBe(2 ** 31 - 1);
    const b = a.value('byte', 0, { type: 'B' });
    expect(await rejection(b.set(-1))).toBeInstanceOf(InvalidArgumentError);
    const f = a.value('float', 0, { type: 'f' });
    await f.set(3.1415927);
    expect(await f.get()).toBe(Math.fround(3.1415927));
    const c = a.value('char', 'x', { type: 'c' });
    expect(await rejection(c.set('ab'))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(c.set('\u20ac'))).toBeInstanceOf(InvalidArgumentError);
    await c.set('y');
    expect(await c.get()).toBe('y');
    expect(await rejection(a.value('bad-type', 0, { type: 'z' as 'i' }).get())).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(a.value('bad-init', 1.5, { type: 'i' }).get())).toBeInstanceOf(InvalidArgumentError);
    // Without a type, any JSON; add needs a number there.
    const any = a.value<unknown>('any', { a: [1, 'two', null] });
    expect(await any.get()).toEqual({ a: [1, 'two', null] });
    expect(await rejection(any.add(1))).toBeInstanceOf(InvalidArgumentError);
  });

  it('cas swaps only on an equal value (JSON equality, key order aside); update retries after a conflict', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const v = a.value<{ x: number; y: number }>('pt', { x: 1, y: 2 });
    expect(await v.cas({ x: 9, y: 9 }, { x: 0, y: 0 })).toBe(false);
    expect(v.revision).toBe(0);
    expect(await v.cas({ y: 2, x: 1 }, { x: 3, y: 4 })).toBe(true);
    expect(await v.get()).toEqual({ x: 3, y: 4 });
    const other = b.value<{ x: number; y: number }>('pt');
    let calls = 0;
    const result = await v.update(async (cur) => {
      calls++;
      // The first time, another writer changes it between this read and the write.
      if (calls === 1) await other.set({ x: 100, y: 100 });
      return { x: cur.x + 1, y: cur.y };
    });
    expect(calls).toBe(2);
    expect(result).toEqual({ x: 101, y: 100 });
    expect(await other.get()).toEqual({ x: 101, y: 100 });
    const gaveUp = await rejection(v.update(async (cur) => {
      await other.set({ x: 0, y: 0 });
      return cur;
    }, { maxRetries: 2 }));
    expect(gaveUp).toBeInstanceOf(RevisionMismatchError);
    expect(gaveUp.message).toMatch(/gave up after 2 conflicts/);
  });

  it('ifRevision and fence: a write whose condition fails is refused, typed, and changes nothing', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const v = a.value('guarded', 1);
    await v.set(2);
    const stale = await rejection(v.set(3, { ifRevision: 0 }));
    expect(stale).toBeInstanceOf(RevisionMismatchError);
    expect(stale.message).toMatch(/at revision 1, not 0/);
    await v.set(3, { ifRevision: 1 });
    expect(await v.get()).toBe(3);
    // Fencing: a holder that lost its lock (its lease ran out, another acquired) cannot write late.
    const lockA = a.lock('guard');
    const first = await lockA.acquire({ lease: 50 });
    await v.set(10, { fence: first });
    const lockB = b.lock('guard');
    const second = await lockB.acquire(); // once the first lease expires
    expect(second.token).toBeGreaterThan(first.token);
    await b.value('guarded').set(20, { fence: second });
    const late = await rejection(v.set(11, { fence: first }));
    expect(late).toBeInstanceOf(StaleFenceError);
    expect(late.message).toMatch(/lost its lock/);
    expect(await v.get()).toBe(20);
    await second.release();
    expect(await rejection(v.set(1, { ifRevision: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(v.set(1, { fence: 0 }))).toBeInstanceOf(InvalidArgumentError);
  });

  it('writes not awaited are applied in the order made, each atomically: 4 connections of 250 adds each end at exactly 1,000', async () => {
    const buses = await Promise.all([t.bus(), t.bus(), t.bus(), t.bus()]);
    const counters = buses.map((bus) => bus.value('count', 0, { type: 'i' }));
    const order = buses[0]!.value<number[]>('order', []);
    await Promise.all(counters.map((c) => Promise.all(Array.from({ length: 250 }, () => c.add(1)))));
    expect(await counters[0]!.get()).toBe(1_000);
    const sets = Array.from({ length: 50 }, (_, i) => order.set([i]));
    const last = order.get();
    await Promise.all(sets);
    expect(await last).toEqual([49]);
    expect(order.revision).toBe(50);
  });

  it("an array: Python's indexes and slices, fixed length, typecodes, add, setSlice, and IndexError as ERR_INVALID_ARGUMENT", async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const arr = a.array('arr', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { type: 'i' });
    expect(await arr.length()).toBe(10);
    const there = b.array<number>('arr');
    for (let i = 0; i < 10; i++) await there.set(i, -(await there.get(i)));
    expect(await arr.toArray()).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9]);
    expect(await arr.get(-1)).toBe(-9);
    expect(await arr.slice(2, 5)).toEqual([-2, -3, -4]);
    expect(await arr.slice(-3)).toEqual([-7, -8, -9]);
    expect(await arr.slice(8, 100)).toEqual([-8, -9]);
    await arr.setSlice(1, [10, 20]);
    expect(await arr.slice(0, 4)).toEqual([0, 10, 20, -3]);
    expect(await arr.add(0, 5)).toBe(5);
    const out = await rejection(arr.get(10));
    expect(out).toBeInstanceOf(InvalidArgumentError);
    expect(out.message).toMatch(/out of range .* 10 items \(Python's IndexError\)/);
    expect(await rejection(arr.set(-11, 0))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(arr.set(0, 0.5))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(arr.setSlice(9, [1, 2]))).toBeInstanceOf(InvalidArgumentError);
    expect(await arr.length()).toBe(10);
    const zeros = a.array('zeros', 4, { type: 'd' });
    expect(await zeros.toArray()).toEqual([0, 0, 0, 0]);
    expect(await a.array('zeros', 4, { type: 'd' }).length()).toBe(4);
    expect(await rejection(a.array('zeros', 5, { type: 'd' }).length())).toBeInstanceOf(OptionsMismatchError);
    const chars = a.array('chars', 3, { type: 'c' });
    expect(await chars.toArray()).toEqual(['\u0000', '\u0000', '\u0000']);
    expect(await arr.update(3, (x) => x * 2)).toBe(-6);
  });

  it('bounds: maxChars and maxEntries refuse the write that would cross them (ERR_LIMIT), and change nothing', async () => {
    const a = await t.bus();
    const v = a.value<string>('big', '', { maxChars: 100 });
    await v.set('x'.repeat(90));
    const over = await rejection(v.set('x'.repeat(200)));
    expect(over).toBeInstanceOf(LimitError);
    expect(over.message).toMatch(/maxChars 100/);
    expect(await v.get()).toBe('x'.repeat(90));
    expect(await rejection(a.array('too-many', 10, { maxEntries: 5 }).length())).toBeInstanceOf(LimitError);
    expect(await rejection(a.value('bad-bound', 1, { maxChars: 0 }).get())).toBeInstanceOf(InvalidArgumentError);
    const stats = t.hub.stats().resources.find((r) => r.kind === 'value' && r.name === 'big');
    expect(stats).toMatchObject({ revision: 1, entries: 1, chars: 92 });
  });

  it('bad names and bad arguments are typed errors, and never throw synchronously', async () => {
    const a = await t.bus();
    expect(() => a.value('', 1)).toThrow(InvalidArgumentError);
    expect(() => a.dict('x'.repeat(241))).toThrow(InvalidArgumentError);
    const v = a.value('n', 1);
    expect(await rejection(v.set(2, { ifRevision: 1.5 }))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(a.array('arr2', [1]).get('0' as unknown as number))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe.each(transports)('closing with writes not awaited, over $name', (transport) => {
  it('bus.close() waits until every write of a state handle was answered: none is lost', async () => {
    const t = await transport.setup();
    try {
      const writer = await t.bus();
      const v = writer.value('unawaited', 0);
      const l = writer.list<number>('unawaited-list');
      const adds = Array.from({ length: 3_000 }, () => v.add(1));
      for (let i = 0; i < 100; i++) void l.append(i);
      await writer.close();
      expect((await Promise.all(adds)).at(-1)).toBe(3_000);
      const reader = await t.bus();
      expect(await reader.value('unawaited').get()).toBe(3_000);
      expect(await reader.list('unawaited-list').length()).toBe(100);
    } finally {
      await t.teardown();
    }
  });
});
