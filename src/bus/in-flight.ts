import { Deque } from './deque.js';

/** Holes allowed beyond the live items before the ring is compacted. */
const SLACK = 64;

/**
 * Items delivered on one channel and not acknowledged yet, in the order of their sequence
 * numbers (a channel numbers its data frames 1, 2, 3...). Acks may come in any order: an ack of
 * an item behind an older one leaves a hole, dropped once the older ones are acknowledged, or
 * when holes outnumber the live items (then the ring is compacted). Bound: at most twice the
 * live items plus 64 slots, and the live items are bounded by the credit the channel granted.
 */
export class InFlight<T> {
  private seqs = new Deque<number>();
  private items = new Deque<T | undefined>();
  private live = 0;

  /** Items in flight (holes not counted). */
  get size(): number {
    return this.live;
  }

  /** Slots in use, holes included (at most `2 × size + 64`). */
  get slots(): number {
    return this.items.length;
  }

  /** Records `item` (not undefined), sent as `seq`, which must be above every seq added before. */
  add(seq: number, item: T): void {
    this.seqs.push(seq);
    this.items.push(item);
    this.live++;
  }

  /**
   * Acknowledges `from` to `to`; returns how many of them were in flight, and gives each to
   * `each`. Walks only the slots it holds within the range, whatever the range says.
   */
  ack(from: number, to: number, each?: (item: T) => void): number {
    const { seqs, items } = this;
    let n = 0;
    for (let i = this.firstAtOrAfter(from); i < seqs.length && seqs.at(i)! <= to; i++) {
      const item = items.at(i);
      if (item !== undefined) {
        items.set(i, undefined);
        each?.(item);
        n++;
      }
    }
    while (items.length > 0 && items.peek() === undefined) {
      items.shift();
      seqs.shift();
    }
    this.live -= n;
    if (items.length > 2 * this.live + SLACK) this.compact();
    return n;
  }

  /** Takes every item still in flight with its seq, in order, and leaves this empty. */
  takeAll(): [number, T][] {
    const out: [number, T][] = [];
    while (this.items.length > 0) {
      const seq = this.seqs.shift()!;
      const item = this.items.shift();
      if (item !== undefined) out.push([seq, item]);
    }
    this.live = 0;
    return out;
  }

  /** Index of the first slot whose seq is at least `seq` (binary search: seqs only grow). */
  private firstAtOrAfter(seq: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    // The usual ack starts at the oldest slot.
    if (hi === 0 || this.seqs.peek()! >= seq) return 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs.at(mid)! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    const kept = this.takeAll();
    this.seqs = new Deque<number>();
    this.items = new Deque<T | undefined>();
    for (const [seq, item] of kept) this.add(seq, item);
  }
}
