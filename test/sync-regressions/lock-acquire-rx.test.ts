/**
 * Regressions of Lock.acquire$(): a hold that arrives after its subscriber unsubscribed must be
 * released. acquire$() sets `hold` in a `.then` of acquire(); acquire() removes its abort listener
 * (and resolves) one microtask before that. An unsubscribe in between (race() picking a winner
 * among grants that came in one batch, say) finds no hold and aborts a signal nobody listens to
 * any more: the hold is then kept for good, with the handle's channel.
 */
import { describe, expect, it } from 'vitest';
import { race } from 'rxjs';
import { memoryHub } from '../../src/testing.js';
import type { Hold } from '../../src/channels/lock.js';
import { until } from '../transports.js';
import { eventually, lockStats } from './helpers.js';

describe('acquire$()', () => {
  it('race() of two acquire$() releases the loser\'s hold, and the winner\'s once unsubscribed', async () => {
    const mh = memoryHub();
    const a = mh.connect();
    try {
      const pool = a.semaphore('pool', 2);
      const got: Hold[] = [];
      const sub = race(pool.acquire$(), pool.acquire$()).subscribe((h) => got.push(h));
      await until(() => got.length === 1, 'the winner\'s hold');
      sub.unsubscribe();
      const released = await eventually(() => lockStats(mh.hub, 'pool')?.holders === 0, 1_000);
      expect({ released, stats: lockStats(mh.hub, 'pool') }).toMatchObject({ released: true, stats: { holders: 0, available: 2 } });
    } finally {
      a.destroy();
      await mh.hub.close();
    }
  });
});
