import type { Socket } from 'node:net';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import { ClosedError, InvalidArgumentError, LimitError } from '../errors.js';
import { formatAddress, resolveAddress, type Address } from '../transport/address.js';
import { authkeyBytes, authkeyFromEnv, hubAuth } from './auth.js';
import { helloHandshake } from './handshake.js';
import { TCP_KEEPALIVE_MS } from './keepalive.js';
import { listen, type Listener } from '../transport/listen.js';
import { memoryWirePair, type MemoryWireOptions } from '../transport/memory-wire.js';
import { SocketWire } from '../transport/socket-wire.js';
import type { Wire } from '../transport/wire.js';
import type { Port } from './port.js';
import { KindRegistry, type Kind } from './kinds.js';
import { guarded, limitsOf, type Limits } from './hub-limits.js';
import type { HubOptions, HubStats } from './hub-options.js';

export type { HubOptions, HubStats } from './hub-options.js';
import { pipeKind } from './resources/pipe-resource.js';
import { queueKind } from './resources/queue-resource.js';
import { lockKind } from './resources/lock-resource.js';
import { eventKind } from './resources/event-resource.js';
import { barrierKind } from './resources/barrier-resource.js';
import { valueKind } from './resources/value-resource.js';
import { arrayKind } from './resources/array-resource.js';
import { dictKind } from './resources/dict-resource.js';
import { listKind } from './resources/list-resource.js';
import type { Resource, ResourceHost } from './resources/resource.js';
import { Session, type OpenRequest } from './session.js';

/** The kinds every hub knows. */
const BUILT_IN: readonly Kind[] = [queueKind, pipeKind, lockKind, eventKind, barrierKind, valueKind, arrayKind, dictKind, listKind];

/**
 * Owns named resources (queues, pipes, locks...) and routes frames between the sessions that use them.
 * Embed it in any process with {@link Hub.listen}, or run it in memory for tests.
 * A session that breaks the protocol is closed; the hub and the other sessions go on. Every count
 * a peer can grow has a limit (see {@link HubOptions}); reaching one is an ERR_LIMIT error to the
 * one who reached it, and a count in `stats().limits`.
 */
export class Hub implements ResourceHost {
  private readonly sessions = new Set<Session>();
  /** Sessions whose peer has not sent its hello yet. */
  private readonly pending = new Set<Session>();
  private readonly resources = new Map<string, Resource>();
  /** Per session id: requests waiting (joins, acquires...), bounded by maxWaiting; holds of locks, by maxHolds. */
  private readonly perSession = { maxWaiting: new Map<number, number>(), maxHolds: new Map<number, number>() };
  /** What forgotten resources left behind, oldest first (bounded by maxEndedQueues). */
  private readonly remains = new Map<string, unknown>();
  private listener: Listener | undefined;
  private closing = false;
  private readonly scheduler: SchedulerLike;
  private readonly limits: Limits;
  private readonly reached: HubStats['limits'] = {
    maxConnections: 0, maxChannels: 0, maxResources: 0, maxQueuedChars: 0, maxPendingConnections: 0, helloTimeoutMs: 0, maxWaiting: 0, maxHolds: 0,
    maxStateResources: 0,
  };
  private stateResources = 0;
  private authFailures = 0;
  /** The authkey clients must prove, if any. */
  private readonly key: Buffer | undefined;
  private held = 0;
  private readonly kinds: KindRegistry;
  private sessionIds = 0;
  /** Resources waiting for the hub to hold less than maxQueuedChars. */
  private waitingRoom = new Set<() => void>();

  /** Throws InvalidArgumentError on a bad option. */
  constructor(private readonly options: HubOptions = {}) {
    this.scheduler = options.scheduler ?? asapScheduler;
    this.limits = limitsOf(options);
    this.key = options.authkey === undefined ? undefined : authkeyBytes(options.authkey);
    this.kinds = new KindRegistry([...BUILT_IN, ...(options.kinds ?? [])]);
  }

