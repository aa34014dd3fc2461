/**
 * An async iterator over a pull-mode reader: `take` gives the next value (prefetched within
 * credit, so no round trip per value) or `done` at the end; taking the next value is what marks
 * the one before as processed. `return()` (a `break`) calls `release`, which marks the last value
 * processed and leaves the values not taken for the next reader.
 */
export function pullTaken<T>(take: () => Promise<T | symbol>, release: () => void, done: symbol): AsyncIterableIterator<T> {
  let finished = false;
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      if (finished) return { value: undefined, done: true };
      try {
        const v = await take();
        if (v !== done) return { value: v as T, done: false };
      } catch (err) {
        finished = true;
        release();
        throw err;
      }
      finished = true;
      release();
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<T>> {
      finished = true;
      release();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
