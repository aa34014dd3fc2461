import type { Observable } from 'rxjs';
import { registerHandleKind, type BusLike } from './handle.js';
import { creationOptions, descriptorOptions, StateHandle, type StateOptions, type Typecode, type UpdateOptions, type WriteOptions } from './state-handle.js';

/** Options of `bus.value()`: a typecode, and the bounds. */
export interface ValueOptions extends StateOptions {
  /** One of Python's typecodes: the hub refuses values not of that type (an `'i'` refuses 3.5 and 2^31). Without it, any JSON. */
  type?: Typecode;
}

/**
 * One value held by the hub, as Python's `multiprocessing.Value`, across processes: created by
 * the first open of its name with its initial value, and kept until the hub stops. Every
 * operation is atomic at the hub and resolves once applied; operations not awaited are applied in
 * the order made. Every change counts one revision (see `watch()`).
 */
export class Value<T = unknown> extends StateHandle {
  constructor(bus: BusLike, name: string, initial?: T, options: ValueOptions = {}) {
    super(bus, 'value', name, creationOptions({ init: initial }, options));
  }

  /** The value now (Python's `v.value`). */
  get(): Promise<T> {
    return this.value<T>('get');
  }

  /** The value now and the revision it is at. */
  snapshot(): Promise<{ value: T; revision: number }> {
    return this.ask('get').then((a) => ({ value: a.value as T, revision: a.revision }));
  }

  /** Sets it (Python's `v.value = x`); resolves once applied. */
  set(value: T, options?: WriteOptions): Promise<void> {
    return this.write('set', { value }, options);
  }

  /** Adds `n` to a number, at the hub in one step (no lost update, no lock needed); resolves with the sum. */
  add(n: number, options?: WriteOptions): Promise<number> {
    return this.value<number>('add', { n }, options);
  }

  /** Sets `next` only if the value equals `expected` now (JSON equality); resolves with whether it did. */
  cas(expected: T, next: T, options?: WriteOptions): Promise<boolean> {
    return this.value<boolean>('cas', { expected, value: next }, options);
  }

  /**
   * Reads the value, computes `fn(value)` here, and sets the result if no other write came in
   * between; on a conflict, does it again (at most `maxRetries` times). Resolves with what was set.
   */
  update(fn: (current: T) => T | Promise<T>, options?: UpdateOptions): Promise<T> {
    return this.retry((() => this.ask('get')), (a) => fn(a.value as T), (next, w) => this.set(next, w), options);
  }

  /** `update` as an Observable (with a synchronous `fn`, and no promise): emits what it set, then completes. */
  update$(fn: (current: T) => T, options?: UpdateOptions): Observable<T> {
    return this.retry$(['get', null], (v) => fn(v as T), (value) => ['set', { value }], options);
  }
}

registerHandleKind<Value>({
  name: 'value',
  is: (v): v is Value => v instanceof Value,
  describe: (v) => v.toJSON(),
  revive: (d, bus) => {
    const o = descriptorOptions(d);
    return new Value(bus, String(d.name), o.init, o);
  },
});