  /**
   * Starts a hub listening at `address`: a bare name, a socket path, a pipe name, or
   * `tcp://host:port` (port 0: any free one; `hub.address` says which). With an authkey (the
   * option, else `HOSTBUS_AUTHKEY` or `HOSTBUS_AUTHKEY_HEX` in the environment) every client must
   * prove it has the same key before anything else (docs/remote.md); on `tcp://` one is required.
   */
  static async listen(address: string | Address, options: HubOptions = {}): Promise<Hub> {
    const resolved = resolveAddress(address);
    const key = options.authkey !== undefined ? authkeyBytes(options.authkey) : authkeyFromEnv();
    if (resolved.kind === 'tcp' && !key) {
      throw new InvalidArgumentError(
        `listening on ${formatAddress(resolved)} needs an authkey, so that only clients with the key are served: ` +
          "give Hub.listen(address, { authkey: '...' }), or set HOSTBUS_AUTHKEY in the environment",
      );
    }
    const hub = new Hub({ ...options, ...(key ? { authkey: key } : {}), ...(resolved.kind === 'tcp' && options.keepaliveMs === undefined ? { keepaliveMs: TCP_KEEPALIVE_MS } : {}) });
    hub.listener = await listen(resolved, (socket) => hub.serveSocket(socket), {
      ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      unref: options.unref === true,
    });
    return hub;
  }

  /** The address the hub listens at, if it listens. */
  get address(): Address | undefined {
    return this.listener?.address;
  }

  /**
   * Serves one connection: a session over `wire`, until either side closes it. Past
   * `maxConnections` or `maxPendingConnections` the peer gets a session error ERR_LIMIT and the
   * connection is closed.
   */
  serve(wire: Wire): Session {
    if (this.closing) {
      wire.destroy(new ClosedError('the hub is closing'));
      throw new ClosedError('the hub is closing');
    }
    const limit = this.sessions.size >= this.limits.maxConnections ? 'maxConnections'
      : this.pending.size >= this.limits.maxPendingConnections ? 'maxPendingConnections' : undefined;
    const key = this.key;
    const session: Session = new Session(wire, {
      role: 'hub',
      ...(key ? { handshake: hubAuth(key, helloHandshake('hub', wire.maxLine)) } : {}),
      id: ++this.sessionIds,
      ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
      keepaliveMs: this.options.keepaliveMs ?? 0,
      maxChannels: this.limits.maxChannels,
      trustChecked: this.options.trustChecked !== false,
      ...(limit ? {} : { helloTimeoutMs: this.limits.helloTimeoutMs }),
      accept: (port, open) => this.open(port, open),
      onReady: () => this.pending.delete(session),
      onLimit: (name) => this.reached[name]++,
      onClose: () => {
        // Served, and gone before proving the key: refused (a wrong key, garbage, the deadline) or left.
        if (key && !limit && !session.ready) this.authFailures++;
        this.sessions.delete(session);
        this.pending.delete(session);
      },
    });
    if (limit) {
      this.reached[limit]++;
      session.fail(new LimitError(
        limit === 'maxConnections'
          ? `the hub serves its limit of ${this.limits.maxConnections} connections (maxConnections): close some, or raise maxConnections on the hub`
          : `${this.limits.maxPendingConnections} connections are still in their handshake (maxPendingConnections): try again shortly`,
      ));
      return session;
    }
    if (session.closed) return session;
    this.sessions.add(session);
    if (!session.ready) this.pending.add(session);
    return session;
  }

  /** Connects an in-memory client: returns the client's end of a wire pair the hub serves. */
  connectMemory(options: MemoryWireOptions = {}): Wire {
    const [client, server] = memoryWirePair({ scheduler: this.scheduler, maxLine: this.options.maxLine, ...options });
    this.serve(server);
    return client;
  }

  /** Sessions and resources, with the counters of each, and how often each limit was reached. */
  stats(): HubStats {
    return {
      sessions: this.sessions.size,
      pending: this.pending.size,
      queuedChars: this.held,
      stateResources: this.stateResources,
      authFailures: this.authFailures,
      limits: { ...this.reached },
      resources: [...this.resources.values()].map((r) => ({ kind: r.kind, name: r.name, ...r.stats() })),
    };
  }

  /**
   * Stops listening and ends every session (clients see their channels fail with
   * ERR_CONNECTION_LOST); resolves once the listener is closed and its socket file removed.
   * What the hub held is gone with it.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const session of this.sessions) session.close(true);
    await this.listener?.close();
  }

  /** @internal ResourceHost */
  defer(work: () => void): void {
    this.scheduler.schedule(() => guarded(work));
  }

  /** @internal ResourceHost */
  later(ms: number, work: () => void): () => void {
    if (this.options.scheduler) {
      const action = this.options.scheduler.schedule(() => guarded(work), ms);
      return () => action.unsubscribe();
    }
    // A timer never keeps the process alive by itself: the hub's listener does, if it should.
    const timer = setTimeout(() => guarded(work), ms);
    timer.unref();
    return () => clearTimeout(timer);
  }

