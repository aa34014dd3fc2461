/**
 * Locks and semaphores held by the hub (Python's Lock, RLock, Semaphore, BoundedSemaphore), over
 * every transport: first come first served, owners, fencing tokens, holders that go away, leases,
 * timeouts and aborts that leave nothing held.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { InvalidArgumentError, LimitError, NotOwnerError, OptionsMismatchError, TimeoutError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('locks over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'lock' && r.name === name);

  it('one holder at a time, the waiters served in the order they asked, each with a larger token', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const first = await a.lock('l').acquire();
    expect(first.abandoned).toBe(false);
    expect(await a.lock('l').locked()).toBe(true);
    const order: string[] = [];
    const lb = b.lock('l');
    const lc = c.lock('l');
    const gotB = lb.acquire().then((h) => (order.push('b'), h));
    await until(() => stats('l')?.waiting === 1, 'b waiting');
    const gotC = lc.acquire().then((h) => (order.push('c'), h));
    await until(() => stats('l')?.waiting === 2, 'c waiting');
    await first.release();
    const hb = await gotB;
    expect(hb.token).toBeGreaterThan(first.token);
    expect(order).toEqual(['b']);
    await hb.release();
    const hc = await gotC;
    expect(hc.token).toBeGreaterThan(hb.token);
    expect(order).toEqual(['b', 'c']);
    await hc.release();
    expect(await lc.locked()).toBe(false);
  });

  it('a release by a handle that holds nothing, or of a hold released already, is ERR_NOT_OWNER', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const hold = await a.lock('owned').acquire();
    // Two handles are two owners, even on one connection.
    const other = a.lock('owned');
    expect(await rejection(other.release())).toBeInstanceOf(NotOwnerError);
    const err = await rejection(b.lock('owned').release());
    expect(err).toBeInstanceOf(NotOwnerError);
    expect(err.message).toMatch(/does not own/);
    await hold.release();
    expect(await rejection(hold.release())).toBeInstanceOf(NotOwnerError);
    expect(await a.lock('owned').locked()).toBe(false);
  });

  it('a timeout rejects with ERR_TIMEOUT and leaves nothing held; timeout 0 answers at once', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const hold = await a.lock('slow').acquire();
    const lb = b.lock('slow');
    const err = await rejection(lb.acquire({ timeout: 30 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/tryAcquire/);
    expect(await rejection(lb.acquire({ timeout: 0 }))).toBeInstanceOf(TimeoutError);
    expect(stats('slow')?.waiting).toBe(0);
    await hold.release();
    // release() resolved once sent; b, on another connection, sees it once the hub applied it.
    await until(() => stats('slow')?.holders === 0, 'released');
    const next = await lb.acquire({ timeout: 0 });
    await next.release();
    expect(await lb.locked()).toBe(false);
  });

  it('an aborted acquire rejects with the signal reason, leaves the line, and takes no hold', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const la = a.lock('abort');
    const hold = await la.acquire();
    const ac = new AbortController();
    const waiting = track(b.lock('abort').acquire({ signal: ac.signal }));
    await until(() => stats('abort')?.waiting === 1, 'b waiting');
    const reason = new Error('gave up');
    ac.abort(reason);
    expect(await rejection(waiting.p)).toBe(reason);
    await until(() => stats('abort')?.waiting === 0, 'b left the line');
    await hold.release();
    await la.flush(); // the release resolved once sent: c's connection must not overtake it
    // The lock went to nobody: c gets it at once.
    const hc = await c.lock('abort').acquire({ timeout: 0 });
    await hc.release();
    // An already aborted signal rejects without asking.
    const done = new AbortController();
    done.abort(reason);
    expect(await rejection(c.lock('abort').acquire({ signal: done.signal }))).toBe(reason);
  });

  it('tryAcquire gives the hold when free, undefined when not', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const la = a.lock('try');
    const hold = await la.tryAcquire();
    expect(hold?.token).toBeGreaterThan(0);
    expect(await b.lock('try').tryAcquire()).toBeUndefined();
    await hold!.release();
    await la.flush(); // applied: b's connection finds it free
    const second = await b.lock('try').tryAcquire();
    expect(second).toBeDefined();
    await second!.release();
  });

  it('a holder whose connection closes frees the lock; the next hold is abandoned, with a larger token', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const dead = await a.lock('robust').acquire();
    const next = b.lock('robust').acquire();
    await until(() => stats('robust')?.waiting === 1, 'b waiting');
    a.destroy();
    const hold = await next;
    expect(hold.abandoned).toBe(true);
    expect(hold.token).toBeGreaterThan(dead.token);
    await hold.release();
    // Only the first grant after it says so.
    const again = await b.lock('robust').acquire();
    expect(again.abandoned).toBe(false);
    await again.release();
  });

  it('an abandoned permit is remembered while no handle is open on the lock', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const dead = await a.lock('alone').acquire();
    a.destroy();
    await until(() => stats('alone')?.holders === 0, 'the hold freed');
    // No channel is on the lock now; it is kept until the abandoned permit was granted.
    expect(stats('alone')?.abandoned).toBe(1);
    const hold = await b.lock('alone').acquire();
    expect(hold.abandoned).toBe(true);
    expect(hold.token).toBeGreaterThan(dead.token);
    await hold.release();
  });

  it('a waiter whose connection closes leaves the line', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const hold = await a.lock('leave').acquire();
    void b.lock('leave').acquire().catch(() => undefined);
    await until(() => stats('leave')?.waiting === 1, 'b waiting');
    b.destroy();
    await until(() => stats('leave')?.waiting === 0, 'b gone from the line');
    const lc = c.lock('leave');
    const gotC = lc.acquire();
    await hold.release();
    const hc = await gotC;
    expect(hc.abandoned).toBe(false);
    await hc.release();
  });

  it('an RLock re-enters for its holder with the same token and needs as many releases', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const ra = a.rlock('r');
    const h1 = await ra.acquire();
    const h2 = await ra.acquire();
    expect(h2.token).toBe(h1.token);
    const rb = b.rlock('r');
    expect(await rb.tryAcquire()).toBeUndefined();
    await ra.release();
    expect(await rb.tryAcquire()).toBeUndefined();
    await ra.release();
    const hb = await rb.acquire({ timeout: 1_000 });
    expect(hb.token).toBeGreaterThan(h1.token);
    await hb.release();
  });

  it('a semaphore admits value holders; a release with nothing held adds a permit; a bounded one refuses it', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const s = a.semaphore('sem', 2);
    const h1 = await s.acquire();
    const sb = b.semaphore('sem');
    const h2 = await sb.acquire();
    expect(await s.getValue()).toBe(0);
    expect(await c.semaphore('sem').tryAcquire()).toBeUndefined();
    await h1.release();
    const sc = c.semaphore('sem');
    const h3 = await sc.acquire();
    await h2.release();
    await h3.release();
    await Promise.all([sb.flush(), sc.flush()]);
    expect(await s.getValue()).toBe(2);

    const signal = a.semaphore('signal', 0);
    expect(await signal.getValue()).toBe(0); // made by its first open, with value 0
    const waiting = b.semaphore('signal').acquire();
    await until(() => stats('signal')?.waiting === 1, 'a waiter on signal');
    await c.semaphore('signal').release(); // Python's signalling use: a permit from nobody's hold
    const got = await waiting;
    await got.release();
    expect(await signal.getValue()).toBe(1);

    const bounded = a.boundedSemaphore('bounded', 1);
    const err = await rejection(bounded.release());
    expect(err).toBeInstanceOf(NotOwnerError);
    expect(await bounded.getValue()).toBe(1);
  });

  it('a name is one kind of lock from its first open; other options are ERR_OPTIONS_MISMATCH', async () => {
    const a = await t.bus();
    await a.lock('kind').locked();
    expect(await rejection(a.rlock('kind').locked())).toBeInstanceOf(OptionsMismatchError);
    await a.semaphore('three', 3).locked();
    const err = await rejection(a.semaphore('three', 2).locked());
    expect(err).toBeInstanceOf(OptionsMismatchError);
    expect(err.message).toMatch(/value=3/);
    // One that gives no value attaches to what exists.
    expect(await a.semaphore('three').getValue()).toBe(3);
  });

  it('bad input is a typed error that says what to do', async () => {
    const a = await t.bus();
    expect(() => a.semaphore('neg', -1)).toThrow(InvalidArgumentError);
    expect(() => a.semaphore('frac', 1.5)).toThrow(/integer from 0/);
    expect(() => a.lock('')).toThrow(InvalidArgumentError);
    expect(() => a.lock('x'.repeat(257))).toThrow(/1 to 256 characters/);
    expect(await rejection(a.lock('bad').acquire({ timeout: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(a.lock('bad').acquire({ lease: 2 ** 31 }))).toBeInstanceOf(InvalidArgumentError);
  });

  it('a lease runs out: the next hold is abandoned, and the late release is ERR_NOT_OWNER', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const hung = await a.lock('lease').acquire({ lease: 30 });
    const next = await b.lock('lease').acquire({ timeout: 5_000 });
    expect(next.abandoned).toBe(true);
    expect(next.token).toBeGreaterThan(hung.token);
    expect(await rejection(hung.release())).toBeInstanceOf(NotOwnerError);
    expect(await rejection(hung.renew())).toBeInstanceOf(NotOwnerError);
    expect(await rejection(next.renew())).toBeInstanceOf(InvalidArgumentError); // it has no lease
    await next.release();
  });

  it('a renewed lease keeps the hold past its first term', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const hold = await a.lock('renew').acquire({ lease: 200 });
    await hold.renew(60_000);
    const err = await rejection(b.lock('renew').acquire({ timeout: 400 }));
    expect(err).toBeInstanceOf(TimeoutError);
    await hold.release();
  });

  it('withLock releases when its function throws, and settles as it did', async () => {
    const a = await t.bus();
    const lock = a.lock('with');
    expect(await lock.withLock(async () => 42)).toBe(42);
    const boom = new Error('boom');
    expect(await rejection(lock.withLock(() => { throw boom; }))).toBe(boom);
    expect(await lock.locked()).toBe(false);
  });

  it('acquire$() holds while subscribed, and leaves the line when unsubscribed before the grant', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const la = a.lock('rx');
    const hold = await firstValueFrom(la.acquire$());
    await until(() => stats('rx')?.holders === 0, 'released on unsubscribe');
    expect(hold.token).toBeGreaterThan(0);
    const lbx = b.lock('rx');
    const blocker = await lbx.acquire();
    const sub = la.acquire$().subscribe();
    await until(() => stats('rx')?.waiting === 1, 'waiting');
    sub.unsubscribe();
    await until(() => stats('rx')?.waiting === 0, 'left the line');
    await blocker.release();
    await lbx.flush(); // the release is applied: another connection finds the lock free
    expect(await la.locked()).toBe(false);
  });

  it('await using releases the hold at the end of the block', async () => {
    const a = await t.bus();
    const lock = a.lock('using');
    {
      await using hold = await lock.acquire();
      expect(hold.token).toBeGreaterThan(0);
      expect(await lock.locked()).toBe(true);
    }
    expect(await lock.locked()).toBe(false);
  });
});

describe('lock bounds', () => {
  it('acquires waiting past maxWaiting on one connection are ERR_LIMIT, and the others wait on', async () => {
    const mh = memoryHub({ maxWaiting: 2 });
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      const hold = await a.lock('many').acquire();
      const w1 = b.lock('many').acquire();
      const w2 = b.lock('many').acquire();
      const err = await rejection(b.lock('many').acquire());
      expect(err).toBeInstanceOf(LimitError);
      expect(err.message).toMatch(/maxWaiting/);
      await hold.release();
      await (await w1).release();
      await (await w2).release();
      expect(mh.hub.stats().limits.maxWaiting).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await mh.hub.close();
    }
  });
});
