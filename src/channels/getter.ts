import type { Observable, Subscription } from 'rxjs';
import { InvalidArgumentError, ShutDownError, TimeoutError } from '../errors.js';
import { Deque } from '../bus/deque.js';
import type { Delivery } from './inbound.js';

/** Default time a queue handle keeps its consumer open with no `get()` waiting: 100 ms. */
export const DEFAULT_LINGER_MS = 100;

/** How a getter's consumer takes items ahead of being asked. */
export interface GetterOptions {
  /** How long the consumer stays open with nobody asking (ms). */
  lingerMs: number;
  /** The prefetch a consumer opens with. */
  window: number;
  /** The most it grows to. */
  most: number;
}

/** What the owner of a getter hears. */
export interface GetterHooks {
  /** Raise the open consumer's prefetch by `n`. */
  widen?(n: number): void;
  /** An item was handed to a take that claims it: lend the consumer's sender one credit for it (see `Inbound.advance`). */
  handed?(): void;
  /** A take waits with nothing here: grant now what was lent (see `Inbound.lendNow`). */
  starved?(): void;
  /** A consumer opens. */
  opening?(): void;
  /** The consumer closes: from this side (before the items here go back), or it ended or failed. */
  closing?(): void;
}

interface Taker<T> {
  resolve(d: Delivery<T> | undefined): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

/**
 * The pull side of one queue handle, behind `get()`, `getNowait()` and `for await`: one consumer
 * (a subscription of `deliveries`, with its prefetch) opened by the first take and kept while
 * takes keep coming, so that a loop of takes pays no round trip per item.
 *
 * Items arrive within the consumer's credit and wait here, unacknowledged, until taken; takers
 * are served in the order they asked. Once no take has waited for `lingerMs`, the consumer
 * closes: the hub puts the items still here back at the front of the queue, in order, for the
 * other consumers. The next take opens a consumer again. An end or an error of the consumer
 * reaches the takers after the items that came before it; the take after that opens anew (a
 * queue's name can start again once it ended).
 */
export class Getter<T> {
  private sub: Subscription | undefined;
  /** The subscription `sub` is, to tell its end from a closed one's. */
  private current: { over: boolean } | undefined;
  private readonly ready = new Deque<Delivery<T>>();
  private readonly takers = new Set<Taker<T>>();
  private terminal: { err?: Error } | undefined;
  private idle: NodeJS.Timeout | undefined;
  /** When the last take was asked for (`performance.now()`). */
  private lastTake = 0;
  /** Takes whose item is still being processed (loop bodies, see `take`), which keep the consumer. */
  private holds = 0;

  private readonly lingerMs: number;
  /** The open consumer's prefetch, and the items it delivered since it was last widened. */
  private window = 0;
  private came = 0;

  constructor(
    private readonly deliveries: (window: number) => Observable<Delivery<T>>,
    private readonly options: GetterOptions,
    private readonly hooks: GetterHooks = {},
  ) {
    const { lingerMs, window, most } = options;
    if (!Number.isFinite(lingerMs) || lingerMs < 0) {
      throw new InvalidArgumentError(`lingerMs must be a number of milliseconds >= 0, got ${lingerMs}`);
    }
    if (!Number.isSafeInteger(most) || most < 1 || !Number.isSafeInteger(window) || window < 1 || window > most) {
      throw new InvalidArgumentError(`prefetch must be a positive integer, got ${most}`);
    }
    this.lingerMs = lingerMs;
  }

