/**
 * Watching shared state: a snapshot then every change in revision order; fromRevision replays from
 * the history; ERR_HISTORY_GONE for a revision the history no longer has, and for a watcher that
 * falls behind it; a slow watcher is paced by credit. Also checks, for random operations, that the
 * characters the hub counts are those of the content's JSON.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { HistoryGoneError, InvalidArgumentError } from '../../src/errors.js';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { rejection, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('watching shared state over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const stats = (kind: string, name: string) => t.hub.stats().resources.find((r) => r.kind === kind && r.name === name);

  it('a watch starts with a snapshot, then sees two writers\' changes in revision order, each once', async () => {
    const [w, a, b] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const d = w.dict<number>('scores', { x: 0 });
    const seen = firstValueFrom(d.watch().pipe(take(5), toArray()));
    await until(() => stats('dict', 'scores')?.watchers === 1, 'the watcher');
    const da = a.dict<number>('scores');
    const db = b.dict<number>('scores');
    await Promise.all([da.set('a', 1), db.set('b', 2)]);
    await da.delete('x');
    await db.update({ c: 3 });
    const changes = await seen;
    expect(changes[0]).toEqual({ revision: 0, op: 'snapshot', value: { x: 0 }, entries: [['x', 0]] });
    expect(changes.map((c) => c.revision)).toEqual([0, 1, 2, 3, 4]);
    expect(changes.slice(1).map((c) => c.op).sort()).toEqual(['delete', 'set', 'set', 'update']);
    expect(changes[3]).toEqual({ revision: 3, op: 'delete', path: ['x'] });
    expect(changes[4]).toEqual({ revision: 4, op: 'update', entries: [['c', 3]] });
  });

  it('fromRevision replays every change after it, with no snapshot; a value, an array and a list say what changed', async () => {
    const a = await t.bus();
    const v = a.value('v', 0);
    await v.set(1);
    await v.add(5);
    await v.cas(6, 7);
    expect(await firstValueFrom(v.watch({ fromRevision: 1 }).pipe(take(2), toArray()))).toEqual([
      { revision: 2, op: 'add', n: 5, value: 6 },
      { revision: 3, op: 'cas', value: 7 },
    ]);
    const arr = a.array('arr', [1, 2, 3]);
    await arr.set(-1, 30);
    await arr.setSlice(0, [10, 20]);
    expect(await firstValueFrom(arr.watch({ fromRevision: 0 }).pipe(take(2), toArray()))).toEqual([
      { revision: 1, op: 'set', index: 2, value: 30 },
      { revision: 2, op: 'setSlice', start: 0, values: [10, 20] },
    ]);
    const l = a.list('l', [2, 1]);
    await l.append(3);
    await l.sort();
    await l.pop(0);
    expect(await firstValueFrom(l.watch({ fromRevision: 0 }).pipe(take(3), toArray()))).toEqual([
      { revision: 1, op: 'append', value: 3 },
      { revision: 2, op: 'sort', values: [1, 2, 3] },
      { revision: 3, op: 'pop', index: 0 },
    ]);
    // Up to date: nothing to replay yet, then the next change.
    const next = firstValueFrom(v.watch({ fromRevision: 3 }));
    await until(() => stats('value', 'v')?.watchers === 1, 'the watcher');
    await v.set(8);
    expect(await next).toEqual({ revision: 4, op: 'set', value: 8 });
  });

  it('a revision older than the history is ERR_HISTORY_GONE, never a silent gap; a future one is ERR_INVALID_ARGUMENT', async () => {
    const a = await t.bus();
    const v = a.value('short', 0, { history: 3 });
    for (let i = 1; i <= 5; i++) await v.set(i);
    expect(await firstValueFrom(v.watch({ fromRevision: 2 }).pipe(take(3), toArray()))).toEqual(
      [3, 4, 5].map((i) => ({ revision: i, op: 'set', value: i })),
    );
    const gone = await rejection(firstValueFrom(v.watch({ fromRevision: 1 })));
    expect(gone).toBeInstanceOf(HistoryGoneError);
    expect(gone.message).toMatch(/from revision 3 only, not from 2/);
    expect(await rejection(firstValueFrom(v.watch({ fromRevision: 9 })))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(firstValueFrom(v.watch({ fromRevision: -1 })))).toBeInstanceOf(InvalidArgumentError);
  });

  it('for random operations, the characters the hub counts are those of the JSON of the content', async () => {
    const a = await t.bus();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const json = (): unknown => [null, true, rnd(1000) - 500, 'é'.repeat(rnd(5)), { k: rnd(9) }, [rnd(3), 'x']][rnd(6)];
    const d = a.dict<unknown>('fz');
    const l = a.list<unknown>('fl');
    for (let i = 0; i < 300; i++) {
      const key = String.fromCharCode(97 + rnd(6));
      const ops = [
        () => d.set(key, json()), () => d.set([key, 'n', String(rnd(3))], json()), () => d.delete(key),
        () => d.delete([key, 'n']), () => d.update({ [key]: json(), z: json() }), () => d.pop(key, null),
        () => d.setDefault(key, json()), () => (rnd(20) === 0 ? d.clear() : d.size()),
        () => l.append(json()), () => l.extend([json(), json()]), () => l.insert(rnd(5) - 2, json()),
        () => (rnd(3) === 0 ? l.pop().catch(() => undefined) : l.reverse()), () => l.sort(),
        () => l.length().then((n) => (n > 0 ? l.set(rnd(n), json()) : undefined)),
      ];
      await ops[rnd(ops.length)]!().catch((err: Error) => {
        if (!(err instanceof InvalidArgumentError)) throw err; // a path through a non-object
      });
    }
    const ds = stats('dict', 'fz')!;
    const ls = stats('list', 'fl')!;
    expect(ds.chars).toBe(JSON.stringify(await d.entries()).length);
    expect(ds.entries).toBe(await d.size());
    expect(ls.chars).toBe(JSON.stringify(await l.toArray()).length);
    expect(ls.entries).toBe(await l.length());
  });
});

describe('a watcher that does not keep up', () => {
  it('is paced by its credit: the hub sends no more than it granted, then fails it with ERR_HISTORY_GONE once the history left it behind', async () => {
    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'));
    const raw = await RawClient.open(tmp.sock('hub'));
    const writer = await connect(tmp.sock('hub'));
    try {
      const v = writer.value('fast', 0, { history: 10 });
      await v.get();
      raw.write('{"t":"hello","v":1,"role":"client"}\n');
      raw.write('{"t":"open","c":1,"k":"value","n":"fast","r":"watch"}\n{"t":"credit","c":1,"n":5}\n');
      await raw.line((f) => f.c === 1 && f.d !== undefined);
      for (let i = 1; i <= 4; i++) await v.set(i);
      await raw.line((f) => f.c === 1 && (f.d as { revision?: number } | undefined)?.revision === 4);
      // Its 5 frames are used up: the next changes wait in the history, 10 of them at most.
      for (let i = 5; i <= 14; i++) await v.set(i);
      const data = () => raw.lines.map((l) => JSON.parse(l) as { c?: number; d?: unknown }).filter((f) => f.c === 1 && f.d !== undefined);
      expect(data().map((f) => (f.d as { revision: number }).revision)).toEqual([0, 1, 2, 3, 4]);
      expect(hub.stats().resources.find((r) => r.name === 'fast')).toMatchObject({ watchers: 1, history: 10, revision: 14 });
      await v.set(15); // revision 5 leaves the history, and this watcher needed it
      const failed = await raw.line((f) => f.t === 'error' && f.c === 1);
      expect(failed.e).toMatchObject({ code: 'ERR_HISTORY_GONE', name: 'HistoryGoneError' });
      expect(String((failed.e as { message: string }).message)).toMatch(/was at 5: it fell behind; watch again from a snapshot/);
      expect(data()).toHaveLength(5);
      expect(hub.stats().resources.find((r) => r.name === 'fast')).toMatchObject({ watchers: 0 });
      // The connection goes on: the same client watches again, from a snapshot.
      raw.write('{"t":"open","c":3,"k":"value","n":"fast","r":"watch"}\n{"t":"credit","c":3,"n":1}\n');
      const again = await raw.line((f) => f.c === 3 && f.d !== undefined);
      expect(again.d).toEqual({ revision: 15, op: 'snapshot', value: 15 });
    } finally {
      raw.socket.destroy();
      await writer.close();
      await hub.close();
      expect(await tmp.cleanup()).toEqual([]);
    }
  });
});
