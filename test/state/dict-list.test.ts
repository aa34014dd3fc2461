/**
 * Dicts and lists held by the hub (a Manager's dict and list), over every transport: Python's
 * operations, paths into nested values (the change a Manager proxy loses), key order, JSON's
 * order for sort, and the errors Python raises as typed errors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, LimitError, NotFoundError, OptionsMismatchError } from '../../src/errors.js';
import { rejection, transports, type TestBed } from '../transports.js';

describe.each(transports)('dicts and lists over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  it("the Manager example: a child's d[1] = '1', d['2'] = 2, d[0.25] = None and l.reverse() are seen by the parent", async () => {
    const [parent, child] = await Promise.all([t.bus(), t.bus()]);
    const d = parent.dict('d');
    const l = parent.list('l', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await l.length()).toBe(10); // created before the child uses it
    const cd = child.dict('d');
    const cl = child.list<number>('l');
    await Promise.all([cd.set(String(1), '1'), cd.set('2', 2), cd.set(String(0.25), null), cl.reverse()]);
    expect(await d.entries()).toEqual([['1', '1'], ['2', 2], ['0.25', null]]);
    expect(await d.toObject()).toEqual({ 1: '1', 2: 2, 0.25: null });
    expect(await l.toArray()).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('a path changes a nested value in one atomic request; missing keys are created, a get through one is undefined, through a non-object ERR_INVALID_ARGUMENT', async () => {
    const a = await t.bus();
    const d = a.dict<unknown>('cfg', { db: { host: 'h', port: 1 } });
    await d.set(['db', 'port'], 5432);
    await d.set(['cache', 'redis', 'ttl'], 60);
    expect(await d.toObject()).toEqual({ db: { host: 'h', port: 5432 }, cache: { redis: { ttl: 60 } } });
    expect(await d.get(['db', 'port'])).toBe(5432);
    expect(await d.get(['nope', 'deeper'])).toBeUndefined();
    expect(await d.get('nope')).toBeUndefined();
    expect(await d.has(['db', 'host'])).toBe(true);
    const through = await rejection(d.set(['db', 'port', 'x'], 1));
    expect(through).toBeInstanceOf(InvalidArgumentError);
    expect(through.message).toMatch(/not an object/);
    expect(await rejection(d.get(['db', 'host', 'x']))).toBeInstanceOf(InvalidArgumentError);
    expect(await d.delete(['db', 'host'])).toBe(true);
    expect(await d.delete(['db', 'host'])).toBe(false);
    expect(await d.get('db')).toEqual({ port: 5432 });
    // A key named __proto__ is a key like any other, at the top and nested.
    await d.set(['__proto__', 'polluted'], true);
    await d.set(['db', '__proto__'], { x: 1 });
    expect(await d.get(['__proto__', 'polluted'])).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await d.keys()).toEqual(['db', 'cache', '__proto__']);
  });

  it("Python's dict operations: update, setDefault, pop with and without a default, keys in the order first set, clear", async () => {
    const a = await t.bus();
    const d = a.dict<number>('ops');
    await d.update({ b: 1, a: 2 });
    await d.update([['c', 3], ['b', 10]]);
    expect(await d.entries()).toEqual([['b', 10], ['a', 2], ['c', 3]]);
    expect(await d.setDefault('a', 99)).toBe(2);
    expect(await d.setDefault('z', 26)).toBe(26);
    expect(await d.size()).toBe(4);
    expect(await d.pop('z')).toBe(26);
    expect(await d.pop('z', -1)).toBe(-1);
    const missing = await rejection(d.pop('z'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toMatch(/KeyError/);
    expect(await d.values()).toEqual([10, 2, 3]);
    expect(await rejection(d.get(1 as unknown as string))).toBeInstanceOf(InvalidArgumentError);
    await d.clear();
    expect(await d.size()).toBe(0);
    expect(await rejection(a.dict('ops', { a: 1 }).size())).toBeInstanceOf(OptionsMismatchError);
    expect(await a.dict('ops', {}).size()).toBe(0);
  });

  it("update(key, fn) read-modify-writes one key, retried on a conflict, so concurrent increments are not lost", async () => {
    const buses = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const dicts = buses.map((b) => b.dict<number>('counts'));
    await Promise.all(dicts.map(async (d) => {
      for (let i = 0; i < 20; i++) await d.update('n', (n) => (n ?? 0) + 1);
    }));
    expect(await dicts[0]!.get('n')).toBe(60);
  });

  it("Python's list operations, indexes and errors", async () => {
    const a = await t.bus();
    const l = a.list<unknown>('items', [3, 1, 2]);
    await l.append(4);
    await l.extend([5, 6]);
    await l.insert(0, 0);
    await l.insert(100, 7); // Python clamps: appends
    await l.insert(-1, 'x');
    expect(await l.toArray()).toEqual([0, 3, 1, 2, 4, 5, 6, 'x', 7]);
    expect(await l.pop()).toBe(7);
    expect(await l.pop(-1)).toBe('x');
    expect(await l.pop(0)).toBe(0);
    await l.remove(1);
    expect(await l.index(2)).toBe(1);
    expect(await l.count(5)).toBe(1);
    expect(await l.get(-1)).toBe(6);
    await l.set(0, 30);
    expect(await l.toArray()).toEqual([30, 2, 4, 5, 6]);
    expect(await rejection(l.remove(99))).toBeInstanceOf(NotFoundError);
    expect(await rejection(l.index(99))).toBeInstanceOf(NotFoundError);
    expect(await rejection(l.get(5))).toBeInstanceOf(InvalidArgumentError);
    await l.clear();
    const empty = await rejection(l.pop());
    expect(empty).toBeInstanceOf(InvalidArgumentError);
    expect(empty.message).toMatch(/empty list/);
    expect(await l.length()).toBe(0);
  });

  it('sort orders JSON values: null, false, true, numbers, strings, lists, objects; reverse descends', async () => {
    const a = await t.bus();
    const l = a.list<unknown>('mixed', ['b', 2, null, [1], true, { k: 1 }, 'a', false, 1.5, [0, 9]]);
    await l.sort();
    expect(await l.toArray()).toEqual([null, false, true, 1.5, 2, 'a', 'b', [0, 9], [1], { k: 1 }]);
    await l.sort({ reverse: true });
    expect(await l.toArray()).toEqual([{ k: 1 }, [1], [0, 9], 'b', 'a', 2, 1.5, true, false, null]);
  });

  it('bounds: a dict past maxEntries or a list past maxChars refuses the write (ERR_LIMIT) and keeps its content', async () => {
    const a = await t.bus();
    const d = a.dict<number>('small', {}, { maxEntries: 2 });
    await d.set('a', 1);
    await d.set('b', 2);
    await d.set('a', 3); // replacing is no new entry
    const over = await rejection(d.set('c', 3));
    expect(over).toBeInstanceOf(LimitError);
    expect(over.message).toMatch(/maxEntries 2/);
    expect(await d.entries()).toEqual([['a', 3], ['b', 2]]);
    const l = a.list<string>('short', [], { maxChars: 20 });
    await l.append('abc');
    expect(await rejection(l.extend(['x'.repeat(30)]))).toBeInstanceOf(LimitError);
    expect(await l.toArray()).toEqual(['abc']);
    const s = t.hub.stats().resources.find((r) => r.kind === 'list' && r.name === 'short');
    expect(s).toMatchObject({ entries: 1, chars: JSON.stringify(['abc']).length });
  });
});
