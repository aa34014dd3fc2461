import type { SchedulerLike } from 'rxjs';
import type { Port, PortHandler } from '../bus/port.js';
import { Session } from '../bus/session.js';
import { formatAddress, isLoopbackIp, resolveAddress, unmapIp, type Address } from '../transport/address.js';
import { dialHub } from '../bus/dial.js';
import { authkeyBytes, authkeyFromEnv, clientAuth } from '../bus/auth.js';
import { helloHandshake } from '../bus/handshake.js';
import { TCP_KEEPALIVE_MS } from '../bus/keepalive.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { rememberAuthkey } from './authkeys.js';
import type { Wire } from '../transport/wire.js';
import { DirectLinks, type DirectAuth } from './direct.js';
import { registerHandleKind, type BusLike, type Drainable, type HandleDescriptor } from './handle.js';
import { PipeEnd, type PipeOptions } from './pipe.js';
import { Queue, type QueueOptions } from './queue.js';
import { JoinableQueue } from './joinable-queue.js';
import { Lock } from './lock.js';
import { Event } from './event.js';
import { Barrier, type BarrierOptions } from './barrier.js';
import { Condition } from './condition.js';
import { Value, type ValueOptions } from './value.js';
import { SharedArray } from './array.js';
import { SharedDict } from './dict.js';
import { SharedList } from './list.js';
import type { StateOptions } from './state-handle.js';

/** How long `connect()` waits for the hub's handshake by default (ms). */
const CONNECT_HELLO_TIMEOUT_MS = 5_000;

/** Options of a connection to a hub. */
export interface BusOptions {
  /**
   * The key to prove to the hub, and that the hub must prove back (docs/remote.md): a string
   * (UTF-8) or bytes. Default: `HOSTBUS_AUTHKEY_HEX` (hex) or `HOSTBUS_AUTHKEY` from the
   * environment, if set. With a key, only a hub with the same key is accepted.
   */
  authkey?: string | Uint8Array;
  /**
   * How long `connect()` waits for the hub's handshake (its hello, after the authkey if any) in
   * ms (default 5,000); then it rejects with ERR_TIMEOUT.
   */
  helloTimeoutMs?: number;
  /** Largest frame in bytes, each way (default 1 MiB). */
  maxLine?: number;
  /** Keepalive interval in ms (default 0: off; 15,000 on `tcp://`). */
  keepaliveMs?: number;
  /** Scheduler of batched flushes (default: a microtask on a socket, `asapScheduler` in memory). */
  scheduler?: SchedulerLike;
  /**
   * How long the end of a direct named pipe that the hub told to accept waits for the other end
   * to connect, in ms (default 10,000); then it fails with ERR_PEER_GONE.
   */
  directTimeoutMs?: number;
  /**
   * Most connections to this bus's direct listener held at once that are not a pipe's channel
   * yet (default 64); one more makes the oldest be cut. Each is held for at most
   * `directTimeoutMs`.
   */
  directMaxPending?: number;
  /** Called once when the connection is over: `err` unless `close()` ended it. */
  onClose?: (err?: Error) => void;
}

/**
 * A connection to a hub, on which any number of channels are multiplexed. Handles made from it
 * (`queue`, `pipe`) open their channels lazily, and all share this one connection.
 */
export class Bus implements BusLike {
  private readonly session: Session;
  private readonly done: Promise<Error | undefined>;
  private readonly parts = new Set<Drainable>();
  private links: DirectLinks | undefined;
  /** The authkey of this connection, if it has one. */
  private readonly key: Buffer | undefined;
  /** Resolves once the hub has said hello (after authentication, if any); rejects if the connection ends first. */
  readonly ready: Promise<void>;
  private settleReady!: (err?: Error) => void;

