import { EndedError, InvalidArgumentError, LimitError, ProtocolError, ShutDownError } from '../../errors.js';
import { Deque } from '../deque.js';
import { InFlight } from '../in-flight.js';
import type { SeqRange } from '../frames.js';
import type { OpenRequest } from '../session.js';
import type { Kind } from '../kinds.js';
import { boolOption, intOption, sameOption, type Channel, type Resource, type ResourceHost } from './resource.js';
import { QueueTasks } from './queue-tasks.js';
import { serveControl, type ControlledQueue } from './queue-control-channel.js';

/** Default bound of a queue, in items (held by the hub, delivered-but-unacked included). */
export const DEFAULT_MAXSIZE = 10_000;
/** Most credit one producer holds at once (and never more than a quarter of `maxsize`). */
const PRODUCER_WINDOW = 1024;

interface Producer {
  port: Channel;
  outstanding: number;
  ended: boolean;
}

interface Consumer {
  port: Channel;
  inflight: InFlight<string>;
  /** In the ring of consumers that get the next items. */
  queued: boolean;
  gone: boolean;
}

/**
 * The queue kind: `k: "queue"`, roles `put`, `get` and `ctl` (requests: `size`, `taskDone`,
 * `join`, `shutdown`), options `maxsize`, `producers` and `joinable`.
 */
export const queueKind = {
  name: 'queue',
  create: (name: string, open: OpenRequest, host: ResourceHost, remains?: unknown) => QueueResource.create(name, open, host, remains),
} as const satisfies Kind;

/** What an ended queue leaves behind when the hub forgets it: enough for a late consumer to complete. */
interface EndedQueue {
  maxsize: number;
  producers: number;
  joinable: boolean;
  /** It was shut down, not ended: a late consumer gets ERR_SHUTDOWN. */
  shutdown: boolean;
}

/**
 * The hub's side of a queue: items as raw JSON text, competing consumers, redelivery, `maxsize`.
 *
 * Bound: items queued + items delivered but not acknowledged + credit granted to producers never
 * exceeds `maxsize`; producers get credit only as room frees up, so a slow consumer slows them.
 * The characters of the items held count toward the hub's `maxQueuedChars` as well: while the hub
 * is at that limit no producer gets credit, and an item that would cross it fails its producer's
 * channel with ERR_LIMIT.
 * Delivery: round robin over the consumers that have credit, in constant time per item whatever
 * their number. An item is gone from the hub only when a consumer acknowledges it; a consumer that
 * closes or dies gives its unacknowledged items back to the front of the queue, in order. The
 * queue ends after `producers` producers have sent `end` (or one has ended with an error); each
 * consumer gets `end` once every item has been acknowledged.
 */
export class QueueResource implements Resource, ControlledQueue {
  readonly kind = 'queue';
  private readonly items = new Deque<string>();
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  /**
   * Consumers with credit, in the order they get the next items. One that has left stays in the
   * ring until dispatch reaches it; `stale` counts those, and the ring is rebuilt once they are
   * half of it, so it holds at most twice the consumers there are.
   */
  private ready = new Deque<Consumer>();
  private stale = 0;
  /** Control channels open on this queue. */
  private controls = 0;
  private inflight = 0;
  private outstanding = 0;
  private ends = 0;
  /** Producers that left without ending. */
  private gone = 0;
  private ended = false;
  /** The end went out to every consumer: nothing changes any more. */
  private finished = false;
  private failure: Error | undefined;
  /** `shutdown` was asked for; `immediate` too: consumers end without waiting for their items. */
  private shut: { immediate: boolean } | undefined;
  /** @internal Joinable: the task count and the joins waiting on it. */
  readonly tasks: QueueTasks;
  private refillPending = false;
  private readonly refillLater = (): void => this.refill();
  private readonly unhold = (item: string): void => this.host.unhold(item.length);

  constructor(
    readonly name: string,
    private readonly host: ResourceHost,
    readonly maxsize: number,
    readonly producersToEnd: number,
    readonly joinable: boolean,
  ) {
    this.tasks = new QueueTasks(name, joinable, host);
  }

  /**
   * Creates a queue from the options of the first open. `remains` is what an ended queue of this
   * name left when the hub forgot it: a consumer then finds it ended (and completes at once), a
   * producer starts a new queue.
   */
  static create(name: string, open: OpenRequest, host: ResourceHost, remains?: unknown): QueueResource {
    const was = remains as EndedQueue | undefined;
    if (was && open.r !== 'put') {
      const q = new QueueResource(name, host, was.maxsize, was.producers, was.joinable);
      q.ended = true;
      if (was.shutdown) {
        q.shut = { immediate: false };
        q.failure = q.shutDown();
      }
      return q;
    }
    const maxsize = intOption(open.o, 'maxsize', 1e9) ?? DEFAULT_MAXSIZE;
    return new QueueResource(name, host, maxsize, intOption(open.o, 'producers', 1e6) ?? 1, boolOption(open.o, 'joinable') ?? false);
  }

