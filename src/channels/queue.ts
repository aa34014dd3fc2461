import type { Readable, Writable } from 'node:stream';
import { Observable, type Observer } from 'rxjs';
import { ClosedError, EndedError, InvalidArgumentError, ProtocolError } from '../errors.js';
import { Deque } from '../bus/deque.js';
import { DEFAULT_LINGER_MS, Getter, iterate } from './getter.js';
import { QueueControl } from './queue-control.js';
import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { ClientChannel } from './client-channel.js';
import { DEFAULT_PREFETCH, Inbound, type Delivery } from './inbound.js';
import { readableOf, writableOf } from './streams.js';
import { Sender } from './sender.js';

/** Options of a queue; the first opener's options create it, later ones must match or be left out. */
export interface QueueOptions {
  /** Most items the hub holds for this queue, unacknowledged ones included (default 10,000). */
  maxsize?: number;
  /** How many producers must `end()` before the queue ends (default 1). */
  producers?: number;
  /** Most values this handle keeps waiting for credit or a full socket (default 65,536). */
  maxBuffer?: number;
  /**
   * Items `get()`, `getNowait()` and `for await` let the hub send this handle ahead of being
   * asked, at most (default 1,024; the items `get()` took and has not settled yet, and those of
   * running loop bodies, aside): the consumer they share starts with a window of 1 and
   * doubles it, up to this, each time a take finds nothing here after a window's worth came (so
   * a loop whose body is slow keeps a small one).
   */
  prefetch?: number;
  /**
   * How long that consumer stays open with no `get()` waiting and no `for await` body running
   * (default 100 ms); then the items it holds go back to the queue for the other consumers. Also
   * how long this handle's producer channel stays open with nothing sent and everything
   * acknowledged (checked every `lingerMs`: one to two of them); then its credit goes back to the
   * hub as room (it has not ended).
   */
  lingerMs?: number;
}

/** Default prefetch of the consumer behind `get()` and `for await`: the most its window grows to. */
export const DEFAULT_GET_PREFETCH = 1024;
/** The window that consumer starts with; it doubles while takes outrun it, up to `prefetch`. */
const INITIAL_GET_WINDOW = 1;

/** Options of one consumer. */
export interface RecvOptions {
  /** Items this consumer may hold unprocessed at once (default 1,024). */
  prefetch?: number;
}

/**
 * A queue on the hub: many producers, many consumers, each item to exactly one consumer.
 *
 * Sending: `send()` (or `put()`) resolves once the item went out within the credit the hub granted
 * this producer, that is once the hub reserved room for it; while the queue is full (`maxsize`) it
 * waits. `flush()` and `end()` resolve once the hub holds every item sent before them: an item
 * whose `send()` resolved can still be lost if this process dies before that (at most the credit
 * granted, see docs/channels.md). The queue is an Observer, so `source$.subscribe(queue)` sends
 * every value, `complete` ends this producer and `error` ends the queue in error; values wait for
 * credit in a buffer of `maxBuffer` (overflow: the value is refused with ERR_BUFFER_OVERFLOW,
 * thrown from `next`). A producer idle for `lingerMs` gives its credit back (it has not ended).
 *
 * Receiving: `recv()` is cold; each subscription is one consumer, with `prefetch` credit. An item
 * is done when `next` returned (or on `ack()` with `recvWithAck()`); unsubscribing gives the
 * unfinished ones back to the queue. Consumers complete once the queue has ended and drained.
 * `get()`, `getNowait()` and `for await` share one consumer of this handle, kept open while they
 * are used (see `get`). Python's surface besides: `qsize`, `empty`, `full`, `shutdown`.
 */
