import type { Port, PortHandler } from '../bus/port.js';
import { MAX_OFFERS } from '../bus/resources/pipe-resource.js';
import type { OpenRequest, Session } from '../bus/session.js';
import { ClosedError, InvalidArgumentError, PeerGoneError, ProtocolError } from '../errors.js';
import { listenPeers, reachPeer, type PeerListener } from '../bus/peers.js';
import type { BusLike } from './handle.js';
import type { PipeEnd } from './pipe.js';

/** How long an end told to accept waits for its peer to connect, by default (ms). */
export const DEFAULT_DIRECT_TIMEOUT_MS = 10_000;

/**
 * Most connections to the direct listener held at once that are not the channel of a pipe end
 * yet (they have not said `hello` and opened their channel, or came before the hub's word), by
 * default.
 */
export const DEFAULT_DIRECT_MAX_PENDING = 64;

/** Largest delay setTimeout keeps (ms); a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be a positive integer of at most ${max}, not ${String(value)}`);
  }
  return value;
}

/** Turns a connection away: its channel gets an error, and the connection is cut. */
function refuse(port: Port, session: Session): void {
  port.fail(new ProtocolError('no pipe end waits for this token here'));
  session.close(true);
}

/** The hub closed the channel of pipe `name` (it went away, or refused the pipe). */
const closedByHub = (name: string): PeerGoneError => new PeerGoneError(`pipe '${name}' was closed by the hub`);

/** This side closed `end` (or its bus) before the pipe's other end came. */
const closedBeforePeer = (end: PipeEnd<unknown>): ClosedError => new ClosedError(`${end.label} was closed by this side before its peer connected`);

/** The key of a bus's hub, which every direct link of that bus proves both ways, and where a TCP listener may go. */
export interface DirectAuth {
  key: Buffer;
  /** The IP address this process reaches the hub from: where a TCP listener listens, if an end offers one. */
  tcpHost?: string | undefined;
  /** Keepalive interval of TCP links (ms). */
  keepaliveMs: number;
}

/** What the hub says in `opened` when it pairs two ends that both offered a direct address. */
interface DirectInfo {
  token: string;
  accept?: boolean;
  connect?: string | string[];
}

interface Waiting {
  end: PipeEnd<unknown>;
  timer: NodeJS.Timeout;
  hubPort: Port;
}

/** A connection to the listener that is not the channel of a pipe end (yet). */
interface Pending {
  /** Cuts it once `timeoutMs` have passed since it was accepted. */
  timer: NodeJS.Timeout;
  /** The token of the channel it opened, once it has opened one. */
  token?: string;
  port?: Port;
  /** The peer ended its direction on that channel before it became the pipe's: replayed then. */
  ended?: { err?: Error | undefined };
}

/**
 * The direct links of one bus: named pipes whose two ends meet through the hub, then talk over a
 * socket of their own, as a `Pipe()` to a child does. A round trip then costs one hop instead of
 * two; the hub only holds the name until both ends have left.
 *
 * Each end offers the addresses of this bus's listeners, best first (its private socket, then a
 * TCP port where the bus asks for one; made on first use by {@link listenDirect}, closed with the
 * bus). When the hub pairs two such ends, the first waits for a connection bearing the hub's token
 * (at most `timeoutMs`), and the second tries the first's addresses in order. One that reaches
 * none falls back to the hub, which then relays; an end whose peer neither connects nor falls
 * back fails with ERR_PEER_GONE. With a key, every link proves it both ways first.
 *
 * The private socket takes only this user (see {@link listenDirect}). Of the connections the
 * listeners accept, at most `maxPending` are held at once until they become a pipe's
 * channel, each for at most `timeoutMs`: one more makes the oldest be cut at once, and one that
 * has not become a channel within `timeoutMs` is cut. A connection carries one channel.
 */
