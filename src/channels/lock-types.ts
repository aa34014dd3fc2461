// The public types of a lock handle (src/channels/lock.ts).

/** What a lock handle is: Python's Lock, RLock, Semaphore or BoundedSemaphore. */
export type { LockType } from '../bus/resources/lock-options.js';

/** Options of `acquire()`. */
export interface AcquireOptions {
  /** Give up after this many ms: the acquire rejects with ERR_TIMEOUT (0: only if free now). */
  timeout?: number;
  /** Give up when this signal aborts: the acquire rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The hold expires this many ms after it is granted unless renewed (`hold.renew()`). */
  lease?: number;
}

/**
 * One grant of a lock or semaphore, to the handle that acquired it. `token` grows with every
 * grant of that lock, across holders: a fencing token. `abandoned` is true when the permit came
 * from a holder that went without releasing (its process died, its lease ran out): what the lock
 * protects may be half-written.
 */
export interface Hold extends AsyncDisposable {
  readonly token: number;
  readonly abandoned: boolean;
  /**
   * Releases this hold (one level of an RLock's). Without a lease it resolves at once: the release
   * is on its way, applied before any later request of this handle (if the connection drops
   * before it arrives, the hub frees the hold as a dead holder's). With a lease it resolves once
   * the hub applied it, and rejects with ERR_NOT_OWNER if the lease ran out first. Released
   * already: ERR_NOT_OWNER.
   */
  release(): Promise<void>;
  /** Starts the hold's lease again (with `lease` ms, if given); ERR_NOT_OWNER once it expired. */
  renew(lease?: number): Promise<void>;
}
