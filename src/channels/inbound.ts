import { Observable, type Subscriber } from 'rxjs';
import { ClosedError, InvalidArgumentError, PipeBusyError } from '../errors.js';
import { Deque } from '../bus/deque.js';
import { InFlight } from '../bus/in-flight.js';
import { MAX_CREDIT, type Port, type PortHandler } from '../bus/port.js';
import { decodeValue } from './json.js';
import { Puller } from './puller.js';

/** Default receive credit: data frames a receiver lets the sender have in flight. */
export const DEFAULT_PREFETCH = 1024;

/** What `decode` returns for a payload that is not JSON (any JSON value, undefined aside, is valid). */
const BAD = Symbol('bad payload');
const BAD_PAYLOAD_HINT = 'it was dropped, not redelivered; its sender is not a hostbus client, or is broken: make it send JSON text';

/** A received value with an explicit acknowledgement, for asynchronous processing. */
export interface Delivery<T> {
  readonly value: T;
  /** Marks the value processed: it will not be redelivered, and credit for one more goes back. */
  ack(): void;
}

/** What `take()` resolves with once the end arrived and every value was taken. */
export const DONE = Symbol('ended');

/** @internal Who reads an end: a subscriber of `values()`, or pull mode (`Puller`). */
export interface Reader {
  /** Hands one value to the reader; false when it does not take it now (the value stays here). */
  deliver(payload: string, seq: number): boolean;
  finish(err: Error | undefined): void;
  /** True for pull mode. */
  readonly pull?: boolean;
}

/**
 * The receive side of one channel: grants credit, hands values to one subscriber at a time, and
 * acknowledges each value once it was processed (after `next` returns, or on `ack()`), which is
 * also when its credit is given back (in batches of half the prefetch).
 *
 * Bound: values held here never exceed the credit granted (`prefetch`, all of it granted when the
 * port is bound). Values that arrive with no subscriber wait here for the next one. An end, or an error of the channel, reaches the
 * subscriber only after every value received before it.
 */
export class Inbound<T> {
  private port: Port | undefined;
  private readonly inbox = new Deque<[string, number]>();
  private reader: Reader | undefined;
  private puller: Puller<T> | undefined;
  private terminal: { err: Error | undefined } | undefined;
  private granted = false;
  private owed = 0;
  /** Credit lent ahead by `advance`, not to be given back by the acknowledgements to come. */
  private advanced = 0;
  /** Of it, what is not granted yet (it goes in batches). */
  private lending = 0;
  private arrived = 0;
  private done = 0;
  /** Runs once the end has arrived and every value before it has been processed. */
  onDrained: (() => void) | undefined;
  private batch: number;

  constructor(private readonly what: string, private prefetch: number = DEFAULT_PREFETCH) {
    if (!Number.isSafeInteger(prefetch) || prefetch < 1 || prefetch > MAX_CREDIT) {
      throw new InvalidArgumentError(`prefetch must be an integer from 1 to ${MAX_CREDIT}, got ${prefetch}`);
    }
    this.batch = Math.max(1, prefetch >> 1);
  }

  /** Port handler parts a receiver needs; the owner merges them into its port's handler. */
  readonly handler: Required<Pick<PortHandler, 'data' | 'end'>> = {
    data: (payload, seq) => {
      this.arrived++;
      if (!(this.reader && this.inbox.length === 0 && this.reader.deliver(payload, seq))) this.inbox.push([payload, seq]);
    },
    end: (err) => this.stop(err),
  };

  /**
   * Gives the receiver its port, and the sender its first `prefetch` of credit: values sent before
   * anyone reads wait here (as in an OS pipe's buffer), at most `prefetch` of them.
   */
  bind(port: Port): void {
    this.port = port;
    this.regrant();
  }

  /**
   * Raises the prefetch by `n` (granting that much more credit now, if credit went out already):
   * for a reader that turned out to take faster than its window lets values come.
   */
  widen(n: number): void {
    if (!Number.isSafeInteger(n) || n < 1 || this.prefetch + n > MAX_CREDIT) return;
    this.prefetch += n;
    this.batch = Math.max(1, this.prefetch >> 1);
    if (this.granted && this.port && !this.terminal) this.port.grant(n);
  }