  /**
   * Nothing uses it and it keeps no state a later open needs: no items, no undone tasks, and no
   * end counted toward `producers` (a queue waiting for more ends stays, so that they count).
   */
  get idle(): boolean {
    return this.producers.size === 0 && this.consumers.size === 0 && this.controls === 0 && this.items.length === 0
      && this.inflight === 0 && this.tasks.unfinished === 0 && (this.ends === 0 || this.ended);
  }

  /** An ended queue is remembered after it is forgotten, so that late consumers complete. */
  remains(): EndedQueue | undefined {
    if (!this.ended || (this.failure && !this.shut)) return undefined;
    return { maxsize: this.maxsize, producers: this.producersToEnd, joinable: this.joinable, shutdown: this.shut !== undefined };
  }

  stats() {
    return {
      queued: this.items.length, inflight: this.inflight, maxsize: this.maxsize,
      producers: this.producers.size, consumers: this.consumers.size, ended: this.ended,
      ends: this.ends, endsNeeded: this.producersToEnd, producersGone: this.gone,
      joinable: this.joinable, unfinished: this.tasks.unfinished, shutdown: this.shut !== undefined,
    };
  }

  attach(port: Channel, open: OpenRequest): void {
    sameOption('queue', this.name, 'maxsize', intOption(open.o, 'maxsize', 1e9), this.maxsize);
    sameOption('queue', this.name, 'producers', intOption(open.o, 'producers', 1e6), this.producersToEnd);
    sameOption('queue', this.name, 'joinable', boolOption(open.o, 'joinable'), this.joinable);
    if (open.r === 'put') return this.attachProducer(port);
    if (open.r === 'get') return this.attachConsumer(port);
    if (open.r === 'ctl') return this.attachControl(port);
    throw new InvalidArgumentError(`queue role must be "put", "get" or "ctl", not ${JSON.stringify(open.r.slice(0, 64))}`);
  }

  /** A control channel: requests about the queue (queue-control-channel.ts). */
  private attachControl(port: Channel): void {
    this.controls++;
    serveControl(port, this, this.info(), () => {
      this.controls--;
      this.host.maybeIdle(this);
    });
  }

  /** @internal ControlledQueue */
  size() {
    return { queued: this.items.length, inflight: this.inflight, maxsize: this.maxsize };
  }

  private shutDown(): ShutDownError {
    return new ShutDownError(`queue '${this.name}' was shut down: nothing more can be put on it or taken from it once empty`);
  }

