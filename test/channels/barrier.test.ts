/**
 * Barriers held by the hub (Python's Barrier), over every transport: indices, rounds, abort,
 * reset, a party whose connection goes, timeouts; a broken barrier stays broken until reset.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BarrierBrokenError, InvalidArgumentError, OptionsMismatchError } from '../../src/errors.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('barriers over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'barrier' && r.name === name);

  it('wait() resolves once every party arrived, each with its index; the barrier starts over', async () => {
    const buses = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const first = track(buses[0]!.barrier('b', 3).wait());
    await until(() => stats('b')?.waiting === 1, 'one waiting');
    const second = track(buses[1]!.barrier('b', 3).wait());
    await until(() => stats('b')?.waiting === 2, 'two waiting');
    expect([first.state, second.state]).toEqual(['pending', 'pending']);
    const third = await buses[2]!.barrier('b', 3).wait();
    expect([await first.p, await second.p, third]).toEqual([0, 1, 2]);
    // A second round.
    const round = await Promise.all(buses.map((b) => b.barrier('b', 3).wait()));
    expect([...round].sort()).toEqual([0, 1, 2]);
    expect(stats('b')?.rounds).toBe(2);
  });

  it('a party whose connection closes while waiting breaks the barrier for all, until reset()', async () => {
    const [a, b, c] = await Promise.all([t.bus(), t.bus(), t.bus()]);
    const first = a.barrier('dies', 3).wait();
    void b.barrier('dies', 3).wait().catch(() => undefined);
    await until(() => stats('dies')?.waiting === 2, 'two waiting');
    b.destroy();
    const err = await rejection(first);
    expect(err).toBeInstanceOf(BarrierBrokenError);
    expect(err.message).toMatch(/went away/);
    // Later waits reject at once, as Python's.
    const late = c.barrier('dies', 3);
    expect(await rejection(late.wait())).toBeInstanceOf(BarrierBrokenError);
    expect(await late.broken()).toBe(true);
    await late.reset();
    expect(await late.broken()).toBe(false);
    const d = await t.bus();
    const again = await Promise.all([a.barrier('dies', 3).wait(), c.barrier('dies', 3).wait(), d.barrier('dies', 3).wait()]);
    expect([...again].sort()).toEqual([0, 1, 2]);
  });

  it('abort() breaks it; a timeout breaks it; nWaiting counts the waiting', async () => {
    const [a, b] = await Promise.all([t.bus(), t.bus()]);
    const waiting = track(a.barrier('ab', 2).wait());
    await until(() => stats('ab')?.waiting === 1, 'one waiting');
    expect(await b.barrier('ab', 2).nWaiting()).toBe(1);
    await b.barrier('ab', 2).abort();
    expect(await rejection(waiting.p)).toBeInstanceOf(BarrierBrokenError);
    await b.barrier('ab', 2).reset();

    const slow = b.barrier('slow', 2, { timeout: 30 });
    const err = await rejection(slow.wait());
    expect(err).toBeInstanceOf(BarrierBrokenError);
    expect(err.message).toMatch(/timed out/);
    expect(await slow.broken()).toBe(true);
  });

  it('options and bad input', async () => {
    const a = await t.bus();
    await a.barrier('opts', 2).nWaiting();
    expect(await rejection(a.barrier('opts', 3).nWaiting())).toBeInstanceOf(OptionsMismatchError);
    expect(() => a.barrier('zero', 0)).toThrow(InvalidArgumentError);
    expect(() => a.barrier('frac', 1.5)).toThrow(/integer from 1/);
    expect(await rejection(a.barrier('opts', 2).wait({ timeout: -1 }))).toBeInstanceOf(InvalidArgumentError);
  });
});
