import type { Readable, Writable } from 'node:stream';
import type { Observable, Observer } from 'rxjs';
import { ClosedError, ConnectionLostError, EndedError, InvalidArgumentError, PeerGoneError, PipeBusyError } from '../errors.js';
import type { Port, PortHandler } from '../bus/port.js';
import { memoryPeers } from '../bus/peers.js';
import { ClientChannel } from './client-channel.js';
import { DEFAULT_PREFETCH, DONE, Inbound, type Delivery } from './inbound.js';
import { pullTaken } from './pull.js';
import { readableOf, writableOf } from './streams.js';
import { Sender } from './sender.js';

/** Options of a pipe end. */
export interface PipeOptions {
  /** Values this end may hold unprocessed at once: its receive credit (default 1,024). */
  prefetch?: number;
  /** Most values this end keeps waiting for credit or a full socket (default 65,536). */
  maxBuffer?: number;
  /**
   * Named pipes: meet through the hub, then talk over a connection of their own where they can
   * reach each other (a round trip then costs one hop, not two), else through the hub. Each end
   * offers this process's private socket (same user, same host) and, on a `tcp://` hub reached
   * over loopback, or with `true` over a network, a TCP port at the address it reaches the hub
   * from; on a hub with a key, every direct link proves it both ways. The end told to connect
   * tries those in order for at most half of `directTimeoutMs`, then the pair falls back to the
   * hub, which relays every frame from then on, as it does for `false` (default: true).
   */
  direct?: boolean;
}

/**
 * One end of a duplex pipe: what one end sends, the other receives, in order, with credit both
 * ways. `send()` resolves once the value went out within the other end's credit; `flush()` waits
 * until the other end has processed everything sent.
 *
 * The end is an Observer (`source$.subscribe(end)`: `complete` half-closes, `error` ends this
 * direction in error). `recv()` is cold and has one subscriber at a time; values that arrive
 * between two subscribers wait here (at most `prefetch` of them). When the other end goes away
 * without ending, `recv()` errors and pending sends reject with ERR_PEER_GONE.
 */
export class PipeEnd<T> implements Observer<T> {
  private port: Port | undefined;
  private readonly sender: Sender;
  private readonly inbound: Inbound<T>;
  private outEnded = false;
  private closedHere = false;
  /** @internal Set on ends made by `Pipe()`, which connect lazily. */
  link: LocalLink<T> | undefined;
  /** @internal Runs once the channel is gone (a direct pipe closes its connection then). */
  onGone: (() => void) | undefined;
  /** @internal Stops a connection still being made (a named pipe meeting its peer). */
  cancel: (() => void) | undefined;
  /** True when the channel's connection joins this end to the other and nothing else. */
  private direct = false;

  constructor(readonly label: string, options: PipeOptions = {}) {
    this.sender = new Sender(label, options.maxBuffer, () => {
      this.outEnded = true;
      this.closeIfDone();
    });
    this.inbound = new Inbound<T>(label, options.prefetch ?? DEFAULT_PREFETCH);
    this.inbound.onDrained = () => this.closeIfDone();
    this.channel = new ClientChannel({
      sender: this.sender,
      inbound: this.inbound as Inbound<unknown>,
      // Closed here: ERR_CLOSED. A direct pipe's connection is the other end itself, so losing
      // it means the peer is gone; through a hub, a lost connection stays ERR_CONNECTION_LOST.
      reason: (err) => this.closedHere
        ? new ClosedError(`${this.label} was closed by this side`)
        : err instanceof ConnectionLostError && (this.link || this.direct)
          ? new PeerGoneError(`the other end of ${this.label} went away: ${err.message}`, { cause: err })
          : err ?? new PeerGoneError(`the other end of ${this.label} closed`),
      gone: () => this.onGone?.(),
    });
    this.handler = this.channel.handler;
  }

  private readonly channel: ClientChannel;

  /** @internal The port handler this end needs. */
  readonly handler: PortHandler;

  /**
   * @internal Connects this end to its channel; `direct` when the channel's connection goes
   * straight to the other end (so losing it means the peer is gone).
   */
  attach(port: Port, direct = false): void {
    if (this.port) throw new PipeBusyError(`${this.label} is already connected`);
    this.port = port;
    this.direct = direct;
    this.cancel = undefined;
    this.channel.attach(port);
    // Closed before its connection came (a Pipe() end whose socketpair was still on its way).
    if (this.closedHere) port.close();
  }

  /**
   * Sends `value`; resolves once it went out within the credit the other end granted (or waits
   * for credit); `flush()` waits until the other end has processed everything sent.
   */
  send(value: T): Promise<void> {
    const refused = this.refused();
    return refused ? Promise.reject(refused) : this.sender.send(value);
  }