export class Queue<T> implements Observer<T> {
  private sender: Sender | undefined;
  protected readonly openOptions: Record<string, unknown>;
  /** The consumer behind `get()` and `for await`, made by the first of them. */
  private pull: Getter<T> | undefined;
  /** Sends (and flushes, and ends) this handle made: an idle producer's check sees whether it moved. */
  private puts = 0;
  /** Items `get()` took, not yet counted as processed, oldest first. */
  private readonly taken = new Deque<Delivery<T>>();
  private ctl: QueueControl | undefined;
  /** Closing the bus counts what `get()` took as processed, and closes the consumer. */
  private readonly settler = {
    drained: () => Promise.resolve(this.pull?.shut(new ClosedError(`queue '${this.name}': its bus was closed while a get() waited`))),
  };
  /** `queue 'NAME'`, for messages. */
  private readonly label: string;
  /** A `get()`'s answer: the item's value, or ERR_ENDED once the queue ended and drained. */
  private readonly unwrap = (d: Delivery<T> | undefined): T => {
    if (!d) throw new EndedError(`queue '${this.name}' has ended and every item was taken: stop reading`);
    return d.value;
  };
  /** Counts an item `get()` took, when the getter hands it over (so that a close in the same turn settles it). */
  private readonly claim = (d: Delivery<T>): void => {
    this.taken.push(d);
  };

