import { InvalidArgumentError, PipeBusyError, TimeoutError } from '../errors.js';
import { DONE, type Inbound, type Reader } from './inbound.js';

interface Taker {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Pull mode of one receiving end (`take`, `poll`): the reader that takes values one at a time
 * from what the end's credit already brought, so a loop of takes pays no round trip per value.
 * The value taken last counts as processed at the next take (or on `settleTaken`, `release`).
 * Made by the end's first take or poll; it stays the end's reader until `release`.
 */
export class Puller<T> implements Reader {
  readonly pull = true;
  /** Sequence number of the value last taken, not yet processed (0: none). */
  private last = 0;
  /** A `take` waiting for a value. */
  private taker: Taker | undefined;
  /** `poll`s waiting for a value. */
  private readonly polls = new Set<(ready: boolean) => void>();

  constructor(private readonly inbound: Inbound<T>, private readonly what: string) {}

  /** Reader: hands a value to the waiting take, or tells the polls one is waiting (false: it stays in the inbox). */
  deliver(payload: string, seq: number): boolean {
    const taker = this.taker;
    if (!taker) {
      this.wake(undefined, true);
      return false;
    }
    this.taker = undefined;
    clearTimeout(taker.timer);
    this.give(payload, seq, taker.resolve, taker.reject);
    return true;
  }

  /** Reader: the end arrived (or the channel failed) with nothing left to take. */
  finish(err: Error | undefined): void {
    this.wake((t) => (err ? t.reject(err) : t.resolve(DONE)), false);
  }

  /**
   * Takes the next value. The value taken before counts as processed now. Resolves with `DONE`
   * once the end arrived and every value was taken; rejects with the channel's error after the
   * values before it, with ERR_TIMEOUT when none came within `timeout` ms, with ERR_PIPE_BUSY
   * while another take waits.
   */
  take(timeout?: number): Promise<T | typeof DONE> {
    return new Promise((resolve, reject) => {
      const bad = badTimeout(timeout);
      if (bad) return reject(bad);
      if (this.taker) return reject(new PipeBusyError(`a get() already waits on ${this.what}: await it before the next`));
      this.settleTaken();
      const item = this.inbound.shiftWaiting();
      if (item) return this.give(item[0], item[1], resolve as (v: unknown) => void, reject);
      const ended = this.inbound.ended;
      if (ended) return ended.err ? reject(ended.err) : resolve(DONE);
      if (timeout === 0) return reject(this.timeout(0));
      const taker: Taker = { resolve: resolve as (v: unknown) => void, reject };
      this.taker = taker;
      if (timeout !== undefined) {
        taker.timer = setTimeout(() => {
          this.taker = undefined;
          reject(this.timeout(timeout));
        }, timeout);
      }
    });
  }

  /**
   * Resolves true when a value is waiting to be taken (now, or within `timeout` ms, default 0),
   * false otherwise or once the end arrived with nothing left; takes nothing.
   */
  poll(timeout = 0): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const bad = badTimeout(timeout);
      if (bad) return reject(bad);
      if (this.inbound.waiting > 0) return resolve(true);
      if (this.inbound.ended || timeout === 0) return resolve(false);
      const timer = setTimeout(() => {
        this.polls.delete(done);
        resolve(false);
      }, timeout);
      const done = (ready: boolean) => {
        clearTimeout(timer);
        resolve(ready);
      };
      this.polls.add(done);
    });
  }

  /** The value last taken counts as processed. */
  settleTaken(): void {
    if (this.last === 0) return;
    const seq = this.last;
    this.last = 0;
    this.inbound.processed(seq);
  }

  /** Leaving pull mode: the value last taken counts as processed, a waiting take resolves with `DONE`, waiting polls with false. */
  leave(): void {
    this.settleTaken();
    this.wake((t) => t.resolve(DONE), false);
  }

  private give(payload: string, seq: number, resolve: (v: unknown) => void, reject: (e: Error) => void): void {
    let value: T;
    try {
      value = this.inbound.decodeTaken(payload, seq);
    } catch (err) {
      return reject(err as Error);
    }
    this.last = seq;
    resolve(value);
  }

  /** Settles the waiting take with `settle` (if given) and every waiting poll with `ready`. */
  private wake(settle: ((t: Taker) => void) | undefined, ready: boolean): void {
    const taker = this.taker;
    if (settle && taker) {
      this.taker = undefined;
      clearTimeout(taker.timer);
      settle(taker);
    }
    const polls = [...this.polls];
    this.polls.clear();
    for (const p of polls) p(ready);
  }

  private timeout(ms: number): TimeoutError {
    return new TimeoutError(`no value on ${this.what} within ${ms} ms: wait longer, or poll() first`);
  }
}

function badTimeout(timeout: number | undefined): InvalidArgumentError | undefined {
  if (timeout === undefined || (Number.isFinite(timeout) && timeout >= 0)) return undefined;
  return new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`);
}