  /** @internal ResourceHost */
  maybeIdle(resource: Resource): void {
    const key = this.keyOf(resource.kind, resource.name);
    if (!resource.idle || this.resources.get(key) !== resource) return;
    this.resources.delete(key);
    const left = resource.remains?.();
    if (left === undefined) return;
    this.remains.delete(key);
    this.remains.set(key, left);
    if (this.remains.size > this.limits.maxEndedQueues) this.remains.delete(this.remains.keys().next().value!);
  }

  /** @internal ResourceHost */
  wait(session: number, delta: 1 | -1): boolean {
    return this.count('maxWaiting', session, delta);
  }

  /** @internal ResourceHost */
  holding(session: number, delta: 1 | -1): boolean {
    return this.count('maxHolds', session, delta);
  }

  /** @internal ResourceHost */
  keepState(): boolean {
    if (this.stateResources >= this.limits.maxStateResources) {
      this.reached.maxStateResources++;
      return false;
    }
    this.stateResources++;
    return true;
  }

  /** Counts one more or less of `limit`'s kind for `session`; false, and nothing counted, past the limit. */
  private count(limit: 'maxWaiting' | 'maxHolds', session: number, delta: 1 | -1): boolean {
    const counts = this.perSession[limit];
    const n = (counts.get(session) ?? 0) + delta;
    if (delta > 0 && n > this.limits[limit]) {
      this.reached[limit]++;
      return false;
    }
    if (n > 0) counts.set(session, n);
    else counts.delete(session);
    return true;
  }

  /** @internal ResourceHost */
  hold(chars: number): boolean {
    if (this.held + chars > this.limits.maxQueuedChars) {
      this.reached.maxQueuedChars++;
      return false;
    }
    this.held += chars;
    return true;
  }

  /** @internal ResourceHost */
  unhold(chars: number): void {
    this.held -= chars;
    if (this.waitingRoom.size === 0 || this.held >= this.limits.maxQueuedChars) return;
    const waiting = this.waitingRoom;
    this.waitingRoom = new Set();
    for (const then of waiting) then();
  }

  /** @internal ResourceHost */
  full(then: () => void): boolean {
    if (this.held < this.limits.maxQueuedChars) return false;
    this.waitingRoom.add(then); // a Set: the same resource asking twice waits once
    return true;
  }

  /** Where the resource serving `name` of `kind` is kept: the kind's key for the name, exact by default. */
  private keyOf(kindName: string, name: string, kind = this.kinds.get(kindName)): string {
    return kindName + '\0' + (kind?.resourceKey ? kind.resourceKey(name) : name);
  }

  private serveSocket(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.options.unref) socket.unref();
    const { maxLine, maxQueued, closeTimeoutMs, scheduler } = this.options;
    this.serve(new SocketWire(socket, {
      maxLine, ...(maxQueued ? { maxQueued } : {}), ...(closeTimeoutMs !== undefined ? { closeTimeoutMs } : {}), ...(scheduler ? { scheduler } : {}),
    }));
  }

  private open(port: Port, open: OpenRequest): void {
    let resource: Resource | undefined;
    let key = '';
    let previous: unknown;
    try {
      const kind = this.kinds.get(open.k);
      if (!kind) {
        throw new InvalidArgumentError(`unknown channel kind ${JSON.stringify(open.k.slice(0, 64))}: this hub knows ${this.kinds.names.join(', ')}`);
      }
      if (open.n.length === 0 || open.n.length > 256) {
        throw new InvalidArgumentError(`a ${open.k} name must be 1 to 256 characters long, not ${open.n.length}`);
      }
      key = this.keyOf(kind.name, open.n, kind);
      resource = this.resources.get(key);
      if (!resource) {
        if (this.resources.size >= this.limits.maxResources) {
          this.reached.maxResources++;
          throw new LimitError(`the hub holds its limit of ${this.limits.maxResources} resources (maxResources): close unused ones, or raise maxResources on the hub`);
        }
        previous = this.remains.get(key);
        resource = kind.create(open.n, open, this, previous);
        this.remains.delete(key);
        this.resources.set(key, resource);
      }
      resource.attach(port, open);
      this.maybeIdle(resource);
    } catch (err) {
      port.fail(err instanceof Error ? err : new Error(String(err)));
      if (resource) this.maybeIdle(resource);
      // A refused open does not make the hub forget what an earlier resource of the name left.
      if (previous !== undefined && !this.resources.has(key) && !this.remains.has(key)) this.remains.set(key, previous);
    }
  }
}
