import type { Observable, Subscription } from 'rxjs';
import type { Delivery } from './inbound.js';

/**
 * Turns a stream of deliveries (received with prefetch 1) into an async iterator that pulls one
 * value at a time: a value is acknowledged, and the next one requested, when the loop asks for
 * the next value, i.e. once the loop body that got it has finished. `break` unsubscribes, which
 * gives back what was not processed.
 */
export function pull<T>(deliveries: Observable<Delivery<T>>): AsyncIterableIterator<T> {
  const ready: Delivery<T>[] = [];
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  let terminal: { err?: unknown } | undefined;
  let last: Delivery<T> | undefined;
  let sub: Subscription | undefined;

  const settle = () => {
    if (!waiter) return;
    const w = waiter;
    const d = ready.shift();
    if (d) {
      waiter = undefined;
      last = d;
      w.resolve({ value: d.value, done: false });
    } else if (terminal) {
      waiter = undefined;
      if (terminal.err !== undefined) w.reject(terminal.err);
      else w.resolve({ value: undefined, done: true });
    }
  };

  const iterator: AsyncIterableIterator<T> = {
    next() {
      last?.ack();
      last = undefined;
      sub ??= deliveries.subscribe({
        next: (d) => { ready.push(d); settle(); },
        error: (err) => { terminal = { err }; settle(); },
        complete: () => { terminal = {}; settle(); },
      });
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        settle();
      });
    },
    return() {
      last?.ack();
      last = undefined;
      terminal ??= {};
      sub?.unsubscribe();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

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
