/**
 * Events held by the hub (Python's Event), over every transport: set, clear, isSet, wait with and
 * without a timeout, changes() as an Observable of the state, waiters whose connection goes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { InvalidArgumentError, LimitError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('events over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'event' && r.name === name);

  it('wait() resolves true once another connection sets it; isSet and clear say and change the flag', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const waits = [a.event('go').wait(), b.event('go').wait()].map(track);
    await until(() => stats('go')?.waiting === 2, 'two waiters');
    expect(await c.event('go').isSet()).toBe(false);
    expect(waits.map((w) => w.state)).toEqual(['pending', 'pending']);
    await c.event('go').set();
    expect(await Promise.all(waits.map((w) => w.p))).toEqual([true, true]);
    expect(await a.event('go').isSet()).toBe(true);
    expect(await a.event('go').wait()).toBe(true); // at once while set
    await b.event('go').clear();
    expect(await c.event('go').isSet()).toBe(false);
  });

  it('wait({ timeout }) resolves false when the timeout passes first, as Python', async () => {
    const a = await t.bus();
    expect(await a.event('late').wait({ timeout: 30 })).toBe(false);
    expect(await a.event('late').wait({ timeout: 0 })).toBe(false);
    expect(stats('late')?.waiting ?? 0).toBe(0);
    expect(await rejection(a.event('late').wait({ timeout: -1 }))).toBeInstanceOf(InvalidArgumentError);
  });

  it('changes() gives the current state first, then each change', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    await a.event('flip').set();
    const seen = firstValueFrom(b.event('flip').changes().pipe(take(3), toArray()));
    await until(() => stats('flip')?.watchers === 1, 'a watcher');
    await a.event('flip').clear();
    await a.event('flip').set();
    expect(await seen).toEqual([true, false, true]);
    await until(() => stats('flip')?.watchers === 0, 'the watcher gone after take(3)');
  });

  it('a waiter whose connection closes leaves; a set event outlives its handles', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    void a.event('kept').wait().catch(() => undefined);
    await until(() => stats('kept')?.waiting === 1, 'a waiter');
    a.destroy();
    await until(() => (stats('kept')?.waiting ?? 0) === 0, 'the waiter gone');
    await b.event('kept').set();
    // Its handles' channels linger out; the event stays, set, for whoever comes next.
    expect(stats('kept')?.set).toBe(true);
    expect(await b.event('kept').wait({ timeout: 0 })).toBe(true);
  });

  it('bad input is a typed error', async () => {
    const a = await t.bus();
    expect(() => a.event('')).toThrow(InvalidArgumentError);
    expect(() => a.event('x'.repeat(257))).toThrow(/1 to 256 characters/);
  });
});

describe('event bounds', () => {
  it('waits past maxWaiting on one connection are ERR_LIMIT', async () => {
    const mh = memoryHub({ maxWaiting: 1 });
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      const first = a.event('e').wait();
      const err = await rejection(a.event('e').wait());
      expect(err).toBeInstanceOf(LimitError);
      await b.event('e').set();
      expect(await first).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await mh.hub.close();
    }
  });
});
