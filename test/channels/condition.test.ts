/**
 * Conditions held by the hub (Python's Condition), over every transport: wait gives the lock up
 * and gets it back, notify and notifyAll (only by a holder), timeouts, rlock depth, several
 * conditions on one lock, waiters whose connection goes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotOwnerError } from '../../src/errors.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('conditions over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'lock' && r.name === name);

  it('wait() gives the lock up; a notify by the holder wakes it once the holder releases', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const ca = a.condition('c');
    const cb = b.condition('c');
    const hold = await ca.acquire();
    const first = hold.token;
    const woke = track(ca.wait());
    await until(() => stats('c')?.conditionWaiting === 1, 'a waiting');
    // a gave the lock up: b takes it at once.
    const hb = await cb.acquire({ timeout: 1_000 });
    expect(await cb.notify()).toBe(1);
    expect(woke.state).toBe('pending'); // b still holds the lock
    await hb.release();
    expect(await woke.p).toBe(true);
    // a holds it again, through the same hold object, with a new token.
    expect(hold.token).toBeGreaterThan(hb.token);
    expect(hold.token).toBeGreaterThan(first);
    expect(await b.condition('c').lock.tryAcquire()).toBeUndefined();
    await hold.release();
    expect(await ca.lock.locked()).toBe(false);
  });

  it('wait({ timeout }) resolves false once it passed, holding the lock again', async () => {
    const a = await t.bus();
    const c = a.condition('late');
    await using hold = await c.acquire();
    expect(await c.wait({ timeout: 20 })).toBe(false);
    expect(await c.lock.locked()).toBe(true);
    expect(hold.token).toBeGreaterThan(0);
  });

  it('wait and notify without holding the lock are ERR_NOT_OWNER', async () => {
    const a = await t.bus();
    const c = a.condition('nobody');
    expect(await rejection(c.wait())).toBeInstanceOf(NotOwnerError);
    const err = await rejection(c.notify());
    expect(err).toBeInstanceOf(NotOwnerError);
    expect(err.message).toMatch(/acquire it before/);
    expect(await rejection(c.notify(-1))).toBeInstanceOf(InvalidArgumentError);
    expect(() => a.condition('sem', a.semaphore('sem', 2))).toThrow(/lock or an rlock/);
  });

  it('notifyAll wakes every waiter; each holds the lock in turn', async () => {
    const buses = await Promise.all([t.bus(), t.bus(), t.bus(), t.bus()]);
    const [n, ...ws] = buses.map((b) => b.condition('all'));
    const inside: number[] = [];
    let holding = 0;
    const waiters = ws.map(async (c, i) => {
      const hold = await c!.acquire();
      expect(await c!.wait()).toBe(true);
      holding++;
      inside.push(holding);
      holding--;
      await hold.release();
      return i;
    });
    await until(() => stats('all')?.conditionWaiting === 3, 'three waiting');
    await n!.withLock(async () => expect(await n!.notifyAll()).toBe(3));
    expect((await Promise.all(waiters)).sort()).toEqual([0, 1, 2]);
    expect(inside).toEqual([1, 1, 1]);
  });

  it('an rlock holder waits and comes back as deep as it was', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const ca = a.condition('deep');
    await ca.acquire();
    await ca.acquire();
    const woke = ca.wait();
    await until(() => stats('deep')?.conditionWaiting === 1, 'waiting');
    const cb = b.condition('deep');
    await cb.withLock(() => cb.notify());
    expect(await woke).toBe(true);
    await ca.release();
    expect(await b.condition('deep').lock.tryAcquire()).toBeUndefined();
    await ca.release();
    await ca.lock.flush();
    const hb = await b.condition('deep').lock.tryAcquire();
    expect(hb).toBeDefined();
    await hb!.release();
  });

  it('conditions sharing a lock are woken apart; a waiter whose connection closes goes', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const mutex = (bus: typeof a) => bus.lock('shared');
    const aLock = mutex(a);
    const notEmpty = a.condition('not-empty', aLock);
    const notFull = b.condition('not-full', mutex(b));
    await notEmpty.acquire();
    const emptyWoke = track(notEmpty.wait());
    await notFull.acquire();
    void notFull.wait().catch(() => undefined);
    await until(() => stats('shared')?.conditionWaiting === 2, 'two waiting');
    const cLock = mutex(c);
    const other = c.condition('not-empty', cLock);
    await other.withLock(() => other.notify());
    // `withLock` released: not-empty's waiter has the lock now; not-full's still waits.
    expect(await emptyWoke.p).toBe(true);
    expect(stats('shared')?.conditionWaiting).toBe(1);
    await aLock.release();
    b.destroy();
    await until(() => stats('shared')?.conditionWaiting === 0, 'the closed waiter gone');
  });

  it('waitFor checks the predicate first, after each wakeup, and gives up at the timeout', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const ca = a.condition('pred');
    let items = 0;
    await ca.acquire();
    const ready = ca.waitFor(() => items >= 2);
    await until(() => stats('pred')?.conditionWaiting === 1, 'waiting');
    const cb = b.condition('pred');
    for (let i = 0; i < 2; i++) {
      await cb.withLock(async () => {
        items++;
        await cb.notify();
      });
      if (i === 0) await until(() => stats('pred')?.conditionWaiting === 1, 'waiting again');
    }
    expect(await ready).toBe(true);
    expect(await ca.waitFor(() => items > 5, { timeout: 20 })).toBe(false);
    await ca.release();
  });
});
