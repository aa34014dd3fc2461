/**
 * Regressions of Lock.release() (no token) after an aborted acquire whose grant crossed the cancel:
 * until the handle's give-back of that grant reaches the hub, the hub counts the grant as a hold
 * of the handle's channel, and a token-less release() takes it ("the oldest hold of the
 * channel"). On a Semaphore used for signalling, the release() meant to add a permit is then
 * spent on the aborted grant, and the give-back that follows is ERR_NOT_OWNER (swallowed): one
 * permit is lost.
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';
import { track, until } from '../transports.js';
import { eventually, lockStats } from './helpers.js';

describe('a token-less release() racing the give-back of an aborted grant', () => {
  it('a Semaphore signalled once after an aborted wait has one permit more than before', async () => {
    const mh = memoryHub();
    const a = mh.connect({ delay: 50 }); // the grant is on its way to `a` when it aborts
    const o = mh.connect();
    try {
      const sig = a.semaphore('sig', 0);
      expect(await sig.getValue()).toBe(0);
      const ac = new AbortController();
      const waited = track(sig.acquire({ signal: ac.signal }));
      await until(() => lockStats(mh.hub, 'sig')?.waiting === 1, 'a waiting');
      await o.semaphore('sig').release(); // one permit: the hub grants it to a's waiter
      await until(() => lockStats(mh.hub, 'sig')?.holders === 1, 'the hub granted a');
      ac.abort(new Error('gave up')); // a takes nothing: the grant goes back, the permit is free again
      await sig.release(); // and one more permit (Python's Semaphore.release())
      // Expected: the permit given back, plus the one added: 2.
      const two = await eventually(() => lockStats(mh.hub, 'sig')?.available === 2, 1_000);
      expect({ two, waited: waited.state, stats: lockStats(mh.hub, 'sig') }).toMatchObject({ two: true, waited: 'rejected', stats: { available: 2, holders: 0 } });
    } finally {
      a.destroy();
      o.destroy();
      await mh.hub.close();
    }
  });
});