  /**
   * Python 3.13's `shutdown`: producers are refused from now on; consumers take what is left, then
   * end with ERR_SHUTDOWN. `immediate`: what is queued is dropped (counted as done for `join`),
   * and consumers end at once, after the items already sent to them.
   */
  /** @internal ControlledQueue */
  shutdown(immediate: boolean): void {
    if (this.shut?.immediate || (this.shut && !immediate)) return;
    this.shut = { immediate };
    const err = this.shutDown();
    if (!this.finished) {
      this.ended = true;
      this.failure = err;
    }
    for (const p of [...this.producers]) {
      this.outstanding -= p.outstanding;
      p.outstanding = 0;
      p.ended = true;
      p.port.fail(err);
    }
    if (immediate) {
      const dropped = this.items.length;
      for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) this.host.unhold(item.length);
      this.tasks.drop(dropped);
    }
    this.checkEnd();
    this.host.maybeIdle(this);
  }

  private attachProducer(port: Channel): void {
    if (this.shut) {
      port.fail(this.shutDown());
      return;
    }
    if (this.ended) {
      port.fail(new EndedError(`queue '${this.name}' has ended: nothing more can be put on it`));
      return;
    }
    const p: Producer = { port, outstanding: 0, ended: false };
    this.producers.add(p);
    port.handler = {
      data: (payload, seq) => this.put(p, payload, seq),
      end: (err) => this.producerEnd(p, err),
      closed: () => this.detachProducer(p),
    };
    port.opened(this.info());
    this.refill();
  }

  private attachConsumer(port: Channel): void {
    const c: Consumer = { port, inflight: new InFlight(), queued: false, gone: false };
    this.consumers.add(c);
    port.handler = {
      credit: () => {
        if (!c.queued) {
          c.queued = true;
          this.ready.push(c);
        }
        this.dispatch();
      },
      ack: (ranges) => this.ack(c, ranges),
      closed: () => this.detachConsumer(c),
    };
    port.opened(this.info());
    if (this.finished) port.end(this.failure);
    else this.checkEnd();
  }

  private info() {
    return { maxsize: this.maxsize, producers: this.producersToEnd, ended: this.ended };
  }

  private put(p: Producer, payload: string, seq: number): void {
    // An item that could not be framed again for every consumer's channel id is refused here.
    p.port.checkPayload(payload);
    if (this.shut) return p.port.fail(this.shutDown());
    if (p.ended || this.ended) {
      p.port.fail(new EndedError(`queue '${this.name}' has ended: nothing more can be put on it`));
      return;
    }
    if (!this.host.hold(payload.length)) {
      p.port.fail(new LimitError(
        `the hub holds its limit of characters in queues (maxQueuedChars): item refused on queue '${this.name}'; ` +
          'consume what the queues hold, or raise maxQueuedChars on the hub',
      ));
      return;
    }
    this.items.push(payload);
    this.tasks.put();
    p.outstanding--;
    this.outstanding--;
    p.port.ack(seq);
    this.dispatch();
    this.refill();
  }

  private producerEnd(p: Producer, err: Error | undefined): void {
    if (p.ended) return;
    p.ended = true;
    this.outstanding -= p.outstanding;
    p.outstanding = 0;
    if (err) this.failure ??= err;
    if (++this.ends >= this.producersToEnd || err) this.ended = true;
    this.checkEnd();
  }

  private detachProducer(p: Producer): void {
    this.producers.delete(p);
    if (!p.ended) this.gone++;
    this.outstanding -= p.outstanding;
    p.outstanding = 0;
    this.refill();
    this.host.maybeIdle(this);
  }

  private dispatch(): void {
    const { items, ready } = this;
    while (items.length > 0 && ready.length > 0) {
      const c = ready.shift()!;
      c.queued = false;
      if (c.gone) this.stale--;
      if (c.gone) continue;
      const item = items.peek()!;
      const seq = c.port.trySend(item);
      if (seq === 0) continue;
      items.shift();
      c.inflight.add(seq, item);
      this.inflight++;
      // To the back of the line: round robin.
      if (c.port.credit > 0) {
        c.queued = true;
        ready.push(c);
      }
    }
  }

  private ack(c: Consumer, ranges: SeqRange[]): void {
    for (const [from, to] of ranges) {
      const n = c.inflight.ack(from, to, this.unhold);
      this.inflight -= n;
      // A consumer acks each item it got once; anything else is a peer that lies.
      if (n !== to - from + 1) throw new ProtocolError(`ack of [${from}, ${to}] on queue '${this.name}': only ${n} of those items are in flight on this channel`);
    }
    this.refill();
    this.checkEnd();
  }

  private detachConsumer(c: Consumer): void {
    this.consumers.delete(c);
    c.gone = true;
    if (c.queued && ++this.stale * 2 > this.ready.length) this.dropStale();
    const back = c.inflight.takeAll();
    this.inflight -= back.length;
    if (this.shut?.immediate) {
      // Nobody takes them any more: dropped, as what was queued was, and done for join().
      for (const [, item] of back) this.host.unhold(item.length);
      this.tasks.drop(back.length);
    } else {
      for (let k = back.length - 1; k >= 0; k--) this.items.unshift(back[k]![1]);
    }
    this.dispatch();
    this.checkEnd();
    this.host.maybeIdle(this);
  }

  /** Rebuilds the ring of ready consumers without those that left. */
  private dropStale(): void {
    const kept = new Deque<Consumer>();
    for (let c = this.ready.shift(); c; c = this.ready.shift()) {
      if (c.gone) c.queued = false;
      else kept.push(c);
    }
    this.ready = kept;
    this.stale = 0;
  }

  /** Grants producers the room there is, at the end of the turn, starting with a rotating one. */
  private refill(): void {
    if (this.refillPending) return;
    this.refillPending = true;
    this.host.defer(() => {
      this.refillPending = false;
      let room = this.maxsize - this.items.length - this.inflight - this.outstanding;
      if (room <= 0 || this.producers.size === 0) return;
      // The hub as a whole holds its limit of characters: credit waits until it holds less.
      if (this.host.full(this.refillLater)) return;
      // Unused credit holds room, so no producer gets more than a quarter of the queue: a second
      // producer is not starved by a first that holds credit it does not use.
      const window = Math.min(PRODUCER_WINDOW, Math.max(1, Math.floor(this.maxsize / 4)));
      for (const p of this.producers) {
        // Top up only once half the window is used: credit goes out in batches, not per item.
        if (p.ended || p.port.state !== 'open' || p.outstanding > window / 2) continue;
        const give = Math.min(window - p.outstanding, room);
        if (give <= 0) continue;
        p.outstanding += give;
        this.outstanding += give;
        room -= give;
        p.port.grant(give);
        if (room === 0) break;
      }
      // Rotate, so that when room is short every producer gets its turn.
      const first = this.producers.values().next().value;
      if (first && this.producers.size > 1) {
        this.producers.delete(first);
        this.producers.add(first);
      }
    });
  }

  private checkEnd(): void {
    if (this.finished || !this.ended || this.items.length > 0 || (this.inflight > 0 && !this.shut?.immediate)) return;
    this.finished = true;
    for (const c of this.consumers) c.port.end(this.failure);
  }
}
