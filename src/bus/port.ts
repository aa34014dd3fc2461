import { ClosedError, CreditOverrunError, FrameTooLargeError, ProtocolError, errorToWire } from '../errors.js';
import { dataHeader, encodeControl, encodeData, encodeFailure, type SeqRange } from './frames.js';

/** Bytes a data frame adds around its payload, at most: `{"c":` + a channel id + `,"d":` + `}`. */
export const FRAME_OVERHEAD = 32;

/**
 * Most credit a side may hold on one channel at once (2^30): a `credit` frame that would take it
 * past this is a protocol error of the peer that sent it, so that no sum of grants, relayed or
 * not, can grow past what the other side can count.
 */
export const MAX_CREDIT = 2 ** 30;

/** Most characters one `[from, to]` range takes in an `ack` frame (two 16-digit numbers). */
const RANGE_CHARS = 36;

/** What a port reports to the channel logic that owns it. Every method is optional. */
export interface PortHandler {
  /** The peer accepted the open; `info` is what it said about the resource. */
  opened?(info: Record<string, unknown>): void;
  /** A data frame arrived; `payload` is raw JSON text, `seq` its number on this channel (from 1), `header` its header as raw JSON text, if it had one. */
  data?(payload: string, seq: number, header?: string): void;
  /** The peer granted `n` more data frames. */
  credit?(n: number): void;
  /** The connection takes writes again after {@link Port.canWrite} said no. */
  writable?(): void;
  /** The peer took responsibility for the data frames in `ranges` (each within what was sent). */
  ack?(ranges: SeqRange[]): void;
  /** The peer ended its direction: no data follows; `err` when it ended with an error. */
  end?(err?: Error): void;
  /** The channel is gone: `err` from the peer or the connection, none on a clean close. Called once. */
  closed?(err?: Error): void;
}

/**
 * The session a channel came in on, as a resource sees it: who the peer is, and when its
 * connection ends (a lock held by that session is released then, say).
 */
export interface SessionRef {
  /** A number unique among the sessions of one hub (0 outside a hub). */
  readonly id: number;
  /** What the peer said of itself in its `hello`, once it has. */
  readonly peer: { role: string; name?: string } | undefined;
  /** Runs `fn` once when the session is over (soon, if it already is); the returned function cancels it. */
  onEnd(fn: (err?: Error) => void): () => void;
}

/** Where a port writes and how it asks for a coalesced flush. Implemented by the session. */
export interface PortHost extends SessionRef {
  /** Largest line the connection carries, in bytes. */
  readonly maxLine: number;
  write(line: string): void;
  /** Fails the whole connection (a frame it must send cannot be written). */
  fail(err: Error): void;
  /** True while the connection takes more; when false, `port.handler.writable` runs once it does. */
  canWrite(port: Port): boolean;
  markDirty(port: Port): void;
  release(port: Port): void;
}

/**
 * One end of a channel on a session: the credit, sequence and ack bookkeeping of both
 * directions, and nothing of what the channel means.
 *
 * Credits: `send` needs credit the peer granted (`credit`), and a data frame that arrives beyond
 * what this side granted is a {@link CreditOverrunError}. Grants and acks are coalesced: `grant`
 * and `ack` only count, and the session writes one `credit` and one `ack` frame per port per
 * scheduler turn.
 */
export class Port {
  /** Data frames this side may still send. */
  credit = 0;
  /** Sequence number of the last data frame sent. */
  sent = 0;
  /** Sequence number of the last data frame received. */
  received = 0;
  /** `open` until either side closes or fails it; then frames for it are dropped. */
  state: 'open' | 'closing' | 'gone' = 'open';
  private window = 0;
  private pendingGrant = 0;
  private pendingAcks: SeqRange[] = [];
  private dirty = false;
  /** `{"c":ID,"d":`, made once. */
  private readonly header: string;

  constructor(
    readonly id: number,
    private readonly host: PortHost,
    public handler: PortHandler = {},
  ) {
    this.header = dataHeader(id);
  }