  constructor(protected readonly bus: BusLike, readonly name: string, readonly options: QueueOptions = {}) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      throw new InvalidArgumentError(`a queue name must be a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    const { prefetch, lingerMs } = options;
    if (prefetch !== undefined && !(Number.isSafeInteger(prefetch) && prefetch >= 1 && prefetch <= 2 ** 30)) {
      throw new InvalidArgumentError(`prefetch must be an integer from 1 to ${2 ** 30}, got ${prefetch}`);
    }
    if (lingerMs !== undefined && !(Number.isFinite(lingerMs) && lingerMs >= 0)) {
      throw new InvalidArgumentError(`lingerMs must be a number of milliseconds >= 0, got ${lingerMs}`);
    }
    this.label = `queue '${name}'`;
    this.openOptions = {};
    if (options.maxsize !== undefined) this.openOptions.maxsize = options.maxsize;
    if (options.producers !== undefined) this.openOptions.producers = options.producers;
  }

  /**
   * Sends `value`: resolves once it went out within this producer's credit (room the hub reserved
   * for it), at once when credit is there; waits while the queue is full. Rejects with the
   * channel's failure, also one that came after an earlier send resolved.
   */
  send(value: T): Promise<void> {
    return this.producer().send(value);
  }

  /** Python's `put`: the same as `send`. */
  put(value: T): Promise<void> {
    return this.producer().send(value);
  }

  /**
   * Python's `put_nowait`: queues `value` without waiting, to go out as soon as the hub grants
   * credit. Where Python raises `queue.Full`, this throws ERR_BUFFER_OVERFLOW, once `maxBuffer`
   * values already wait in this handle; a failure of the channel once it is known (a shut-down
   * queue refuses a new handle's channel a round trip later: `flush()` tells).
   */
  putNowait(value: T): void {
    this.producer().push(value);
  }

  /**
   * Resolves once the hub holds every item this handle sent so far; rejects with the channel's
   * failure when one of them did not reach it.
   */
  flush(): Promise<void> {
    // A producer that closed its idle channel had everything acknowledged.
    return this.sender ? this.sender.flush() : Promise.resolve();
  }

  /**
   * Sends every value of a (sync or async) iterable, pulling the next only while the buffer has
   * room: lossless and bounded, without a promise per value. Resolves once the hub has all of them.
   */
  sendAll(values: Iterable<T> | AsyncIterable<T>): Promise<void> {
    return this.producer().sendAll(values);
  }

  /** A Node Writable (object mode) into this queue: `pipeline(source, queue.writable())`; ending it ends this producer. */
  writable(): Writable {
    return writableOf(this.producer(), () => this.end());
  }

  /** A Node Readable (object mode) of this queue's items, pulled one at a time. */
  readable(): Readable {
    return readableOf(this);
  }

  /** Observer: sends `value` without a promise (buffered, bounded by `maxBuffer`). */
  next(value: T): void {
    this.producer().push(value);
  }

  /** Observer: ends the queue in error; consumers get it after the items sent before it. */
  error(err: unknown): void {
    this.producer().end(err).catch(() => undefined);
  }

  /** Observer: ends this producer (see `end`). */
  complete(): void {
    this.end().catch(() => undefined);
  }

  /**
   * Ends this producer, after everything it sent. The queue ends when `producers` producers have
   * ended; resolves once the hub has every item this producer sent.
   */
  end(): Promise<void> {
    return this.producer().end();
  }

  /** Items as they come, to this consumer; completes when the queue has ended and drained. */
  recv(options: RecvOptions = {}): Observable<T> {
    return this.consume(false, options.prefetch ?? DEFAULT_PREFETCH);
  }

  /** Like `recv`, but each item must be `ack()`ed: for asynchronous processing. */
  recvWithAck(options: RecvOptions = {}): Observable<Delivery<T>> {
    return this.consume(true, options.prefetch ?? DEFAULT_PREFETCH);
  }

  /**
   * Takes one item, as Python's `q.get()`: resolves with it; with `timeout` (ms), rejects with
   * ERR_TIMEOUT when none came in time; rejects with ERR_ENDED when the queue has ended and
   * drained. Items come ahead of demand (`prefetch`) to a consumer this handle keeps open while
   * `get()`s keep coming, so a loop of them pays no round trip per item. The item counts as
   * processed (acknowledged, gone from the hub) when the next `get()` on this handle is called,
   * when the handle stops asking (`lingerMs`), or when its bus closes; until then a crash of this
   * process gives it back to the queue. Concurrent `get()`s are served in the order they were
   * called, and each settles the oldest item taken before it.
   */
  get(options?: { timeout?: number }): Promise<T> {
    this.taken.shift()?.ack();
    return this.getter().take(options?.timeout, this.label, this.unwrap, this.claim);
  }

  /**
   * Python's `get_nowait`: takes an item this handle already holds or, if it holds none, one the
   * hub had for it when asked (one round trip: the consumer opens if it was not open, and a
   * request to the hub after it says when everything the hub sent it has arrived); rejects with
   * ERR_TIMEOUT (Python's `queue.Empty`) when there was none. As in Python, an item another
   * process put a moment before may not have reached the hub yet.
   */
  async getNowait(): Promise<T> {
    const getter = this.getter();
    if (!getter.holding) {
      getter.open();
      await this.control().request('size');
    }
    return this.get({ timeout: 0 });
  }

  /**
   * Takes items as `get()` does (prefetched, no round trip per item); each counts as processed
   * when the loop asks for the next one, i.e. once the body that got it finished, so a crash
   * inside the body gives that item back. While a body runs the consumer stays open; `break`
   * closes it, giving back what was not taken.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return iterate(this.getter(), this.label);
  }

  /**
   * Python's `qsize()`: how many items are in the queue, approximately: the items the hub holds,
   * queued or out with consumers and not yet processed, less the one this handle's last `get()`
   * took (items another handle took count until it takes its next). A round trip to the hub.
   */
  async qsize(): Promise<number> {
    const s = await this.size();
    return Math.max(0, s.queued + s.inflight - this.taken.length);
  }

  /** Python's `empty()`: `qsize() === 0`, as approximate. */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  /**
   * Python's `full()`: whether the hub holds `maxsize` items of this queue, queued or out with
   * consumers and not processed, as approximate (credit the hub granted producers is not counted).
   */
  async full(): Promise<boolean> {
    const s = await this.size();
    return s.queued + s.inflight >= s.maxsize;
  }

  /** The hub's `size` answer, checked: counts that are not non-negative integers are ERR_PROTOCOL. */
  private async size(): Promise<{ queued: number; inflight: number; maxsize: number }> {
    const s = await this.control().request<Record<string, unknown>>('size');
    const count = (key: string): number => {
      const v = s?.[key];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
      throw new ProtocolError(`queue '${this.name}': the hub answered size with ${key} = ${String(v).slice(0, 32)}, not a count`);
    };
    return { queued: count('queued'), inflight: count('inflight'), maxsize: count('maxsize') };
  }

  /**
   * Python 3.13's `shutdown()`: from now on every `send`/`put` on the queue (by any process)
   * rejects with ERR_SHUTDOWN; consumers take what is left, then get ERR_SHUTDOWN. With
   * `immediate`, what is queued is dropped (and counts as done for `join()`), and consumers get
   * ERR_SHUTDOWN at once, after the items already on their way to them. Resolves once applied.
   */
  shutdown(options: { immediate?: boolean } = {}): Promise<void> {
    return this.control().request<null>('shutdown', { immediate: options.immediate === true }).then(() => undefined);
  }

  /** @internal The control channel of this handle. */
  protected control(): QueueControl {
    return (this.ctl ??= new QueueControl(this.bus, this.name, this.openOptions, this.options.lingerMs ?? DEFAULT_LINGER_MS));
  }

  /** The handle as plain data, for passing to a child process. */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'queue', address: this.bus.addressSpec(), name: this.name, options: { ...this.options } };
  }

  private getter(): Getter<T> {
    if (this.pull) return this.pull;
    const most = this.options.prefetch ?? DEFAULT_GET_PREFETCH;
    let inbound: Inbound<T> | undefined;
    const getter = new Getter<T>(
      (window) => this.consume(true, window, (made) => { inbound = made; }),
      { lingerMs: this.options.lingerMs ?? DEFAULT_LINGER_MS, window: Math.min(most, INITIAL_GET_WINDOW), most },
      {
      widen: (n) => inbound?.widen(n),
      handed: () => inbound?.advance(1),
      starved: () => inbound?.lendNow(),
      opening: () => this.bus.adopt(this.settler),
      closing: () => {
        // What get() took was processed by the time its handle stops asking.
        for (let d = this.taken.shift(); d; d = this.taken.shift()) d.ack();
        this.bus.release(this.settler);
      },
      },
    );
    this.pull = getter;
    return getter;
  }

  private producer(): Sender {
    this.puts++;
    if (this.sender) return this.sender;
    const sender = new Sender(`queue '${this.name}'`, this.options.maxBuffer, () => channel.close());
    this.sender = sender;
    this.bus.adopt(sender);
    const channel = ClientChannel.open(this.bus, 'queue', this.name, 'put', this.openOptions, {
      sender,
      // One that lost values stays known to the bus, whose close() then reports the loss.
      gone: () => {
        if (!sender.lostValues) this.bus.release(sender);
      },
    });
    this.lingerProducer(sender, channel);
    return sender;
  }

  /**
   * A producer that has sent nothing for `lingerMs`, with everything acknowledged, closes its
   * channel, so that the credit it holds becomes room for other producers again; the next send
   * opens a new one. It has not ended: the queue still waits for its `end()`. The check runs every
   * `lingerMs` (no clock is read per send), so the channel closes one to two `lingerMs` after
   * the last send.
   */
  private lingerProducer(sender: Sender, channel: ClientChannel): void {
    const lingerMs = this.options.lingerMs ?? DEFAULT_LINGER_MS;
    let seen = this.puts;
    const check = (): void => {
      if (this.sender !== sender || sender.done) return;
      if (this.puts !== seen || !sender.idle) {
        seen = this.puts;
        setTimeout(check, lingerMs).unref();
        return;
      }
      this.sender = undefined;
      this.bus.release(sender);
      channel.close();
    };
    setTimeout(check, lingerMs).unref();
  }

  private consume(manual: true, prefetch: number, made?: (inbound: Inbound<T>) => void): Observable<Delivery<T>>;
  private consume(manual: false, prefetch: number): Observable<T>;
  private consume(manual: boolean, prefetch: number, made?: (inbound: Inbound<T>) => void): Observable<T | Delivery<T>> {
    return new Observable<T | Delivery<T>>((subscriber) => {
      const inbound = new Inbound<T>(`queue '${this.name}'`, prefetch);
      made?.(inbound);
      const channel = ClientChannel.open(this.bus, 'queue', this.name, 'get', this.openOptions, {
        inbound: inbound as Inbound<unknown>,
        ended: () => channel.close(),
      });
      const values: Observable<T | Delivery<T>> = manual ? inbound.values(true, () => channel.close()) : inbound.values(false, () => channel.close());
      return values.subscribe(subscriber);
    });
  }
}

registerHandleKind<Queue<unknown>>({
  name: 'queue',
  // A JoinableQueue is a Queue too: it has a kind of its own (joinable-queue.ts).
  is: (value): value is Queue<unknown> => value instanceof Queue && value.constructor === Queue,
  describe: (queue) => queue.toJSON(),
  revive: (d, bus) => new Queue(bus, String(d.name), (d.options ?? {}) as QueueOptions),
});
