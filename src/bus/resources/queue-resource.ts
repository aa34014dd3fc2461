import { EndedError, ProtocolError } from '../../errors.js';
import { Deque } from '../deque.js';
import { InFlight } from '../in-flight.js';
import type { SeqRange } from '../frames.js';
import type { Port } from '../port.js';
import type { OpenRequest } from '../session.js';
import { intOption, sameOption, type Resource, type ResourceHost } from './resource.js';

/** Default bound of a queue, in items (held by the hub, delivered-but-unacked included). */
export const DEFAULT_MAXSIZE = 10_000;
/** Most credit one producer holds at once (and never more than a quarter of `maxsize`). */
const PRODUCER_WINDOW = 1024;

interface Producer {
  port: Port;
  outstanding: number;
  ended: boolean;
}

interface Consumer {
  port: Port;
  inflight: InFlight<string>;
  ended: boolean;
}

/**
 * The hub's side of a queue: items as raw JSON text, competing consumers, redelivery, `maxsize`.
 *
 * Bound: items queued + items delivered but not acknowledged + credit granted to producers never
 * exceeds `maxsize`; producers get credit only as room frees up, so a slow consumer slows them.
 * Delivery: round robin over consumers that have credit. An item is gone from the hub only when a
 * consumer acknowledges it; a consumer that closes or dies gives its unacknowledged items back to
 * the front of the queue, in order. The queue ends after `producers` producers have sent `end`
 * (or one has ended with an error); each consumer gets `end` once every item has been acknowledged.
 */
export class QueueResource implements Resource {
  readonly kind = 'queue';
  private readonly items = new Deque<string>();
  private readonly producers = new Set<Producer>();
  private readonly consumers: Consumer[] = [];
  private rr = 0;
  private inflight = 0;
  private outstanding = 0;
  private ends = 0;
  private ended = false;
  private failure: Error | undefined;
  private refillPending = false;

  constructor(
    readonly name: string,
    private readonly host: ResourceHost,
    readonly maxsize: number,
    readonly producersToEnd: number,
  ) {}

  /** Creates a queue from the options of the first open. */
  static create(name: string, open: OpenRequest, host: ResourceHost): QueueResource {
    const maxsize = intOption(open.o, 'maxsize', 1e9) ?? DEFAULT_MAXSIZE;
    return new QueueResource(name, host, maxsize, intOption(open.o, 'producers', 1e6) ?? 1);
  }

  get idle(): boolean {
    return this.producers.size === 0 && this.consumers.length === 0 && this.items.length === 0 && this.inflight === 0;
  }

  stats() {
    return {
      queued: this.items.length, inflight: this.inflight, maxsize: this.maxsize,
      producers: this.producers.size, consumers: this.consumers.length, ended: this.ended,
    };
  }

  attach(port: Port, open: OpenRequest): void {
    sameOption('queue', this.name, 'maxsize', intOption(open.o, 'maxsize', 1e9), this.maxsize);
    sameOption('queue', this.name, 'producers', intOption(open.o, 'producers', 1e6), this.producersToEnd);
    if (open.r === 'put') return this.attachProducer(port);
    if (open.r === 'get') return this.attachConsumer(port);
    throw new ProtocolError(`queue role must be "put" or "get", not ${JSON.stringify(open.r)}`);
  }

  private attachProducer(port: Port): void {
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

  private attachConsumer(port: Port): void {
    const c: Consumer = { port, inflight: new InFlight(), ended: false };
    this.consumers.push(c);
    port.handler = {
      credit: () => this.dispatch(),
      ack: (ranges) => this.ack(c, ranges),
      closed: () => this.detachConsumer(c),
    };
    port.opened(this.info());
    this.checkEnd();
  }

  private info() {
    return { maxsize: this.maxsize, producers: this.producersToEnd, ended: this.ended };
  }

  private put(p: Producer, payload: string, seq: number): void {
    // An item that could not be framed again for every consumer's channel id is refused here.
    p.port.checkPayload(payload);
    if (p.ended || this.ended) {
      p.port.fail(new EndedError(`queue '${this.name}' has ended: nothing more can be put on it`));
      return;
    }
    this.items.push(payload);
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
    this.outstanding -= p.outstanding;
    p.outstanding = 0;
    this.refill();
    this.host.maybeIdle(this);
  }

  private dispatch(): void {
    const consumers = this.consumers;
    while (this.items.length > 0 && consumers.length > 0) {
      let c: Consumer | undefined;
      for (let k = 0; k < consumers.length; k++) {
        const candidate = consumers[(this.rr + k) % consumers.length]!;
        if (candidate.port.credit > 0 && candidate.port.state === 'open') {
          c = candidate;
          this.rr = (this.rr + k + 1) % consumers.length;
          break;
        }
      }
      if (!c) break;
      const item = this.items.shift()!;
      const seq = c.port.send(item);
      if (c.port.state !== 'open') {
        // The write itself cut this consumer off (a peer that does not read): it was detached
        // during `send`, so the item goes back rather than into a gone consumer's in-flight set.
        this.items.unshift(item);
        continue;
      }
      c.inflight.add(seq, item);
      this.inflight++;
    }
  }

  private ack(c: Consumer, ranges: SeqRange[]): void {
    for (const [from, to] of ranges) this.inflight -= c.inflight.ack(from, to);
    this.refill();
    this.checkEnd();
  }

  private detachConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    const back = c.inflight.takeAll();
    this.inflight -= back.length;
    for (let k = back.length - 1; k >= 0; k--) this.items.unshift(back[k]![1]);
    this.dispatch();
    this.checkEnd();
    this.host.maybeIdle(this);
  }

  /** Grants producers the room there is, at the end of the turn, starting with a rotating one. */
  private refill(): void {
    if (this.refillPending) return;
    this.refillPending = true;
    this.host.defer(() => {
      this.refillPending = false;
      let room = this.maxsize - this.items.length - this.inflight - this.outstanding;
      if (room <= 0 || this.producers.size === 0) return;
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
    if (!this.ended || this.items.length > 0 || this.inflight > 0) return;
    for (const c of this.consumers) {
      if (c.ended) continue;
      c.ended = true;
      c.port.end(this.failure);
    }
  }
}