  /**
   * Resolves once the other end has acknowledged (processed) everything sent so far; rejects with
   * the channel's failure (ERR_PEER_GONE when the other end went away first).
   */
  flush(): Promise<void> {
    const refused = this.refused();
    return refused ? Promise.reject(refused) : this.sender.flush();
  }

  /**
   * Sends every value of a (sync or async) iterable, pulling the next only while the buffer has
   * room: lossless and bounded, without a promise per value. Resolves once the other end has processed all of them.
   */
  sendAll(values: Iterable<T> | AsyncIterable<T>): Promise<void> {
    const refused = this.refused();
    return refused ? Promise.reject(refused) : this.sender.sendAll(values);
  }

  /** A Node Writable (object mode) into this end: `pipeline(source, end.writable())`; ending it half-closes. */
  writable(): Writable {
    this.use();
    return writableOf(this.sender, () => this.end());
  }

  /** A Node Readable (object mode) of the values from the other end, pulled one at a time. */
  readable(): Readable {
    return readableOf(this);
  }

  /** Observer: sends `value` without a promise (buffered, bounded by `maxBuffer`). */
  next(value: T): void {
    this.use();
    this.sender.push(value);
  }

  /** Observer: ends this direction in error; the other end's `recv()` errors after what came before. */
  error(err: unknown): void {
    this.use();
    this.sender.end(err).catch(() => undefined);
  }

  /** Observer: half-closes (see `end`). */
  complete(): void {
    this.end().catch(() => undefined);
  }

  /** Half-closes: the other end's `recv()` completes after everything sent before. */
  end(): Promise<void> {
    const refused = this.refused();
    return refused ? Promise.reject(refused) : this.sender.end();
  }

  /** Values from the other end; completes when it ends. One subscriber at a time. */
  recv(): Observable<T> {
    this.use();
    return this.inbound.values(false);
  }

  /** Like `recv`, with an explicit `ack()` per value. */
  recvWithAck(): Observable<Delivery<T>> {
    this.use();
    return this.inbound.values(true);
  }

  /**
   * Takes one value, as Python's `conn.recv()`: resolves with it; rejects with ERR_TIMEOUT when
   * none came within `timeout` ms (default: waits), with ERR_ENDED once the other end ended and
   * every value was taken, and with the channel's error (ERR_PEER_GONE...) after the values before
   * it. Values come within this end's credit (`prefetch`) before they are asked for, so a loop of
   * `get()`s pays no round trip per value. A value counts as processed (acknowledged, its credit
   * given back in batches) when the next `get()` is called on this end, or when it closes. One
   * `get()` at a time; while `get()` reads this end, a `recv()` subscription gets ERR_PIPE_BUSY,
   * and the other way round.
   */
  async get(options: { timeout?: number } = {}): Promise<T> {
    const refused = this.refused();
    if (refused) throw refused;
    const v = await this.inbound.take(options.timeout);
    if (v === DONE) throw new EndedError(`the other end of ${this.label} ended and every value was taken: stop reading`);
    return v;
  }

  /**
   * Resolves true when a value is waiting to be taken by `get()` (now, or within `timeout` ms,
   * default 0), false otherwise (the other end ended, or nothing came in time); takes nothing, as
   * Python's `conn.poll(timeout)`. Reads the end as `get()` does (ERR_PIPE_BUSY beside `recv()`).
   */
  poll(options: { timeout?: number } = {}): Promise<boolean> {
    const refused = this.refused();
    return refused ? Promise.reject(refused) : this.inbound.poll(options.timeout);
  }

  /**
   * Pulls one value at a time, as `get()` does (prefetched within credit): a value is processed
   * when the loop asks for the next one. `break` leaves the values not taken for the next reader.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    const refused = this.refused();
    return pullTaken<T>(
      () => (refused ? Promise.reject(refused) : this.inbound.take()),
      () => this.inbound.release(),
      DONE,
    );
  }

  /**
   * Ends this direction if it is not ended yet, once what was sent has been processed by the other
   * end; the channel closes when the other end has ended too. Never rejects.
   */
  async finish(): Promise<void> {
    this.inbound.settleTaken();
    if (!this.sender.done) await this.sender.end().catch(() => undefined);
    else await this.sender.drained();
  }

  /**
   * Closes this end now, as Python's `conn.close()`: the value last taken by `get()` counts as
   * processed, and the other end gets ERR_PEER_GONE (unless both directions had ended) after the
   * values whose `send()` resolved. Values still waiting for credit are dropped, and this end
   * no longer learns whether the other end processed what it sent: call `flush()` or `end()`
   * first to wait for that.
   */
  close(): void {
    this.inbound.settleTaken();
    // An end of a Pipe() not used yet connects first, so the other end learns of the close.
    if (!this.closedHere) this.refused();
    this.closedHere = true;
    if (this.port) return this.port.close();
    if (this.cancel) {
      this.cancel();
      this.cancel = undefined;
      this.handler.closed?.();
    }
  }

