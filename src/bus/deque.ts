/**
 * A double-ended queue on a ring buffer: O(1) push, shift and unshift. It grows by doubling and
 * holds whatever it is given; its owner bounds it (a hub queue holds at most `maxsize` items).
 */
export class Deque<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = item;
    this.size++;
  }

  unshift(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return item;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  /** The item at index `i` from the front (undefined outside 0 to length − 1). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.size ? this.buf[(this.head + i) & (this.buf.length - 1)] : undefined;
  }

  /** Replaces the item at index `i` from the front; `i` must be within 0 to length − 1. */
  set(i: number, item: T): void {
    if (i < 0 || i >= this.size) throw new RangeError(`index ${i} outside a deque of ${this.size}`);
    this.buf[(this.head + i) & (this.buf.length - 1)] = item;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
