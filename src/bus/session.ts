import { asapScheduler, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import {
  ClosedError, ConnectionLostError, LimitError, ProtocolError, TimeoutError,
  errorFromWire, errorToWire,
} from '../errors.js';
import type { Wire } from '../transport/wire.js';
import { dataChannel, dataPayload, encodeControl, encodeFailure, parseFrame, parseFullFrame, preview, type Frame } from './frames.js';
import { helloHandshake, type Handshake, type PeerInfo } from './handshake.js';
import { Keepalive } from './keepalive.js';
import { isJsonPayload } from './json-check.js';
import { Port, type PortHandler, type PortHost } from './port.js';
import type { SessionOptions } from './session-options.js';

/** An `open` frame as the accepting side sees it. */
export type OpenRequest = Extract<Frame, { t: 'open' }>;

export type { SessionOptions };

/**
 * One connection's multiplexer: channels by id in a Map, frames dispatched to their {@link Port},
 * the `hello` handshake, the close handshake of channels, and keepalive.
 *
 * A peer that breaks the protocol (bad JSON, unknown frame, unknown channel, credit overrun,
 * oversized line) gets one session-level `error` frame and the connection is closed.
 */
export class Session implements PortHost {
  private readonly ports = new Map<number, Port>();
  private dirty: Port[] = [];
  /** Ports told that the wire is full, to be told when it is not. */
  private stalled = new Set<Port>();
  private flushScheduled = false;
  private nextId = 1;
  /** The peer vouched in its hello that its payloads are JSON: they are not checked here. */
  private peerChecked = false;
  private over = false;
  /** Within a graceful `close`: senders write what they hold (within credit), full wire or not. */
  private closing = false;
  private closedHere = false;
  private pongDue: number | undefined;
  private keepalive: Keepalive | undefined;
  private helloTimer: Subscription | undefined;
  /** Why the session ended, once it has. */
  private endedWith: Error | undefined;
  /** Who wants to hear of the session's end (resources holding something for it). */
  private readonly endHooks = new Set<(err?: Error) => void>();
  readonly id: number;
  private readonly scheduler: SchedulerLike;
  private readonly soon: (work: () => void) => void;
  private readonly flushNow = (): void => this.flushDirty();
  private readonly maxChannels: number;
  /** What the handshake learned of the peer, once it is done. */
  peer: PeerInfo | undefined = undefined;
  private readonly handshake: Handshake;

  constructor(private readonly wire: Wire, private readonly options: SessionOptions) {
    this.scheduler = options.scheduler ?? asapScheduler;
    this.soon = !options.scheduler && wire.soon ? (work) => wire.soon!(work) : (work) => void this.scheduler.schedule(work);
    this.maxChannels = options.maxChannels ?? 65_536;
    this.id = options.id ?? 0;
    this.handshake = options.handshake ?? helloHandshake(options.role, wire.maxLine);
    wire.start({
      line: (line) => this.onLine(line),
      fault: (err) => this.fail(!this.peer && this.handshake.refuse ? this.handshake.refuse(err) : err),
      closed: (err) => this.finish(err),
      flushing: () => this.flushDirty(),
      writable: () => this.onWritable(),
    });
    if (this.handshake.maxLine !== undefined) wire.limitLines?.(this.handshake.maxLine);
    this.handshake.begin((line) => this.write(line));
    const helloMs = options.helloTimeoutMs;
    if (helloMs !== undefined && !this.over) {
      this.helloTimer = (options.timerScheduler ?? asyncScheduler).schedule(() => {
        if (this.peer) return;
        options.onLimit?.('helloTimeoutMs');
        this.fail(options.role === 'client'
          ? new TimeoutError(`the hub did not finish its handshake within ${helloMs} ms (helloTimeoutMs): check that the address is a hostbus hub and that it is not overloaded, or give connect() a longer helloTimeoutMs`)
          : new LimitError(`no hello within ${helloMs} ms (helloTimeoutMs): a client must send its hello first`));
      }, helloMs);
    }
  }

  /** @internal SessionRef */
  onEnd(fn: (err?: Error) => void): () => void {
    if (this.over) {
      const err = this.closedHere ? undefined : this.endedWith;
      this.soon(() => fn(err));
      return () => {};
    }
    const hook = (err?: Error) => fn(err);
    this.endHooks.add(hook);
    return () => void this.endHooks.delete(hook);
  }

  /** True once the peer's `hello` has arrived. */
  get ready(): boolean {
    return this.peer !== undefined;
  }

  /** True once the session is over. */
  get closed(): boolean {
    return this.over;
  }

  /**
   * Opens a channel: sends `open` now (pipelined, no round trip to wait for). Never throws: on a
   * session that is over, past `maxChannels`, or with an `open` frame too large for a line, the
   * port comes back already gone and its handler's `closed` runs soon with the reason.
   */
  open(kind: string, name: string, role: string, options: Record<string, unknown> | undefined, handler: PortHandler): Port {
    const port = new Port(this.nextId++, this, handler);
    const frame: OpenRequest = { t: 'open', c: port.id, k: kind, n: name, r: role };
    if (options && Object.keys(options).length > 0) frame.o = options;
    let refused: Error | undefined;
    if (this.over) refused = this.endedWith ?? new ConnectionLostError('the session is closed: connect again');
    else if (this.ports.size >= this.maxChannels) {
      refused = new LimitError(`more than ${this.maxChannels} channels open on one connection (maxChannels): close some first`);
    } else {
      try {
        this.wire.write(encodeControl(frame));
      } catch (err) {
        refused = err as Error;
      }
    }
    if (refused) {
      const err = refused;
      port.state = 'gone';
      this.soon(() => port.handler.closed?.(err));
      return port;
    }
    this.ports.set(port.id, port);
    return port;
  }

  /**
   * Closes the session: flushes what is queued, then ends the connection; gracefully (reading on
   * until the peer closes), or with `force`, cut once the queue is written. A graceful close
   * first has senders that held values back for a full wire write them (within their credit);
   * what they are given after that is not sent.
   */
  close(force = false): void {
    if (this.over) return;
    this.closedHere = true;
    if (!force) {
      this.closing = true;
      this.onWritable();
      this.closing = false;
    }
    this.flushDirty();
    this.wire.end(force);
  }

  /** Sends a session-level error to the peer (cut to fit a line) and closes. */
  fail(err: Error): void {
    if (this.over) return;
    const line = encodeFailure({ t: 'error', e: errorToWire(err) }, this.wire.maxLine);
    // A handshake that must not speak first (a client waiting for a challenge) says nothing here either.
    if (line !== undefined && (this.peer || !this.handshake.quiet?.())) this.write(line);
    this.wire.end(true);
    this.finish(err);
  }

  /** @internal PortHost */
  get maxLine(): number {
    return this.wire.maxLine;
  }

  /** @internal PortHost */
  write(line: string): void {
    if (!this.over) this.wire.write(line);
  }

  /** @internal PortHost */
  canWrite(port: Port): boolean {
    // Once closed here, nothing more goes out: values wait in their sender and fail with the session.
    if (this.closedHere) return this.closing;
    if (this.wire.writable !== false) return true;
    this.stalled.add(port);
    return false;
  }

  /** @internal PortHost */
  markDirty(port: Port): void {
    this.dirty.push(port);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.soon(this.flushNow);
  }

  /** @internal PortHost */
  release(port: Port): void {
    if (this.ports.get(port.id) === port) this.ports.delete(port.id);
  }

  /**
   * The wire takes writes again (or the session is closing): stalled ports write in the order they
   * stalled, until the wire is full again. A port that fills it stalls again behind those not
   * served yet, so one bulk sender cannot keep the connection to itself.
   */
  private onWritable(): void {
    if (this.stalled.size === 0) return;
    const waiting = [...this.stalled];
    this.stalled = new Set();
    let i = 0;
    for (; i < waiting.length && (this.closing || this.wire.writable !== false); i++) {
      const port = waiting[i]!;
      if (port.state === 'open') this.guard(() => port.handler.writable?.());
    }
    if (i < waiting.length) this.stalled = new Set([...waiting.slice(i), ...this.stalled]);
  }

  private flushDirty(): void {
    this.flushScheduled = false;
    const ports = this.dirty;
    this.dirty = [];
    for (const port of ports) {
      try {
        port.flush();
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /**
   * Runs work of this session that no caller waits for (a scheduled flush, a wire callback): what
   * it throws fails this session, and goes no further.
   */
  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onLine(line: string): void {
    if (this.over) return;
    this.keepalive?.heardFrom();
    try {
      // Data frames in hostbus's own spelling skip the frame object: the hot path.
      if (!this.peer) return this.shake(line);
      const c = dataChannel(line);
      if (c !== 0) {
        const payload = dataPayload(line, c);
        // From a peer whose payloads are not believed, a line the fast path cannot read whole goes to the full parser.
        if (this.peerChecked || isJsonPayload(payload)) return this.port(c, line).onData(payload);
        return this.dispatch(parseFullFrame(line), line);
      }
      const f = parseFrame(line);
      const whole = f.t !== 'data' || this.peerChecked || (isJsonPayload(f.d) && (f.h === undefined || isJsonPayload(f.h)));
      this.dispatch(whole ? f : parseFullFrame(line), line);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A line of the handshake: once it is done, the session starts with what it learned. */
  private shake(line: string): void {
    const peer = this.handshake.receive(line);
    if (!peer) return;
    if (this.handshake.maxLine !== undefined) this.wire.limitLines?.();
    this.peer = peer;
    this.helloTimer?.unsubscribe();
    // Pings start once the handshake is done: until then its deadline (helloTimeoutMs) is the bound.
    const { keepaliveMs } = this.options;
    if (keepaliveMs && keepaliveMs > 0) {
      this.keepalive = new Keepalive(
        keepaliveMs, this.options.timerScheduler ?? asyncScheduler,
        (n) => this.guard(() => this.write(encodeControl({ t: 'ping', n }))),
        () => this.fail(new TimeoutError('the peer stopped answering keepalive pings')),
      );
    }
    this.peerChecked = peer.checked && this.options.trustChecked !== false;
    this.options.onReady?.(peer);
  }

  private dispatch(f: Frame, line: string): void {
    switch (f.t) {
      case 'data':
        return this.port(f.c, line).onData(f.d, f.h);
      case 'credit':
        return this.port(f.c, line).onCredit(f.n);
      case 'ack':
        return this.port(f.c, line).onAck(f.r);
      case 'end': {
        const port = this.port(f.c, line);
        if (port.state === 'open') port.handler.end?.(f.e && errorFromWire(f.e));
        return;
      }
      case 'opened': {
        const port = this.port(f.c, line);
        if (port.state === 'open') port.handler.opened?.(f.i ?? {});
        return;
      }
      case 'open':
        return this.onOpen(f);
      case 'close':
      case 'error': {
        if (f.c === undefined) throw errorFromWire((f as Extract<Frame, { t: 'error' }>).e);
        const port = this.port(f.c, line);
        const err = f.t === 'error' ? errorFromWire(f.e) : undefined;
        return port.onGone(err, port.state === 'open');
      }
      case 'closed':
        return this.port(f.c, line).onGone(undefined, false);
      case 'ping':
        // One pong per turn answers every ping of that turn: pings cannot pile replies up.
        if (this.pongDue === undefined) {
          this.pongDue = f.n;
          this.scheduler.schedule(() => this.guard(() => {
            this.write(encodeControl({ t: 'pong', n: this.pongDue! }));
            this.pongDue = undefined;
          }));
        } else {
          this.pongDue = f.n;
        }
        return;
      case 'pong':
        this.keepalive?.answered();
        return;
      case 'hello':
        throw new ProtocolError('hello sent twice');
    }
  }

  private onOpen(f: OpenRequest): void {
    if (this.ports.has(f.c)) throw new ProtocolError(`channel ${f.c} is already open`);
    const limited = this.ports.size >= this.maxChannels;
    if (limited) this.options.onLimit?.('maxChannels');
    // Refused channels wait for the peer's `closed`: one that never answers cannot pile them up.
    if (this.ports.size >= 2 * this.maxChannels) {
      throw new LimitError(`more than ${this.maxChannels} channels open on one connection (maxChannels), and the refused ones not closed`);
    }
    const port = new Port(f.c, this);
    this.ports.set(f.c, port);
    if (limited) port.fail(new LimitError(`more than ${this.maxChannels} channels open on one connection (maxChannels): close some first`));
    else if (this.options.accept) this.options.accept(port, f);
    else port.fail(new ProtocolError('this side does not accept channels'));
  }

  private port(id: number, line: string): Port {
    const port = this.ports.get(id);
    if (!port) throw new ProtocolError(`frame for unknown channel ${id}: ${preview(line)}`);
    return port;
  }

  private finish(err: Error | undefined): void {
    if (this.over) return;
    this.over = true;
    this.keepalive?.stop();
    this.helloTimer?.unsubscribe();
    const lost = err ?? (this.closedHere ? new ClosedError('the connection was closed by this side') : new ConnectionLostError('the connection closed'));
    this.endedWith = lost;
    const ports = [...this.ports.values()];
    this.ports.clear();
    this.stalled.clear();
    for (const port of ports) {
      try {
        port.onGone(lost, false);
      } catch (err) {
        // The session is over: no one to route this to but the process's warnings.
        process.emitWarning(`hostbus: a channel failed while its session closed: ${(err as Error)?.stack ?? String(err)}`, { type: 'HostbusWarning' });
      }
    }
    const hooks = [...this.endHooks];
    this.endHooks.clear();
    for (const hook of hooks) {
      try {
        hook(this.closedHere ? undefined : lost);
      } catch (err) {
        process.emitWarning(`hostbus: a hook of a session's end failed: ${(err as Error)?.stack ?? String(err)}`, { type: 'HostbusWarning' });
      }
    }
    this.options.onClose?.(this.closedHere ? undefined : lost);
  }
}
