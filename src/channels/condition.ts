import { InvalidArgumentError } from '../errors.js';
import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { Lock, type AcquireOptions, type Hold } from './lock.js';

/**
 * A condition variable held by the hub, as Python's `multiprocessing.Condition(lock)`, across
 * processes: over a lock or rlock handle (its own rlock of the same name if none is given). Hold
 * the lock (`acquire`, `withLock`) to `wait`, `notify` or `notifyAll`; without it they reject with
 * ERR_NOT_OWNER. `wait` gives the lock up and waits, at the hub, in one step, so no notify is lost
 * in between; it resolves once this handle holds the lock again. Several conditions may share one
 * lock (each has its name).
 */
export class Condition {
  /** The lock this condition is over. */
  readonly lock: Lock;

  constructor(bus: BusLike, readonly name: string, lock?: Lock) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      throw new InvalidArgumentError(`a condition's name must be a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    if (lock && lock.type !== 'lock' && lock.type !== 'rlock') {
      throw new InvalidArgumentError(`a condition is over a lock or an rlock, not a ${lock.type}`);
    }
    this.lock = lock ?? new Lock(bus, name, 'rlock');
  }

  /** Acquires the lock (see `Lock.acquire`). */
  acquire(options?: AcquireOptions): Promise<Hold> {
    return this.lock.acquire(options);
  }

  /** Releases the lock (see `Lock.release`). */
  release(): Promise<void> {
    return this.lock.release();
  }

  /** Runs `fn` holding the lock (see `Lock.withLock`), as Python's `with cond:`. */
  withLock<R>(fn: () => R | Promise<R>, options?: AcquireOptions): Promise<R> {
    return this.lock.withLock(fn, options);
  }

  /**
   * Gives the lock up, waits for a `notify` (or `timeout` ms), then takes the lock again: resolves
   * `true` if notified, `false` if the timeout passed first (Python's return value), once this
   * handle holds the lock again (an rlock as deep as before). The hold keeps its object; its token
   * is the new grant's, and `abandoned` says whether the lock came back from a holder that died.
   */
  wait(options: { timeout?: number } = {}): Promise<boolean> {
    const { timeout } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      return Promise.reject(new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`));
    }
    return this.lock.conditionWait(this.name, timeout);
  }

  /**
   * Python's `wait_for`: waits until `predicate()` is true (checked first, then after each wakeup),
   * or `timeout` ms passed; resolves with the predicate's last value. Hold the lock to call it.
   */
  async waitFor<R>(predicate: () => R | Promise<R>, options: { timeout?: number } = {}): Promise<R> {
    const end = options.timeout === undefined ? Infinity : performance.now() + options.timeout;
    let result = await predicate();
    while (!result) {
      const left = end - performance.now();
      if (left <= 0) break;
      await this.wait(left === Infinity ? {} : { timeout: left });
      result = await predicate();
    }
    return result;
  }

  /** Wakes up to `n` (default 1) waiters; resolves with how many. Hold the lock to call it. */
  notify(n = 1): Promise<number> {
    if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(new InvalidArgumentError(`n must be an integer >= 0, got ${n}`));
    return this.lock.conditionNotify(this.name, n);
  }

  /** Wakes every waiter; resolves with how many. Hold the lock to call it. */
  notifyAll(): Promise<number> {
    return this.lock.conditionNotify(this.name, 2 ** 30);
  }

  /** The handle as plain data, for passing to a child process (its lock goes with it). */
  toJSON(): HandleDescriptor {
    const lock = this.lock.toJSON();
    return { $hostbus: 'condition', address: lock.address, name: this.name, lock };
  }
}

registerHandleKind<Condition>({
  name: 'condition',
  is: (value): value is Condition => value instanceof Condition,
  describe: (condition) => condition.toJSON(),
  revive: (d, bus) => {
    const l = (d.lock ?? {}) as Record<string, unknown>;
    const type = l.type === 'lock' ? 'lock' : 'rlock';
    return new Condition(bus, String(d.name), new Lock(bus, String(l.name ?? d.name), type));
  },
});
