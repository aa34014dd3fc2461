import { Observable } from 'rxjs';
import { ClosedError, ConnectionLostError, InvalidArgumentError, NotOwnerError, ProtocolError } from '../errors.js';
import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { RequestChannel } from './request-channel.js';
import { LOCK_TYPES, MAX_PERMITS } from '../bus/resources/lock-options.js';
import type { AcquireOptions, Hold, LockType } from './lock-types.js';
import './dispose.js';

export type { AcquireOptions, Hold, LockType } from './lock-types.js';

interface Granted {
  token: number;
  abandoned: boolean;
}

/** A hold of this handle: its object, and what the hub last said of it. */
interface HoldRecord {
  hold: Hold;
  depth: number;
  token: number;
  abandoned: boolean;
  /** Its lease (ms), and the timer that forgets it once the lease ran out. */
  term?: number;
  /** In a condition's wait: freed at the hub until the wait gets the lock back. */
  parked?: boolean;
  expiry?: NodeJS.Timeout;
}

/** What a release that resolved at once answers: one settled promise for all of them. */
const RELEASED: Promise<void> = Promise.resolve();

/** An InvalidArgumentError when `options[key]` is given and not a finite number of ms >= 0. */
function badMs(options: { timeout?: number; lease?: number }, key: 'timeout' | 'lease'): InvalidArgumentError | undefined {
  const v = options[key];
  if (v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0)) return undefined;
  return new InvalidArgumentError(`${key} must be a number of milliseconds >= 0, got ${String(v)}`);
}

/** The hub's answer to a release: that hold's token (null: a semaphore's added permit) and the depth left. */
interface Released {
  token: number | null;
  depth: number;
}

/**
 * A lock or semaphore held by the hub, as Python's `multiprocessing.Lock`, `RLock`, `Semaphore`
 * and `BoundedSemaphore`, across processes. The holder is this handle: two handles, in one process
 * or two, are two owners. Waiters are served first come, first served. When the holder's
 * connection closes (its process dies, even by SIGKILL), the hub frees what it held and the next
 * hold says `abandoned`. Requests are pipelined on one channel, opened on first use and closed
 * after 100 ms with nothing held or waiting.
 */
export class Lock {
  /** A failure the hub answered to a release that had resolved at once (see `releaseHold`). */
  private failure: Error | undefined;
  /** Its channel: one owner at the hub, kept open while this handle holds something. */
  private readonly channel: RequestChannel;
  /** Holds of this handle, by token (an RLock's one hold counts its depth), oldest first. */
  private readonly holds = new Map<number, HoldRecord>();

