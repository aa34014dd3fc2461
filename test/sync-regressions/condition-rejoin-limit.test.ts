/**
 * A review found that a condition wait could be refused its grant back (ERR_LIMIT, once the
 * connection had `maxHolds` holds by then), leaving the handle believing it held the lock. A
 * parked waiter now keeps its place in `maxHolds`: another acquire of the connection is refused
 * meanwhile, and the wait gets the lock back.
 */
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { eventually, stats } from './helpers.js';

describe('a condition wait parked at maxHolds', () => {
  it('keeps its place: another acquire is refused meanwhile, the wait gets the lock back, the next acquire works', async () => {
    const mh = memoryHub({ maxHolds: 1 });
    const a = mh.connect();
    const b = mh.connect();
    try {
      const lock = a.lock('m');
      const cond = a.condition('c', lock);
      const waited = cond.withLock(() => cond.wait({ timeout: 5_000 })).then((v) => v, (e: Error) => e);
      expect(await eventually(() => stats(mh.hub, 'lock', 'm')?.conditionWaiting === 1)).toBe(true);
      // While parked, `a`'s one place in maxHolds is the waiter's.
      expect(await a.lock('x').acquire().then(() => 'held', (e: Error) => e)).toBeInstanceOf(LimitError);
      const bl = b.lock('m');
      await b.condition('c', bl).withLock(() => b.condition('c', bl).notify());
      expect(await waited).toBe(true);
      await lock.flush();
      // `a` holds nothing of m now; its next acquire must simply work.
      const next = await lock.acquire({ timeout: 1_000 }).then((h) => h, (e: Error) => e);
      expect(next, 'the next acquire() after the refused wait').not.toBeInstanceOf(Error);
    } finally {
      a.destroy();
      b.destroy();
      await mh.hub.close();
    }
  });
});
