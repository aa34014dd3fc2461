import type { Socket } from 'node:net';
import { asapScheduler, type SchedulerLike } from 'rxjs';
import { ClosedError, HostbusError, ProtocolError, UnsupportedError } from '../errors.js';
import { resolveAddress, type Address } from '../transport/address.js';
import { listen, type Listener } from '../transport/listen.js';
import { memoryWirePair, type MemoryWireOptions } from '../transport/memory-wire.js';
import { SocketWire } from '../transport/socket-wire.js';
import type { Wire } from '../transport/wire.js';
import type { Port } from './port.js';
import { PipeResource } from './resources/pipe-resource.js';
import { QueueResource } from './resources/queue-resource.js';
import type { Resource, ResourceHost } from './resources/resource.js';
import { Session, type OpenRequest } from './session.js';

/** Options of a hub. */
export interface HubOptions {
  /** Largest frame in bytes on each connection (default 1 MiB). */
  maxLine?: number;
  /** Keepalive interval of each session in ms (default 0: off; Unix sockets report a dead peer by closing). */
  keepaliveMs?: number;
  /**
   * Scheduler of batched flushes. Default: a microtask on socket connections, `asapScheduler`
   * for in-memory ones and the hub's own deferred work (virtual under `TestScheduler.run`).
   */
  scheduler?: SchedulerLike;
  /** Most connections served at once (default 1,024); one more gets a session error ERR_LIMIT and is closed. */
  maxConnections?: number;
  /** Most channels open at once on one connection (default 65,536); one more open fails with ERR_LIMIT. */
  maxChannels?: number;
  /** Most resources (queues, pipes, every later kind) the hub holds at once (default 65,536); an open that would make one more fails with ERR_LIMIT. */
  maxResources?: number;
  /**
   * Most characters of items held in all queues together, queued or delivered and not yet
   * acknowledged (default 512 Mi). At the limit producers get no more credit, and an item that
   * would cross it fails its producer's channel with ERR_LIMIT.
   */
  maxQueuedChars?: number;
  /** Most connections at once that have not finished their handshake (`hello`) (default 128); more are refused with ERR_LIMIT. */
  maxPendingConnections?: number;
  /** A connection that has not sent its `hello` within this many ms is dropped with ERR_LIMIT (default 5,000), keepalive or not. */
  helloTimeoutMs?: number;
  /** Most ended, forgotten queue names remembered so that a late consumer still completes (default 1,024). */
  maxEndedQueues?: number;
  /** The listen backlog: connections the OS holds before the hub accepts them (default 511). */
  backlog?: number;
}

/** What `hub.stats()` reports. */
export interface HubStats {
  sessions: number;
  /** Connections that have not finished their handshake yet. */
  pending: number;
  /** Characters of items held in all queues (queued, or delivered and unacknowledged). */
  queuedChars: number;
  /** How many times each limit was reached since the hub started, by the name of its option. */
  limits: {
    maxConnections: number;
    maxChannels: number;
    maxResources: number;
    maxQueuedChars: number;
    maxPendingConnections: number;
    helloTimeoutMs: number;
  };
  resources: { kind: string; name: string; [counter: string]: number | boolean | string }[];
}

type Factory = (name: string, open: OpenRequest, host: ResourceHost) => Resource;
const factories: Record<string, Factory> = { queue: QueueResource.create, pipe: PipeResource.create };

/**
 * Owns named resources (queues, pipes) and routes frames between the sessions that use them.
 * Embed it in any process with {@link Hub.listen}, or run it in memory for tests.
 * A session that breaks the protocol is closed; the hub and the other sessions go on.
 */
export class Hub implements ResourceHost {
  private readonly sessions = new Set<Session>();
  private readonly resources = new Map<string, Resource>();
  private listener: Listener | undefined;
  private closing = false;
  private readonly scheduler: SchedulerLike;

  constructor(private readonly options: HubOptions = {}) {
    this.scheduler = options.scheduler ?? asapScheduler;
  }

  /** Starts a hub listening at `address` (a bare name, a socket path, or a pipe name). */
  static async listen(address: string | Address, options: HubOptions = {}): Promise<Hub> {
    const resolved = resolveAddress(address);
    if (resolved.kind === 'tcp') {
      throw new UnsupportedError('tcp:// addresses need authkey support, which this version does not have yet: use a socket name or path');
    }
    const hub = new Hub(options);
    hub.listener = await listen(resolved, (socket) => hub.serveSocket(socket));
    return hub;
  }

  /** The address the hub listens at, if it listens. */
  get address(): Address | undefined {
    return this.listener?.address;
  }

  /** Serves one connection: a session over `wire`, until either side closes it. */
  serve(wire: Wire): Session {
    if (this.closing) {
      wire.destroy(new ClosedError('the hub is closing'));
      throw new ClosedError('the hub is closing');
    }
    const session: Session = new Session(wire, {
      role: 'hub',
      ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
      keepaliveMs: this.options.keepaliveMs ?? 0,
      accept: (port, open) => this.open(port, open),
      onClose: () => this.sessions.delete(session),
    });
    this.sessions.add(session);
    return session;
  }

  /** Connects an in-memory client: returns the client's end of a wire pair the hub serves. */
  connectMemory(options: MemoryWireOptions = {}): Wire {
    const [client, server] = memoryWirePair({ scheduler: this.scheduler, maxLine: this.options.maxLine, ...options });
    this.serve(server);
    return client;
  }

  /** Sessions and resources, with the counters of each. */
  stats(): HubStats {
    return {
      sessions: this.sessions.size,
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
    this.scheduler.schedule(work);
  }

  /** @internal ResourceHost */
  maybeIdle(resource: Resource): void {
    const key = resource.kind + '\0' + resource.name;
    if (resource.idle && this.resources.get(key) === resource) this.resources.delete(key);
  }

  private serveSocket(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.serve(new SocketWire(socket, { maxLine: this.options.maxLine, ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}) }));
  }

  private open(port: Port, open: OpenRequest): void {
    const factory = factories[open.k];
    let resource: Resource | undefined;
    try {
      if (!factory) throw new ProtocolError(`unknown channel kind ${JSON.stringify(open.k)}: this hub knows ${Object.keys(factories).join(', ')}`);
      if (open.n.length === 0 || open.n.length > 256) throw new ProtocolError(`a ${open.k} name must be 1 to 256 characters long`);
      const key = open.k + '\0' + open.n;
      resource = this.resources.get(key);
      if (!resource) {
        resource = factory(open.n, open, this);
        this.resources.set(key, resource);
      }
      resource.attach(port, open);
      this.maybeIdle(resource);
    } catch (err) {
      if (!(err instanceof HostbusError)) throw err;
      port.fail(err);
      if (resource) this.maybeIdle(resource);
    }
  }
}