export class DirectLinks {
  /** Ends told to connect that are still trying the other's addresses. */
  private readonly attempts = new Set<AbortController>();
  /** This bus's listeners, made on first use: its private socket, and a TCP port. */
  private readonly listeners = new Map<'local' | 'tcp', Promise<PeerListener>>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly sessions = new Set<Session>();
  /**
   * Accepted connections that are no pipe's channel yet, oldest first (a Map keeps insertion
   * order); at most `maxPending`.
   */
  private readonly pending = new Map<Session, Pending>();
  /** Pending connections that came with a token before the hub's word reached its end. */
  private readonly early = new Map<string, Session>();
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly maxLine: number | undefined;
  private readonly auth: DirectAuth | undefined;

  /**
   * `timeoutMs`: how long an end told to accept waits for its peer, and a connection to a
   * listener may take to become a channel (default 10,000); an end told to connect tries the
   * addresses it was given for at most half of it, then falls back to the hub. `maxPending`: most
   * connections to the listeners held at once that are no channel yet (default 64). `maxLine`:
   * the bus's frame limit, which its direct links keep. `auth`: the hub's key, which every link
   * then proves both ways (and without which no `tcp://` peer is reached), and where a TCP
   * listener goes. Throws InvalidArgumentError for a value that is not a positive integer.
   */
  constructor(options: { timeoutMs?: number | undefined; maxPending?: number | undefined; maxLine?: number | undefined; auth?: DirectAuth | undefined } = {}) {
    this.timeoutMs = positiveInteger('directTimeoutMs', options.timeoutMs, DEFAULT_DIRECT_TIMEOUT_MS, MAX_TIMEOUT_MS);
    this.maxPending = positiveInteger('directMaxPending', options.maxPending, DEFAULT_DIRECT_MAX_PENDING);
    this.maxLine = options.maxLine;
    this.auth = options.auth;
  }

  /**
   * Opens the named pipe `name` on `bus` with a direct offer (this bus's private socket, and
   * with `tcp` its TCP listener after it), and wires `end` once the hub has paired it: directly,
   * or relayed by the hub when the other end did not offer or the two could not connect.
   */
  meet(bus: BusLike, name: string, end: PipeEnd<unknown>, tcp = false): void {
    let hubPort: Port | undefined;
    let dropped = false;
    end.cancel = () => {
      dropped = true;
      hubPort?.close();
    };
    const open = (options: Record<string, unknown> | undefined, handler: PortHandler): Port | undefined => {
      try {
        return bus.open('pipe', name, 'end', options, handler);
      } catch (err) {
        end.handler.closed?.(err as Error);
        return undefined;
      }
    };
    this.offer(tcp).then((addresses) => {
      if (dropped) return;
      const port = open({ direct: addresses.length === 1 ? addresses[0] : addresses }, {
        opened: (info) => {
          const direct = info.direct as DirectInfo | undefined;
          if (!direct) return end.attach(port!);
          // The hub channel stays open, holding the name, until this end's channel is gone.
          port!.handler = {};
          if (this.closed) {
            port!.close();
            end.handler.closed?.(closedBeforePeer(end));
            return;
          }
          if (direct.accept) this.accept(String(direct.token), end, name, port!);
          else this.connect([direct.connect ?? []].flat().slice(0, MAX_OFFERS).map(String), String(direct.token), end, name, port!);
        },
        closed: (err) => end.handler.closed?.(err ?? closedByHub(name)),
      });
      hubPort = port;
    }, () => {
      // No direct listener here (such as a folder this process may not write): the hub relays.
      if (dropped) return;
      const port = open(undefined, end.handler);
      if (port) end.attach(port);
    });
  }

  /** Stops accepting, fails the ends still waiting, and closes every direct connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [token, w] of this.waiting) {
      this.waiting.delete(token);
      clearTimeout(w.timer);
      w.hubPort.close();
      w.end.handler.closed?.(closedBeforePeer(w.end));
    }
    this.early.clear();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    // Attempts still connecting stop, and their ends fail with ERR_CLOSED.
    for (const attempt of this.attempts) attempt.abort();
    this.attempts.clear();
    // Forced: a connection that never opened a channel (a stranger) must not hold the close up.
    for (const session of this.sessions) session.close(true);
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(listeners.map(async (l) => (await l.catch(() => undefined))?.close()));
  }

  /**
   * The addresses an end offers, in the order to try them: the private socket, then (with `tcp`,
   * on a bus that has a TCP host) the TCP listener; those that could be made. Rejects when none.
   */
  private async offer(tcp: boolean): Promise<string[]> {
    if (this.closed) throw new ClosedError('the bus is closed: connect again');
    const kinds = tcp && this.auth?.tcpHost !== undefined ? (['local', 'tcp'] as const) : (['local'] as const);
    const made = await Promise.allSettled(kinds.map((kind) => this.listener(kind)));
    const addresses = made.flatMap((r) => (r.status === 'fulfilled' ? [r.value.address] : []));
    if (addresses.length === 0) throw (made[0] as PromiseRejectedResult).reason;
    return addresses;
  }