  /**
   * Lends the sender `n` credit now, for values handed to a reader that will process them later
   * (a `get()` or a loop body): their acknowledgements then give none back, so what waits here
   * unread stays within `prefetch` however many values are being processed.
   */
  advance(n: number): void {
    if (!this.port || this.terminal || !this.granted) return;
    this.advanced += n;
    // In batches, as credit given back on acknowledgements goes; `lendNow` when a reader waits.
    if ((this.lending += n) >= this.batch) this.lendNow();
  }

  /** Grants now the credit `advance` holds back for its batch (a reader waits, with nothing here). */
  lendNow(): void {
    if (this.lending === 0 || !this.port || this.terminal) return;
    this.port.grant(this.lending);
    this.lending = 0;
  }

  /** The channel is gone: the subscriber gets `err` after what was already received. */
  fail(err: Error | undefined): void {
    this.stop(err ?? new ClosedError(`${this.what} was closed`));
  }

  /** True once the end arrived and every value received before it was processed. */
  get drained(): boolean {
    return this.terminal !== undefined && this.done === this.arrived;
  }

  /**
   * Values as they arrive, to one subscriber at a time (a second concurrent one gets
   * ERR_PIPE_BUSY). `onStop` runs when the subscriber leaves before the end.
   */
  values(manual: false, onStop?: () => void): Observable<T>;
  values(manual: true, onStop?: () => void): Observable<Delivery<T>>;
  values(manual: boolean, onStop?: () => void): Observable<T | Delivery<T>> {
    return new Observable<T | Delivery<T>>((subscriber) => {
      if (this.reader) {
        subscriber.error(new PipeBusyError(this.reader.pull
          ? `${this.what} is read with get(), poll() or for await: read an end one way (a for await loop gives it up when it stops)`
          : `${this.what} already has a subscriber: share() one subscription instead`));
        return;
      }
      let active = true;
      let current = 0;
      // Delivered with recvWithAck and not acknowledged yet: given back if the subscriber leaves.
      const unacked = new InFlight<string>();
      const settle = (seq: number): void => {
        if (active && unacked.ack(seq, seq) === 1) this.processed(seq);
      };
      const reader: Reader = {
        deliver: (payload, seq) => {
          // A subscriber that left inside `next` (first(), take(n)) gets nothing more, even before
          // its teardown has run.
          if (!active || subscriber.closed) return false;
          const value = this.decode(payload, seq, subscriber);
          if (value === BAD) return true;
          if (manual) {
            unacked.add(seq, payload);
            // `ack` is a closure, so that a destructured `{ value, ack }` works too.
            subscriber.next({ value, ack: () => settle(seq) });
          } else {
            current = seq;
            subscriber.next(value);
            // The teardown may have counted it already (an unsubscribe inside `next`).
            if (current === seq) {
              current = 0;
              this.processed(seq);
            }
          }
          return true;
        },
        finish: (err) => {
          this.reader = undefined;
          if (err) subscriber.error(err);
          else subscriber.complete();
        },
      };
      this.reader = reader;
      this.regrant();
      this.pump(reader);
      return () => {
        if (current !== 0) {
          // A value whose `next` unsubscribed was delivered: it counts as processed.
          const seq = current;
          current = 0;
          this.processed(seq);
        }
        // After the end, deliveries stay ackable; a subscriber that leaves early gives them back.
        if (this.reader !== reader) return;
        active = false;
        this.reader = undefined;
        if (onStop) onStop();
        else this.giveBack(unacked);
      };
    });
  }

  /**
   * Pull mode (`Puller`): takes the next value, from what credit already brought (no round trip
   * per value); the value taken before counts as processed now. Resolves with `DONE` once the end
   * arrived and every value was taken; rejects with the channel's error after the values before
   * it, with ERR_TIMEOUT when none came within `timeout` ms, with ERR_PIPE_BUSY while a `values()`
   * subscriber reads this end or another take waits. The first take or poll makes pull mode this
   * end's reader until `release()`.
   */
  take(timeout?: number): Promise<T | typeof DONE> {
    const puller = this.pulling();
    return puller instanceof Error ? Promise.reject(puller) : puller.take(timeout);
  }

