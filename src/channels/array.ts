import { registerHandleKind, type BusLike } from './handle.js';
import { ItemsHandle } from './items-handle.js';
import { creationOptions, descriptorOptions, type WriteOptions } from './state-handle.js';
import type { ValueOptions } from './value.js';

/**
 * A list of fixed length held by the hub, as Python's `multiprocessing.Array`, across processes:
 * created by the first open of its name with its items (or `length` zeros of its type), kept
 * until the hub stops. Indexes are Python's: negative from the end; outside the items is
 * ERR_INVALID_ARGUMENT (Python's IndexError). Every operation is atomic at the hub and resolves
 * once applied; operations not awaited are applied in the order made.
 */
export class SharedArray<T = number> extends ItemsHandle<T> {
  constructor(bus: BusLike, name: string, initialOrLength?: readonly T[] | number, options: ValueOptions = {}) {
    super(bus, 'array', name, creationOptions(typeof initialOrLength === 'number' ? { length: initialOrLength } : { init: initialOrLength }, options));
  }

  /** Adds `n` to the number at `index`, in one step at the hub; resolves with the sum. */
  add(index: number, n: number, options?: WriteOptions): Promise<number> {
    return this.value<number>('add', { index, n }, options);
  }

  /** The items from `start` to before `end` (Python's `a[start:end]`: negative from the end, clamped). */
  slice(start?: number, end?: number): Promise<T[]> {
    return this.value<T[]>('slice', { start, end });
  }

  /** Sets `values.length` items from `start` on, at once (Python's `a[start:start + len(values)] = values`). */
  setSlice(start: number, values: readonly T[], options?: WriteOptions): Promise<void> {
    return this.write('setSlice', { start, values }, options);
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
