import { Observable } from 'rxjs';
import { InvalidArgumentError, ProtocolError, RevisionMismatchError } from '../errors.js';
import { ClientChannel } from './client-channel.js';
import type { BusLike, Drainable, HandleDescriptor } from './handle.js';
import { Inbound } from './inbound.js';
import type { Hold } from './lock-types.js';
import { Lock } from './lock.js';
import { RequestChannel, type RequestChannelOptions } from './request-channel.js';

/** Changes a `watch()` subscriber may have in flight before it processed them. */
const WATCH_PREFETCH = 64;
/** Longest name of a value, array, dict or list (its `getLock()` is a lock named `KIND:NAME`). */
const MAX_NAME = 240;

/** Python's typecodes a value or an array may be given (docs/state.md has what each holds). */
export type Typecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'c' | 'u';

/** Bounds of a value, array, dict or list: options of its first open (docs/bounds.md). */
export interface StateOptions {
  /** Changes the hub keeps for `watch({ fromRevision })` (default 1,024). */
  history?: number;
  /** Most entries: a dict's keys, a list's or an array's items (default 65,536). */
  maxEntries?: number;
  /** Most characters of its JSON (default 524,288). */
  maxChars?: number;
  /** Most levels of lists and objects in a value (default 64, at most 500). */
  maxDepth?: number;
}

/** Conditions of a write: the hub refuses it, changing nothing, when one fails. */
export interface WriteOptions {
  /** Only if the resource is at this revision now; else ERR_REVISION_MISMATCH. */
  ifRevision?: number;
  /** Only if no write with a later token of the lock was applied to it; else ERR_STALE_FENCE. */
  fence?: Hold | number;
}

/** Options of `update()`: its writes' fence, and how many conflicts it retries. */
export interface UpdateOptions {
  fence?: Hold | number;
  /** Conflicts retried before it rejects with ERR_REVISION_MISMATCH (default 1,000). */
  maxRetries?: number;
}

/** Where a `watch()` starts. */
export interface WatchOptions {
  /** Every change after this revision, with no snapshot; ERR_HISTORY_GONE when the hub no longer keeps them all. */
  fromRevision?: number;
}

/**
 * One change of a value, array, dict or list, as `watch()` emits it: the `revision` it made, the
 * `op` and the arguments that say what changed (docs/state.md lists them per kind). A watch
 * without `fromRevision` begins with `{ op: 'snapshot', value }`, the whole content.
 */
export interface Change {
  readonly revision: number;
  readonly op: string;
  /** The new value (a set or an add), the new item, or the whole content of a snapshot. */
  readonly value?: unknown;
  /** The item's index (array, list). */
  readonly index?: number;
  /** The keys from the top to what changed (dict). */
  readonly path?: readonly string[];
  /** The items set or added (`setSlice`, `extend`; a list's `sort`: all of them, sorted). */
  readonly values?: readonly unknown[];
  /** What an `add` added. */
  readonly n?: number;
  /** Where a `setSlice` starts. */
  readonly start?: number;
  /** The entries a dict's `update` set, and a dict's snapshot in its order. */
  readonly entries?: readonly (readonly [string, unknown])[];
}

/** An answer of the hub to a state request. */
interface Answer {
  revision: number;
  value?: unknown;
}

/**
 * What a value, array, dict and list handle share: one request channel (opened on first use,
 * closed after 100 ms with nothing asked; requests pipelined, applied in the order made),
 * conditions on writes, the revision, watching, and how the handle goes to a child process.
 * `bus.close()` waits until every request of the handle is answered: a write not awaited is
 * applied (or rejects) before the connection closes.
 */
