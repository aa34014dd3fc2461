import { registerHandleKind, type BusLike } from './handle.js';
import { ItemsHandle } from './items-handle.js';
import { creationOptions, descriptorOptions, type StateOptions, type WriteOptions } from './state-handle.js';

/**
 * A list held by the hub, as a `multiprocessing.Manager().list()`, across processes: JSON values.
 * Indexes are Python's: negative from the end; outside the items is ERR_INVALID_ARGUMENT
 * (Python's IndexError). Created by the first open of its name (empty, or with its initial
 * items), kept until the hub stops. Every operation is atomic at the hub and resolves once
 * applied; operations not awaited are applied in the order made.
 */
export class SharedList<T = unknown> extends ItemsHandle<T> {
  constructor(bus: BusLike, name: string, initial?: readonly T[], options: StateOptions = {}) {
    super(bus, 'list', name, creationOptions({ init: initial }, options));
  }

  /** Adds `value` at the end. */
  append(value: T, options?: WriteOptions): Promise<void> {
    return this.write('append', { value }, options);
  }

  /** Adds every one of `values` at the end, in one change. */
  extend(values: readonly T[], options?: WriteOptions): Promise<void> {
    return this.write('extend', { values }, options);
  }

  /** Inserts `value` before `index` (Python's: clamped to the list, so a large index appends). */
  insert(index: number, value: T, options?: WriteOptions): Promise<void> {
    return this.write('insert', { index, value }, options);
  }

  /** Removes the item at `index` (default the last) and resolves with it; an empty list is ERR_INVALID_ARGUMENT. */
  pop(index?: number, options?: WriteOptions): Promise<T> {
    return this.value<T>('pop', index === undefined ? null : { index }, options);
  }

  /** Removes the first item equal to `value` (JSON equality); none is ERR_NOT_FOUND (Python's ValueError). */
  remove(value: T, options?: WriteOptions): Promise<void> {
    return this.write('remove', { value }, options);
  }

  /** The index of the first item equal to `value`, from `start` to before `end`; none is ERR_NOT_FOUND. */
  index(value: T, start?: number, end?: number): Promise<number> {
    return this.value<number>('index', { value, start, end });
  }

  /** How many items equal `value`. */
  count(value: T): Promise<number> {
    return this.value<number>('count', { value });
  }

  /** Reverses the items in place. */
  reverse(options?: WriteOptions): Promise<void> {
    return this.write('reverse', null, options);
  }

  /** Sorts the items in JSON's order (docs/state.md), descending with `reverse`. */
  sort(sortOptions?: { reverse?: boolean } | null, options?: WriteOptions): Promise<void> {
    return this.write('sort', { reverse: sortOptions?.reverse ?? false }, options);
  }

  /** Removes every item. */
  clear(options?: WriteOptions): Promise<void> {
    return this.write('clear', null, options);
  }
}

registerHandleKind<SharedList>({
  name: 'list',
  is: (v): v is SharedList => v instanceof SharedList,
  describe: (l) => l.toJSON(),
  revive: (d, bus) => {
    const o = descriptorOptions(d);
    return new SharedList(bus, String(d.name), o.init as unknown[] | undefined, o);
  },
});
