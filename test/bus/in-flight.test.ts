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

  it('a seq that was never added (a send that failed) is a hole', () => {
    const f = new InFlight<string>();
    f.add(1, 'a');
    f.add(3, 'c');
    expect(f.ack(1, 1)).toBe(1);
    expect(f.ack(2, 2)).toBe(0);
    expect(f.takeAll()).toEqual([[3, 'c']]);
  });
});
