// Queues across real processes over a real Unix socket: the hub runs in the test process,
// producers and consumers are children started with spawn().
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, tap, toArray } from 'rxjs';
import { ChildProcessError, spawn, type Delivery } from 'hostbus';
import { hubPerTest } from './hub-per-test.js';
import { until, workers } from '../helpers.js';

type Result = { c: number; p: number; items: number[] };

describe('queue across processes', () => {
  const t = hubPerTest();

  it('3 producers and 3 consumers move 30,000 items each: each exactly once, in order per producer', async () => {
    const N = 30_000;
    const queue = t.bus.queue('items', { producers: 3, maxsize: 5_000 });
    const results = t.bus.queue<Result>('results');
    const collected = firstValueFrom(results.recv().pipe(take(3 * 3 + 3), toArray()));
    const ready = t.bus.queue<number>('ready');
    const consumers = [0, 1, 2].map((c) => spawn(workers, 'consume', [queue, results, c, ready]));
    // Producers start once every consumer is attached, so the work is shared among all three.
    await firstValueFrom(ready.recv().pipe(take(3), toArray()));
    const producers = [0, 1, 2].map((p) => spawn(workers, 'produce', [queue, p, N]));
    await Promise.all([...producers, ...consumers].map((proc) => proc.join()));

    const reports = (await collected).filter((r) => r.p >= 0);
    for (let p = 0; p < 3; p++) {
      const seen = new Uint8Array(N);
      for (const r of reports.filter((x) => x.p === p)) {
        // In order per producer: every consumer saw that producer's items in increasing order.
        for (let k = 1; k < r.items.length; k++) expect(r.items[k]! > r.items[k - 1]!).toBe(true);
        for (const i of r.items) seen[i]!++;
      }
      expect(seen.every((n) => n === 1)).toBe(true);
    }
    // The work was shared: every consumer received items.
    expect(new Set(reports.map((r) => r.c)).size).toBe(3);
  });

  it('a consumer that stops makes producers wait while the hub holds at most maxsize items', async () => {
    const maxsize = 100;
    const total = 2_000;
    const queue = t.bus.queue<number>('bounded', { maxsize });
    const producer = spawn(workers, 'sendNumbers', [queue, total]);
    let producerDone = false;
    void producer.join().then(() => (producerDone = true), () => undefined);

    // A consumer that takes 10 and does not acknowledge them (it stays subscribed: leaving would
    // hand them back).
    const held: Delivery<number>[] = [];
    const stalled = queue.recvWithAck({ prefetch: 10 }).subscribe((d) => held.push(d));
    await until(() => held.length === 10, 10_000, 'ten deliveries');
    const stats = () => t.hub.stats().resources.find((r) => r.name === 'bounded')!;
    await until(() => (stats().queued as number) + (stats().inflight as number) === maxsize, 10_000, 'the queue to fill');
    expect(producerDone).toBe(false);
    expect((stats().queued as number) + (stats().inflight as number)).toBe(maxsize);

    // The consumer resumes: everything arrives, the producer finishes, and the bound held throughout.
    for (const d of held) d.ack();
    stalled.unsubscribe();
    let maxHeld = 0;
    const sample = () => {
      const s = stats();
      maxHeld = Math.max(maxHeld, (s.queued as number) + (s.inflight as number));
    };
    const rest = await firstValueFrom(queue.recv({ prefetch: 10 }).pipe(tap(sample), take(total - 10), toArray()));
    await producer.join();
    expect(maxHeld).toBeLessThanOrEqual(maxsize);
    expect([...held.map((d) => d.value), ...rest].sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
  });

  it('a consumer killed with SIGKILL while holding items loses none of them', async () => {
    const total = 500;
    const queue = t.bus.queue<{ p: number; i: number }>('precious');
    const status = t.bus.queue<number>('status');
    for (let i = 0; i < total; i++) queue.next({ p: 0, i });
    const hoarder = spawn(workers, 'hoard', [queue, status, 50]);
    expect(await status.get()).toBe(50);
    expect(t.hub.stats().resources.find((r) => r.name === 'precious')!.inflight).toBe(50);

    hoarder.kill('SIGKILL');
    await expect(hoarder.join()).rejects.toThrow(/killed by SIGKILL/);
    const all = await firstValueFrom(queue.recv().pipe(take(total), toArray()));
    expect(all.map((x) => x.i).sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
  });

  it('a child whose parent dies exits instead of lingering', async () => {
    const ready = t.bus.queue<string>('ready');
    const pids = t.bus.queue<number>('pids');
    const parent = spawn(workers, 'spawnIdle', [ready, pids, workers], { stdio: 'pipe' });
    const grandchild = await pids.get();
    expect(await ready.get()).toBe('idle');
    parent.kill('SIGKILL');
    await expect(parent.join()).rejects.toThrow(/SIGKILL/);
    const alive = () => {
      try {
        process.kill(grandchild, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !alive(), 10_000, 'the orphaned child to exit');
  });

  it('a child whose hub goes away exits instead of lingering', async () => {
    const ready = t.bus.queue<string>('ready');
    const child = spawn(workers, 'waitForever', [t.bus.queue<number>('never'), ready], { stdio: 'pipe' });
    expect(await ready.get()).toBe('waiting');
    await t.bus.close();
    await t.hub.close();
    await expect(child.join()).rejects.toBeInstanceOf(ChildProcessError);
    expect(child.exitCode).toBe(1);
    // afterEach closes them again: both are idempotent.
  });
});
