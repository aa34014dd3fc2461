/**
 * Regressions of `abandoned`: "when the holder's channel/connection closes, the hub frees its holds
 * and the next grant says abandoned: true".
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';
import { track, until } from '../transports.js';
import { lockStats } from './helpers.js';

describe('abandoned', () => {
  it('a holder that dies while nobody else has the lock open: the next grant still says abandoned', async () => {
    // LockResource.idle ignores `abandoned`, so the hub forgets the lock as soon as the dead
    // holder's channel is gone, and the next open makes a fresh one (examples/lock-abandoned.ts
    // does exactly this, and test/examples.test.ts fails on it).
    const mh = memoryHub();
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      const dead = await a.lock('robust').acquire();
      a.destroy();
      await until(() => lockStats(mh.hub, 'robust')?.holders !== 1, 'the dead holder\'s hold freed');
      const next = await b.lock('robust').acquire({ timeout: 1_000 });
      expect(next.token).toBeGreaterThan(dead.token);
      expect(next.abandoned).toBe(true);
    } finally {
      a.destroy();
      b.destroy();
      await mh.hub.close();
    }
  });

  it('the same for a lease that ran out, once its holder has closed the handle', async () => {
    const mh = memoryHub();
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      await a.lock('leased').acquire({ lease: 20 });
      await until(() => lockStats(mh.hub, 'leased')?.abandoned === 1, 'the lease to run out');
      await a.close(); // a's handle goes too: nobody has the lock open
      const next = await b.lock('leased').acquire({ timeout: 1_000 });
      expect(next.abandoned).toBe(true);
    } finally {
      b.destroy();
      await mh.hub.close();
    }
  });

  it('an aborted acquire whose grant crossed the cancel does not use up the abandoned flag', async () => {
    // The hub gave the dead holder's permit to b (abandoned: true, counter back to 0); b had
    // aborted, so its Lock gives the hold back with a plain release; c, the first to really
    // hold the lock after the death, is told abandoned: false.
    const mh = memoryHub();
    const a = mh.connect();
    const b = mh.connect({ delay: 50 }); // so that b's abort crosses the grant on the way
    const c = mh.connect();
    try {
      await a.lock('crossed').acquire();
      const ac = new AbortController();
      const gaveUp = track(b.lock('crossed').acquire({ signal: ac.signal }));
      await until(() => lockStats(mh.hub, 'crossed')?.waiting === 1, 'b waiting');
      const next = c.lock('crossed').acquire({ timeout: 5_000 });
      await until(() => lockStats(mh.hub, 'crossed')?.waiting === 2, 'c waiting');
      a.destroy();
      await until(() => lockStats(mh.hub, 'crossed')?.waiting === 1, 'the hub granted b');
      ac.abort(new Error('b gave up'));
      const hold = await next;
      expect(gaveUp.state).toBe('rejected');
      expect(hold.abandoned).toBe(true);
    } finally {
      a.destroy();
      b.destroy();
      c.destroy();
      await mh.hub.close();
    }
  });
});
