import { InvalidArgumentError, LimitError, NotOwnerError, TimeoutError } from '../../errors.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import { Responder, type Reply } from '../responder.js';
import { sameOption, type Channel, type Resource, type ResourceHost } from './resource.js';
import { Conditions, type CondHold, type CondLock, type Rejoining } from './lock-conditions.js';
import { MAX_PERMITS, msArg, objectArgs, readOptions, type LockType } from './lock-options.js';

export { MAX_WAIT_MS, MAX_PERMITS, LOCK_TYPES, type LockType } from './lock-options.js';

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

/** What one channel (one owner) has here: its holds, oldest first, and its waiting acquires by request id. */
interface Owner {
  holds: Hold[];
  waiting: Map<number, Waiter>;
}

/**
 * The hub's side of a lock or semaphore: permits granted first come, first served, each grant a
 * hold of one channel (its owner) with a fencing token that grows with every grant. A hold goes
 * when its owner releases it, when its lease runs out, or when its owner's channel closes (its
 * process died, say); the next grant of that permit then says `abandoned`. Waiters whose channel
 * closes leave the line. An RLock's owner re-enters its hold, also with acquires that were in
 * line when it was granted. A release names its hold's token; one without a token adds a permit
 * to a Semaphore (Python's signalling use) and is ERR_NOT_OWNER for the other types.
 *
 * Bounds: waiting acquires count toward the connection's `maxWaiting` on the hub, holds toward its
 * `maxHolds`; requests per channel are bounded by the responder's window. Every step is constant
 * time or linear in one owner's holds, never in the whole line.
 */
class LockResource implements Resource, CondLock {
  readonly kind = 'lock';
  private available: number;
  private readonly holds = new Map<number, Hold>();
  /** Acquires waiting, oldest first (a Set: leaving the line is constant time). */
  private readonly line = new Set<Waiter>();
  private readonly owners = new Map<Channel, Owner>();
  /** Permits whose holder went without releasing, not granted again yet. */
  private abandoned = 0;
  private last = 0;
  private readonly conditions = new Conditions(this);

  constructor(readonly name: string, private readonly options: { type: LockType; value: number }, readonly host: ResourceHost) {
    this.available = options.value;
  }

  /** Forgotten only when nobody uses it and its permits are as made: none held, abandoned or added. */
  get idle(): boolean {
    return this.owners.size === 0 && this.holds.size === 0 && this.available === this.options.value && this.abandoned === 0 && this.conditions.size === 0;
  }

