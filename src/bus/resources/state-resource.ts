import { createHash } from 'node:crypto';
import {
  HistoryGoneError, InvalidArgumentError, LimitError, NotFoundError, OptionsMismatchError, RevisionMismatchError, StaleFenceError,
} from '../../errors.js';
import { Deque } from '../deque.js';
import { describe } from '../frames.js';
import type { Kind } from '../kinds.js';
import { Responder, type Reply } from '../responder.js';
import type { OpenRequest } from '../session.js';
import { intOption, sameOption, type Channel, type Resource, type ResourceHost } from './resource.js';
import { checkDepth } from './state-args.js';
import { typeOption, type Typecode } from './typecodes.js';

/** Defaults of the bounds a value, array, dict or list is created with (options of its first open). */
export const STATE_DEFAULTS = { history: 1_024, maxEntries: 65_536, maxChars: 512 * 1024, maxDepth: 64 } as const;
/** The most each of those options may be set to (a depth within what the hub's stack encodes safely). */
export const STATE_MAX = { history: 1_000_000, maxEntries: 16_777_216, maxChars: 1024 * 1024 * 1024, maxDepth: 500 } as const;
/** Longest name of a value, array, dict or list: a lock of `getLock()` is named `KIND:NAME`, within a lock's 256. */
export const MAX_STATE_NAME = 240;

/** A request's arguments: an object (a `null` payload reads as `{}`). */
export type Args = Record<string, unknown>;

/** A write its content checked and has not applied yet. */
export interface Plan {
  /** The answer's `value`, if it has one. */
  result?: unknown;
  /** What changes, for watchers: `op` and its arguments. None: nothing changes, and the revision stays. */
  change?: { op: string } & Record<string, unknown>;
  /** Entries and characters of the content once applied. */
  entries: number;
  chars: number;
  /** Applies it; cannot fail. */
  commit(): void;
}

/** The content of one value, array, dict or list, and its operations (one file per kind). */
export interface Content {
  /** Entries (a dict's keys, a list's or array's items; 1 for a value). */
  readonly entries: number;
  /** Characters of the JSON of {@link snapshot}: what `all` answers and a snapshot frame carries. */
  readonly chars: number;
  snapshot(): unknown;
  /** Answers a read; undefined when `op` is not a read of this kind. Throws InvalidArgumentError on bad arguments. */
  read(op: string, args: Args): { value: unknown } | undefined;
  /** Checks a write and plans it; throws InvalidArgumentError (or NotFoundError) for an unknown op or bad arguments. */
  plan(op: string, args: Args): Plan;
}

/** One kind of shared state: how its content is made. */
export interface StateSpec {
  readonly name: string;
  /** Options of its opens besides `init`, the bounds and `from`: `type` (a typecode), `length` (an array's). */
  readonly options: readonly ('type' | 'length')[];
  /**
   * The content from the open's `init` (or `length`) and `type`, or undefined when the open gives
   * none. Throws on bad content, and LimitError before making more than `limits` allow.
   */
  create(o: Args, type: Typecode | undefined, limits: Limits): Content | undefined;
  /** The content when the first open gives none (a dict's or list's: empty); without it, such an open is ERR_NOT_FOUND. */
  empty?(): Content;
}

/** The bounds of one resource. */
export interface Limits {
  history: number;
  maxEntries: number;
  maxChars: number;
  maxDepth: number;
}

interface Watcher {
  channel: Channel;
  /** The revision of the next change to send. */
  next: number;
  /** True until its snapshot is sent: it is made when the watcher has credit for it, not before. */
  snapshot: boolean;
}

const BOUNDS = ['history', 'maxEntries', 'maxChars', 'maxDepth'] as const;
const COMMON_KEYS = ['init', ...BOUNDS];