  /**
   * Takes the next item: resolves with `map` of its delivery (to `ack()` once processed), or of
   * undefined once the queue ended and drained (`map` may throw: the take then rejects with that).
   * With `timeout` (ms), rejects with ERR_TIMEOUT when none came in time (0: only an item already
   * here); `what` names the queue in that error. `claim` runs when the item is handed over, in the
   * same turn (a `get()` counts it as taken then), and marks it as one whose credit is lent back at
   * once (see `GetterHooks.handed`); a loop body instead calls `hold` and `unhold` around it.
   */
  take<R>(
    timeout: number | undefined,
    what: string,
    map: (d: Delivery<T> | undefined) => R,
    claim?: (d: Delivery<T>) => void,
  ): Promise<R> {
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      return Promise.reject(new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`));
    }
    this.lastTake = performance.now();
    // The loop's usual case: an item is here and nobody waits before this take.
    if (this.takers.size === 0 && this.ready.length > 0) {
      const d = this.ready.shift()!;
      this.handOut(d, claim);
      return Promise.resolve(map(d));
    }
    return new Promise((resolve, reject) => {
      const taker: Taker<T> = {
        resolve: (d) => {
          if (d) this.handOut(d, claim);
          try {
            resolve(map(d));
          } catch (err) {
            reject(err);
          }
        },
        reject,
      };
      this.takers.add(taker);
      this.serve();
      if (!this.takers.has(taker)) return;
      this.widen();
      this.hooks.starved?.();
      this.subscribe();
      if (!this.takers.has(taker) || timeout === undefined) return;
      taker.timer = setTimeout(() => {
        this.takers.delete(taker);
        reject(new TimeoutError(`no item on ${what} within ${timeout} ms: wait longer, or check that something puts items`));
        this.linger();
      }, timeout);
    });
  }

  /**
   * A take found nothing here after a whole window came since the last widening: takes outrun the
   * window, so it doubles (up to `most`). A consumer whose takes are slow keeps a small one.
   */
  private widen(): void {
    if (!this.sub || this.came < this.window || this.window >= this.options.most) return;
    const more = Math.min(this.window, this.options.most - this.window);
    this.window += more;
    this.came = 0;
    this.hooks.widen?.(more);
  }

  /**
   * A claimed item (a `get()`'s, settled only at a later call) gets its credit lent back at once,
   * so items being processed never use up the window: concurrent `get()`s cannot starve.
   * A loop body's item keeps its credit until the body is done.
   */
  private handOut(d: Delivery<T>, claim: ((d: Delivery<T>) => void) | undefined): void {
    if (!claim) return;
    this.hooks.handed?.();
    claim(d);
  }

  /** True when an item is here, ready to be taken at once. */
  get holding(): boolean {
    return this.ready.length > 0;
  }

  /** Opens the consumer if it is not open (items then come ahead of the next take). */
  open(): void {
    this.lastTake = performance.now();
    this.subscribe();
    this.linger();
  }

  /** A loop body began processing a taken item: the consumer stays open until `unhold`. */
  hold(): void {
    this.holds++;
  }

  /** The loop body is done, or the loop left. */
  unhold(): void {
    if (this.holds > 0) this.holds--;
    this.linger();
  }

  /**
   * A loop left: closes the consumer now (its items go back to the queue) unless another take
   * waits or another loop body runs, which keep it (it lingers out as usual).
   */
  leave(): void {
    if (this.takers.size > 0 || this.holds > 0) return this.linger();
    this.stopLinger();
    this.close();
  }

  /** The connection closes: the consumer closes, items here go back, and waiting takes reject with `err`. */
  shut(err: Error): void {
    this.stopLinger();
    this.close();
    const takers = [...this.takers];
    this.takers.clear();
    for (const t of takers) {
      clearTimeout(t.timer);
      t.reject(err);
    }
  }

  private subscribe(): void {
    if (this.sub) return;
    this.terminal = undefined;
    this.hooks.opening?.();
    const mine = { over: false };
    this.window = this.options.window;
    this.came = 0;
    const sub = this.deliveries(this.window).subscribe({
      next: (d) => {
        this.came++;
        this.ready.push(d);
        this.serve();
      },
      error: (err: Error) => this.finish(mine, { err }),
      complete: () => this.finish(mine, {}),
    });
    // A subscription that ended at once has already run `finish`.
    if (!mine.over) {
      this.sub = sub;
      this.current = mine;
    }
  }

  private finish(which: { over: boolean }, terminal: { err?: Error }): void {
    which.over = true;
    if (this.current !== which && this.sub) return;
    this.current = undefined;
    this.terminal = terminal;
    this.sub = undefined;
    // A shut-down queue: what was prefetched is not handed out (the hub dropped it, as done, when
    // the closed channel gave it back); takes get ERR_SHUTDOWN now, as Python's get() does.
    if (terminal.err instanceof ShutDownError) while (this.ready.shift());
    this.hooks.closing?.();
    this.serve();
  }

  /** Hands items (then the end, once they are all taken) to the takers, oldest first. */
  private serve(): void {
    if (this.takers.size === 0) return this.linger();
    let ended = false;
    for (const taker of this.takers) {
      const d = this.ready.shift();
      if (!d && !this.terminal) break;
      this.takers.delete(taker);
      clearTimeout(taker.timer);
      if (d) {
        taker.resolve(d);
        // Takes still wait with nothing here: they outrun the window.
        if (this.ready.length === 0 && this.takers.size > 0) {
          this.widen();
          this.hooks.starved?.();
        }
        continue;
      }
      ended = true;
      if (this.terminal!.err) taker.reject(this.terminal!.err);
      else taker.resolve(undefined);
    }
    // The end reached the takers of its time; a take after them opens a consumer anew.
    if (ended) this.terminal = undefined;
    this.linger();
  }

  /** With nobody waiting and no item being processed, closes the consumer after `lingerMs`. */
  private linger(): void {
    if (this.idle || !this.sub || this.takers.size > 0 || this.holds > 0) return;
    // One timer, not one per take: when it fires early (a take came since), it waits the rest.
    const check = (): void => {
      this.idle = undefined;
      if (!this.sub || this.takers.size > 0 || this.holds > 0) return;
      const rest = this.lastTake + this.lingerMs - performance.now();
      if (rest > 0) {
        this.idle = setTimeout(check, rest);
        this.idle.unref();
      } else {
        this.close();
      }
    };
    this.idle = setTimeout(check, Math.max(0, this.lastTake + this.lingerMs - performance.now()));
    this.idle.unref();
  }

  private stopLinger(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
  }

  /** Unsubscribes: the items not taken go back to the queue (the consumer channel closes). */
  private close(): void {
    const sub = this.sub;
    if (!sub) return;
    this.hooks.closing?.();
    this.sub = undefined;
    this.current = undefined;
    while (this.ready.shift());
    sub.unsubscribe();
  }
}

/** A `for await` take's answer: the delivery itself. */
const same = <D>(d: D): D => d;

/**
 * A `for await` loop over `getter`: each item counts as processed (acknowledged) when the loop
 * asks for the next one, i.e. once the body that got it finished; while a body runs the consumer
 * stays open; `return()` (a `break`) closes it unless another take uses it. `label` names the
 * queue in errors.
 */
export function iterate<T>(getter: Getter<T>, label: string): AsyncIterableIterator<T> {
  let last: Delivery<T> | undefined;
  let done = false;
  const settle = () => {
    if (!last) return;
    last.ack();
    last = undefined;
    getter.unhold();
  };
  const iterator: AsyncIterableIterator<T> = {
    next: async () => {
      settle();
      if (done) return { value: undefined, done: true };
      const d = await getter.take(undefined, label, same);
      if (!d) {
        done = true;
        return { value: undefined, done: true };
      }
      last = d;
      getter.hold();
      return { value: d.value, done: false };
    },
    return: async () => {
      settle();
      if (!done) getter.leave();
      done = true;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
