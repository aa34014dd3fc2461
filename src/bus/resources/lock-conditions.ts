import { InvalidArgumentError, LimitError, NotOwnerError } from '../../errors.js';
import { describe } from '../frames.js';
import type { Reply } from '../responder.js';
import type { Channel, ResourceHost } from './resource.js';

/** Largest number of waiters one `notify` names (more is every waiter). */
const MAX_NOTIFY = 2 ** 30;

/** A hold as the conditions see it. */
export interface CondHold {
  token: number;
  depth: number;
  term?: number;
}

/** A waiter moved to the lock's line: granted, it gets its depth back and answers `wait`. */
export interface Rejoining {
  owner: Channel;
  id: number;
  reply: Reply;
  lease: number | undefined;
  depth: number;
  notified: boolean;
}

/** What the conditions need of their lock. */
export interface CondLock {
  readonly name: string;
  readonly host: ResourceHost;
  /** The hold `token` of `owner`, or its oldest with no token; undefined if it holds none. */
  holdOf(owner: Channel, token?: unknown): CondHold | undefined;
  /** Frees `hold` as a release does (not abandoned), its place in `maxHolds` kept for the waiter. */
  release(hold: CondHold): void;
  /** Puts `waiter` at the back of the lock's line (it counts toward `maxWaiting` and `maxHolds` already). */
  rejoin(waiter: Rejoining): void;
}

interface CondWaiter extends Rejoining {
  cond: string;
  cancel?: () => void;
}

/**
 * The conditions of one lock (Python's `Condition(lock)`; several may share a lock, by name).
 * `wait` frees the waiter's hold (all of an rlock's depth) and parks it under its condition;
 * `notify` (only by a holder of the lock) moves the oldest `n` to the back of the lock's line, and
 * a timeout moves its waiter there too: once granted again, with its depth, the `wait` is answered
 * `{token, abandoned, notified}`. A waiter counts toward `maxWaiting` from its `wait` until it
 * holds the lock again; one whose channel closes goes.
 */
export class Conditions {
  /** Parked waiters by condition, oldest first. */
  private readonly waiting = new Map<string, Set<CondWaiter>>();
  /** The same, by channel and request id. */
  private readonly byOwner = new Map<Channel, Map<number, CondWaiter>>();
  private count = 0;

  constructor(private readonly lock: CondLock) {}

  /** Parked waiters, over all conditions. */
  get size(): number {
    return this.count;
  }

  /** True when `owner`'s request `id` is parked here. */
  has(owner: Channel, id: number): boolean {
    return this.byOwner.get(owner)?.has(id) === true;
  }

  /**
   * `{cond, timeout, token}`: parks the waiter; its hold is freed, but its place in `maxHolds` is
   * kept, so that getting the lock back cannot fail.
   */
  wait(owner: Channel, args: Record<string, unknown>, reply: Reply, id: number, timeout: number | undefined): void {
    const cond = condName(args.cond);
    const hold = this.lock.holdOf(owner, args.token);
    if (!hold) throw this.notOwner('wait on');
    if (!this.lock.host.wait(owner.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting requests waiting on the hub already: await some first, or raise maxWaiting on the hub');
    }
    const waiter: CondWaiter = { owner, id, reply, lease: hold.term, depth: hold.depth, notified: false, cond };
    const list = this.waiting.get(cond) ?? new Set<CondWaiter>();
    list.add(waiter);
    this.waiting.set(cond, list);
    const mine = this.byOwner.get(owner) ?? new Map<number, CondWaiter>();
    mine.set(id, waiter);
    this.byOwner.set(owner, mine);
    this.count++;
    if (timeout !== undefined) waiter.cancel = this.lock.host.later(timeout, () => this.move(waiter, false));
    this.lock.release(hold);
  }

  /** `{cond, n}`: moves up to `n` (default 1) waiters of `cond` to the lock's line; answers how many. */
  notify(owner: Channel, args: Record<string, unknown>): number {
    const cond = condName(args.cond);
    const n = args.n ?? 1;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_NOTIFY) {
      throw new InvalidArgumentError(`n is an integer from 0 to ${MAX_NOTIFY}, got ${describe(n)}`);
    }
    if (!this.lock.holdOf(owner)) throw this.notOwner('notify');
    const woken: CondWaiter[] = [];
    for (const w of this.waiting.get(cond) ?? []) {
      if (woken.length >= n) break;
      woken.push(w);
    }
    for (const w of woken) this.move(w, true);
    return woken.length;
  }

  /** A channel closed: its parked waiters go, and their places in `maxWaiting` and `maxHolds`. */
  gone(channel: Channel): void {
    for (const w of [...(this.byOwner.get(channel)?.values() ?? [])]) {
      this.unpark(w);
      this.lock.host.wait(channel.session.id, -1);
      this.lock.host.holding(channel.session.id, -1);
    }
  }

  private move(w: CondWaiter, notified: boolean): void {
    if (!this.unpark(w)) return;
    w.notified = notified;
    this.lock.rejoin(w);
  }

  /** Takes `w` off its condition; false if it was not on it. */
  private unpark(w: CondWaiter): boolean {
    const list = this.waiting.get(w.cond);
    if (!list?.delete(w)) return false;
    if (list.size === 0) this.waiting.delete(w.cond);
    const mine = this.byOwner.get(w.owner);
    mine?.delete(w.id);
    if (mine?.size === 0) this.byOwner.delete(w.owner);
    this.count--;
    w.cancel?.();
    return true;
  }

  private notOwner(what: string): NotOwnerError {
    return new NotOwnerError(`this handle does not hold lock '${this.lock.name}': acquire it before you ${what} one of its conditions`);
  }
}

function condName(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) {
    throw new InvalidArgumentError(`cond is the condition's name, 1 to 256 characters, got ${describe(v)}`);
  }
  return v;
}