/** "a value", "an array". */
function a(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** The hub kind of `spec`: `k` is its name, roles `use` (requests) and `watch` (changes); docs/protocol.md. */
export function stateKind(spec: StateSpec): Kind {
  return {
    name: spec.name,
    create(name: string, open: OpenRequest, host: ResourceHost): Resource {
      if (name.length > MAX_STATE_NAME) {
        throw new InvalidArgumentError(`${a(spec.name)}'s name is at most ${MAX_STATE_NAME} characters, got ${name.length}: choose a shorter one`);
      }
      const o = options(spec, open);
      const type = spec.options.includes('type') ? typeOption(o.type) : undefined;
      const limits = Object.fromEntries(BOUNDS.map((key) => [key, intOption(o, key, STATE_MAX[key]) ?? STATE_DEFAULTS[key]])) as unknown as Limits;
      checkDepth(o.init, limits.maxDepth, 'the initial content', 1);
      const content = spec.create(o, type, limits) ?? spec.empty?.();
      if (!content) {
        throw new NotFoundError(`${spec.name} '${name}' does not exist: create it first, with its initial content (bus.${spec.name}(name, initial))`);
      }
      if (content.entries > limits.maxEntries || content.chars > limits.maxChars) {
        throw new LimitError(`the initial content of ${spec.name} '${name}' has ${content.entries} entries and ${content.chars} characters, over maxEntries ${limits.maxEntries} or maxChars ${limits.maxChars}: give less, or larger bounds`);
      }
      if (!host.hold(content.chars)) throw new LimitError(`the hub holds maxQueuedChars already: ${spec.name} '${name}' cannot be created; free some, or raise maxQueuedChars on the hub`);
      if (!host.keepState()) {
        host.unhold(content.chars);
        throw new LimitError(`the hub holds its limit of values, arrays, dicts and lists (maxStateResources): ${spec.name} '${name}' cannot be created; raise maxStateResources on the hub`);
      }
      return new StateResource(spec, name, host, content, type, limits, digest(content), open);
    },
  };
}

function options(spec: StateSpec, open: OpenRequest): Args {
  const o = open.o ?? {};
  const keys = [...COMMON_KEYS, ...spec.options];
  for (const key of Object.keys(o)) {
    if (!(keys.includes(key) || (key === 'from' && open.r === 'watch'))) {
      throw new InvalidArgumentError(`${a(spec.name)} has no option ${describe(key)}: its options are ${keys.join(', ')} (and from, to watch)`);
    }
  }
  return o;
}

/** A digest of initial content, to tell a later open's from the creator's. */
function digest(content: Content): string {
  return createHash('sha256').update(JSON.stringify(content.snapshot())).digest('base64');
}

/**
 * A value, array, dict or list held by the hub. Every request on a `use` channel is applied
 * whole or not at all, in the order the channel sent it; every change counts one revision and is
 * kept in a bounded history (the last `history` changes, at most `maxChars` characters of them,
 * and always the latest), from which `watch` channels get each change in order, paced by their
 * credit. A watcher the history left behind fails with ERR_HISTORY_GONE. Writes may be
 * conditional on the revision (`ifRevision`) and on a lock's token (`fence`). Kept until the hub
 * stops.
 */
class StateResource implements Resource {
  private revision = 0;
  /** The largest fencing token a write was applied with. */
  private fence = 0;
  private readonly history = new Deque<{ revision: number; text: string }>();
  private historyChars = 0;
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly spec: StateSpec,
    readonly name: string,
    private readonly host: ResourceHost,
    private content: Content,
    private readonly type: Typecode | undefined,
    private readonly limits: Limits,
    private readonly initial: string,
    private readonly creator: OpenRequest,
  ) {}

  get kind(): string {
    return this.spec.name;
  }

  /** Never: its content lives as long as the hub. */
  get idle(): boolean {
    return false;
  }

  stats() {
    return { revision: this.revision, entries: this.content.entries, chars: this.content.chars, watchers: this.watchers.size, history: this.history.length };
  }

  attach(channel: Channel, open: OpenRequest): void {
    if (open !== this.creator) this.matches(open);
    if (open.r === 'watch') return this.watch(channel, open.o?.from);
    if (open.r !== 'use') throw new InvalidArgumentError(`${a(this.kind)}'s roles are "use" and "watch", not ${describe(open.r)}`);
    // Answers that wait for the requester's credit (a read can answer a frame) count in maxQueuedChars.
    const responder = new Responder(channel, (op, args, reply) => this.serve(channel, op, args, reply), true, this.host);
    channel.handler = { ...responder.handler, closed: () => responder.dispose() };
    channel.opened({ revision: this.revision });
    responder.start();
  }

  /** Throws OptionsMismatchError when a later open gives other options than the creator's. */
  private matches(open: OpenRequest): void {
    const o = options(this.spec, open);
    const what = `${this.kind} '${this.name}'`;
    if (this.spec.options.includes('type')) sameOption(this.kind, this.name, 'type', typeOption(o.type), this.type);
    for (const key of BOUNDS) sameOption(this.kind, this.name, key, intOption(o, key, STATE_MAX[key]), this.limits[key]);
    // The same length as the creator's is the same content: no need to make it again to compare.
    if (o.length !== undefined && o.init === undefined && o.length === this.creator.o?.length) return;
    checkDepth(o.init, this.limits.maxDepth, 'the initial content', 1);
    const given = this.spec.create(o, this.type, this.limits);
    if (given && digest(given) !== this.initial) {
      throw new OptionsMismatchError(`${what} exists with other initial content: open it with the same initial content, or with none to use what is there`);
    }
  }

  private serve(channel: Channel, op: string, raw: unknown, reply: Reply): void {
    if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
      throw new InvalidArgumentError(`the arguments of ${describe(op)} are an object or null, got ${describe(raw)}`);
    }
    const args = (raw ?? {}) as Args;
    // The deepest arguments wrap a value in three levels: {"entries":[["key",VALUE]]}.
    checkDepth(args, this.limits.maxDepth, `the values of ${op}`, 3);
    const read = this.content.read(op, args);
    if (read) return reply.ok({ revision: this.revision, value: read.value });
    const plan = this.content.plan(op, args);
    const fence = this.conditions(args);
    if (plan.change) this.apply(channel, plan, plan.change);
    if (fence !== undefined && fence > this.fence) this.fence = fence;
    reply.ok(plan.result === undefined ? { revision: this.revision } : { revision: this.revision, value: plan.result });
  }

  /** Checks `ifRevision` and `fence`; returns the fence to keep once the write is applied. */
  private conditions(args: Args): number | undefined {
    const { ifRevision, fence } = args;
    const what = `${this.kind} '${this.name}'`;
    if (ifRevision !== undefined) {
      if (typeof ifRevision !== 'number' || !Number.isSafeInteger(ifRevision) || ifRevision < 0) {
        throw new InvalidArgumentError(`ifRevision is a revision (an integer >= 0), got ${describe(ifRevision)}`);
      }
      if (ifRevision !== this.revision) {
        throw new RevisionMismatchError(`${what} is at revision ${this.revision}, not ${ifRevision}: read it again, then retry the write`);
      }
    }
    if (fence === undefined) return undefined;
    if (typeof fence !== 'number' || !Number.isSafeInteger(fence) || fence < 1) {
      throw new InvalidArgumentError(`fence is a lock's token (an integer >= 1), got ${describe(fence)}`);
    }
    if (fence < this.fence) {
      throw new StaleFenceError(`${what} took a write fenced with token ${this.fence} already, later than ${fence}: this holder lost its lock; acquire it again before writing`);
    }
    return fence;
  }

  private apply(channel: Channel, plan: Plan, change: Plan['change'] & object): void {
    const what = `${this.kind} '${this.name}'`;
    if (plan.entries > this.limits.maxEntries) {
      throw new LimitError(`${what} would hold ${plan.entries} entries, over its maxEntries ${this.limits.maxEntries}: remove some first, or create it with a larger maxEntries`);
    }
    if (plan.chars > this.limits.maxChars) {
      throw new LimitError(`${what} would hold ${plan.chars} characters, over its maxChars ${this.limits.maxChars}: store less, or create it with a larger maxChars`);
    }
    const revision = this.revision + 1;
    const text = `{"revision":${revision},${JSON.stringify(change).slice(1)}`;
    channel.checkPayload(text); // a change too large to tell watchers is refused (FrameTooLargeError)
    const grow = plan.chars - this.content.chars;
    if (!this.host.hold(Math.max(grow, 0) + text.length)) {
      throw new LimitError(`the hub holds maxQueuedChars already: the write to ${what} is refused; free some, or raise maxQueuedChars on the hub`);
    }
    if (grow < 0) this.host.unhold(-grow);
    plan.commit();
    this.revision = revision;
    this.history.push({ revision, text });
    this.historyChars += text.length;
    for (const w of this.watchers) this.flush(w);
    this.trim();
  }

  /** Drops the oldest changes past the history's bounds (always keeping the latest), and fails the watchers they leave behind. */
  private trim(): void {
    while (this.history.length > this.limits.history || (this.historyChars > this.limits.maxChars && this.history.length > 1)) {
      const old = this.history.shift()!;
      this.historyChars -= old.text.length;
      this.host.unhold(old.text.length);
    }
    const oldest = this.history.peek()!.revision;
    for (const w of this.watchers) if (!w.snapshot && w.next < oldest) this.behind(w, oldest);
  }

  private behind(w: Watcher, oldest: number): void {
    this.watchers.delete(w);
    w.channel.fail(new HistoryGoneError(`${this.kind} '${this.name}' keeps changes from revision ${oldest}, and this watcher was at ${w.next}: it fell behind; watch again from a snapshot`));
  }

  private watch(channel: Channel, from: unknown): void {
    const what = `${this.kind} '${this.name}'`;
    const w: Watcher = { channel, next: this.revision + 1, snapshot: from === undefined };
    if (from !== undefined) {
      if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0 || from > this.revision) {
        throw new InvalidArgumentError(`from is a revision from 0 to ${this.revision} (the current one) of ${what}, got ${describe(from)}`);
      }
      const oldest = this.history.peek()?.revision ?? this.revision + 1;
      if (from + 1 < oldest) {
        throw new HistoryGoneError(`${what} keeps changes from revision ${oldest} only, not from ${from + 1}: watch from a snapshot (without from)`);
      }
      w.next = from + 1;
    }
    this.watchers.add(w);
    channel.handler = {
      credit: () => this.flush(w),
      data: (_payload, seq) => {
        channel.ack(seq);
        channel.fail(new InvalidArgumentError(`${a(this.kind)} watcher sends nothing: open it with role "use" to read or write`));
      },
      closed: () => this.watchers.delete(w),
    };
    channel.opened({ revision: this.revision });
    // Credit for one frame, so that a watcher that sends one fails its channel, not its connection.
    channel.grant(1);
    this.flush(w);
  }

  /**
   * Sends `w` its snapshot, then the changes it has not had, within its credit. The snapshot is
   * made only once there is credit to send it (a watcher that grants none holds no copy of the
   * content), and it is of the content then: the changes after it follow.
   */
  private flush(w: Watcher): void {
    if (w.snapshot) {
      if (w.channel.credit <= 0 || w.channel.state !== 'open') return;
      const text = JSON.stringify({ revision: this.revision, op: 'snapshot', value: this.content.snapshot() });
      try {
        w.channel.checkPayload(text);
      } catch (err) {
        this.watchers.delete(w);
        return w.channel.fail(err as Error); // FrameTooLargeError: the content is larger than a frame of this hub
      }
      w.channel.trySend(text);
      w.snapshot = false;
      w.next = this.revision + 1;
    }
    const oldest = this.history.peek()?.revision ?? this.revision + 1;
    while (w.next <= this.revision) {
      if (w.next < oldest) return this.behind(w, oldest);
      if (w.channel.trySend(this.history.at(w.next - oldest)!.text) === 0) return;
      w.next++;
    }
  }
}
