import { BarrierBrokenError, InvalidArgumentError, LimitError } from '../../errors.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import { Responder, type Reply } from '../responder.js';
import { sameOption, type Channel, type Resource, type ResourceHost } from './resource.js';
import { MAX_WAIT_MS } from './lock-resource.js';

/** Most parties of a barrier. */
export const MAX_PARTIES = 1_000_000;

/** The barrier kind: `k: "barrier"`, role `use`, options `parties` and `timeout`; docs/protocol.md. */
export const barrierKind = {
  name: 'barrier',
  create: (name: string, open: OpenRequest, host: ResourceHost) => new BarrierResource(name, readOptions(open), host),
} as const satisfies Kind;

interface Options {
  parties: number;
  /** Default timeout of a wait, in ms. */
  timeout: number | undefined;
}

interface Party {
  channel: Channel;
  reply: Reply;
  /** Cancels its timeout's timer. */
  cancel?: () => void;
}

function readOptions(open: OpenRequest): Options {
  const parties = open.o?.parties;
  if (typeof parties !== 'number' || !Number.isSafeInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
    throw new InvalidArgumentError(`a barrier's parties is an integer from 1 to ${MAX_PARTIES}, got ${describe(parties)}`);
  }
  return { parties, timeout: msOption(open.o?.timeout) };
}

function msOption(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_WAIT_MS) {
    throw new InvalidArgumentError(`timeout is a number of milliseconds from 0 to ${MAX_WAIT_MS}, got ${describe(v)}`);
  }
  return v;
}

/**
 * The hub's side of a barrier (Python's `Barrier`): `wait` answers each party with its index (0
 * to parties − 1, in the order they arrived) once `parties` have arrived, and the barrier starts
 * over. It breaks when a waiting party's channel closes (its process died, say), when a wait's
 * timeout passes, or on `abort`: every waiting party is answered ERR_BARRIER_BROKEN, and so is
 * every later wait, until `reset` (which also breaks the waits of the round it cuts short).
 *
 * Bounds: waiting parties count toward their connection's `maxWaiting`, and are at most `parties`.
 */
class BarrierResource implements Resource {
  readonly kind = 'barrier';
  /** Parties waiting this round, in the order they arrived. */
  private waiting: Party[] = [];
  /** Of them, those of each channel. */
  private byChannel = new Map<Channel, Party[]>();
  private broken = false;
  private readonly users = new Set<Channel>();
  /** Rounds completed. */
  private rounds = 0;

  constructor(readonly name: string, private readonly options: Options, private readonly host: ResourceHost) {}

  /** Forgotten once nobody uses it and it is not broken (a broken barrier stays broken until reset). */
  get idle(): boolean {
    return this.users.size === 0 && !this.broken;
  }

  stats() {
    return { parties: this.options.parties, waiting: this.waiting.length, broken: this.broken, rounds: this.rounds };
  }

  attach(channel: Channel, open: OpenRequest): void {
    if (open.r !== 'use') throw new InvalidArgumentError(`a barrier's role is "use", not ${describe(open.r)}`);
    if (open.o?.parties !== undefined) {
      const given = readOptions(open);
      sameOption('barrier', this.name, 'parties', given.parties, this.options.parties);
      sameOption('barrier', this.name, 'timeout', given.timeout, this.options.timeout);
    }
    const responder = new Responder(channel, (op, args, reply) => this.serve(channel, op, args, reply), false);
    channel.handler = { ...responder.handler, closed: () => this.gone(channel) };
    this.users.add(channel);
    channel.opened({ parties: this.options.parties, ...(this.options.timeout === undefined ? {} : { timeout: this.options.timeout }) });
    responder.start();
  }

  private serve(channel: Channel, op: string, args: unknown, reply: Reply): void {
    switch (op) {
      case 'wait':
        return this.wait(channel, msOption((args as { timeout?: unknown } | null)?.timeout) ?? this.options.timeout, reply);
      case 'abort':
        this.break(`barrier '${this.name}' was aborted`);
        return reply.ok(null);
      case 'reset':
        this.break(`barrier '${this.name}' was reset while this party waited`);
        this.broken = false;
        this.host.maybeIdle(this);
        return reply.ok(null);
      case 'state':
        return reply.ok({ parties: this.options.parties, waiting: this.waiting.length, broken: this.broken });
      default:
        throw new InvalidArgumentError(`barrier requests are wait, abort, reset and state, not ${describe(op)}`);
    }
  }

  private wait(channel: Channel, timeout: number | undefined, reply: Reply): void {
    if (this.broken) return reply.fail(this.brokenError(`barrier '${this.name}' is broken`));
    const index = this.waiting.length;
    if (index + 1 === this.options.parties) {
      const round = this.endRound();
      this.rounds++;
      round.forEach((p, i) => p.reply.ok(i));
      return reply.ok(index);
    }
    if (!this.host.wait(channel.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting requests waiting on the hub already: await some first, or raise maxWaiting on the hub');
    }
    const party: Party = { channel, reply };
    this.waiting.push(party);
    const mine = this.byChannel.get(channel) ?? [];
    mine.push(party);
    this.byChannel.set(channel, mine);
    // As Python's: the timeout of any party's wait breaks the barrier for all.
    if (timeout !== undefined) {
      party.cancel = this.host.later(timeout, () => this.break(`barrier '${this.name}': a party's wait timed out after ${timeout} ms`));
    }
  }

  /** The parties of this round, taken out of it: their timers cancelled, their places in `maxWaiting` given back. */
  private endRound(): Party[] {
    const round = this.waiting;
    this.waiting = [];
    this.byChannel = new Map();
    for (const p of round) {
      p.cancel?.();
      this.host.wait(p.channel.session.id, -1);
    }
    return round;
  }

  private brokenError(why: string): BarrierBrokenError {
    return new BarrierBrokenError(`${why}: reset() it before waiting again`);
  }

  /** Breaks the barrier: every waiting party is answered ERR_BARRIER_BROKEN. */
  private break(why: string): void {
    this.broken = true;
    for (const p of this.endRound()) p.reply.fail(this.brokenError(why));
  }

  /** A channel closed: if one of its parties was waiting, the barrier breaks (a party died). */
  private gone(channel: Channel): void {
    this.users.delete(channel);
    const mine = this.byChannel.get(channel);
    if (mine) {
      this.byChannel.delete(channel);
      const left = new Set(mine);
      for (const p of mine) {
        p.cancel?.();
        this.host.wait(channel.session.id, -1);
      }
      this.waiting = this.waiting.filter((p) => !left.has(p));
      this.break(`barrier '${this.name}': a waiting party went away (its connection closed)`);
    }
    this.host.maybeIdle(this);
  }
}
