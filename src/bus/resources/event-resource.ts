import { InvalidArgumentError, LimitError } from '../../errors.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import { Responder, type Reply } from '../responder.js';
import type { Channel, Resource, ResourceHost } from './resource.js';
import { MAX_WAIT_MS } from './lock-resource.js';

/** The event kind: `k: "event"`, roles `use` (requests) and `watch` (its states); docs/protocol.md. */
export const eventKind = {
  name: 'event',
  create: (name: string, _open: OpenRequest, host: ResourceHost) => new EventResource(name, host),
} as const satisfies Kind;

interface Waiter {
  channel: Channel;
  reply: Reply;
  cancel?: () => void;
}

interface Watcher {
  channel: Channel;
  /** The state not sent yet for want of credit (only the latest is kept). */
  unsent: boolean | undefined;
}

/**
 * The hub's side of an event (Python's `Event`): a flag, `set` and `clear`; `wait` answers `true`
 * once it is set (at once if it is), `false` when its timeout passes first. Watchers get the
 * state when they open, then each change, within their credit: a watcher without credit gets
 * only the latest state once it has some, never a pile of them.
 *
 * Bounds: waiting `wait`s count toward the connection's `maxWaiting`; a watcher holds one state.
 */
class EventResource implements Resource {
  readonly kind = 'event';
  private flag = false;
  /** Waits waiting, and the same by channel (closing one walks only its own). */
  private waiters = new Set<Waiter>();
  private readonly byChannel = new Map<Channel, Set<Waiter>>();
  private readonly watchers = new Set<Watcher>();
  private readonly users = new Set<Channel>();

  constructor(readonly name: string, private readonly host: ResourceHost) {}

  /** Forgotten once nobody uses it and it is clear (a set event is kept). */
  get idle(): boolean {
    return this.users.size === 0 && this.watchers.size === 0 && !this.flag;
  }

  stats() {
    return { set: this.flag, waiting: this.waiters.size, watchers: this.watchers.size };
  }

  attach(channel: Channel, open: OpenRequest): void {
    if (open.o !== undefined && Object.keys(open.o).length > 0) throw new InvalidArgumentError(`an event has no options, got ${describe(open.o)}`);
    if (open.r === 'watch') return this.watch(channel);
    if (open.r !== 'use') throw new InvalidArgumentError(`an event's roles are "use" and "watch", not ${describe(open.r)}`);
    const responder = new Responder(channel, (op, args, reply) => this.serve(channel, op, args, reply), false);
    channel.handler = { ...responder.handler, closed: () => this.gone(channel) };
    this.users.add(channel);
    channel.opened({ set: this.flag });
    responder.start();
  }

  private serve(channel: Channel, op: string, args: unknown, reply: Reply): void {
    switch (op) {
      case 'set':
        this.change(true);
        return reply.ok(null);
      case 'clear':
        this.change(false);
        return reply.ok(null);
      case 'isSet':
        return reply.ok(this.flag);
      case 'wait':
        return this.wait(channel, args, reply);
      default:
        throw new InvalidArgumentError(`event requests are set, clear, isSet and wait, not ${describe(op)}`);
    }
  }

  /** `{timeout}` (optional): `true` once set, `false` once `timeout` ms passed first. */
  private wait(channel: Channel, args: unknown, reply: Reply): void {
    const timeout = (args as { timeout?: unknown } | null)?.timeout;
    if (timeout !== undefined && timeout !== null && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0 && timeout <= MAX_WAIT_MS)) {
      throw new InvalidArgumentError(`timeout is a number of milliseconds from 0 to ${MAX_WAIT_MS}, got ${describe(timeout)}`);
    }
    if (this.flag) return reply.ok(true);
    if (timeout === 0) return reply.ok(false);
    if (!this.host.wait(channel.session.id, 1)) {
      throw new LimitError('this connection has maxWaiting requests waiting on the hub already: await some first, or raise maxWaiting on the hub');
    }
    const waiter: Waiter = { channel, reply };
    if (typeof timeout === 'number') {
      waiter.cancel = this.host.later(timeout, () => {
        if (this.leave(waiter)) reply.ok(false);
      });
    }
    this.waiters.add(waiter);
    const mine = this.byChannel.get(channel) ?? new Set<Waiter>();
    mine.add(waiter);
    this.byChannel.set(channel, mine);
  }

  /** Takes `waiter` out, and out of `maxWaiting`; false if it was not waiting. */
  private leave(waiter: Waiter): boolean {
    if (!this.waiters.delete(waiter)) return false;
    const mine = this.byChannel.get(waiter.channel);
    mine?.delete(waiter);
    if (mine?.size === 0) this.byChannel.delete(waiter.channel);
    waiter.cancel?.();
    this.host.wait(waiter.channel.session.id, -1);
    return true;
  }

  private change(flag: boolean): void {
    if (flag === this.flag) return;
    this.flag = flag;
    if (flag) {
      for (const w of [...this.waiters]) {
        this.leave(w);
        w.reply.ok(true);
      }
    }
    for (const w of this.watchers) this.tell(w, flag);
    this.host.maybeIdle(this);
  }

  private watch(channel: Channel): void {
    const watcher: Watcher = { channel, unsent: undefined };
    this.watchers.add(watcher);
    channel.handler = {
      credit: () => this.flush(watcher),
      data: (_payload, seq) => {
        channel.ack(seq);
        channel.fail(new InvalidArgumentError('an event watcher sends nothing: open it with role "use" to set or clear it'));
      },
      closed: () => {
        this.watchers.delete(watcher);
        this.host.maybeIdle(this);
      },
    };
    channel.opened({ set: this.flag });
    // Credit for one frame, so that a watcher that sends one fails its channel, not its connection.
    channel.grant(1);
    this.tell(watcher, this.flag);
  }

  private tell(w: Watcher, flag: boolean): void {
    w.unsent = flag;
    this.flush(w);
  }

  private flush(w: Watcher): void {
    if (w.unsent === undefined) return;
    if (w.channel.trySend(w.unsent ? 'true' : 'false') > 0) w.unsent = undefined;
  }

  private gone(channel: Channel): void {
    this.users.delete(channel);
    for (const w of [...(this.byChannel.get(channel) ?? [])]) this.leave(w);
    this.host.maybeIdle(this);
  }
}