  /** Refuses to become JSON: only `spawn()` can hand a `Pipe()` end to a child. */
  toJSON(): never {
    throw new InvalidArgumentError(
      this.link
        ? `${this.label} is an end of Pipe(): pass it to spawn() as an argument`
        : `${this.label} is this process's end of a named pipe: pass the pipe's name to the child and open it there`,
    );
  }

  private use(): void {
    if (!this.port) this.link?.connect(this);
  }

  /** Connects as `use()` does; the error (ERR_PIPE_BUSY) instead of throwing it. */
  private refused(): Error | undefined {
    try {
      this.use();
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  /** Closes once both directions ended and every value received was processed (and acked). */
  private closeIfDone(): void {
    if (this.outEnded && this.inbound.drained) this.close();
  }
}

/**
 * @internal What stays in this process of a socketpair to the child that holds one end of a
 * `Pipe()` (made by the process layer): connects the staying end on its first use.
 */
export interface ParkedSlot {
  connect(end: PipeEnd<unknown>): void;
}

/**
 * The two ends of a `Pipe()` before they are connected. Using an end connects both in memory,
 * unless one was handed to a child process, which connects them over a socketpair instead: the
 * end that stays connects to it on first use, or, handed to a second child before that, the
 * socketpair goes to that child and the two children talk directly.
 * @internal
 */
export class LocalLink<T> {
  state: 'latent' | 'memory' | 'one-away' | 'both-away' = 'latent';
  /** The end handed to the first child. */
  away: PipeEnd<T> | undefined;
  private parked: ParkedSlot | undefined;
  /** The staying end was used before its socketpair was parked. */
  private wanted: PipeEnd<T> | undefined;
  /** The staying end is connected here (it can no longer go to a child). */
  private here = false;
  constructor(readonly ends: [PipeEnd<T>, PipeEnd<T>]) {}

  connect(end: PipeEnd<T>): void {
    if (this.state === 'both-away') {
      throw new PipeBusyError(`${end.label} was handed to a child process, and so was the other end: those two children talk to each other; make another Pipe() for this process`);
    }
    if (this.state === 'one-away') {
      if (end === this.away) {
        throw new PipeBusyError(`${end.label} was handed to a child process: use the other end here`);
      }
      this.here = true;
      if (this.parked) this.parked.connect(end as PipeEnd<unknown>);
      else this.wanted = end;
      return;
    }
    if (this.state === 'memory') return;
    this.state = 'memory';
    const [a, b] = this.ends;
    const [opener] = memoryPeers((port) => b.attach(port));
    a.attach(opener.open('pipe', '', 'end', undefined, a.handler));
  }

  /**
   * Marks `end` as going to a child. `fd`: the first end to go, the child gets a socketpair (then
   * `park` its side here); `ipc`: the other end went to a child before and was not used here, so
   * this child gets that socketpair's side (`takeParked`).
   */
  transfer(end: PipeEnd<T>): 'fd' | 'ipc' {
    if (this.state === 'latent') {
      this.state = 'one-away';
      this.away = end;
      return 'fd';
    }
    if (this.state === 'one-away' && end !== this.away && !this.here) {
      this.state = 'both-away';
      return 'ipc';
    }
    if (this.state === 'memory' || this.here) {
      throw new PipeBusyError(`${end.label} cannot go to a child process: this pipe is already in use here (hand it over before using either end)`);
    }
    throw new PipeBusyError(`${end.label} was handed to a child process already: an end goes to one process`);
  }

  /** Gives the link the socketpair side of the end that stayed; connects it if it was used already. */
  park(slot: ParkedSlot): void {
    this.parked = slot;
    if (this.wanted) slot.connect(this.wanted as PipeEnd<unknown>);
  }

  /** Takes the parked socketpair side, to hand it to the second child. */
  takeParked(): ParkedSlot | undefined {
    const slot = this.parked;
    this.parked = undefined;
    return slot;
  }
}

let pipeCount = 0;

/**
 * Makes a pipe: two connected ends, as Python's `multiprocessing.Pipe()`. Use both in one process,
 * or hand one to `spawn()`: the two processes are then joined by a direct socketpair, no hub.
 * Hand both (before using either) to two children, and those two talk over that socketpair.
 */
export function Pipe<T>(options: PipeOptions = {}): [PipeEnd<T>, PipeEnd<T>] {
  const n = ++pipeCount;
  const a = new PipeEnd<T>(`pipe #${n} end 0`, options);
  const b = new PipeEnd<T>(`pipe #${n} end 1`, options);
  const link = new LocalLink<T>([a, b]);
  a.link = b.link = link;
  return [a, b];
}
