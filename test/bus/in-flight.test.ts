import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/bus/in-flight.js';

function filled(from: number, to: number): InFlight<string> {
  const f = new InFlight<string>();
  for (let seq = from; seq <= to; seq++) f.add(seq, `item-${seq}`);
  return f;
}

describe('InFlight', () => {
  it('acks in order and out of order; an early ack leaves a hole until the gap closes', () => {
    const f = filled(1, 6);
    expect(f.ack(3, 4)).toBe(2);
    expect(f.size).toBe(4);
    expect(f.ack(4, 4)).toBe(0); // twice: counted once
    expect(f.ack(1, 2)).toBe(2);
    expect(f.size).toBe(2);
    expect(f.takeAll()).toEqual([[5, 'item-5'], [6, 'item-6']]);
    expect(f.size).toBe(0);
  });

  it('gives back what is left in order, around holes', () => {
    const f = filled(1, 5);
    f.ack(2, 2);
    f.ack(4, 4);
    expect(f.takeAll()).toEqual([[1, 'item-1'], [3, 'item-3'], [5, 'item-5']]);
  });

  it('ignores what is outside what it holds, however wide the range', () => {
    const f = filled(10, 12);
    expect(f.ack(1, 9)).toBe(0);
    expect(f.ack(13, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(f.ack(1, Number.MAX_SAFE_INTEGER)).toBe(3);
    expect(f.size).toBe(0);
    f.add(13, 'item-13');
    expect(f.takeAll()).toEqual([[13, 'item-13']]);
  });

  it('stays bounded when the oldest item is never acknowledged and every later one is', () => {
    const f = new InFlight<string>();
    f.add(1, 'held');
    for (let seq = 2; seq <= 100_000; seq++) {
      f.add(seq, `item-${seq}`);
      expect(f.ack(seq, seq)).toBe(1);
      expect(f.slots).toBeLessThanOrEqual(2 * f.size + 64);
    }
    expect(f.size).toBe(1);
    expect(f.ack(1, 1)).toBe(1);
    expect(f.slots).toBe(0);
  });

  it('acks ranges across holes and after a compaction, and counts each item once', () => {
    const f = filled(1, 400);
    for (let seq = 2; seq <= 400; seq++) if (seq % 4 !== 1) f.ack(seq, seq); // 300 holes
    expect(f.size).toBe(100); // 1, 5, 9 ... 397
    expect(f.slots).toBeLessThanOrEqual(2 * 100 + 64);
    expect(f.ack(2, 100)).toBe(24); // 5 ... 97
    expect(f.ack(2, 100)).toBe(0);
    expect(f.ack(301, 10_000)).toBe(25); // 301 ... 397
    expect(f.takeAll().map(([seq]) => seq)).toEqual([1, ...Array.from({ length: 50 }, (_, k) => 101 + 4 * k)]);
  });

  it('a seq that was never added (a send that failed) is a hole', () => {
    const f = new InFlight<string>();
    f.add(1, 'a');
    f.add(3, 'c');
    expect(f.ack(1, 1)).toBe(1);
    expect(f.ack(2, 2)).toBe(0);
    expect(f.takeAll()).toEqual([[3, 'c']]);
  });
});
