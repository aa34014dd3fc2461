/**
 * Regressions of the Lock handle's options: the hub refuses a timeout or lease that is not a finite
 * number from 0 to 2^31-1, but the handle sends its options as JSON, where NaN (and Infinity)
 * become null, which the hub reads as "not given". acquire({timeout: NaN}) then waits for ever,
 * acquire({lease: NaN}) holds for ever, and renew(NaN) renews with the old term, all silently,
 * where acquire({timeout: -1}) is ERR_INVALID_ARGUMENT.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { rejection } from '../transports.js';
import { settlesWithin } from './helpers.js';

describe('acquire() options that JSON cannot carry', () => {
  it('acquire({timeout: NaN}) is ERR_INVALID_ARGUMENT, as timeout -1 is, not a wait without end', async () => {
    const mh = memoryHub();
    const [a, b] = [mh.connect(), mh.connect()];
    try {
      await a.lock('nan').acquire();
      const asked = b.lock('nan').acquire({ timeout: Number.NaN });
      expect(await settlesWithin(asked, 1_000)).toBe(true);
      expect(await rejection(asked)).toBeInstanceOf(InvalidArgumentError);
    } finally {
      a.destroy();
      b.destroy();
      await mh.hub.close();
    }
  });

  it('acquire({lease: NaN}) is ERR_INVALID_ARGUMENT, not a hold without a lease', async () => {
    const mh = memoryHub();
    const a = mh.connect();
    try {
      const asked = a.lock('nan-lease').acquire({ lease: Number.NaN });
      expect(await rejection(asked)).toBeInstanceOf(InvalidArgumentError);
    } finally {
      a.destroy();
      await mh.hub.close();
    }
  });

  it('hold.renew(NaN) is ERR_INVALID_ARGUMENT, not a renewal with the old term', async () => {
    const mh = memoryHub();
    const a = mh.connect();
    try {
      const hold = await a.lock('nan-renew').acquire({ lease: 60_000 });
      expect(await rejection(hold.renew(Number.NaN))).toBeInstanceOf(InvalidArgumentError);
    } finally {
      a.destroy();
      await mh.hub.close();
    }
  });
});
