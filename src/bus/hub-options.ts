// The options of a hub and what its stats() report (src/bus/hub.ts).
import type { SchedulerLike } from 'rxjs';
import type { Kind } from './kinds.js';

/** Options of a hub. */
export interface HubOptions {
  /** Largest frame in bytes on each connection (default 1 MiB). */
  maxLine?: number;
  /** Keepalive interval of each session in ms (default 0: off, since Unix sockets report a dead peer by closing; 15,000 on `tcp://`). */
  keepaliveMs?: number;
  /**
   * Scheduler of batched flushes. Default: a microtask on socket connections, `asapScheduler`
   * for in-memory ones and the hub's own deferred work (virtual under `TestScheduler.run`).
   */
  scheduler?: SchedulerLike;
  /**
   * Whether the hub believes a peer that vouches for its payloads in its hello (`"checked":true`,
   * as hostbus clients do), and so routes them without checking (default true: on a Unix socket
   * or named pipe only the owner's processes can connect). With false every payload is checked
   * where it enters, at a cost in throughput (docs/benchmarks.md).
   */
  trustChecked?: boolean;
  /** Kinds of resource this hub knows besides the built-in ones (queue, pipe, lock, event, barrier): see docs/architecture.md, "Adding a kind". */
  kinds?: readonly Kind[];
  /** Most connections served at once (default 1,024); one more gets a session error ERR_LIMIT and is closed. */
  maxConnections?: number;
  /** Most channels open at once on one connection (default 65,536); one more open fails with ERR_LIMIT. */
  maxChannels?: number;
  /** Most resources (queues, pipes, every later kind) the hub holds at once (default 65,536); an open that would make one more fails with ERR_LIMIT. */
  maxResources?: number;
  /**
   * Most characters the hub holds for its clients (default 512 Mi): items in all queues together,
   * queued or delivered and not yet acknowledged; the content and history of values, arrays,
   * dicts and lists; answers of theirs waiting for a requester's credit. At the limit producers
   * get no more credit, an item that would cross it fails its producer's channel with ERR_LIMIT,
   * and so does a write to shared state (the write is refused).
   */
  maxQueuedChars?: number;
  /** Most connections at once that have not finished their handshake (`hello`) (default 128); more are refused with ERR_LIMIT. */
  maxPendingConnections?: number;
  /** A connection that has not sent its `hello` within this many ms is dropped with ERR_LIMIT (default 5,000), keepalive or not. */
  helloTimeoutMs?: number;
  /** Most ended, forgotten queue names remembered so that a late consumer still completes (default 1,024). */
  maxEndedQueues?: number;
  /**
   * Most requests one connection may have waiting on the hub's resources, over all of them: a
   * queue's `join()`, a lock's `acquire()`, an event's or a barrier's `wait()` (default 1,024); one more fails
   * with ERR_LIMIT.
   */
  maxWaiting?: number;
  /** Most holds of locks and semaphores one connection may have at once (default 4,096); an acquire that would make one more is answered ERR_LIMIT. */
  maxHolds?: number;
  /**
   * Most values, arrays, dicts and lists the hub holds (default a quarter of `maxResources`:
   * 16,384). They are kept until the hub stops, so this keeps them from using up `maxResources`
   * for every other kind; an open that would make one more fails with ERR_LIMIT.
   */
  maxStateResources?: number;
  /**
   * The key every client must prove it has, before anything else (docs/remote.md): a string
   * (UTF-8) or bytes. Default: `HOSTBUS_AUTHKEY_HEX` (hex) or `HOSTBUS_AUTHKEY` from the
   * environment, if set; required for `tcp://`. Optional on sockets and pipes.
   */
  authkey?: string | Uint8Array;
  /** The listen backlog: connections the OS holds before the hub accepts them (default 511). */
  backlog?: number;
  /**
   * Most characters queued for one connection while its socket is full, counted from its last
   * drain (default 64 Mi, or 64 × maxLine if more); past it the peer is cut off with ERR_SLOW_PEER.
   */
  maxQueued?: number;
  /** How long a connection being cut off waits for its peer to take the session's error frame, in ms (default 1,000). */
  closeTimeoutMs?: number;
  /**
   * When true, the hub does not by itself keep the process alive: its listener and every
   * connection it accepts are unref'd, so a program whose work is done exits even if the hub is
   * still open (what `start()` makes). Default false: a hub is a server, and keeps its process
   * running until `close()`.
   */
  unref?: boolean;
}

/** What `hub.stats()` reports. */
export interface HubStats {
  sessions: number;
  /** Connections that have not finished their handshake yet. */
  pending: number;
  /** Characters the hub holds for its clients (`maxQueuedChars`): items in queues (queued, or delivered and unacknowledged), the content and history of shared state, answers waiting for a requester's credit. */
  queuedChars: number;
  /** How many times each limit was reached since the hub started, by the name of its option. */
  limits: {
    maxConnections: number;
    maxChannels: number;
    maxResources: number;
    maxQueuedChars: number;
    maxPendingConnections: number;
    helloTimeoutMs: number;
    maxWaiting: number;
    maxHolds: number;
    maxStateResources: number;
  };
  /** Values, arrays, dicts and lists held (bounded by maxStateResources). */
  stateResources: number;
  /** Connections that ended before proving the authkey: refused (a wrong key, no key, a replayed answer, garbage, a line too long, the handshake's deadline), or gone. */
  authFailures: number;
  resources: { kind: string; name: string; [counter: string]: number | boolean | string }[];
}