export abstract class StateHandle {
  /** The revision of the last answer this handle had (0 before any): a change to the resource makes it grow. */
  revision = 0;
  private readonly channel: RequestChannel;
  private readonly open: RequestChannelOptions;
  private lock: Lock | undefined;
  /** Requests sent and not answered; `bus.close()` waits for them (see `part`). */
  private pending = 0;
  private readonly settled: (() => void)[] = [];
  /** What the bus waits for before it closes: every request of this handle answered, so that a write not awaited is not lost. */
  private readonly part: Drainable = {
    drained: () => (this.pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.settled.push(resolve))),
  };

  constructor(protected readonly bus: BusLike, readonly kind: 'value' | 'array' | 'dict' | 'list', readonly name: string, private readonly creation: Record<string, unknown> | undefined) {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) {
      throw new InvalidArgumentError(`a ${kind}'s name must be a string of 1 to ${MAX_NAME} characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    // Once the hub has the resource, later opens of this handle attach without sending the content again.
    this.open = { kind, name, role: 'use', openOptions: creation, opened: () => (this.open.openOptions = undefined) };
    this.channel = new RequestChannel(bus, this.open);
  }

  /** Sends one request; resolves with the hub's answer, its revision noted. */
  protected ask(op: string, args: Record<string, unknown> | null = null, write?: WriteOptions): Promise<Answer> {
    return new Promise((resolve, reject) => this.call(op, args, write, (err, a) => (err ? reject(err) : resolve(a!))));
  }

  /** Sends one request with no promise: `done` runs once with the error or the answer (its revision noted). */
  private call(op: string, args: Record<string, unknown> | null, write: WriteOptions | undefined, done: (err: Error | undefined, a?: Answer) => void): void {
    let body = args;
    if (write?.ifRevision !== undefined || write?.fence !== undefined) {
      const bad = conditions(write);
      if (bad) return done(bad);
      body = { ...args, ifRevision: write.ifRevision, fence: typeof write.fence === 'object' ? write.fence.token : write.fence };
    }
    if (this.pending++ === 0) this.bus.adopt(this.part);
    this.channel.call<unknown>(op, body, (err, a) => {
      if (--this.pending === 0) {
        this.bus.release(this.part);
        for (const settled of this.settled.splice(0)) settled();
      }
      if (err) return done(err);
      if (typeof a !== 'object' || a === null || typeof (a as Answer).revision !== 'number') {
        return done(new ProtocolError(`${this.kind} '${this.name}': the hub answered ${JSON.stringify(a)?.slice(0, 64)}, not {revision, value}`));
      }
      if ((a as Answer).revision > this.revision) this.revision = (a as Answer).revision;
      done(undefined, a as Answer);
    });
  }

  /** Sends one request; resolves with the answer's value. */
  protected value<T>(op: string, args: Record<string, unknown> | null = null, write?: WriteOptions): Promise<T> {
    return this.ask(op, args, write).then((a) => a.value as T);
  }

  /** Sends one write; resolves once the hub applied it. */
  protected write(op: string, args: Record<string, unknown> | null, write?: WriteOptions): Promise<void> {
    return this.ask(op, args, write).then(() => undefined);
  }

  /**
   * Read, compute, write if nothing changed in between (by revision), and again on a conflict:
   * resolves with what `compute` returned for the read that won.
   */
  protected async retry<T>(read: () => Promise<Answer>, compute: (current: Answer) => T | Promise<T>, write: (next: T, options: WriteOptions) => Promise<unknown>, options: UpdateOptions = {}): Promise<T> {
    const max = options.maxRetries ?? 1_000;
    if (!Number.isSafeInteger(max) || max < 0) throw new InvalidArgumentError(`maxRetries is an integer >= 0, got ${max}`);
    for (let attempt = 0; ; attempt++) {
      const current = await read();
      const next = await compute(current);
      try {
        await write(next, { ifRevision: current.revision, ...(options.fence !== undefined ? { fence: options.fence } : {}) });
        return next;
      } catch (err) {
        if (!(err instanceof RevisionMismatchError)) throw err;
        if (attempt >= max) throw new RevisionMismatchError(`${this.kind} '${this.name}': update gave up after ${max} conflicts with other writers: retry later, or hold a lock around the update`);
      }
    }
  }

  /**
   * `retry` as an Observable, with no promise (so it runs in virtual time): on subscribe, reads
   * with `read`, computes `compute(value)`, writes `write(next)` with `ifRevision`, and again on a
   * conflict; emits what it wrote, then completes. Unsubscribed, it stops (a write on its way still lands).
   */
  protected retry$<T>(read: [string, Record<string, unknown> | null], compute: (current: unknown) => T, write: (next: T) => [string, Record<string, unknown>], options: UpdateOptions = {}): Observable<T> {
    return new Observable<T>((subscriber) => {
      const max = options.maxRetries ?? 1_000;
      if (!Number.isSafeInteger(max) || max < 0) return subscriber.error(new InvalidArgumentError(`maxRetries is an integer >= 0, got ${max}`));
      let attempt = 0;
      const round = (): void => this.call(read[0], read[1], undefined, (err, current) => {
        if (subscriber.closed) return;
        if (err) return subscriber.error(err);
        let next: T;
        try {
          next = compute(current!.value);
        } catch (e) {
          return subscriber.error(e);
        }
        const [op, args] = write(next);
        this.call(op, args, { ifRevision: current!.revision, ...(options.fence !== undefined ? { fence: options.fence } : {}) }, (werr) => {
          if (subscriber.closed) return;
          if (!werr) {
            subscriber.next(next);
            return subscriber.complete();
          }
          if (!(werr instanceof RevisionMismatchError)) return subscriber.error(werr);
          if (attempt++ >= max) return subscriber.error(new RevisionMismatchError(`${this.kind} '${this.name}': update gave up after ${max} conflicts with other writers: retry later, or hold a lock around the update`));
          round();
        });
      });
      round();
    });
  }

  /**
   * A re-entrant lock for this resource (Python's `get_lock()`): the lock named `KIND:NAME` on the
   * same hub, one handle for every call. The hub does not tie it to the writes: hold it around
   * the operations that must go together, or fence them with its hold.
   */
  getLock(): Lock {
    return (this.lock ??= new Lock(this.bus, `${this.kind}:${this.name}`, 'rlock'));
  }

  /**
   * The changes of the resource: its content now as a snapshot (unless `fromRevision` is given),
   * then every change after it, each once, in revision order, paced by this subscriber's credit
   * (the hub keeps them in its history meanwhile). Errors with ERR_HISTORY_GONE if the history no
   * longer has one it needs. Cold: each subscription opens its own channel, closed on unsubscribe.
   * It never completes.
   */
  watch(options: WatchOptions = {}): Observable<Change> {
    return new Observable<Change>((subscriber) => {
      const from = options.fromRevision;
      if (from !== undefined && !(Number.isSafeInteger(from) && from >= 0)) {
        subscriber.error(new InvalidArgumentError(`fromRevision is a revision (an integer >= 0), got ${from}`));
        return;
      }
      const what = `${this.kind} '${this.name}'`;
      const inbound = new Inbound<unknown>(what, WATCH_PREFETCH);
      const o = { ...this.open.openOptions, ...(from !== undefined ? { from } : {}) };
      const channel = ClientChannel.open(this.bus, this.kind, this.name, 'watch', Object.keys(o).length > 0 ? o : undefined, { inbound });
      const sub = inbound.values(false, () => channel.close()).subscribe({
        next: (c) => {
          if (typeof c !== 'object' || c === null || typeof (c as Change).revision !== 'number' || typeof (c as Change).op !== 'string') {
            subscriber.error(new ProtocolError(`${what}: the hub sent ${JSON.stringify(c)?.slice(0, 64)}, not a change`));
            return;
          }
          subscriber.next(this.fromWire(c as Change));
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
  }

  /** A change as the hub sent it, as `watch()` emits it (a dict turns its snapshot into an object). */
  protected fromWire(change: Change): Change {
    return change;
  }

  /** The handle as plain data, for passing to a child process: with its initial content, so that the child's handle makes the same resource if it gets there first. */
  toJSON(): HandleDescriptor {
    return { $hostbus: this.kind, address: this.bus.addressSpec(), name: this.name, ...(this.creation ? { o: this.creation } : {}) };
  }
}

function conditions(write: WriteOptions): Error | undefined {
  const { ifRevision, fence } = write;
  if (ifRevision !== undefined && !(Number.isSafeInteger(ifRevision) && ifRevision >= 0)) {
    return new InvalidArgumentError(`ifRevision is a revision (an integer >= 0), got ${ifRevision}`);
  }
  const token = typeof fence === 'object' && fence !== null ? fence.token : fence;
  if (fence !== undefined && !(Number.isSafeInteger(token) && (token as number) >= 1)) {
    return new InvalidArgumentError('fence is a hold of a lock (or its token, an integer >= 1)');
  }
  return undefined;
}

/** Creation options of a value or array: the content, its type, the bounds; undefined keys left out. */
export function creationOptions(content: Record<string, unknown>, options: object = {}): Record<string, unknown> | undefined {
  const all = Object.entries({ ...content, ...options }).filter(([, v]) => v !== undefined);
  return all.length > 0 ? Object.fromEntries(all) : undefined;
}

/** The creation options a handle's descriptor carries (see `toJSON`). */
export function descriptorOptions(d: HandleDescriptor): Record<string, unknown> {
  return typeof d.o === 'object' && d.o !== null && !Array.isArray(d.o) ? (d.o as Record<string, unknown>) : {};
}
