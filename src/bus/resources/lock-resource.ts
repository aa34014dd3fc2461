import { InvalidArgumentError, LimitError, NotOwnerError, TimeoutError } from '../../errors.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import { Responder, type Reply } from '../responder.js';
import { sameOption, type Channel, type Resource, type ResourceHost } from './resource.js';
import { Conditions, type CondHold, type CondLock, type Rejoining } from './lock-conditions.js';

/** The kinds of lock one resource can be: Python's Lock, RLock, Semaphore and BoundedSemaphore. */
export const LOCK_TYPES = ['lock', 'rlock', 'semaphore', 'bounded-semaphore'] as const;
export type LockType = (typeof LOCK_TYPES)[number];

/** Largest timeout or lease, in ms (what a Node timer can wait: about 24.8 days). */
export const MAX_WAIT_MS = 2 ** 31 - 1;
/** Largest value of a semaphore. */
export const MAX_PERMITS = 2 ** 30;

/**
 * Fencing tokens: one counter for every lock of every hub of this process, so that a lock's
 * tokens grow across holders, and across the hub forgetting an idle lock and making it again.
 */
let lastToken = 0;

/** The lock kind: `k: "lock"`, role `hold`, options `type` and `value`; requests in docs/protocol.md. */
export const lockKind = {
  name: 'lock',
  create: (name: string, open: OpenRequest, host: ResourceHost) => new LockResource(name, readOptions(open), host),
} as const satisfies Kind;

interface Hold {
  token: number;
  owner: Channel;
  /** Acquires of an RLock by its owner not yet released. */
  depth: number;
  /** Its lease, in ms, if it has one. */
  term?: number;
  /** Cancels its lease timer. */
  lease?: () => void;
}

interface Waiter {
  owner: Channel;
  id: number;
  reply: Reply;
  lease: number | undefined;
  /** Cancels its timeout. */
  timer?: () => void;
  /** A condition's waiter back in line: the depth it had, and how its wait ended. */
  rejoining?: Rejoining;
}

function readOptions(open: OpenRequest): { type: LockType; value: number } {
  const o = open.o;
  const type = o?.type ?? 'lock';
  if (typeof type !== 'string' || !(LOCK_TYPES as readonly string[]).includes(type)) {
    throw new InvalidArgumentError(`option type of a lock is one of ${LOCK_TYPES.join(', ')}, got ${describe(type)}`);
  }
  const value = o?.value ?? 1;
  const semaphore = type === 'semaphore' || type === 'bounded-semaphore';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_PERMITS || (!semaphore && value !== 1)) {
    throw new InvalidArgumentError(semaphore
      ? `a semaphore's value is an integer from 0 to ${MAX_PERMITS}, got ${describe(value)}`
      : `a ${type} has no value option (it is 1), got ${describe(value)}`);
  }
  return { type: type as LockType, value };
}

/** Reads an optional duration in ms, in `[0, MAX_WAIT_MS]`. */
function msArg(args: Record<string, unknown>, key: string): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_WAIT_MS) {
    throw new InvalidArgumentError(`${key} is a number of milliseconds from 0 to ${MAX_WAIT_MS}, got ${describe(v)}`);
  }
  return v;
}

