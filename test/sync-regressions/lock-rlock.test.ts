/**
 * Regressions of RLock re-entry: "the holder is the handle", and an RLock's holder re-enters at once.
 * Two acquire() of one RLock handle made while the lock is free both get the hold (the second
 * re-enters). Made while another handle holds it, both wait; once the first is granted, the
 * second (its owner's) stays in the line until the owner has released completely, and then gets
 * a new hold with another token: what an RLock handle does depends on timing.
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';
import { track, until } from '../transports.js';
import { eventually, lockStats } from './helpers.js';

describe('RLock', () => {
  it('an owner\'s acquire waiting in the line re-enters once the owner is granted the lock', async () => {
    const mh = memoryHub();
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      const other = await b.rlock('r').acquire();
      const mine = a.rlock('r');
      const first = track(mine.acquire());
      const second = track(mine.acquire());
      await until(() => lockStats(mh.hub, 'r')?.waiting === 2, 'both waiting');
      await other.release();
      await until(() => first.state === 'resolved', 'the first grant');
      const reentered = await eventually(() => second.state === 'resolved', 1_000);
      expect({ reentered, stats: lockStats(mh.hub, 'r') }).toMatchObject({ reentered: true, stats: { waiting: 0, holders: 1 } });
      expect((await second.p).token).toBe((await first.p).token);
    } finally {
      a.destroy();
      b.destroy();
      await mh.hub.close();
    }
  });
});
