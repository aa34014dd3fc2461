import type { Observable } from 'rxjs';
import { registerHandleKind, type BusLike } from './handle.js';
import { creationOptions, descriptorOptions, StateHandle, type UpdateOptions, type WriteOptions } from './state-handle.js';
import type { ValueOptions } from './value.js';

/**
 * A list of fixed length held by the hub, as Python's `multiprocessing.Array`, across processes:
 * created by the first open of its name with its items (or `length` zeros of its type), kept
 * until the hub stops. Indexes are Python's: negative from the end; outside the items is
 * ERR_INVALID_ARGUMENT (Python's IndexError). Every operation is atomic at the hub and resolves
 * once applied; operations not awaited are applied in the order made.
 */
export class SharedArray<T = number> extends StateHandle {
  constructor(bus: BusLike, name: string, initialOrLength?: readonly T[] | number, options: ValueOptions = {}) {
    super(bus, 'array', name, creationOptions(typeof initialOrLength === 'number' ? { length: initialOrLength } : { init: initialOrLength }, options));
  }

  /** The item at `index` (Python's `a[i]`). */
  get(index: number): Promise<T> {
    return this.value<T>('get', { index });
  }

  /** Sets the item at `index` (Python's `a[i] = x`). */
  set(index: number, value: T, options?: WriteOptions): Promise<void> {
    return this.write('set', { index, value }, options);
  }

  /** Adds `n` to the number at `index`, in one step at the hub; resolves with the sum. */
  add(index: number, n: number, options?: WriteOptions): Promise<number> {
    return this.value<number>('add', { index, n }, options);
  }

  /** How many items it has (fixed; Python's `len(a)`). */
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

  /** The items from `start` to before `end` (Python's `a[start:end]`: negative from the end, clamped). */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.value<T[]>('slice', { start, end });
  }

  /** Sets `values.length` items from `start` on, at once (Python's `a[start:start + len(values)] = values`). */
  setSlice(start: number, values: readonly T[], options?: WriteOptions): Promise<void> {
    return this.write('setSlice', { start, values }, options);
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

registerHandleKind<SharedArray<unknown>>({
  name: 'array',
  is: (v): v is SharedArray<unknown> => v instanceof SharedArray,
  describe: (a) => a.toJSON(),
  revive: (d, bus) => {
    const o = descriptorOptions(d);
    return new SharedArray<unknown>(bus, String(d.name), (o.init ?? o.length) as unknown[] | number | undefined, o);
  },
});