  /** Wraps an already connected wire; `connect()` is the usual way to get a Bus. */
  constructor(wire: Wire, private readonly options: BusOptions & { address?: Address; dial?: () => Promise<Wire> } = {}) {
    let settle!: (err: Error | undefined) => void;
    this.done = new Promise((resolve) => (settle = resolve));
    this.key = options.authkey !== undefined ? authkeyBytes(options.authkey) : undefined;
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = (err) => (err ? reject(err) : resolve())));
    this.ready.catch(() => undefined);
    this.session = this.sessionOn(wire, (err) => {
      this.settleReady(err ?? new ClosedError('the connection closed before the hub said hello'));
      settle(err);
    });
    if (this.key && options.address) rememberAuthkey(this.addressSpec(), this.key);
    // Direct links prove the hub's key; over TCP, one may listen where this process reaches the hub from.
    const local = options.address?.kind === 'tcp' && wire.localAddress ? unmapIp(wire.localAddress) : undefined;
    this.loopback = local !== undefined && isLoopbackIp(local);
    if (this.key) this.auth = { key: this.key, tcpHost: local, keepaliveMs: options.keepaliveMs ?? TCP_KEEPALIVE_MS };
    // Made now (its listeners only on first use), so that bad direct options fail connect() itself.
    if (options.address) this.links = this.directLinks();
  }

  /** What this bus's direct links prove, and where a TCP one listens: with a key only. */
  private readonly auth: DirectAuth | undefined;
  /** This bus reaches a `tcp://` hub over loopback: its direct pipes offer TCP by default. */
  private readonly loopback: boolean;

  private directLinks(): DirectLinks {
    return new DirectLinks({ timeoutMs: this.options.directTimeoutMs, maxPending: this.options.directMaxPending, maxLine: this.options.maxLine, auth: this.auth });
  }

  /**
   * The session of this bus over `wire`. Made in one place, from the bus's options alone, so
   * that a new connection (from `options.dial`, which `connect` gives) gets the same session.
   */
  private sessionOn(wire: Wire, onClose: (err?: Error) => void): Session {
    const { options } = this;
    return new Session(wire, {
      role: 'client',
      keepaliveMs: options.keepaliveMs ?? (options.address?.kind === 'tcp' ? TCP_KEEPALIVE_MS : 0),
      ...(this.key ? { handshake: clientAuth(this.key, helloHandshake('client', wire.maxLine)) } : {}),
      onReady: () => this.settleReady(),
      ...(options.helloTimeoutMs !== undefined ? { helloTimeoutMs: options.helloTimeoutMs } : {}),
      onClose: (err?: Error) => {
        onClose(err);
        options.onClose?.(err);
      },
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    });
  }

  /** The queue called `name` on the hub (created by the first opener, with its options). */
  queue<T>(name: string, options?: QueueOptions): Queue<T> {
    return new Queue<T>(this, name, options);
  }

  /**
   * The joinable queue called `name`, as Python's `JoinableQueue`: a queue with `taskDone()` and
   * `join()`. A name is joinable or not from its first open: opening it the other way fails with
   * ERR_OPTIONS_MISMATCH.
   */
  joinableQueue<T>(name: string, options?: QueueOptions): JoinableQueue<T> {
    return new JoinableQueue<T>(this, name, options);
  }

  /**
   * The lock called `name` on the hub, as Python's `Lock`: one holder at a time, released by that
   * holder; freed (the next hold `abandoned`) when the holder's connection closes. A name is one
   * kind of lock from its first open: opening it as another fails with ERR_OPTIONS_MISMATCH.
   */
  lock(name: string): Lock {
    return new Lock(this, name, 'lock');
  }

  /** The re-entrant lock called `name`, as Python's `RLock`: its holder acquires it again, and releases as many times. */
  rlock(name: string): Lock {
    return new Lock(this, name, 'rlock');
  }

  /**
   * The semaphore called `name`, as Python's `Semaphore(value)`: `value` permits (default 1), each
   * hold owned as a lock's; a release with nothing held adds a permit.
   */
  semaphore(name: string, value?: number): Lock {
    return new Lock(this, name, 'semaphore', value);
  }

  /** As `semaphore`, but a release with nothing held is ERR_NOT_OWNER (Python's `BoundedSemaphore`, released too many times). */
  boundedSemaphore(name: string, value?: number): Lock {
    return new Lock(this, name, 'bounded-semaphore', value);
  }

  /** The event called `name` on the hub, as Python's `Event`: a flag to set, clear and wait for, across processes. */
  event(name: string): Event {
    return new Event(this, name);
  }

  /**
   * The condition called `name`, as Python's `Condition(lock)`: over `lock` (a lock or rlock
   * handle), or, with none, over the rlock called `name`.
   */
  condition(name: string, lock?: Lock): Condition {
    return new Condition(this, name, lock);
  }

  /**
   * The barrier called `name` on the hub, as Python's `Barrier(parties, timeout=...)`: made by its
   * first open with these options (another `parties` or `timeout` later is ERR_OPTIONS_MISMATCH).
   */
  barrier(name: string, parties: number, options?: BarrierOptions): Barrier {
    return new Barrier(this, name, parties, options);
  }

  /**
   * The value called `name` on the hub, as Python's `Value(typecode, initial)`: the first open
   * creates it with `initial` (and `type`, a typecode the hub then enforces); a later open with
   * another initial value or type is ERR_OPTIONS_MISMATCH, and one with none uses what is there
   * (ERR_NOT_FOUND if nobody created it).
   */
  value<T = unknown>(name: string, initial?: T, options?: ValueOptions): Value<T> {
    return new Value<T>(this, name, initial, options);
  }

  /**
   * The array called `name`, as Python's `Array(typecode, initial or length)`: fixed length,
   * created by the first open with its items (or `length` zeros of `type`), matched as a value is.
   */
  array<T = number>(name: string, initialOrLength?: readonly T[] | number, options?: ValueOptions): SharedArray<T> {
    return new SharedArray<T>(this, name, initialOrLength, options);
  }

  /** The dict called `name`, as a `Manager().dict()`: created by the first open, empty or with `initial`. */
  dict<V = unknown>(name: string, initial?: Readonly<Record<string, V>>, options?: StateOptions): SharedDict<V> {
    return new SharedDict<V>(this, name, initial, options);
  }

  /** The list called `name`, as a `Manager().list()`: created by the first open, empty or with `initial`. */
  list<T = unknown>(name: string, initial?: readonly T[], options?: StateOptions): SharedList<T> {
    return new SharedList<T>(this, name, initial, options);
  }

  /**
   * An end of the pipe called `name`: the first two to open it are its two ends. Over a socket
   * the two ends meet through the hub, then talk over a connection of their own where they can
   * reach each other, else through the hub (see `PipeOptions.direct`); in memory, or with
   * `{ direct: false }`, the hub relays.
   */
  pipe<T>(name: string, options?: PipeOptions): PipeEnd<T> {
    const end = new PipeEnd<T>(`pipe '${name}'`, options);
    const address = this.options.address;
    if (address && options?.direct !== false) {
      this.links ??= this.directLinks();
      this.links.meet(this, name, end as PipeEnd<unknown>, options?.direct === true || this.loopback);
    } else {
      end.attach(this.open('pipe', name, 'end', undefined, end.handler));
    }
    return end;
  }

  /** True once the connection is over. */
  get closed(): boolean {
    return this.session.closed;
  }

  /**
   * Closes the connection once every value sent on its queues has reached the hub (as Python's
   * Queue flushes on exit; this waits for as long as a full queue takes to make room), and every
   * request of its value, array, dict and list handles has been answered. What is
   * still open then, such as a `recv()`, fails with ERR_CLOSED, and so does a `get()` that waits;
   * so do the direct pipes opened through it. Resolves once closed; rejects, once closed, with
   * the failure of a channel that lost values sent on it (a `send()` that resolved, then the hub
   * refused the value: ERR_LIMIT, ERR_SHUTDOWN...) when no call on its handle rejected with it
   * yet, so that no such loss goes unseen.
   */
  async close(): Promise<void> {
    const settled = await Promise.all([...this.parts].map((s) => s.drained()));
    this.session.close();
    await Promise.all([this.done, this.links?.close()]);
    const lost = settled.find((f): f is Error => f instanceof Error);
    if (lost) throw lost;
  }

  /** Closes the connection (and its direct pipes) now, without waiting for anything to drain. */
  destroy(): void {
    this.session.close();
    void this.links?.close();
  }

  /** @internal */
  adopt(part: Drainable): void {
    this.parts.add(part);
  }

  /** @internal */
  release(part: Drainable): void {
    this.parts.delete(part);
  }

  /** @internal */
  open(kind: string, name: string, role: string, options: Record<string, unknown> | undefined, handler: PortHandler): Port {
    return this.session.open(kind, name, role, options, handler);
  }

  /** The handle as plain data, for passing to a child process (which connects on its own). */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'bus', address: this.addressSpec() };
  }

  /** @internal */
  addressSpec(): string {
    return this.options.address ? formatAddress(this.options.address) : 'memory';
  }
}

