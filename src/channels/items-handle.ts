import type { Observable } from 'rxjs';
import { StateHandle, type UpdateOptions, type WriteOptions } from './state-handle.js';

/**
 * What an array's and a list's handle share: items by Python's indexes (negative from the end;
 * outside the items is ERR_INVALID_ARGUMENT, Python's IndexError), read and set one at a time or
 * all at once, and the read-modify-write of one item.
 */
export abstract class ItemsHandle<T> extends StateHandle {
  /** The item at `index` (Python's `a[i]`). */
  get(index: number): Promise<T> {
    return this.value<T>('get', { index });
  }

  /** Sets the item at `index` (Python's `a[i] = x`). */
  set(index: number, value: T, options?: WriteOptions): Promise<void> {
    return this.write('set', { index, value }, options);
  }

  /** How many items (Python's `len(a)`). */
  length(): Promise<number> {
    return this.value<number>('len');
  }

  /** Every item (Python's `a[:]`). */
  toArray(): Promise<T[]> {
    return this.value<T[]>('all');
  }

  /** Every item and the revision they are at. */
  snapshot(): Promise<{ value: T[]; revision: number }> {
    return this.ask('all').then((a) => ({ value: a.value as T[], revision: a.revision }));
  }

  /** Reads the item at `index`, computes `fn(item)` here, sets it if nothing changed in between, else again. */
  update(index: number, fn: (current: T) => T | Promise<T>, options?: UpdateOptions): Promise<T> {
    return this.retry(() => this.ask('get', { index }), (a) => fn(a.value as T), (next, w) => this.set(index, next, w), options);
  }

  /** `update` as an Observable (with a synchronous `fn`, and no promise): emits what it set, then completes. */
  update$(index: number, fn: (current: T) => T, options?: UpdateOptions): Observable<T> {
    return this.retry$(['get', { index }], (v) => fn(v as T), (value) => ['set', { index, value }], options);
  }
}
