import { asapScheduler, type SchedulerLike } from 'rxjs';
import { ConnectionLostError } from '../errors.js';
import { DEFAULT_MAX_LINE } from './line-decoder.js';
import { assertLineSize, type Wire, type WireSink } from './wire.js';

/** Options of an in-memory wire pair. */
export interface MemoryWireOptions {
  /** Scheduler of every hop (default `asapScheduler`; virtual under `TestScheduler.run`). */
  scheduler?: SchedulerLike;
  /**
   * @internal Every hop on `process.nextTick` instead of a scheduler, as on a socket: a loop of
   * awaited sends is then one hop, not one per value. For a hub in the process, not for tests.
   */
  tick?: boolean;
  /** Delay of each hop in scheduler time units (default 0). */
  delay?: number;
  /** Largest line in bytes (default 1 MiB). */
  maxLine?: number;
}

/**
 * Two connected in-memory {@link Wire}s: what one writes, the other reads, in order. Every hop
 * (flush and delivery) is scheduled on `scheduler`, so under `TestScheduler.run` a whole bus
 * runs in virtual time. Lines go through the same size guard as on a socket.
 */
export function memoryWirePair(options: MemoryWireOptions = {}): [Wire, Wire] {
  const a = new MemoryWire(options);
  const b = new MemoryWire(options);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryWire implements Wire {
  readonly maxLine: number;
  peer!: MemoryWire;
  private queued: string[] = [];
  private scheduled = false;
  private inbox: string[] = [];
  private sink: WireSink | undefined;
  private closing: Error | null | undefined = undefined;
  private done = false;
  /** Schedules a hop (after `delay`). */
  private readonly later: (work: () => void) => void;
  /** Schedules work by the end of the turn, with no delay. */
  private readonly now: (work: () => void) => void;

  constructor(options: MemoryWireOptions) {
    this.maxLine = options.maxLine ?? DEFAULT_MAX_LINE;
    const delay = options.delay ?? 0;
    const scheduler = options.scheduler ?? asapScheduler;
    this.later = options.tick ? (work) => process.nextTick(work) : (work) => void scheduler.schedule(work, delay);
    this.now = options.tick ? (work) => process.nextTick(work) : (work) => void scheduler.schedule(work);
  }

  /** Runs `work` on this wire's scheduler with no delay (or once the current tick is done). */
  soon(work: () => void): void {
    this.now(work);
  }

  start(sink: WireSink): void {
    this.sink = sink;
    const waiting = this.inbox;
    this.inbox = [];
    for (const line of waiting) sink.line(line);
    if (this.closing !== undefined) this.finish(this.closing ?? undefined);
  }

  write(line: string): void {
    if (this.done) return;
    assertLineSize(line, this.maxLine);
    this.queued.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      this.later(() => this.flush());
    }
  }

  end(): void {
    if (this.done) return;
    this.later(() => {
      this.flush();
      this.peer.receiveClose(null);
      this.finish(undefined);
    });
  }

  destroy(err?: Error): void {
    if (this.done) return;
    this.queued = [];
    this.finish(err);
    this.later(() => this.peer.receiveClose(new ConnectionLostError('the in-memory peer was destroyed')));
  }

  private flush(): void {
    this.scheduled = false;
    if (this.done) return;
    if (this.queued.length > 0) this.sink?.flushing?.();
    const lines = this.queued;
    this.queued = [];
    for (const line of lines) this.peer.receive(line);
  }

  private receive(line: string): void {
    if (this.done) return;
    if (this.sink) this.sink.line(line);
    else this.inbox.push(line);
  }

  private receiveClose(err: Error | null): void {
    if (this.sink) this.finish(err ?? undefined);
    else this.closing = err;
  }

  private finish(err: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    this.queued = [];
    this.sink?.closed(err);
  }
}