  /** The listener of `kind`, made on first use; every session on it proves the key, if there is one. */
  private listener(kind: 'local' | 'tcp'): Promise<PeerListener> {
    let listener = this.listeners.get(kind);
    if (!listener) {
      listener = listenPeers({
        maxLine: this.maxLine,
        key: this.auth?.key,
        ...(kind === 'tcp' ? { host: this.auth?.tcpHost, keepaliveMs: this.auth?.keepaliveMs } : {}),
        onSession: (session) => this.serve(session),
        accept: (session, port, open) => this.acceptOn(session, port, open),
        onClose: (session) => {
          this.sessions.delete(session);
          // One that came with a token stays known until taken or timed out: its end is still to hear of it.
          if (this.pending.get(session)?.token === undefined) this.drop(session);
        },
      });
      this.listeners.set(kind, listener);
    }
    return listener;
  }

  private accept(token: string, end: PipeEnd<unknown>, name: string, hubPort: Port): void {
    const early = this.early.get(token);
    const { port, ended } = (early && this.pending.get(early)) || {};
    if (early && port) {
      // The peer's connection came in before the hub's word reached this end.
      this.early.delete(token);
      if (port.state !== 'open') {
        // It closed that channel (or its connection) already: what it sent before is all there is.
        this.drop(early);
        early.close(true);
        hubPort.close();
        if (ended) end.handler.end?.(ended.err);
        end.handler.closed?.(new PeerGoneError(`the other end of pipe '${name}' closed its direct channel before this end took it`));
        return;
      }
      this.join(end, port, early, hubPort);
      if (ended) end.handler.end?.(ended.err);
      return;
    }
    const timer = setTimeout(() => {
      this.waiting.delete(token);
      hubPort.close();
      end.handler.closed?.(new PeerGoneError(
        `the other end of pipe '${name}' did not connect within ${this.timeoutMs} ms (directTimeoutMs), ` +
          'directly or through the hub: it may have exited or be stuck',
      ));
    }, this.timeoutMs);
    this.waiting.set(token, { end, timer, hubPort });
    end.cancel = () => {
      clearTimeout(timer);
      this.waiting.delete(token);
      hubPort.close();
    };
    // The peer could not reach this end and fell back to the hub: its first frame there (its
    // credit) says so, and this end takes the hub channel as its own, from that frame on.
    let mine = false;
    const relayed = (): PortHandler => {
      if (this.waiting.get(token)?.end === end) {
        this.waiting.delete(token);
        clearTimeout(timer);
        end.attach(hubPort);
        mine = true;
      }
      return mine ? end.handler : {};
    };
    hubPort.handler = {
      credit: (n) => relayed().credit?.(n),
      data: (payload, seq, header) => relayed().data?.(payload, seq, header),
      ack: (ranges) => relayed().ack?.(ranges),
      end: (err) => relayed().end?.(err),
    };
  }

  /** A connection to the listener: held until it becomes a channel, within the bounds. */
  private serve(session: Session): void {
    if (this.closed) {
      session.close(true);
      return;
    }
    this.sessions.add(session);
    if (this.pending.size >= this.maxPending) {
      // Full: the oldest goes, so that a flood of idle connections cannot keep a real peer out
      // (which says hello and opens its channel as soon as it has connected).
      const [oldest] = this.pending.keys();
      this.drop(oldest!);
      oldest!.close(true);
    }
    const timer = setTimeout(() => {
      const pending = this.pending.get(session);
      this.drop(session);
      if (pending?.port) refuse(pending.port, session);
      else session.close(true);
    }, this.timeoutMs);
    this.pending.set(session, { timer });
  }

