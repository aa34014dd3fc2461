// What sendAll pulls from its source before it waits: a bound in values and in characters.
import { describe, expect, it } from 'vitest';
import { Sender } from '../../src/channels/sender.js';
import { ClosedError } from '../../src/errors.js';

/** Values made on demand, counting how many were pulled. */
function counting<T>(make: (i: number) => T) {
  const source = {
    pulled: 0,
    *values(): Generator<T> {
      for (;;) yield make(source.pulled++);
    },
  };
  return source;
}

describe('Sender.sendAll', () => {
  it.each([
    ['small values: 1,024 of them', (i: number) => ({ i }), 1024],
    ['4 KiB values: 256 Ki characters of JSON', (i: number) => ({ i, pad: 'x'.repeat(4090) }), 64],
  ])('stops pulling when nothing goes out: %s', async (_, make, expected) => {
    const sender = new Sender('test'); // never bound to a port: no credit, nothing goes out
    const source = counting(make);
    const all = sender.sendAll(source.values());
    // sendAll pulls synchronously until it must wait for room, holding the last value pulled.
    expect(source.pulled).toBe(expected + 1);
    sender.fail(new ClosedError('test over'));
    await expect(all).rejects.toBeInstanceOf(ClosedError);
    expect(source.pulled).toBe(expected + 1);
  });
});