  constructor(private readonly bus: BusLike, readonly name: string, readonly type: LockType = 'lock', readonly value?: number) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      throw new InvalidArgumentError(`a lock's name must be a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    if (!(LOCK_TYPES as readonly string[]).includes(type)) {
      throw new InvalidArgumentError(`a lock's type is one of ${LOCK_TYPES.join(', ')}, got ${String(type).slice(0, 32)}`);
    }
    const semaphore = type === 'semaphore' || type === 'bounded-semaphore';
    if (semaphore && !(value === undefined || (Number.isSafeInteger(value) && value >= 0 && value <= MAX_PERMITS))) {
      throw new InvalidArgumentError(`a semaphore's value is an integer from 0 to ${MAX_PERMITS}, got ${value}`);
    }
    this.channel = new RequestChannel(bus, {
      kind: 'lock',
      name,
      role: 'hold',
      openOptions: semaphore && value !== undefined ? { type, value } : { type },
      unordered: true,
      keep: () => this.holds.size > 0,
      // The hub freed what this channel held.
      gone: () => this.holds.clear(),
    });
  }

  /**
   * Waits for the lock (first come, first served) and resolves with the hold. Rejects with
   * ERR_TIMEOUT once `timeout` passed, with the signal's reason once it aborted; neither leaves
   * anything held. An RLock's holder re-enters at once (the same token; as many releases needed).
   */
  acquire(options: AcquireOptions = {}): Promise<Hold> {
    const { signal } = options;
    const bad = badMs(options, 'timeout') ?? badMs(options, 'lease') ?? this.takeFailure();
    if (bad) return Promise.reject(bad);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Hold>((resolve, reject) => {
      let cancel = (): void => undefined;
      const onAbort = () => {
        cancel();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      cancel = this.acquiring(options, (err, hold) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(hold!);
      });
    });
  }

  /** Python's `acquire(block=False)`: the hold if the lock is free now, else undefined. */
  tryAcquire(options: { lease?: number } = {}): Promise<Hold | undefined> {
    const bad = badMs(options, 'lease');
    if (bad) return Promise.reject(bad);
    return this.request<Granted | null>('acquire', { wait: false, lease: options.lease }).then((g) => (g ? this.held(g, options.lease) : undefined));
  }

  /**
   * Releases this handle's oldest hold (an RLock's: one level of it). With nothing held, a
   * Semaphore gets one more permit (as Python's `release()`); a Lock, RLock or BoundedSemaphore
   * rejects with ERR_NOT_OWNER.
   */
  release(): Promise<void> {
    const oldest = this.oldest();
    if (oldest) return this.releaseHold(oldest);
    const failed = this.takeFailure();
    if (failed) return Promise.reject(failed);
    return this.request<Released>('release', {}).then((r) => this.released(r));
  }

  /**
   * Releases one level of the hold `rec`. A hold with no lease is this handle's for certain until
   * released (only its channel's end frees it otherwise), so this resolves at once: the release is
   * on its way, and the hub applies it before any later request of this handle. A hold with a
   * lease may have expired at the hub: that waits for the hub's answer (ERR_NOT_OWNER if so).
   */
  private releaseHold(rec: HoldRecord): Promise<void> {
    const failed = this.takeFailure();
    if (failed) return Promise.reject(failed);
    if (rec.term !== undefined || this.holds.get(rec.token) !== rec) {
      return this.request<Released>('release', { token: rec.token }).then((r) => this.released(r));
    }
    if (--rec.depth === 0) {
      clearTimeout(rec.expiry);
      this.holds.delete(rec.token);
    }
    this.ask<Released>('release', { token: rec.token }, (err) => {
      // Not expected of a hold with no lease; kept for the next call rather than lost.
      if (err && !(err instanceof ClosedError || err instanceof ConnectionLostError)) this.failure ??= err;
    });
    return RELEASED;
  }

  /** A failure of a release that resolved before the hub answered, once: the next call rejects with it. */
  private takeFailure(): Error | undefined {
    const failed = this.failure;
    this.failure = undefined;
    return failed;
  }

  /** Runs `fn` holding the lock; releases when it returns or throws, and settles as it did. */
  async withLock<R>(fn: () => R | Promise<R>, options: AcquireOptions = {}): Promise<R> {
    const hold = await this.acquire(options);
    try {
      return await fn();
    } finally {
      await hold.release();
    }
  }

  /**
   * Acquires on subscribe, emits the hold, and releases it on unsubscribe; unsubscribed before
   * the grant, it leaves the line. Errors as `acquire` rejects. No promise is involved, so it runs
   * in virtual time in marble tests.
   */
  acquire$(options: Omit<AcquireOptions, 'signal'> = {}): Observable<Hold> {
    return new Observable<Hold>((subscriber) => {
      const bad = badMs(options, 'timeout') ?? badMs(options, 'lease');
      if (bad) return subscriber.error(bad);
      let hold: Hold | undefined;
      const cancel = this.acquiring(options, (err, h) => {
        if (err) return subscriber.error(err);
        hold = h!;
        subscriber.next(hold);
      });
      return () => {
        if (hold) this.releaseNow(hold.token);
        else cancel();
      };
    });
  }

  /**
   * Asks for the lock; `done` runs once with the hold or the error. The returned function gives
   * up (before `done` ran): the acquire leaves the line, and a grant that crossed it is released.
   */
  private acquiring(options: Omit<AcquireOptions, 'signal'>, done: (err: Error | undefined, hold?: Hold) => void): () => void {
    let state: 'asking' | 'settled' | 'cancelled' = 'asking';
    const id = this.ask<Granted | null>('acquire', { timeout: options.timeout, lease: options.lease }, (err, g) => {
      if (state === 'cancelled') {
        // Given back as it came: an abandoned permit stays so for the next holder.
        if (g) this.ask('release', { token: g.token, ...(g.abandoned ? { abandoned: true } : {}) }, () => undefined);
        return;
      }
      state = 'settled';
      if (err) return done(err);
      let hold: Hold;
      try {
        hold = this.held(g ?? null, options.lease);
      } catch (e) {
        return done(e as Error);
      }
      done(undefined, hold);
    });
    return () => {
      if (state !== 'asking') return;
      state = 'cancelled';
      if (id !== 0) this.ask('cancel', { id }, () => undefined);
    };
  }

  /** Releases the hold `token` without a promise (a teardown's, a cancelled grant's); errors are dropped. */
  private releaseNow(token: number): void {
    const rec = this.holds.get(token);
    if (rec) this.releaseHold(rec).catch(() => undefined);
    else this.ask<Released>('release', { token }, (err, r) => void (!err && r && this.released(r)));
  }

  /**
   * Resolves once the hub has applied every request this handle sent before it (a round trip):
   * after a `release()`, which resolves before that, for a process that learns of the release
   * by another way than this connection to find the lock free.
   */
  async flush(): Promise<void> {
    await this.state();
  }

  /** Whether anyone holds every permit now (a round trip; as Python's `locked()`). */
  async locked(): Promise<boolean> {
    return (await this.state()).available === 0;
  }

  /** Permits free now (Python's `Semaphore.get_value()`; a round trip). */
  async getValue(): Promise<number> {
    return (await this.state()).available;
  }

  /** The handle as plain data, for passing to a child process. */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'lock', address: this.bus.addressSpec(), name: this.name, type: this.type, ...(this.value === undefined ? {} : { value: this.value }) };
  }

  private async state(): Promise<{ available: number }> {
    const s = await this.request<{ available?: unknown }>('state');
    const available = s?.available;
    if (typeof available !== 'number' || !Number.isSafeInteger(available) || available < 0) {
      throw new ProtocolError(`lock '${this.name}': the hub answered state with available = ${String(available).slice(0, 32)}, not a count`);
    }
    return { available };
  }

  /** The hold for a grant (an RLock's re-entry adds a level to the hold it has). */
  private held(g: Granted | null, lease?: number): Hold {
    if (!g || typeof g.token !== 'number') throw new ProtocolError(`lock '${this.name}': the hub answered acquire with no token`);
    const mine = this.holds.get(g.token);
    if (mine) {
      mine.depth++;
      return mine.hold;
    }
    // The hold's token changes when a condition's wait gives the lock up and gets it back.
    const rec: HoldRecord = { hold: undefined as unknown as Hold, depth: 1, token: g.token, abandoned: g.abandoned === true };
    const hold: Hold = {
      get token() {
        return rec.token;
      },
      get abandoned() {
        return rec.abandoned;
      },
      release: () => this.releaseHold(rec),
      renew: (ms?: number) => {
        const bad = badMs({ lease: ms }, 'lease');
        if (bad) return Promise.reject(bad);
        return this.request<null>('renew', { token: rec.token, lease: ms }).then(() => this.expireAfter(rec, ms ?? rec.term));
      },
      [Symbol.asyncDispose]: () => (this.holds.get(rec.token) === rec ? hold.release() : Promise.resolve()),
    };
    rec.hold = hold;
    this.holds.set(g.token, rec);
    this.expireAfter(rec, lease);
    return hold;
  }

  /**
   * A hold with a lease is forgotten here once the lease ran out (the hub freed it), unless it
   * was renewed: so that the handle's channel does not stay open for a hold that is gone.
   */
  private expireAfter(rec: HoldRecord, lease: number | undefined): void {
    clearTimeout(rec.expiry);
    rec.term = lease;
    if (lease === undefined) return;
    rec.expiry = setTimeout(() => {
      if (this.holds.get(rec.token) !== rec) return;
      this.holds.delete(rec.token);
      this.channel.linger();
    }, lease);
    rec.expiry.unref();
  }

  /**
   * @internal A condition's wait (docs/sync.md): gives up this handle's oldest hold, waits for a
   * notify of `cond` (or `timeout` ms), and resolves once it holds the lock again, with whether it
   * was notified. The hold keeps its object; its token is the new grant's.
   */
  conditionWait(cond: string, timeout: number | undefined): Promise<boolean> {
    const rec = this.oldest();
    // Parked: the hub freed it; not this handle's to release or wait with meanwhile.
    if (rec) rec.parked = true;
    return this.request<Granted & { notified?: unknown }>('wait', { cond, timeout, token: rec?.token }).then((g) => {
      if (rec) rec.parked = false;
      if (!g || typeof g.token !== 'number') throw new ProtocolError(`lock '${this.name}': the hub answered wait with no token`);
      if (rec) {
        this.holds.delete(rec.token);
        rec.token = g.token;
        rec.abandoned = g.abandoned === true;
        this.holds.set(g.token, rec);
        this.expireAfter(rec, rec.term);
      } else {
        this.held(g);
      }
      return g.notified === true;
    }, (err: Error) => {
      // Refused before it parked (the hold is still this handle's), or the channel went.
      if (rec) rec.parked = false;
      throw err;
    });
  }

  /** This handle's oldest hold that is not parked in a condition's wait. */
  private oldest(): HoldRecord | undefined {
    for (const rec of this.holds.values()) if (!rec.parked) return rec;
    return undefined;
  }

  /** @internal Wakes up to `n` waiters of `cond`; resolves with how many. This handle must hold the lock. */
  conditionNotify(cond: string, n: number): Promise<number> {
    return this.request<number>('notify', { cond, n });
  }

  private released(r: Released): void {
    if (r?.token === null || r?.token === undefined) return;
    // A release that resolved at once has updated this handle already.
    const mine = this.holds.get(r.token);
    if (mine && r.depth === 0) {
      clearTimeout(mine.expiry);
      this.holds.delete(r.token);
    }
    else if (mine) mine.depth = r.depth;
    this.channel.linger();
  }

  private request<T>(op: string, args: unknown = null): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ask<T>(op, args, (err, value) => (err ? reject(err) : resolve(value as T)));
    });
  }

  /** Sends `op` on this handle's channel; `done` runs once with the answer. Returns the request id. */
  private ask<T>(op: string, args: unknown, done: (err: Error | undefined, value?: T) => void): number {
    return this.channel.call<T>(op, args, (err, value) => {
      // A hold this handle thought it had is gone at the hub (its lease ran out).
      const token = (args as { token?: unknown } | null)?.token;
      if (err instanceof NotOwnerError && typeof token === 'number') this.holds.delete(token);
      done(err, value);
    });
  }
}

registerHandleKind<Lock>({
  name: 'lock',
  is: (value): value is Lock => value instanceof Lock,
  describe: (lock) => lock.toJSON(),
  revive: (d, bus) => new Lock(bus, String(d.name), String(d.type ?? 'lock') as LockType, typeof d.value === 'number' ? d.value : undefined),
});
