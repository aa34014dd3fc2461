import { BufferOverflowError, EndedError, FrameTooLargeError, InvalidArgumentError } from '../errors.js';
import { Deque } from '../bus/deque.js';
import type { Port, PortHandler } from '../bus/port.js';
import type { SeqRange } from '../bus/frames.js';
import { encodeValue } from './json.js';

/** Default bound of the values waiting on one sender (for credit, or for a full socket). */
export const DEFAULT_MAX_BUFFER = 65_536;
/** `sendAll` stops pulling values when this many wait to go out, or this many characters... */
const SEND_ALL_HIGH = 1024;
const SEND_ALL_HIGH_CHARS = 256 * 1024;
/** ...and pulls again when they are down to this many, and to this many characters. */
const SEND_ALL_LOW = 256;
const SEND_ALL_LOW_CHARS = 64 * 1024;

/** What a send that went out at once answers: one settled promise for all of them. */
const SENT: Promise<void> = Promise.resolve();

interface Waiting {
  json: string;
  resolve?: () => void;
  reject?: (err: Error) => void;
}

/**
 * The send side of one channel: values wait here for credit, go out in order, and are kept until
 * the receiving side acknowledges them.
 *
 * `send()` resolves once its value went out within the credit the receiver granted (at once when
 * credit is there and nothing waits before it), not when it is acknowledged: a loop of awaited
 * sends pays no round trip per value. `flush()` and `end()` resolve once the receiver acknowledged
 * everything before them. A failure of the channel after a send resolved is kept: the next
 * `send`, `flush` or `end` rejects with it.
 *
 * Bound: at most `maxBuffer` values wait here, for credit or for the connection to take more (a
 * full socket); one more gives ERR_BUFFER_OVERFLOW. Values in flight (sent, not acknowledged) are
 * bounded by the credit the receiver granted.
 */
