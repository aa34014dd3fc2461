// get() loops, for await and joinable queues across real processes over a real Unix socket: the
// hub runs in the test process, consumers are children started with spawn().
import { fileURLToPath } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { spawn } from 'hostbus';
import { hubPerTest } from './hub-per-test.js';

const fixtures = fileURLToPath(new URL('../../.build/test/fixtures/getter-workers.js', import.meta.url));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('queue consumers in child processes', () => {
  const t = hubPerTest();
  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === name);

  it('three get() loops receive every item while a fourth consumer stops calling get() for 10 s', async () => {
    const N = 2000;
    const q = t.bus.queue<number | null>('jobs');
    const results = t.bus.queue<number>('results');
    const status = t.bus.queue<string>('status');
    await q.sendAll(range(0, N));
    await q.flush();
    // Its handle lets go 2 s after its last get(): long enough for the check below to see what it
    // holds, well within the 10 s it stalls.
    const staller = spawn(fixtures, 'stallThenLoop', [t.bus.queue<number | null>('jobs', { lingerMs: 2000 }), results, status, 10_000]);
    const took = await status.get();
    const first = Number(took.replace('took ', ''));
    // It holds more than the item it took: its prefetch, unprocessed, until it lets go.
    expect(Number(stats('jobs')!.inflight)).toBeGreaterThan(1);
    const workers = [0, 1, 2].map(() => spawn(fixtures, 'getLoop', [q, results]));
    const got = await firstValueFrom(results.recv().pipe(take(N - 1), toArray()));
    // Every item but the one it took reached the three, before the stalled one resumed.
    const resumed = status.get({ timeout: 0 }).then(() => true, () => false);
    expect(await resumed).toBe(false);
    expect(got.sort((a, b) => a - b)).toEqual(range(0, N).filter((i) => i !== first));
    await q.sendAll([null, null, null, null]);
    expect(await status.get()).toBe('resumed');
    expect(await results.get()).toBe(first);
    await Promise.all([staller, ...workers].map((p) => p.join()));
  }, 60_000);

  it('a consumer SIGKILLed inside a for await body loses nothing: what it held goes back to the queue', async () => {
    const N = 500;
    const q = t.bus.queue<number>('work');
    const results = t.bus.queue<number>('done');
    await q.sendAll(range(0, N));
    await q.flush();
    const child = spawn(fixtures, 'iterThenDie', [q, results, 10]);
    await expect(child.join()).rejects.toThrow(/SIGKILL/);
    const processed = await firstValueFrom(results.recv().pipe(take(10), toArray()));
    expect(processed).toEqual(range(0, 10));
    // The 10th was being processed when the child died: it comes back (at least once), with
    // everything the child had prefetched.
    const rest: number[] = [];
    for (let i = 0; i < N - 9; i++) rest.push(await q.get());
    expect(rest.sort((a, b) => a - b)).toEqual(range(9, N - 9));
    expect(stats('work')).toMatchObject({ queued: 0 });
  }, 30_000);

  it('join() on a JoinableQueue resolves only after the last taskDone() of two worker processes', async () => {
    const N = 40;
    const q = t.bus.joinableQueue<number | null>('tasks');
    const done = t.bus.queue<number>('finished');
    await q.sendAll(range(0, N));
    const workers = [0, 1].map(() => spawn(fixtures, 'joinWorker', [q, done]));
    await q.join();
    // Each worker put its item on `done` (and the hub had it) before its taskDone(): all N are there.
    expect(await done.qsize()).toBe(N);
    await q.sendAll([null, null]);
    await Promise.all(workers.map((w) => w.join()));
    expect(stats('tasks')).toMatchObject({ unfinished: 2 }); // the two sentinels, never marked done
  }, 30_000);
});
