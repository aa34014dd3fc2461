// What sendAll pulls from its source before it waits: a bound in values and in characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Port, type PortHost } from '../../src/bus/port.js';
import { Sender } from '../../src/channels/sender.js';
import { ClosedError, FrameTooLargeError } from '../../src/errors.js';

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

describe('Sender acknowledgements', () => {
  /** A sender bound to a port with `n` credit on a host that writes nowhere. */
  function bound(n: number): { sender: Sender; port: Port } {
    const host: PortHost = { id: 0, peer: undefined, onEnd: () => () => {}, maxLine: 1 << 20, write: () => {}, fail: () => {}, canWrite: () => true, markDirty: () => {}, release: () => {} };
    const port = new Port(1, host);
    const sender = new Sender('test');
    port.handler = sender.handler;
    sender.bind(port);
    port.onCredit(n);
    return { sender, port };
  }

  it('sends within credit resolve at once; a flush() resolves once every send before it is acknowledged, whatever the order and repetition of the ranges (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }))),
      async ([n, acks]) => {
        const { sender, port } = bound(n);
        const settled: number[] = [];
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < n; i++) {
          sends.push(sender.send(i));
          sends.push(sender.flush().then(() => settled.push(i + 1)));
        }
        await Promise.all(sends.filter((_, k) => k % 2 === 0));
        expect(settled).toEqual([]);
        const acked = new Set<number>();
        for (const [from, len] of acks) {
          const to = Math.min(n, from + len);
          port.onAck([[from, to]]);
          for (let s = from; s <= to; s++) acked.add(s);
          await new Promise((resolve) => setImmediate(resolve)); // every promise settled by that ack ran
          let run = 0;
          while (acked.has(run + 1)) run++;
          expect(settled.length).toBe(run);
        }
        expect(sender.unacknowledged().map(Number)).toEqual(Array.from({ length: n - (settled.length) }, (_, i) => settled.length + i));
        port.onAck([[1, n]]);
        await Promise.all(sends);
        expect(sender.unacknowledged()).toEqual([]);
        expect(settled).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      },
    ), { numRuns: 300 });
  });

  it('a value refused as too large once a port is bound leaves flush() waiting for the others only', async () => {
    // Queued before the port came (no frame size known yet), one value turns out too large for it.
    const write = (line: string): void => {
      if (line.length > 1024) throw new FrameTooLargeError('a line over maxLine'); // as a wire's size guard does
    };
    const host: PortHost = { id: 0, peer: undefined, onEnd: () => () => {}, maxLine: 1024, write, fail: () => {}, canWrite: () => true, markDirty: () => {}, release: () => {} };
    const sender = new Sender('test');
    const first = sender.send('a');
    const big = sender.send('x'.repeat(4096)).then(() => 'sent', (err: Error & { code?: string }) => err.code);
    const last = sender.send('b');
    let flushed = false;
    const flush = sender.flush().then(() => { flushed = true; });
    const port = new Port(1, host);
    port.handler = sender.handler;
    sender.bind(port);
    port.onCredit(10);
    await Promise.all([first, last]);
    expect(await big).toBe('ERR_FRAME_TOO_LARGE');
    expect(port.sent).toBe(2);
    port.onAck([[1, 1]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toBe(false);
    port.onAck([[2, 2]]);
    await flush;
  });

  it('a range repeated 100,000 times ahead of a gap is held once, not per repetition', () => {
    const { sender, port } = bound(10_000);
    for (let i = 0; i < 10_000; i++) void sender.send(i);
    for (let k = 0; k < 100_000; k++) port.onAck([[2, 10_000]]);
    expect((sender as unknown as { ahead: unknown[] }).ahead).toEqual([[2, 10_000]]);
  });
});
