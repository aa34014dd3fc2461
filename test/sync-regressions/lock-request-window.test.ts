/**
 * Regressions of the lock kind: a Lock handle sends every request (acquire, release, cancel) on one
 * channel, and the hub's Responder gives a request's credit back only when it answers it. A
 * waiting acquire is not answered, so 1,024 waiting acquires of one handle use the whole window:
 * the holder's release(), a cancel, even an acquire with a timeout then wait in the handle's
 * queue for credit that never comes.
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';
import { track } from '../transports.js';
import { lockStats, settlesWithin } from './helpers.js';

describe('a handle with 1,024 acquires waiting', () => {
  it('1,100 concurrent withLock() calls on one handle all settle (the holder can still release)', async () => {
    const mh = memoryHub();
    const a = mh.connect();
    try {
      const lock = a.lock('busy');
      let ran = 0;
      const all = Promise.allSettled(Array.from({ length: 1_100 }, () => lock.withLock(async () => { ran++; })));
      const settled = await settlesWithin(all, 5_000);
      expect({ settled, ranAtLeast1024: ran >= 1_024, stats: lockStats(mh.hub, 'busy') }).toMatchObject({ settled: true, ranAtLeast1024: true });
    } finally {
      a.destroy();
      await mh.hub.close();
    }
  }, 20_000);

  it('an acquire with a timeout on a handle whose window is full still times out', async () => {
    const mh = memoryHub();
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      await b.lock('full').acquire(); // held elsewhere: every acquire of `a` waits
      const lock = a.lock('full');
      const waiting = Array.from({ length: 1_024 }, () => track(lock.acquire()));
      const timed = track(lock.acquire({ timeout: 50 }));
      const settled = await settlesWithin(timed.p, 3_000);
      expect({ settled, state: timed.state, waiting: waiting.filter((w) => w.state === 'pending').length }).toMatchObject({ settled: true, state: 'rejected' });
    } finally {
      a.destroy();
      b.destroy();
      await mh.hub.close();
    }
  }, 20_000);
});
