import { throwError, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors.js';
import { registerHandleKind, type BusLike } from './handle.js';
import { creationOptions, descriptorOptions, StateHandle, type Change, type StateOptions, type UpdateOptions, type WriteOptions } from './state-handle.js';

/** A key of a dict, or a path of keys from the top into nested objects. Keys are strings (JSON's). */
export type DictKey = string | readonly string[];

/**
 * A dict held by the hub, as a `multiprocessing.Manager().dict()`, across processes: string keys
 * in the order first set, JSON values. A path (`['a', 'b']`) reaches into nested objects in one
 * atomic request, so a nested change is never lost as a Manager proxy loses it. Created by the
 * first open of its name (empty, or with its initial entries), kept until the hub stops. Every
 * operation is atomic at the hub and resolves once applied; operations not awaited are applied in
 * the order made.
 */
export class SharedDict<V = unknown> extends StateHandle {
  constructor(bus: BusLike, name: string, initial?: Readonly<Record<string, V>>, options: StateOptions = {}) {
    super(bus, 'dict', name, creationOptions({ init: initial }, options));
  }

  /** The value at `key` (or at the end of a path); `undefined` when a key on the way is missing. */
  get(key: DictKey): Promise<V | undefined> {
    return this.keyed(key, (path) => this.value<V | undefined>('get', { path }));
  }

  /** Sets the value at `key`; a path creates the objects missing on the way (through a value that is not an object: ERR_INVALID_ARGUMENT). */
  set(key: DictKey, value: V, options?: WriteOptions): Promise<void> {
    return this.keyed(key, (path) => this.write('set', { path, value }, options));
  }

  /** Deletes `key` (or the end of a path); resolves with whether it was there. */
  delete(key: DictKey, options?: WriteOptions): Promise<boolean> {
    return this.keyed(key, (path) => this.value<boolean>('delete', { path }, options));
  }

  /** Whether `key` (or the end of a path) is there (Python's `k in d`). */
  has(key: DictKey): Promise<boolean> {
    return this.keyed(key, (path) => this.value<boolean>('has', { path }));
  }

  /** The keys, in the order first set. */
  keys(): Promise<string[]> {
    return this.value<string[]>('keys');
  }

  /** The values, in the keys' order. */
  values(): Promise<V[]> {
    return this.value<V[]>('values');
  }

  /** The entries, in the keys' order. */
  entries(): Promise<[string, V][]> {
    return this.value<[string, V][]>('all');
  }

  /** How many keys (Python's `len(d)`). */
  size(): Promise<number> {
    return this.value<number>('size');
  }

  /** The whole dict as an object (JavaScript's key order: integer-like keys first; `entries()` keeps the dict's). */
  toObject(): Promise<Record<string, V>> {
    return this.entries().then((e) => Object.fromEntries(e));
  }

  /** The whole dict and the revision it is at. */
  snapshot(): Promise<{ value: Record<string, V>; revision: number }> {
    return this.ask('all').then((a) => ({ value: Object.fromEntries(a.value as [string, V][]), revision: a.revision }));
  }

  /** Sets every entry of `entries` in one change (Python's `d.update(other)`). */
  update(entries: Readonly<Record<string, V>> | readonly (readonly [string, V])[], options?: WriteOptions): Promise<void>;
  /**
   * Reads the value at `key`, computes `fn(value)` here (`undefined` when missing), sets the
   * result if the dict did not change in between, else again (at most `maxRetries` times).
   * Resolves with what was set.
   */
  update(key: DictKey, fn: (current: V | undefined) => V | Promise<V>, options?: UpdateOptions): Promise<V>;
  update(a: unknown, b?: unknown, c?: unknown): Promise<unknown> {
    if (typeof b === 'function') {
      const fn = b as (current: V | undefined) => V | Promise<V>;
      return this.keyed(a as DictKey, (path) =>
        this.retry(() => this.ask('get', { path }), (ans) => fn(ans.value as V | undefined), (next, w) => this.set(path, next, w), c as UpdateOptions));
    }
    if (typeof a !== 'object' || a === null) return Promise.reject(new InvalidArgumentError('update takes an object or a list of [key, value] entries, or a key and a function'));
    const entries = Array.isArray(a) ? a : Object.entries(a);
    return this.write('update', { entries }, b as WriteOptions | undefined);
  }

  /** `update(key, fn)` as an Observable (with a synchronous `fn`, and no promise): emits what it set, then completes. */
  update$(key: DictKey, fn: (current: V | undefined) => V, options?: UpdateOptions): Observable<V> {
    const path = typeof key === 'string' ? [key] : Array.isArray(key) && key.length > 0 && key.every((k) => typeof k === 'string') ? [...(key as string[])] : undefined;
    if (!path) return throwError(() => new InvalidArgumentError("a dict's keys are strings (JSON's), or a path is a list of them: use String(key)"));
    return this.retry$(['get', { path }], (v) => fn(v as V | undefined), (value) => ['set', { path, value }], options);
  }

  /** The value at `key`; if missing, sets it to `value` first (Python's `setdefault`). */
  setDefault(key: string, value: V, options?: WriteOptions): Promise<V> {
    return this.value<V>('setDefault', { key, value }, options);
  }

  /** Removes `key` and resolves with its value; if missing, with `dflt` when given (not undefined), else ERR_NOT_FOUND (Python's KeyError). */
  pop(key: string, dflt?: V, options?: WriteOptions): Promise<V> {
    return this.value<V>('pop', dflt !== undefined ? { key, default: dflt } : { key }, options);
  }

  /** Removes every key. */
  clear(options?: WriteOptions): Promise<void> {
    return this.write('clear', null, options);
  }

  protected override fromWire(change: Change): Change {
    if (change.op !== 'snapshot' || !Array.isArray(change.value)) return change;
    const entries = change.value as [string, unknown][];
    return { ...change, value: Object.fromEntries(entries), entries };
  }

  /** Runs `fn` with `key` as a path; rejects at once when it is not a string or a list of strings. */
  private keyed<R>(key: DictKey, fn: (path: string[]) => Promise<R>): Promise<R> {
    const path = typeof key === 'string' ? [key] : Array.isArray(key) ? [...(key as string[])] : undefined;
    if (!path || path.length === 0 || !path.every((k) => typeof k === 'string')) {
      return Promise.reject(new InvalidArgumentError(`a dict's keys are strings (JSON's), or a path is a list of them, got ${typeof key === 'object' ? JSON.stringify(key)?.slice(0, 64) : String(key)}: use String(key), as Python's d[1] is d.get('1') here`));
    }
    return fn(path);
  }
}

registerHandleKind<SharedDict>({
  name: 'dict',
  is: (v): v is SharedDict => v instanceof SharedDict,
  describe: (d) => d.toJSON(),
  revive: (d, bus) => {
    const o = descriptorOptions(d);
    return new SharedDict(bus, String(d.name), o.init as Record<string, unknown> | undefined, o);
  },
});