  /** The session this channel belongs to. */
  get session(): SessionRef {
    return this.host;
  }

  /**
   * Sends one data frame of already-encoded JSON, with a header (also JSON) if given; returns its
   * sequence number. Throws without credit: see {@link trySend}.
   */
  send(payloadJson: string, headerJson?: string): number {
    if (this.state !== 'open') throw new ClosedError(`channel ${this.id} is closed`);
    if (this.credit <= 0) throw new CreditOverrunError(`no credit to send on channel ${this.id}`);
    this.host.write(headerJson === undefined ? this.header + payloadJson + '}' : encodeData(this.id, payloadJson, headerJson));
    this.credit--;
    return ++this.sent;
  }

  /**
   * Sends one data frame if the channel is open and has credit: its sequence number, or 0 when it
   * cannot (nothing is sent). Never calls back into the caller: a connection this write overfills
   * fails later, not inside the call.
   */
  trySend(payloadJson: string, headerJson?: string): number {
    return this.state === 'open' && this.credit > 0 ? this.send(payloadJson, headerJson) : 0;
  }

  /**
   * True while the connection takes more data now. When false (the socket is full, or a flush's
   * worth is queued), the handler's `writable` runs once it does: a sender holds back until then,
   * so that what waits is not encoded frames piling up in the wire.
   */
  canWrite(): boolean {
    return this.host.canWrite(this);
  }

  /**
   * Throws FrameTooLargeError unless `payloadJson` fits a data frame on any channel id of this
   * connection: at most maxLine less 32 bytes (the most a data frame adds), so that a relay can
   * always frame it again for another channel.
   */
  checkPayload(payloadJson: string): void {
    const room = this.host.maxLine - FRAME_OVERHEAD;
    if (payloadJson.length * 3 <= room) return;
    const bytes = Buffer.byteLength(payloadJson, 'utf8');
    if (bytes > room) {
      throw new FrameTooLargeError(
        `a message of ${bytes} bytes is over the ${room} bytes a frame can carry (maxLine ${this.host.maxLine} less ${FRAME_OVERHEAD}): ` +
          'send smaller messages, or raise maxLine on every side',
      );
    }
  }

  /** Grants the peer `n` more data frames (coalesced). */
  grant(n: number): void {
    if (this.state !== 'open' || n <= 0) return;
    this.window += n;
    this.pendingGrant += n;
    this.touch();
  }

  /** Acknowledges data frame `seq` (coalesced into ranges). */
  ack(seq: number): void {
    if (this.state !== 'open') return;
    const acks = this.pendingAcks;
    const last = acks[acks.length - 1];
    if (last && last[1] === seq - 1) last[1] = seq;
    else acks.push([seq, seq]);
    this.touch();
  }

  /**
   * Acknowledges whole ranges (as a relay forwards them), merged with the last pending range where
   * they touch or overlap it; {@link flush} splits them into frames that fit a line.
   */
  ackRanges(ranges: SeqRange[]): void {
    if (this.state !== 'open') return;
    const acks = this.pendingAcks;
    for (const [from, to] of ranges) {
      const last = acks[acks.length - 1];
      if (last && from <= last[1] + 1 && to >= last[0] - 1) {
        if (from < last[0]) last[0] = from;
        if (to > last[1]) last[1] = to;
      } else {
        acks.push([from, to]);
      }
    }
    this.touch();
  }

  /** Writes the coalesced credit and ack frames now; acks in as many frames as fit a line each. */
  flush(): void {
    this.dirty = false;
    if (this.state !== 'open') return;
    const acks = this.pendingAcks;
    if (acks.length > 0) {
      this.pendingAcks = [];
      const perFrame = Math.max(1, Math.floor((this.host.maxLine - 64) / RANGE_CHARS));
      for (let i = 0; i < acks.length; i += perFrame) {
        this.host.write(encodeControl({ t: 'ack', c: this.id, r: i === 0 && acks.length <= perFrame ? acks : acks.slice(i, i + perFrame) }));
      }
    }
    if (this.pendingGrant > 0) {
      this.host.write(encodeControl({ t: 'credit', c: this.id, n: this.pendingGrant }));
      this.pendingGrant = 0;
    }
  }

