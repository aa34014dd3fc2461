import { Deque } from './deque.js';

/**
 * Items delivered on one channel and not acknowledged yet, kept in the order of their sequence
 * numbers (a channel numbers its data frames 1, 2, 3...). Acks may come in any order: an ack
 * leaves a hole until every earlier item is acknowledged too. Bound: what the channel's credit
 * let out, holes included.
 */
export class InFlight<T> {
  private readonly slots = new Deque<T | undefined>();
  /** Sequence number of the first slot. */
  private first = 1;
  private live = 0;

  /** Items in flight (holes not counted). */
  get size(): number {
    return this.live;
  }

  /** Records `item` (not undefined), sent as `seq` (after every seq added before it). */
  add(seq: number, item: T): void {
    if (this.slots.length === 0) this.first = seq;
    while (this.first + this.slots.length < seq) this.slots.push(undefined);
    this.slots.push(item);
    this.live++;
  }

  /**
   * Acknowledges `from` to `to`; returns how many of them were in flight. Never walks beyond the
   * slots it holds, whatever the range says.
   */
  ack(from: number, to: number): number {
    const slots = this.slots;
    const lo = Math.max(from, this.first);
    const hi = Math.min(to, this.first + slots.length - 1);
    let n = 0;
    for (let i = lo - this.first; i <= hi - this.first; i++) {
      if (slots.at(i) !== undefined) {
        slots.set(i, undefined);
        n++;
      }
    }
    while (slots.length > 0 && slots.peek() === undefined) {
      slots.shift();
      this.first++;
    }
    this.live -= n;
    return n;
  }

  /** Takes every item still in flight with its seq, in order, and leaves this empty. */
  takeAll(): [number, T][] {
    const out: [number, T][] = [];
    while (this.slots.length > 0) {
      const seq = this.first++;
      const item = this.slots.shift();
      if (item !== undefined) out.push([seq, item]);
    }
    this.live = 0;
    return out;
  }
}
