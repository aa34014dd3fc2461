/**
 * A kind added from outside the library: the counter of ./counter-kind.ts (hub side) and
 * ./counter.ts (client side), one registration each (`kinds: [counterKind]` on the hub,
 * `registerHandleKind` in the client file), working over memory, a Unix socket, in marble
 * tests and across spawn().
 */
import { fileURLToPath } from 'node:url';
import { concatMap, from } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, Hub, spawn, type Kind } from 'hostbus';
import { memoryHub } from 'hostbus/testing';
import { tempDir } from '../helpers.js';
import { until } from '../transports.js';
import { Counter } from './counter.js';
import { counterKind } from './counter-kind.js';

const workers = fileURLToPath(new URL('../../.build/test/fixtures/counter-workers.js', import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function overSocket(): Promise<{ hub: Hub; path: string }> {
  const tmp = await tempDir();
  const path = tmp.sock('hub');
  const hub = await Hub.listen(path, { kinds: [counterKind] });
  cleanups.push(async () => {
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  });
  return { hub, path };
}

describe('a kind that is not part of the library', () => {
  it('in memory: adds resolve in order with the totals, pipelined', async () => {
    const mh = memoryHub({ kinds: [counterKind] });
    const bus = mh.connect();
    cleanups.push(() => bus.close());
    const c = new Counter(bus, 'hits');
    const totals = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.add(i + 1)));
    expect(totals).toEqual(Array.from({ length: 1000 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    expect(mh.hub.stats().resources).toEqual([{ kind: 'counter', name: 'hits', total: 500_500, users: 1 }]);
  });

  it('over a Unix socket: two connections share one counter; a bad add fails that channel alone', async () => {
    const { hub, path } = await overSocket();
    const a = await connect(path);
    const b = await connect(path);
    cleanups.push(() => a.close(), () => b.close());
    await new Counter(a, 'n').add(5);
    expect(await new Counter(b, 'n').add(1)).toBe(6);
    const bad = new Counter(b, 'n');
    await expect(bad.add(Number.NaN as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await new Counter(a, 'n').add(1)).toBe(7);
    expect(hub.stats().resources.find((r) => r.kind === 'counter')).toMatchObject({ total: 7 });
  });

  it('a hub that does not know the kind refuses it with ERR_INVALID_ARGUMENT, naming the kinds it knows', async () => {
    const mh = memoryHub();
    const bus = mh.connect();
    cleanups.push(() => bus.close());
    await expect(new Counter(bus, 'x').add(1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/knows queue, pipe/) });
  });

  it('a kind cannot take a name that is taken, or a bad one', () => {
    expect(() => new Hub({ kinds: [{ ...counterKind, name: 'queue' }] })).toThrow(/already registered/);
    expect(() => new Hub({ kinds: [{ ...counterKind, name: 'Bad Name' }] })).toThrow(/a kind's name/);
  });

  it('in a marble test: totals come back in virtual time, one hop each way', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const mh = memoryHub({ kinds: [counterKind] });
      const bus = mh.connect({ delay: 1 });
      const c = new Counter(bus, 'm');
      const adds = cold('a---b---c|', { a: 1, b: 2, c: 3 }).pipe(concatMap((n) => c.add$(n)));
      // The first add waits for the hub's credit: the open's hop there, the credit's back, then the
      // add's and its answer's (4 frames); later ones have credit: 2 frames each.
      expectObservable(adds).toBe('----x-y---(z|)', { x: 1, y: 3, z: 6 });
    });
  });

  it('across spawn(): the handle goes by reference; the child adds on its own connection', async () => {
    const { hub, path } = await overSocket();
    const bus = await connect(path);
    cleanups.push(() => bus.close());
    const c = new Counter(bus, 'shared');
    await c.add(0);
    await Promise.all([spawn(workers, 'addOnes', [c, 500]).join(), spawn(workers, 'addOnes', [c, 500]).join()]);
    expect(await c.add(0)).toBe(1000);
    expect(hub.stats().resources.find((r) => r.kind === 'counter')).toMatchObject({ total: 1000 });
  });

  it('a child that gets a handle of a kind it does not know fails with a message that says what to import', async () => {
    const { path } = await overSocket();
    const bus = await connect(path);
    cleanups.push(() => bus.close());
    const plain = fileURLToPath(new URL('../../.build/test/fixtures/workers.js', import.meta.url));
    const child = spawn(plain, 'waitForever', [new Counter(bus, 'x'), bus.queue('unused')], { stdio: 'pipe' });
    await expect(child.join()).rejects.toThrow(/handle of kind 'counter', which this process does not know/);
  });

  it('a resource learns the session of each channel, and hears when that session ends', async () => {
    const seen: { id: number; role: string | undefined; ended?: string }[] = [];
    const presence: Kind = {
      name: 'presence',
      create: (name) => ({
        kind: 'presence', name, idle: false, stats: () => ({}),
        attach(channel) {
          const entry: (typeof seen)[number] = { id: channel.session.id, role: channel.session.peer?.role };
          seen.push(entry);
          channel.session.onEnd((err) => { entry.ended = (err as { code?: string } | undefined)?.code ?? 'clean'; });
          channel.opened();
        },
      }),
    };
    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'), { kinds: [presence] });
    cleanups.push(async () => { await hub.close(); expect(await tmp.cleanup()).toEqual([]); });
    const a = await connect(tmp.sock('hub'));
    const b = await connect(tmp.sock('hub'));
    for (const bus of [a, b]) await new Promise<void>((resolve) => bus.open('presence', 'room', 'be', undefined, { opened: () => resolve() }));
    expect(seen).toEqual([{ id: 1, role: 'client' }, { id: 2, role: 'client' }]);
    a.destroy();
    await until(() => seen[0]!.ended !== undefined, 'the end of the first session');
    expect(seen).toEqual([{ id: 1, role: 'client', ended: 'ERR_CONNECTION_LOST' }, { id: 2, role: 'client' }]);
    await b.close();
    await until(() => seen[1]!.ended !== undefined, 'the end of the second session');
  });

  it('unknown descriptors are refused, never taken for a queue', async () => {
    const { decodeArgs } = await import('../../src/process/decode-args.js');
    const json = JSON.stringify([{ $hostbus: 'nonesuch', address: '/nowhere', name: 'q' }]);
    await expect(decodeArgs(json, { buses: new Map(), pipes: [] }, () => {})).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