  /** Tells the peer the open succeeded; an `info` too large for a line fails the channel instead. */
  opened(info?: Record<string, unknown>): void {
    if (this.state !== 'open') return;
    try {
      this.host.write(encodeControl(info ? { t: 'opened', c: this.id, i: info } : { t: 'opened', c: this.id }));
    } catch (err) {
      if (!(err instanceof FrameTooLargeError)) throw err;
      this.fail(err);
    }
  }

  /**
   * Ends this side's direction, after everything sent before; with `err`, ends it in error (its
   * message cut to fit a line, see `encodeFailure`).
   */
  end(err?: unknown): void {
    if (this.state !== 'open') return;
    this.flush();
    this.writeFailure(err === undefined ? { t: 'end', c: this.id } : { t: 'end', c: this.id, e: errorToWire(err) });
  }

  /** Closes the channel from this side; the handler's `closed` runs now, without an error. */
  close(): void {
    if (this.state !== 'open') return;
    this.pendingGrant = 0; // credit now would only bring frames that go straight back
    this.flush();
    this.state = 'closing';
    this.host.write(encodeControl({ t: 'close', c: this.id }));
    this.handler.closed?.();
  }

  /** Fails the channel: the peer gets `err`; the handler's `closed` runs with it. */
  fail(err: Error): void {
    if (this.state !== 'open') return;
    this.pendingGrant = 0;
    this.flush();
    this.state = 'closing';
    this.writeFailure({ t: 'error', c: this.id, e: errorToWire(err) });
    this.handler.closed?.(err);
  }

  /** Writes an `end` or `error` frame cut to fit a line; when not even that fits, the connection fails. */
  private writeFailure(frame: Parameters<typeof encodeFailure>[0]): void {
    const line = encodeFailure(frame, this.host.maxLine);
    if (line !== undefined) this.host.write(line);
    else this.host.fail(new FrameTooLargeError(`maxLine ${this.host.maxLine} is too small for an error frame: raise maxLine`));
  }

  // ---- called by the session on incoming frames ----

  /** @internal */
  onData(payload: string, header?: string): void {
    if (this.state !== 'open') return;
    if (this.window <= 0) {
      throw new CreditOverrunError(`data on channel ${this.id} beyond the credit granted: wait for credit frames before sending`);
    }
    this.window--;
    this.handler.data?.(payload, ++this.received, header);
  }

  /** @internal */
  onCredit(n: number): void {
    if (this.state !== 'open') return;
    if (n > MAX_CREDIT - this.credit) {
      throw new ProtocolError(`credit on channel ${this.id} would exceed ${MAX_CREDIT}: grant at most ${MAX_CREDIT} frames outstanding`);
    }
    this.credit += n;
    this.handler.credit?.(n);
  }

  /** @internal Ranges must lie within what was sent: an ack of a frame never sent is a protocol error. */
  onAck(ranges: SeqRange[]): void {
    if (this.state !== 'open') return;
    for (const r of ranges) {
      if (r[1] > this.sent) {
        throw new ProtocolError(`ack of frame ${r[1]} on channel ${this.id}, where only ${this.sent} were sent`);
      }
    }
    this.handler.ack?.(ranges);
  }

  /** @internal The peer failed the channel, closed it, or the connection is gone. */
  onGone(err: Error | undefined, replyClosed: boolean): void {
    const wasOpen = this.state === 'open';
    this.state = 'gone';
    if (replyClosed) this.host.write(encodeControl({ t: 'closed', c: this.id }));
    this.host.release(this);
    if (wasOpen) this.handler.closed?.(err);
  }

  private touch(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.host.markDirty(this);
  }
}
