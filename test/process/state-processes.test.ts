// Shared state (values, dicts, lists) across real processes over a real Unix socket: the hub runs
// in the test process and holds the state; writers and readers are children started with
// spawn(), which get the handles by reference; one is killed with SIGKILL mid-stream.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawn, type Change } from 'hostbus';
import { hubPerTest } from './hub-per-test.js';
import { until } from '../transports.js';

const fixtures = fileURLToPath(new URL('../../.build/test/fixtures/state-workers.js', import.meta.url));

/** 1, 2, ..., n. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('shared state across processes', () => {
  const t = hubPerTest();
  const stats = (kind: string, name: string) => t.hub.stats().resources.find((r) => r.kind === kind && r.name === name);
  /** Resolves once `n` children wait on the event `go`, then sets it: they start together. */
  const release = async (name: string, n: number) => {
    await until(() => stats('event', name)?.waiting === n, `${n} children waiting on '${name}'`, 20_000);
    await t.bus.event(name).set();
  };

  it('a child\'s handle attaches to the resource the parent made: it sees the parent\'s write, and the parent sees the child\'s', async () => {
    const v = t.bus.value('v', 5);
    await v.set(6);
    const out = t.bus.queue<{ value: number; revision: number }>('seen');
    // The child's handle carries the initial value too: opening it attaches to what is there, it
    // does not make the value anew.
    const child = spawn(fixtures, 'readThenAdd', [v, 10, out]);
    expect(await out.get()).toEqual({ value: 6, revision: 1 });
    await child.join();
    expect(await v.snapshot()).toEqual({ value: 16, revision: 2 });
    expect(t.hub.stats().resources.filter((r) => r.kind === 'value')).toHaveLength(1);
  }, 30_000);

  it('4 processes add 1 to one value 5,000 times each, pipelined, with no lock: none is lost, and each sum is answered once', async () => {
    const n = 5_000;
    const v = t.bus.value('count', 0, { type: 'q' });
    const go = t.bus.event('go');
    const sums = t.bus.queue<number[]>('sums');
    const children = [0, 1, 2, 3].map(() => spawn(fixtures, 'addOnes', [go, v, n, true, sums]));
    await release('go', 4);
    await Promise.all(children.map((p) => p.join()));
    expect(await v.get()).toBe(4 * n);
    expect(stats('value', 'count')?.revision).toBe(4 * n);
    // add is atomic at the hub: every intermediate sum was the answer of exactly one add.
    const answered: number[] = [];
    for (let i = 0; i < 4; i++) {
      const mine = await sums.get();
      // A handle's adds are applied in the order made: its own sums increase.
      expect(mine.every((s, k) => k === 0 || s > mine[k - 1]!)).toBe(true);
      answered.push(...mine);
    }
    expect(answered.sort((a, b) => a - b)).toEqual(upTo(4 * n));
  }, 60_000);

  it('4 processes increment one key of a dict 200 times each by update(key, fn): conflicts are retried, no increment is lost', async () => {
    const n = 200;
    const d = t.bus.dict<number>('counts', { hits: 0 });
    const go = t.bus.event('go');
    const reports = t.bus.queue<{ set: number[]; calls: number }>('reports');
    const children = [0, 1, 2, 3].map(() => spawn(fixtures, 'incrementKey', [go, d, 'hits', n, reports]));
    await release('go', 4);
    await Promise.all(children.map((p) => p.join()));
    expect(await d.toObject()).toEqual({ hits: 4 * n });
    // A write refused for its revision changes nothing: one revision per increment that won.
    expect(stats('dict', 'counts')?.revision).toBe(4 * n);
    const set: number[] = [];
    let calls = 0;
    for (let i = 0; i < 4; i++) {
      const r = await reports.get();
      set.push(...r.set);
      calls += r.calls;
    }
    // Each increment set a value no other one set: each read-modify-write saw the one before it.
    expect(set.sort((a, b) => a - b)).toEqual(upTo(4 * n));
    // The children updated at the same time: some updates met another's write and computed again.
    expect(calls).toBeGreaterThan(4 * n);
  }, 60_000);

  it('a watcher from a revision read earlier sees every change after it exactly once, in revision order, as applied', async () => {
    const n = 1_000;
    const list = t.bus.list<unknown>('log', ['a'], { history: 4 * n });
    await list.append('b');
    await list.append('c');
    const before = await list.snapshot();
    const from = before.revision;
    const writers = [0, 1].map((w) => spawn(fixtures, 'appendItems', [list, w, n]));
    // Watch from the earlier revision once the writers are under way: the changes it missed come
    // from the history, the rest as they are made, with no gap and no repeat between the two.
    await until(() => (stats('list', 'log')?.revision as number) >= from + n / 2, 'the writers under way', 20_000);
    const changes: Change[] = [];
    let failed: unknown;
    const sub = list.watch({ fromRevision: from }).subscribe({ next: (c) => changes.push(c), error: (err) => (failed = err) });
    try {
      await Promise.all(writers.map((p) => p.join()));
      await list.append('end');
      await until(() => failed !== undefined || changes.some((c) => c.value === 'end'), 'the last change', 20_000);
    } finally {
      sub.unsubscribe();
    }
    expect(failed).toBeUndefined();
    const after = await list.snapshot();
    expect(after.revision).toBe(from + 2 * n + 1);
    expect(changes.map((c) => c.revision)).toEqual(upTo(2 * n + 1).map((k) => from + k));
    expect(changes.every((c) => c.op === 'append')).toBe(true);
    // The changes replay the list: their values are the items appended after `from`, in order.
    expect(after.value.slice(0, before.value.length)).toEqual(before.value);
    expect(changes.map((c) => c.value)).toEqual(after.value.slice(before.value.length));
    // Each writer's appends were applied in the order it made them.
    for (const w of [0, 1]) {
      const mine = changes.map((c) => c.value as { w: number; i: number }).filter((x) => x?.w === w);
      expect(mine.map((x) => x.i)).toEqual(upTo(n).map((k) => k - 1));
    }
  }, 60_000);

  it('a writer SIGKILLed mid-stream leaves every acknowledged write applied and none half-applied; the hub serves others on', async () => {
    const list = t.bus.list<number>('pairs', [], { maxEntries: 4_000_000, maxChars: 64 * 1024 * 1024 });
    const dict = t.bus.dict<number>('ab', { a: -1, b: -1 });
    const acks = t.bus.queue<number>('acks');
    const acked: number[] = [];
    const sub = acks.recv().subscribe((i) => acked.push(i));
    const writer = spawn(fixtures, 'writePairsUntilKilled', [list, dict, acks, 16, 1_000_000]);
    try {
      await until(() => acked.length >= 500, '500 acknowledged writes', 20_000);
      writer.kill('SIGKILL');
      await expect(writer.join()).rejects.toThrow(/SIGKILL/);
      // Nothing more can come from it once the hub dropped its connection; then take the
      // acknowledgements the hub still holds.
      await until(() => t.hub.stats().sessions === 1, 'the hub to drop the killed writer', 10_000);
      await until(() => stats('queue', 'acks')?.queued === 0 && stats('queue', 'acks')?.inflight === 0, 'every acknowledgement delivered', 10_000);
    } finally {
      sub.unsubscribe();
    }
    const k = acked.length;
    // The child acknowledges in order, and the kill can only lose the last ones it had not sent.
    expect(acked).toEqual(upTo(k).map((i) => i - 1));

    const items = await list.toArray();
    // Whole pairs only, each write once, in the order made: [0, 0, 1, 1, ..., m-1, m-1].
    expect(items.length % 2).toBe(0);
    const m = items.length / 2;
    expect(items).toEqual(upTo(m).flatMap((i) => [i - 1, i - 1]));
    // Every acknowledged write is there (and maybe some the kill left unacknowledged).
    expect(m).toBeGreaterThanOrEqual(k);
    const ab = await dict.toObject();
    expect(Object.keys(ab)).toEqual(['a', 'b']);
    expect(ab.a).toBe(ab.b);
    expect(ab.a).toBeGreaterThanOrEqual(k - 1);
    expect(stats('list', 'pairs')?.revision).toBe(m);

    // Another client, a new child, writes and reads both.
    const out = t.bus.queue<{ length: number; last: number[]; dict: Record<string, number> }>('after');
    const next = spawn(fixtures, 'writeOnceAndRead', [list, dict, -7, out]);
    expect(await out.get()).toEqual({ length: 2 * m + 2, last: [-7, -7], dict: { a: -7, b: -7 } });
    await next.join();
    expect(await list.length()).toBe(2 * m + 2);
  }, 60_000);
});
