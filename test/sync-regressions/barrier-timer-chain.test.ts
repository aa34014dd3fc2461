/**
 * BarrierResource.wait (barrier-resource.ts) chains each waiting party's timer into one closure:
 * `this.cancelTimer = () => { before?.(); cancel(); }`. Calling it recurses once per waiting party
 * with a timeout; with tens of thousands of them (a barrier made with a `timeout`, parties up to
 * 1,000,000; under the default limits, 60 connections of 1,000 waits each) it overflows the stack.
 * `break()` then throws before it answers anyone: an `abort()` is answered with a RangeError, the
 * waiting parties are never answered (their promises never settle), their maxWaiting counts stay,
 * and every timer still fires later into the same overflow. Completing the round throws the same
 * way after `this.waiting = []`: the whole round is lost.
 */
import { describe, expect, it } from 'vitest';
import { BarrierBrokenError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { eventually, perSession, stats } from './helpers.js';

const CONNECTIONS = 60;
const EACH = 1_000;

describe('a barrier with many parties waiting, each with a timeout', () => {
  it('abort() breaks it: every waiting party rejects with ERR_BARRIER_BROKEN', async () => {
    const mh = memoryHub(); // default limits
    const buses = Array.from({ length: CONNECTIONS }, () => mh.connect());
    try {
      const waits: Promise<unknown>[] = [];
      for (const bus of buses) {
        const b = bus.barrier('big', 1_000_000, { timeout: 600_000 });
        for (let i = 0; i < EACH; i++) waits.push(b.wait().then((v) => v, (e: unknown) => e));
      }
      expect(await eventually(() => stats(mh.hub, 'barrier', 'big')?.waiting === CONNECTIONS * EACH, 20_000)).toBe(true);
      const aborted = await buses[0]!.barrier('big', 1_000_000, { timeout: 600_000 }).abort().then(() => 'ok', (e: Error) => e);
      expect(aborted, 'abort() was answered').toBe('ok');
      let settled = 0;
      for (const w of waits) void w.then(() => settled++);
      await eventually(() => settled === waits.length, 5_000);
      expect(settled, 'waiting parties answered').toBe(waits.length);
      expect(await waits[0]).toBeInstanceOf(BarrierBrokenError);
      expect(perSession(mh.hub, 'maxWaiting'), 'waits still counted').toBe(0);
    } finally {
      for (const bus of buses) bus.destroy();
      await mh.hub.close();
    }
  }, 60_000);

  it('the party that completes the round is answered, and so is every other', async () => {
    const mh = memoryHub();
    const buses = Array.from({ length: CONNECTIONS }, () => mh.connect());
    try {
      const parties = CONNECTIONS * EACH + 1;
      const waits: Promise<unknown>[] = [];
      for (const bus of buses) {
        const b = bus.barrier('round', parties, { timeout: 600_000 });
        for (let i = 0; i < EACH; i++) waits.push(b.wait().then((v) => v, (e: unknown) => e));
      }
      expect(await eventually(() => stats(mh.hub, 'barrier', 'round')?.waiting === CONNECTIONS * EACH, 20_000)).toBe(true);
      const last = await buses[0]!.barrier('round', parties, { timeout: 600_000 }).wait().then((v) => v, (e: Error) => e);
      expect(last, 'the last party gets its index').toBe(parties - 1);
      let settled = 0;
      for (const w of waits) void w.then(() => settled++);
      await eventually(() => settled === waits.length, 5_000);
      expect(settled, 'parties of the round answered').toBe(waits.length);
    } finally {
      for (const bus of buses) bus.destroy();
      await mh.hub.close();
    }
  }, 60_000);
});