function objectArgs(args: unknown): Record<string, unknown> {
  if (args === null || args === undefined) return {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError(`a lock request's arguments are an object, got ${describe(args)}`);
  return args as Record<string, unknown>;
}

/**
 * The hub's side of a lock or semaphore: permits granted first come, first served, each grant a
 * hold of one channel (its owner) with a fencing token that grows with every grant. A hold goes
 * when its owner releases it, when its lease runs out, or when its owner's channel closes (its
 * process died, say); the next grant of that permit then says `abandoned`. Waiters whose channel
 * closes leave the line. An RLock's owner re-enters its hold. A Semaphore's release by a channel
 * that holds none adds a permit (Python's signalling use); a Lock's, an RLock's and a
 * BoundedSemaphore's is ERR_NOT_OWNER.
 *
 * Bounds: waiting acquires count toward the connection's `maxWaiting` on the hub; requests per
 * channel are bounded by the responder's window.
 */
class LockResource implements Resource, CondLock {
  readonly kind = 'lock';
  private available: number;
  private readonly holds = new Map<number, Hold>();
  /** Acquires waiting, oldest first (at most `maxWaiting` per connection). */
  private waiters: Waiter[] = [];
  private readonly owners = new Set<Channel>();
  /** Permits whose holder went without releasing, not granted again yet. */
  private abandoned = 0;
  private last = 0;

  private readonly conditions = new Conditions(this);

  constructor(readonly name: string, private readonly options: { type: LockType; value: number }, readonly host: ResourceHost) {
    this.available = options.value;
  }

  /** Forgotten only when nobody uses it and its permits are as made, none abandoned (a signalled semaphore, an abandoned permit are kept). */
  get idle(): boolean {
    return this.owners.size === 0 && this.holds.size === 0 && this.available === this.options.value && this.abandoned === 0 && this.conditions.size === 0;
  }

  stats() {
    return {
      type: this.options.type,
      value: this.options.value,
      available: this.available,
      holders: this.holds.size,
      waiting: this.waiters.length,
      conditionWaiting: this.conditions.size,
      lastToken: this.last,
      abandoned: this.abandoned,
    };
  }

  attach(channel: Channel, open: OpenRequest): void {
    if (open.r !== 'hold') throw new InvalidArgumentError(`a lock's role is "hold", not ${describe(open.r)}`);
    // Checked as a first open's would be; only what is given is compared.
    readOptions(open);
    sameOption('lock', this.name, 'type', open.o?.type, this.options.type);
    sameOption('lock', this.name, 'value', open.o?.value, this.options.value);
    const responder = new Responder(channel, (op, args, reply, id) => this.serve(channel, op, objectArgs(args), reply, id), false);
    channel.handler = { ...responder.handler, closed: () => this.gone(channel) };
    this.owners.add(channel);
    channel.opened({ type: this.options.type, value: this.options.value });
    responder.start();
  }

  private serve(owner: Channel, op: string, args: Record<string, unknown>, reply: Reply, id: number): void {
    switch (op) {
      case 'acquire':
        return this.acquire(owner, args, reply, id);
      case 'release':
        return reply.ok(this.releaseOf(owner, args.token));
      case 'renew':
        return reply.ok(this.renew(owner, args));
      case 'cancel':
        return reply.ok(this.cancel(owner, args.id));
      case 'state':
        return reply.ok({ available: this.available, holders: this.holds.size, waiting: this.waiters.length, token: this.last });
      case 'wait':
        this.conditional();
        return this.conditions.wait(owner, args, reply, id, msArg(args, 'timeout'));
      case 'notify':
        this.conditional();
        return reply.ok(this.conditions.notify(owner, args));
      default:
        throw new InvalidArgumentError(`lock requests are acquire, release, renew, cancel, state, wait and notify, not ${describe(op)}`);
    }
  }

  /**
   * `{wait, timeout, lease}`: answers `{token, abandoned}` once granted; `null` at once when
   * `wait` is false and no permit is free, or when cancelled; ERR_TIMEOUT once `timeout` passed.
   */
  private acquire(owner: Channel, args: Record<string, unknown>, reply: Reply, id: number): void {
    const timeout = msArg(args, 'timeout');
    const lease = msArg(args, 'lease');
    if (args.wait !== undefined && typeof args.wait !== 'boolean') throw new InvalidArgumentError(`wait is true or false, got ${describe(args.wait)}`);
    if (this.options.type === 'rlock') {
      const mine = this.holdOf(owner);
      if (mine) {
        mine.depth++;
        return reply.ok({ token: mine.token, abandoned: false });
      }
    }
    if (this.available > 0 && this.waiters.length === 0) return reply.ok(this.grant(owner, lease));
    if (args.wait === false || timeout === 0) return timeout === 0 ? reply.fail(this.timedOut(0)) : reply.ok(null);
    if (!this.host.wait(owner.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting requests waiting on the hub already: await some first, or raise maxWaiting on the hub');
    }
    const waiter: Waiter = { owner, id, reply, lease };
    if (timeout !== undefined) {
      waiter.timer = this.host.later(timeout, () => {
        if (!this.leave(waiter)) return;
        reply.fail(this.timedOut(timeout));
      });
    }
    this.waiters.push(waiter);
  }

  /** Conditions are over a lock or an rlock, as Python's. */
  private conditional(): void {
    if (this.options.type !== 'lock' && this.options.type !== 'rlock') {
      throw new InvalidArgumentError(`a condition is over a lock or an rlock, not a ${this.options.type}`);
    }
  }

  /** CondLock: the hold `token` of `owner` (its oldest without one). */
  holdOf(owner: Channel, token?: unknown): Hold | undefined {
    if (typeof token === 'number') {
      const hold = this.holds.get(token);
      return hold?.owner === owner ? hold : undefined;
    }
    for (const hold of this.holds.values()) if (hold.owner === owner) return hold;
    return undefined;
  }

  /** CondLock: frees `hold` as its release would. */
  release(hold: CondHold): void {
    this.free(hold as Hold, false);
  }

  /** CondLock: a condition's waiter goes back in line for the lock. */
  rejoin(w: Rejoining): void {
    this.waiters.push({ owner: w.owner, id: w.id, reply: w.reply, lease: w.lease, rejoining: w });
    this.serveWaiters();
  }

  private timedOut(ms: number): TimeoutError {
    return new TimeoutError(`lock '${this.name}' was not free within ${ms} ms: wait longer, or use tryAcquire()`);
  }

  private grant(owner: Channel, lease: number | undefined): { token: number; abandoned: boolean } {
    this.available--;
    const hold: Hold = { token: ++lastToken, owner, depth: 1 };
    this.last = hold.token;
    this.holds.set(hold.token, hold);
    if (lease !== undefined) this.lease(hold, lease);
    const abandoned = this.abandoned > 0;
    if (abandoned) this.abandoned--;
    return { token: hold.token, abandoned };
  }

  /** The hold expires `ms` from now (a lease given before is replaced). */
  private lease(hold: Hold, ms: number): void {
    hold.lease?.();
    hold.lease = this.host.later(ms, () => this.free(hold, true));
    hold.term = ms;
  }

  /**
   * Releases the hold `token` of `owner` (or its oldest, with no token); answers that hold's token
   * and the depth left (an RLock's acquires not released yet), or a token of `null` for a
   * semaphore's permit added with nothing held.
   */
  private releaseOf(owner: Channel, token: unknown): { token: number | null; depth: number } {
    if (token !== undefined && token !== null && !(typeof token === 'number' && Number.isSafeInteger(token))) {
      throw new InvalidArgumentError(`token is an integer, got ${describe(token)}`);
    }
    const hold = this.holdOf(owner, token);
    if (!hold) {
      if (token == null && this.options.type === 'semaphore') {
        // Python's Semaphore.release() with nothing held: one more permit.
        if (this.available >= MAX_PERMITS) throw new InvalidArgumentError(`semaphore '${this.name}' has ${MAX_PERMITS} permits free already`);
        this.available++;
        this.serveWaiters();
        return { token: null, depth: 0 };
      }
      throw new NotOwnerError(this.notOwned(token));
    }
    if (--hold.depth > 0) return { token: hold.token, depth: hold.depth };
    this.free(hold, false);
    return { token: hold.token, depth: 0 };
  }

  private notOwned(token: unknown): string {
    const which = typeof token === 'number' ? `the hold with token ${token}` : `any hold`;
    return `this handle does not own ${which} of ${this.options.type} '${this.name}': it released it already, its lease ran out, or another handle holds it`;
  }

  /** `{token, lease}`: the lease of that hold starts again (with `lease` ms, if given). */
  private renew(owner: Channel, args: Record<string, unknown>): null {
    const lease = msArg(args, 'lease');
    const token = args.token;
    const hold = typeof token === 'number' ? this.holds.get(token) : undefined;
    if (!hold || hold.owner !== owner) throw new NotOwnerError(this.notOwned(token));
    const term = lease ?? hold.term;
    if (term === undefined) throw new InvalidArgumentError(`the hold with token ${hold.token} has no lease to renew: give lease (ms)`);
    this.lease(hold, term);
    return null;
  }

  /** `{id}`: a waiting acquire of `owner` with that request id leaves the line (answered `null`); true if it was waiting. */
  private cancel(owner: Channel, id: unknown): boolean {
    for (const w of this.waiters) {
      if (w.owner !== owner || w.id !== id) continue;
      this.leave(w);
      w.reply.ok(null);
      return true;
    }
    return false;
  }

  /** Takes `waiter` out of the line; false if it was not in it. */
  private leave(waiter: Waiter): boolean {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return false;
    this.waiters.splice(at, 1);
    waiter.timer?.();
    this.host.wait(waiter.owner.session.id, -1);
    return true;
  }

  private free(hold: Hold, abandoned: boolean): void {
    if (this.holds.get(hold.token) !== hold) return;
    this.holds.delete(hold.token);
    hold.lease?.();
    this.available++;
    if (abandoned) this.abandoned++;
    this.serveWaiters();
  }

  /** Grants free permits to the waiters, oldest first. */
  private serveWaiters(): void {
    while (this.available > 0 && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      w.timer?.();
      this.host.wait(w.owner.session.id, -1);
      const granted = this.grant(w.owner, w.lease);
      if (!w.rejoining) {
        w.reply.ok(granted);
        continue;
      }
      this.holds.get(granted.token)!.depth = w.rejoining.depth;
      w.reply.ok({ ...granted, notified: w.rejoining.notified });
    }
    this.host.maybeIdle(this);
  }

  /** A channel closed (its process may have died): its waiters leave, its holds are freed as abandoned. */
  private gone(channel: Channel): void {
    this.owners.delete(channel);
    this.conditions.gone(channel);
    for (const w of this.waiters) {
      if (w.owner !== channel) continue;
      w.timer?.();
      this.host.wait(channel.session.id, -1);
    }
    this.waiters = this.waiters.filter((w) => w.owner !== channel);
    for (const hold of [...this.holds.values()]) if (hold.owner === channel) this.free(hold, true);
    this.serveWaiters();
  }
}