export class Sender {
  private port: Port | undefined;
  private readonly waiting = new Deque<Waiting>();
  /** Characters of JSON in `waiting`. */
  private waitingChars = 0;
  private ackedTo = 0;
  /**
   * The encoded values sent and not acknowledged yet, oldest first (sequence numbers `ackedTo + 1`
   * to the port's `sent`): bounded by the credit granted, and what a new connection would send
   * again.
   */
  private readonly inFlight = new Deque<string>();
  /** Ranges acknowledged ahead of `ackedTo + 1`: disjoint, in order, none touching another. */
  private readonly ahead: SeqRange[] = [];
  private ending: { err: unknown; resolve: () => void; reject: (err: Error) => void } | undefined;
  private endSent = false;
  private endSettled = false;
  private failure: Error | undefined;
  private lost = false;
  /** A call (send, flush, end...) has rejected with `failure`. */
  private reported = false;
  /**
   * Who waits for the values given before them to be acknowledged, by the sequence number of the
   * last of those values, in order.
   */
  private drainWaiters: { upTo: number; settle: (failure: Error | undefined) => void }[] = [];
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly what: string,
    private readonly maxBuffer: number = DEFAULT_MAX_BUFFER,
    private readonly onEnded?: () => void,
  ) {
    if (!Number.isSafeInteger(maxBuffer) || maxBuffer < 1) {
      throw new InvalidArgumentError(`maxBuffer must be a positive integer, got ${maxBuffer}`);
    }
  }

  /** True once `end()` was called or the channel failed. */
  get done(): boolean {
    return this.ending !== undefined || this.failure !== undefined;
  }

  /** True once the channel failed with values given and not acknowledged (lost), and no call has rejected with that failure yet. */
  get lostValues(): boolean {
    return this.lost && !this.reported;
  }

  /** True while open and nothing is waiting or in flight: every value given was acknowledged. */
  get idle(): boolean {
    return !this.done && this.port !== undefined && this.waiting.length === 0 && this.ackedTo >= this.port.sent;
  }

  /** Port handler parts a sender needs; the owner merges them into its port's handler. */
  readonly handler: Required<Pick<PortHandler, 'credit' | 'writable' | 'ack'>> = {
    credit: () => this.drain(),
    writable: () => this.drain(),
    ack: (ranges) => this.onAck(ranges),
  };

  /** Gives the sender its port (once it is open); what waited goes out as credit allows. */
  bind(port: Port): void {
    this.port = port;
    this.drain();
  }

  /**
   * Sends `value`: resolves once it went out within the credit granted (at once when there is
   * credit and nothing waits before it), rejects when it cannot be sent or the channel failed.
   */
  send(value: unknown): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    let json: string;
    try {
      json = encodeValue(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const tooLarge = this.oversize(json);
    if (tooLarge) return Promise.reject(tooLarge);
    if (this.sendNow(json)) return SENT;
    return new Promise((resolve, reject) => {
      this.waiting.push({ json, resolve, reject });
      this.waitingChars += json.length;
      this.drain();
    });
  }

  /** Writes `json` now when nothing waits before it, there is credit and the connection takes more. */
  private sendNow(json: string): boolean {
    const port = this.port;
    if (!port || this.waiting.length > 0 || port.state !== 'open' || port.credit <= 0 || !port.canWrite()) return false;
    port.send(json);
    this.inFlight.push(json);
    return true;
  }

  /** The error for a value too large for one frame of this channel, checked when it is queued. */
  private oversize(json: string): FrameTooLargeError | undefined {
    try {
      this.port?.checkPayload(json);
      return undefined;
    } catch (err) {
      if (err instanceof FrameTooLargeError) return err;
      throw err;
    }
  }

  /** Queues `value` with no promise (the Observer path); throws when it cannot be queued. */
  push(value: unknown): void {
    const refused = this.refusal();
    if (refused) throw refused;
    const json = encodeValue(value);
    const tooLarge = this.oversize(json);
    if (tooLarge) throw tooLarge;
    // Nothing waits, there is credit and room: straight out, with nothing allocated to wait.
    if (!this.sendNow(json)) {
      this.waiting.push({ json });
      this.waitingChars += json.length;
      this.drain();
    }
  }

  /** Ends the stream after what was sent; with `err`, ends it in error. */
  end(err?: unknown): Promise<void> {
    if (this.failure) return Promise.reject(this.report(this.failure));
    if (this.ending) return Promise.reject(new EndedError(`${this.what} was already ended`));
    return new Promise((resolve, reject) => {
      this.ending = { err, resolve, reject };
      this.drain();
    });
  }

  /**
   * Sends every value of `values`, pulling the next one only while fewer than 1,024 values (and
   * 256 Ki characters of JSON) wait to go out; it pulls again once they are down to 256 (and
   * 64 Ki characters): lossless, bounded, and with no promise per value. Resolves once every value
   * was acknowledged; rejects on the first failure.
   */
  async sendAll(values: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
    if (Symbol.asyncIterator in values) {
      for await (const value of values) await this.pushWhenRoom(value);
    } else {
      for (const value of values) {
        if (this.full()) await this.room();
        this.push(value);
      }
    }
    const failure = await this.acked();
    if (failure) throw this.report(failure);
  }

  /** Queues `value` once there is room by `sendAll`'s measure (the Writable path). */
  async pushWhenRoom(value: unknown): Promise<void> {
    if (this.full()) await this.room();
    this.push(value);
  }

  private full(): boolean {
    return this.waiting.length >= SEND_ALL_HIGH || this.waitingChars >= SEND_ALL_HIGH_CHARS;
  }

  /** Resolves when the values waiting are down to `SEND_ALL_LOW`, and their characters too (or the channel failed). */
  private room(): Promise<void> {
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
      this.checkRoom();
    });
  }

  private checkRoom(): void {
    const low = this.waiting.length <= SEND_ALL_LOW && this.waitingChars <= SEND_ALL_LOW_CHARS;
    if (this.roomWaiters.length > 0 && (this.failure || low)) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** @internal The encoded values in flight, oldest first (for sending them again on a new connection). */
  unacknowledged(): string[] {
    return Array.from({ length: this.inFlight.length }, (_, i) => this.inFlight.at(i)!);
  }

  /**
   * Resolves once the receiving side acknowledged every value given so far; rejects with the
   * channel's failure when one of them was not acknowledged before it.
   */
  async flush(): Promise<void> {
    const failure = await this.acked();
    if (failure) throw this.report(failure);
  }

  /**
   * Resolves once every value given so far is acknowledged (with undefined), or once the channel
   * failed before that: with its failure when no call of this sender has rejected with it yet
   * (what `bus.close()` reports), else with undefined.
   */
  async drained(): Promise<Error | undefined> {
    const failure = await this.acked();
    return failure && !this.reported ? this.report(failure) : undefined;
  }

  /** Hands `failure` to a caller: the loss is no longer unseen. */
  private report(failure: Error): Error {
    this.reported = true;
    return failure;
  }

  /** Resolves once every value given so far is acknowledged, or with the failure that came first. */
  private acked(): Promise<Error | undefined> {
    return new Promise((settle) => {
      this.drainWaiters.push({ upTo: (this.port?.sent ?? 0) + this.waiting.length, settle });
      this.checkDrained();
    });
  }

  /** The channel is gone: everything still pending fails with `err`. */
  fail(err: Error): void {
    if (this.failure) return;
    this.lost = this.waiting.length > 0 || this.ackedTo < (this.port?.sent ?? 0);
    // A send still waiting, or an end, rejects with it now: its caller sees the failure.
    if (this.waiting.peek()?.reject || (this.ending && !this.endSettled)) this.reported = true;
    this.failure = err;
    for (let w = this.waiting.shift(); w; w = this.waiting.shift()) w.reject?.(err);
    this.waitingChars = 0;
    while (this.inFlight.length > 0) this.inFlight.shift();
    if (this.ending && !this.endSettled) this.ending.reject(err);
    this.endSettled = true;
    this.checkDrained();
    this.checkRoom();
  }

  private checkDrained(): void {
    const waiters = this.drainWaiters;
    let k = 0;
    for (; k < waiters.length && (this.failure || waiters[k]!.upTo <= this.ackedTo); k++) {
      const w = waiters[k]!;
      w.settle(w.upTo <= this.ackedTo ? undefined : this.failure);
    }
    if (k > 0) waiters.splice(0, k);
  }

  private refusal(): Error | undefined {
    if (this.failure) return this.report(this.failure);
    if (this.ending) return new EndedError(`${this.what} has ended: nothing more can be sent on it`);
    if (this.waiting.length >= this.maxBuffer) {
      return new BufferOverflowError(
        `${this.what}: ${this.maxBuffer} values are already waiting to go out (maxBuffer): ` +
          'await send(), or use a slower source',
      );
    }
    return undefined;
  }

  private drain(): void {
    const port = this.port;
    // A port that is not open sends nothing: its `closed` (maybe still to come) fails this sender.
    if (!port || this.failure || port.state !== 'open') return;
    while (this.waiting.length > 0 && port.credit > 0 && port.canWrite()) {
      const w = this.waiting.shift()!;
      this.waitingChars -= w.json.length;
      try {
        port.send(w.json);
        this.inFlight.push(w.json);
      } catch (err) {
        // Too large for a frame (checked before anything is written): this value alone fails.
        if (!(err instanceof FrameTooLargeError)) throw err;
        // It will never have the sequence number those waiting for it counted on.
        for (const d of this.drainWaiters) if (d.upTo > port.sent) d.upTo--;
        w.reject?.(err);
        continue;
      }
      w.resolve?.();
    }
    this.checkRoom();
    if (this.ending && !this.endSent && this.waiting.length === 0) {
      this.endSent = true;
      port.end(this.ending.err);
    }
    this.checkEnded();
  }

  private onAck(ranges: SeqRange[]): void {
    // `ackedTo` only moves over a contiguous run: values acked ahead of an earlier one (a
    // receiver working concurrently) wait in `ahead`, as ranges, until the gap closes. A range
    // that starts at the run's end (the usual case) moves it at once. Ranges never reach past
    // what was sent, and a range given twice costs no more memory than once.
    const sent = this.port?.sent ?? 0;
    const before = this.ackedTo;
    for (const [from, range] of ranges) {
      const to = Math.min(range, sent);
      const lo = Math.max(from, this.ackedTo + 1);
      if (lo > to) continue;
      if (lo === this.ackedTo + 1) this.ackedTo = to;
      else addRange(this.ahead, lo, to);
    }
    const ahead = this.ahead;
    let k = 0;
    for (; k < ahead.length && ahead[k]![0] <= this.ackedTo + 1; k++) {
      if (ahead[k]![1] > this.ackedTo) this.ackedTo = ahead[k]![1];
    }
    if (k > 0) ahead.splice(0, k);
    for (let n = this.ackedTo - before; n > 0; n--) this.inFlight.shift();
    this.checkEnded();
  }

  private checkEnded(): void {
    this.checkDrained();
    if (!this.endSent || this.endSettled || this.ackedTo < this.port!.sent) return;
    this.endSettled = true;
    this.ending!.resolve();
    this.onEnded?.();
  }
}

/** Adds `[from, to]` to `list` (disjoint ranges in order), merging the ranges it touches or overlaps. */
function addRange(list: SeqRange[], from: number, to: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]![1] < from - 1) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < list.length && list[end]![0] <= to + 1) {
    from = Math.min(from, list[end]![0]);
    to = Math.max(to, list[end]![1]);
    end++;
  }
  list.splice(lo, end - lo, [from, to]);
}