  /** A channel the peer of a pending connection opened: the pipe it names, if this end waits for it. */
  private acceptOn(session: Session, port: Port, open: OpenRequest): void {
    const pending = this.pending.get(session);
    if (!pending || pending.port) {
      // One channel per connection: a second one is refused, the first is left as it is.
      port.fail(new ProtocolError('a direct connection carries one pipe'));
      return;
    }
    const w = open.k === 'pipe' ? this.waiting.get(open.n) : undefined;
    if (w) {
      this.waiting.delete(open.n);
      clearTimeout(w.timer);
      return this.join(w.end, port, session, w.hubPort);
    }
    if (open.k !== 'pipe' || this.early.has(open.n)) return refuse(port, session);
    // The hub tells both ends at once, on two connections: the peer may be here before this
    // end has heard the token. It waits, as the end would have, until its connection's
    // timeoutMs is up; being pending, it counts towards maxPending.
    pending.token = open.n;
    pending.port = port;
    port.handler = { end: (err) => void (pending.ended = { err }) };
    this.early.set(open.n, session);
  }

  /** Forgets a pending connection (it became a channel, was cut or closed). */
  private drop(session: Session): void {
    const pending = this.pending.get(session);
    if (!pending) return;
    this.pending.delete(session);
    clearTimeout(pending.timer);
    if (pending.token !== undefined && this.early.get(pending.token) === session) this.early.delete(pending.token);
  }

  /** Makes `port` (on `session`, a direct connection) the channel of `end`. */
  private join(end: PipeEnd<unknown>, port: Port, session: Session, hubPort: Port): void {
    this.drop(session);
    hubPort.handler = {};
    end.onGone = () => {
      session.close();
      hubPort.close();
    };
    end.attach(port, true);
  }

  /**
   * Connects to the end at the first of `addresses` that takes the connection and its handshake,
   * all within half of `timeoutMs`, and opens the pipe's channel there with `token`; when none
   * does, falls back to the hub, which relays the pair from then on (the other end hears it from
   * this end's first frame there).
   */
  private connect(addresses: string[], token: string, end: PipeEnd<unknown>, name: string, hubPort: Port): void {
    let dropped = false;
    const attempt = new AbortController();
    this.attempts.add(attempt);
    end.cancel = () => {
      dropped = true;
      attempt.abort();
      hubPort.close();
    };
    // The hub channel is what this end falls back to: whether it is still there, and an end the
    // other side sent on it (it fell back itself, or had ended before the pair was made), are kept.
    let hubGone: Error | undefined;
    let hubEnded: { err?: Error | undefined } | undefined;
    hubPort.handler = {
      end: (err) => void (hubEnded = { err }),
      closed: (err) => void (hubGone = err ?? closedByHub(name)),
    };
    const onClose = (): void => void this.sessions.delete(session);
    let session: Session;
    const { key, keepaliveMs } = this.auth ?? {};
    const options = { maxLine: this.maxLine, onClose, key, tcpKeepaliveMs: keepaliveMs, timeoutMs: Math.max(1, this.timeoutMs >> 1), signal: attempt.signal };
    reachPeer(addresses, options).then((s) => {
      this.attempts.delete(attempt);
      session = s;
      if (dropped || this.closed) {
        session.close(true);
        if (!dropped) end.handler.closed?.(closedBeforePeer(end));
        return;
      }
      this.sessions.add(session);
      this.join(end, session.open('pipe', token, 'end', undefined, end.handler), session, hubPort);
    }, () => {
      this.attempts.delete(attempt);
      if (dropped) return;
      if (this.closed || hubGone || hubPort.state !== 'open') {
        hubPort.close();
        end.handler.closed?.(this.closed ? closedBeforePeer(end) : hubGone ?? closedByHub(name));
        return;
      }
      end.attach(hubPort);
      if (hubEnded) end.handler.end?.(hubEnded.err);
    });
  }
}