  /** Pull mode: whether a value is waiting to be taken (now, or within `timeout` ms, default 0); takes nothing. */
  poll(timeout = 0): Promise<boolean> {
    const puller = this.pulling();
    return puller instanceof Error ? Promise.reject(puller) : puller.poll(timeout);
  }

  /** The value last taken counts as processed (the next `take`, or the end closing, does this). */
  settleTaken(): void {
    this.puller?.settleTaken();
  }

  /** Leaves pull mode: the value last taken counts as processed, a waiting take resolves with `DONE`, and values not taken wait for the next reader. */
  release(): void {
    const puller = this.puller;
    if (!puller) return;
    this.puller = undefined;
    if (this.reader === puller) this.reader = undefined;
    puller.leave();
  }

  /** @internal The oldest value waiting to be read, taken out. */
  shiftWaiting(): [string, number] | undefined {
    return this.inbox.shift();
  }

  /** @internal Values waiting to be read. */
  get waiting(): number {
    return this.inbox.length;
  }

  /** @internal The end (or the channel's error), once it arrived. */
  get ended(): { err: Error | undefined } | undefined {
    return this.terminal;
  }

  /**
   * @internal Decodes a value pull mode took; one that is not JSON counts as processed and fails
   * the channel (see `decode`), and is thrown.
   */
  decodeTaken(payload: string, seq: number): T {
    try {
      return decodeValue<T>(payload, `a payload received on ${this.what}`, BAD_PAYLOAD_HINT);
    } catch (err) {
      this.processed(seq);
      this.port?.fail(err as Error);
      throw err;
    }
  }

  /** Pull mode as this end's reader (made the first time, granting credit), or why it cannot be. */
  private pulling(): Puller<T> | Error {
    if (this.puller) return this.puller;
    if (this.reader) return new PipeBusyError(`${this.what} already has a subscriber: read it with get() or with recv(), not both at once`);
    const puller = new Puller<T>(this, this.what);
    this.puller = puller;
    this.reader = puller;
    this.regrant();
    return puller;
  }

  /** Puts values delivered but not acknowledged back at the front, for the next subscriber. */
  private giveBack(unacked: InFlight<string>): void {
    const back = unacked.takeAll();
    for (let k = back.length - 1; k >= 0; k--) {
      const [seq, payload] = back[k]!;
      this.inbox.unshift([payload, seq]);
    }
  }

  /**
   * Decodes one payload. The hub routes payloads without parsing them, so a payload that is not
   * JSON (from a sender that is not hostbus) is caught here: it counts as processed, so that it is
   * acknowledged and never redelivered to another consumer, and the channel fails with it.
   */
  private decode(payload: string, seq: number, subscriber: Subscriber<unknown>): T | typeof BAD {
    try {
      return decodeValue<T>(payload, `a payload received on ${this.what}`, BAD_PAYLOAD_HINT);
    } catch (err) {
      this.processed(seq);
      this.port?.fail(err as Error);
      subscriber.error(err);
      return BAD;
    }
  }

  private pump(reader: Reader): void {
    while (this.reader === reader && this.inbox.length > 0) {
      const item = this.inbox.shift()!;
      if (!reader.deliver(item[0], item[1])) {
        this.inbox.unshift(item);
        return;
      }
    }
    if (this.reader === reader && this.terminal) reader.finish(this.terminal.err);
  }

  private stop(err: Error | undefined): void {
    if (this.terminal) return;
    this.terminal = { err };
    if (this.reader && this.inbox.length === 0) this.reader.finish(err);
    if (this.drained) this.onDrained?.();
  }

  /** @internal The value `seq` was processed: acknowledged, and its credit given back (in batches). */
  processed(seq: number): void {
    this.done++;
    const port = this.port;
    if (port) this.acknowledge(port, seq);
    if (this.drained) this.onDrained?.();
  }

  private acknowledge(port: Port, seq: number): void {
    port.ack(seq);
    if (this.advanced > 0) {
      this.advanced--;
      return;
    }
    if (++this.owed >= this.batch) {
      port.grant(this.owed);
      this.owed = 0;
    }
  }

  private regrant(): void {
    if (!this.port || this.terminal) return;
    if (!this.granted) {
      this.granted = true;
      this.port.grant(this.prefetch);
    } else if (this.owed > 0 && this.reader) {
      this.port.grant(this.owed);
      this.owed = 0;
    }
  }
}