  stats() {
    return {
      type: this.options.type,
      value: this.options.value,
      available: this.available,
      holders: this.holds.size,
      waiting: this.line.size,
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
    this.owners.set(channel, { holds: [], waiting: new Map() });
    channel.opened({ type: this.options.type, value: this.options.value });
    responder.start();
  }

  private serve(owner: Channel, op: string, args: Record<string, unknown>, reply: Reply, id: number): void {
    if ((op === 'acquire' || op === 'wait') && (this.owners.get(owner)?.waiting.has(id) || this.conditions.has(owner, id))) {
      throw new InvalidArgumentError(`request id ${id} already waits on this channel: give each request an id of its own`);
    }
    switch (op) {
      case 'acquire':
        return this.acquire(owner, args, reply, id);
      case 'release':
        return reply.ok(this.releaseOf(owner, args));
      case 'renew':
        return reply.ok(this.renew(owner, args));
      case 'cancel':
        return reply.ok(this.cancel(owner, args.id));
      case 'state':
        return reply.ok({ available: this.available, holders: this.holds.size, waiting: this.line.size, token: this.last });
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
    if (this.available > 0 && this.line.size === 0) return reply.ok(this.grant(owner, lease));
    if (args.wait === false || timeout === 0) return timeout === 0 ? reply.fail(this.timedOut(0)) : reply.ok(null);
    if (!this.host.wait(owner.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting requests waiting on the hub already: await some first, or raise maxWaiting on the hub');
    }
    const waiter: Waiter = { owner, id, reply, lease };
    if (timeout !== undefined) {
      waiter.timer = this.host.later(timeout, () => {
        if (this.leave(waiter)) reply.fail(this.timedOut(timeout));
      });
    }
    this.line.add(waiter);
    this.owners.get(owner)?.waiting.set(id, waiter);
  }

  private timedOut(ms: number): TimeoutError {
    return new TimeoutError(`lock '${this.name}' was not free within ${ms} ms: wait longer, or use tryAcquire()`);
  }

  /** A new hold for `owner` (a permit must be free); throws ERR_LIMIT past its connection's `maxHolds`. */
  private grant(owner: Channel, lease: number | undefined): { token: number; abandoned: boolean } {
    if (!this.host.holding(owner.session.id, 1)) {
      throw new LimitError('this connection has maxHolds holds of locks and semaphores already: release some first, or raise maxHolds on the hub');
    }
    this.available--;
    const hold: Hold = { token: ++lastToken, owner, depth: 1 };
    this.last = hold.token;
    this.holds.set(hold.token, hold);
    this.owners.get(owner)?.holds.push(hold);
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

  /** Conditions are over a lock or an rlock, as Python's. */
  private conditional(): void {
    if (this.options.type !== 'lock' && this.options.type !== 'rlock') {
      throw new InvalidArgumentError(`a condition is over a lock or an rlock, not a ${this.options.type}`);
    }
  }

  /** CondLock: the hold `token` of `owner` (its oldest without one). */
  holdOf(owner: Channel, token?: unknown): Hold | undefined {
    if (typeof token !== 'number') return this.owners.get(owner)?.holds[0];
    const hold = this.holds.get(token);
    return hold?.owner === owner ? hold : undefined;
  }

  /** CondLock: frees `hold` as its release would, keeping its place in `maxHolds` for the waiter. */
  release(hold: CondHold): void {
    this.free(hold as Hold, false, true);
  }

  /** CondLock: a condition's waiter goes back in line for the lock. */
  rejoin(w: Rejoining): void {
    const waiter: Waiter = { owner: w.owner, id: w.id, reply: w.reply, lease: w.lease, rejoining: w };
    this.line.add(waiter);
    this.owners.get(w.owner)?.waiting.set(w.id, waiter);
    this.serveWaiters();
  }

  /**
   * `{token, abandoned}`: releases that hold of `owner` (one level of an rlock's); answers its
   * token and the depth left. With no token, a semaphore gets a permit more (token `null`); the
   * other types answer ERR_NOT_OWNER. `abandoned: true` frees the hold as a dead holder's would
   * (a requester giving back a grant it no longer wanted, so as not to use up the flag).
   */
  private releaseOf(owner: Channel, args: Record<string, unknown>): { token: number | null; depth: number } {
    const { token } = args;
    if (token !== undefined && token !== null && !(typeof token === 'number' && Number.isSafeInteger(token))) {
      throw new InvalidArgumentError(`token is an integer, got ${describe(token)}`);
    }
    if (typeof token !== 'number') {
      if (this.options.type !== 'semaphore') throw new NotOwnerError(this.notOwned(token));
      // Python's Semaphore.release() with nothing held: one more permit.
      if (this.available >= MAX_PERMITS) throw new InvalidArgumentError(`semaphore '${this.name}' has ${MAX_PERMITS} permits free already`);
      this.available++;
      this.serveWaiters();
      return { token: null, depth: 0 };
    }
    const hold = this.holdOf(owner, token);
    if (!hold) throw new NotOwnerError(this.notOwned(token));
    if (--hold.depth > 0) return { token: hold.token, depth: hold.depth };
    this.free(hold, args.abandoned === true);
    return { token: hold.token, depth: 0 };
  }

  private notOwned(token: unknown): string {
    const which = typeof token === 'number' ? `the hold with token ${token}` : `any hold`;
    return `this handle does not own ${which} of ${this.options.type} '${this.name}': it released it already, its lease ran out, or another handle holds it`;
  }

  /** `{token, lease}`: the lease of that hold starts again (with `lease` ms, if given). */
  private renew(owner: Channel, args: Record<string, unknown>): null {
    const lease = msArg(args, 'lease');
    const hold = typeof args.token === 'number' ? this.holdOf(owner, args.token) : undefined;
    if (!hold) throw new NotOwnerError(this.notOwned(args.token));
    const term = lease ?? hold.term;
    if (term === undefined) throw new InvalidArgumentError(`the hold with token ${hold.token} has no lease to renew: give lease (ms)`);
    this.lease(hold, term);
    return null;
  }

  /** `{id}`: a waiting acquire of `owner` with that request id leaves the line (answered `null`); true if it was waiting. */
  private cancel(owner: Channel, id: unknown): boolean {
    const w = typeof id === 'number' ? this.owners.get(owner)?.waiting.get(id) : undefined;
    if (!w || w.rejoining || !this.leave(w)) return false;
    w.reply.ok(null);
    return true;
  }

  /** Takes `waiter` out of the line, and out of `maxWaiting` (a condition's, out of the place in `maxHolds` it kept too); false if it was not in it. */
  private leave(waiter: Waiter): boolean {
    if (!this.line.delete(waiter)) return false;
    this.owners.get(waiter.owner)?.waiting.delete(waiter.id);
    waiter.timer?.();
    this.host.wait(waiter.owner.session.id, -1);
    if (waiter.rejoining) this.host.holding(waiter.owner.session.id, -1);
    return true;
  }

  /** Frees `hold` (`keepSlot`: its place in `maxHolds` stays counted, for a condition's waiter). */
  private free(hold: Hold, abandoned: boolean, keepSlot = false): void {
    if (this.holds.get(hold.token) !== hold) return;
    this.holds.delete(hold.token);
    const mine = this.owners.get(hold.owner)?.holds;
    if (mine) mine.splice(mine.indexOf(hold), 1);
    hold.lease?.();
    if (!keepSlot) this.host.holding(hold.owner.session.id, -1);
    this.available++;
    if (abandoned) this.abandoned++;
    this.serveWaiters();
  }

  /** Grants free permits to the waiters, oldest first. */
  private serveWaiters(): void {
    for (const w of this.line) {
      if (this.available <= 0) break;
      this.leave(w);
      let granted: { token: number; abandoned: boolean };
      try {
        granted = this.grant(w.owner, w.lease);
      } catch (err) {
        w.reply.fail(err);
        continue;
      }
      if (w.rejoining) {
        this.holds.get(granted.token)!.depth = w.rejoining.depth;
        w.reply.ok({ ...granted, notified: w.rejoining.notified });
      } else {
        w.reply.ok(granted);
        if (this.options.type === 'rlock') this.reenter(w.owner, granted.token);
      }
    }
    this.host.maybeIdle(this);
  }

  /** An rlock was granted to `owner`: its other acquires in line re-enter that hold now. */
  private reenter(owner: Channel, token: number): void {
    const hold = this.holds.get(token)!;
    for (const w of [...(this.owners.get(owner)?.waiting.values() ?? [])]) {
      if (w.rejoining || !this.leave(w)) continue;
      hold.depth++;
      w.reply.ok({ token, abandoned: false });
    }
  }

  /** A channel closed (its process may have died): its waiters leave, its holds are freed as abandoned. */
  private gone(channel: Channel): void {
    const mine = this.owners.get(channel);
    this.conditions.gone(channel);
    for (const w of [...(mine?.waiting.values() ?? [])]) this.leave(w);
    for (const hold of [...(mine?.holds ?? [])]) this.free(hold, true);
    this.owners.delete(channel);
    this.serveWaiters();
  }
}