/**
 * Connects to the hub at `address` (a bare name, a socket path, a pipe name, or
 * `tcp://host:port`); resolves once the hub has said hello, after both sides proved the authkey
 * when there is one (the option, else `HOSTBUS_AUTHKEY_HEX` or `HOSTBUS_AUTHKEY`). Rejects with
 * AuthError (ERR_AUTH) when the keys do not match, or when the hub asks for a key and none was given.
 */
export async function connect(address: string | Address, options: BusOptions = {}): Promise<Bus> {
  const resolved = resolveAddress(address);
  const { helloTimeoutMs } = options;
  if (helloTimeoutMs !== undefined && !(Number.isSafeInteger(helloTimeoutMs) && helloTimeoutMs > 0)) {
    throw new InvalidArgumentError(`helloTimeoutMs is a positive number of milliseconds, got ${String(helloTimeoutMs)}`);
  }
  const authkey = options.authkey ?? authkeyFromEnv();
  const dial = () => dialHub(resolved, options);
  const wire = await dial();
  let bus: Bus;
  try {
    bus = new Bus(wire, { ...options, helloTimeoutMs: helloTimeoutMs ?? CONNECT_HELLO_TIMEOUT_MS, ...(authkey ? { authkey } : {}), address: resolved, dial });
  } catch (err) {
    wire.destroy();
    throw err;
  }
  await bus.ready;
  return bus;
}

registerHandleKind<Bus>({
  name: 'bus',
  is: (value): value is Bus => value instanceof Bus,
  describe: (bus) => bus.toJSON(),
  revive: (_d, bus) => bus as Bus,
});
