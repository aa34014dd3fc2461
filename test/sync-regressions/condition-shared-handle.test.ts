/**
 * Condition.wait() on a handle that another task of the same process is already waiting on.
 * Lock.conditionWait (src/channels/lock.ts) names "this handle's oldest hold" (`holds.values()
 * .next()`), but the hold record of a wait in progress stays in `holds`, under the token the hub
 * freed when that wait parked. A second task that acquired the lock since (a new hold, a new
 * token) and waits too sends the parked hold's stale token: the hub answers ERR_NOT_OWNER, though
 * this handle holds the lock. Two tasks sharing one Condition (two consumers of one process, as
 * `withLock` on one handle allows) thus cannot both wait.
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';
import { eventually, stats } from './helpers.js';

describe('two tasks waiting on one Condition handle', () => {
  it('the second wait() of the handle, made while holding the lock, is a wait (not ERR_NOT_OWNER)', async () => {
    const mh = memoryHub();
    const bus = mh.connect();
    try {
      const cond = bus.condition('c', bus.lock('m'));
      // Task 1: holds the lock, waits (parked at the hub; the lock is free again).
      const first = cond.withLock(() => cond.wait({ timeout: 5_000 }));
      first.catch(() => undefined); // settles when the bus goes, if the test failed before
      expect(await eventually(() => stats(mh.hub, 'lock', 'm')?.conditionWaiting === 1)).toBe(true);
      // Task 2: takes the lock (a new hold of the same handle) and waits as well.
      const second = await cond.withLock(() => cond.wait({ timeout: 50 })).then((v) => v, (e: Error) => e);
      expect(second, 'task 2 held the lock when it called wait()').toBe(false);
      await cond.withLock(() => cond.notifyAll());
      expect(await first).toBe(true);
    } finally {
      bus.destroy();
      await mh.hub.close();
    }
  });

  it('lock.release() while another task of the handle is in a wait releases the hold this handle has, not the parked one', async () => {
    const mh = memoryHub();
    const bus = mh.connect();
    try {
      const lock = bus.lock('m');
      const cond = bus.condition('c', lock);
      const first = cond.withLock(() => cond.wait({ timeout: 5_000 }));
      first.catch(() => undefined); // settles when the bus goes, if the test failed before
      expect(await eventually(() => stats(mh.hub, 'lock', 'm')?.conditionWaiting === 1)).toBe(true);
      await lock.acquire();
      await lock.release(); // "releases this handle's oldest hold": the hold it has now
      await lock.flush();
      expect(stats(mh.hub, 'lock', 'm')?.holders, 'the hold task 2 took is still held at the hub').toBe(0);
      await cond.withLock(() => cond.notify()).catch(() => undefined);
      await first.catch(() => undefined);
    } finally {
      bus.destroy();
      await mh.hub.close();
    }
  });
});
