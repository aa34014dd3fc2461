import type { Socket } from 'node:net';
import type { SchedulerLike } from 'rxjs';
import { ConnectionLostError, SlowPeerError } from '../errors.js';
import { DEFAULT_MAX_LINE, LineDecoder } from './line-decoder.js';
import { assertLineSize, type Wire, type WireSink } from './wire.js';

/**
 * Most characters in one `socket.write` (a longer line goes alone). Strings and buffers over
 * 128 KiB are V8 large objects and malloc'd mappings, fresh pages on every write: batches of
 * 256 KiB cost the writer 1.7x (50-byte lines) to 2.9x (4 KiB lines) the CPU per message of
 * 64 KiB ones (`node .build/bench/write-batch.js`; docs/benchmarks.md, step 12).
 */
export const WRITE_CHARS = 64 * 1024;

/**
 * Characters queued in one turn (counting 64 per line besides its own) past which the wire is
 * not {@link SocketWire.writable} until its flush: about what a Unix socket's buffer takes.
 */
export const WRITE_AHEAD = 4 * WRITE_CHARS;

/** Options of a socket wire. */
export interface SocketWireOptions {
  /** Largest frame in bytes, each way (default 1 MiB). */
  maxLine?: number;
  /**
   * Scheduler of the batched flush. Default: `process.nextTick`, which runs once the current
   * turn's code and promise jobs are done, with none of a scheduler's bookkeeping.
   */
  scheduler?: SchedulerLike;
  /**
   * Most characters queued while the socket is full, counted from its last `drain` (default:
   * 64 Mi, or 64 lines of maxLine if that is more); the rest of a batch it could not take does
   * not count. Credit keeps a well-behaved peer far below it; a peer that keeps asking (pings,
   * opens) without reading is cut off with ERR_SLOW_PEER.
   */
  maxQueued?: number;
  /**
   * How long a forced end (a peer that broke the protocol or does not read) waits for the peer to
   * take the session's error frame before the connection is cut, in ms (default 1,000).
   */
  closeTimeoutMs?: number;
}

/** Default {@link SocketWireOptions.closeTimeoutMs}. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 1000;

/**
 * A {@link Wire} over a `net.Socket` (Unix socket, named pipe, socketpair or TCP).
 *
 * Writes are batched: the lines queued in one scheduler turn go out together, in writes of at
 * most {@link WRITE_CHARS} characters. When `write` returns false, nothing more is written until
 * `drain`; the rest of the turn's lines, and lines queued meanwhile, wait in this wire. What waits
 * is bounded by its writers: a bus's senders hold back while the wire is not
 * {@link SocketWire.writable}, the hub writes data only within the credit its peer granted, and
 * anything else queued while the socket is full counts toward `maxQueued`. Reads are decoded by a
 * {@link LineDecoder}; an oversized line stops reading and is reported as a `fault`.
 */
export class SocketWire implements Wire {
  readonly maxLine: number;
  private queued: string[] = [];
  /** Lines of `queued` before this index were written already. */
  private head = 0;
  private scheduled = false;
  private blocked = false;
  private ending = false;
  private forced = false;
  /** Characters waiting in `queued`, counting 64 per line besides its text. */
  private queuedChars = 0;
  /** The same count, for lines queued since the last flush (each drain flushes): what `maxQueued` caps. */
  private sinceFlush = 0;
  /** `writable` went false: the sink hears when it is true again. */
  private stalled = false;
  private readonly maxQueued: number;
  private readonly closeTimeoutMs: number;
  private closeTimer: NodeJS.Timeout | undefined;
  private sink: WireSink | undefined;
  private done = false;
  private readonly scheduler: SchedulerLike | undefined;
  private readonly run = (): void => {
    this.scheduled = false;
    this.flush();
  };
  private readonly decoder: LineDecoder;

  limitLines(max?: number): void {
    this.decoder.limitTo(max);
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  constructor(private readonly socket: Socket, options: SocketWireOptions = {}) {
    this.maxLine = options.maxLine ?? DEFAULT_MAX_LINE;
    this.scheduler = options.scheduler;
    this.maxQueued = options.maxQueued ?? Math.max(64 * 1024 * 1024, 64 * this.maxLine);
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.decoder = new LineDecoder((line) => this.sink?.line(line), this.maxLine);
    socket.pause();
    socket.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    socket.on('error', (err) => this.finish(new ConnectionLostError(`connection failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.finish(undefined));
    socket.on('end', () => socket.end());
  }

  start(sink: WireSink): void {
    this.sink = sink;
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        // Reading stops here, so the peer's close would never be seen: any end is now forced.
        this.socket.pause();
        this.socket.removeAllListeners('data');
        this.forced = true;
        sink.fault(err as Error);
      }
    });
    this.socket.resume();
  }

  write(line: string): void {
    if (this.done || this.ending) return;
    assertLineSize(line, this.maxLine);
    this.queued.push(line);
    // Counted with a rough per-line overhead, so that many short lines count for what they cost.
    this.queuedChars += line.length + 64;
    this.sinceFlush += line.length + 64;
    // Lines left over from a write the socket could not take are not counted here: they are the
    // credit-bounded data of an earlier turn, as when they waited in the socket's own buffer.
    if (this.blocked && this.sinceFlush > this.maxQueued && !this.forced) {
      this.forced = true; // once: the session's own error frame comes through here too
      const err = new SlowPeerError(
        `over ${this.maxQueued} characters wait to be written to a peer that does not read: closing the connection`,
      );
      // Not from inside the write: its caller (a hub resource sending an item) is not re-entered.
      this.soon(() => this.sink?.fault(err));
      return;
    }
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      this.soon(this.run);
    }
  }

  /**
   * False while the socket is full or over {@link WRITE_AHEAD} characters wait for this turn's
   * flush; reading false arms the sink's `writable` call.
   */
  get writable(): boolean {
    if (!this.blocked && this.queuedChars < WRITE_AHEAD) return true;
    this.stalled = true;
    return false;
  }

  /**
   * Runs `work` once the current turn's synchronous code and promise jobs are done (a tick), so
   * that a loop of awaited sends within credit is one write, not one per value.
   */
  soon(work: () => void): void {
    if (this.scheduler) this.scheduler.schedule(work);
    else process.nextTick(work);
  }

  end(force = false): void {
    if (this.done) return;
    this.forced ||= force;
    if (this.ending && !force) return;
    this.ending = true;
    if (this.forced) this.cutOff();
    this.flush();
  }

  /**
   * A forced end: the peer broke the protocol, or does not read. If the socket is full, what is
   * queued is dropped but for the last line (the session's error frame, which says why), which goes
   * out once the socket drains, after the rest of a line the socket already took. Whatever happens,
   * the connection is cut `closeTimeoutMs` after the end began.
   */
  private cutOff(): void {
    if (this.blocked && this.queued.length > this.head) {
      const last = this.queued[this.queued.length - 1]!;
      this.queued = [last];
      this.head = 0;
      this.queuedChars = last.length + 64;
    }
    if (this.closeTimer) return;
    this.closeTimer = setTimeout(() => this.destroy(), this.closeTimeoutMs);
    this.closeTimer.unref();
  }

  destroy(err?: Error): void {
    this.queued = [];
    this.socket.destroy();
    this.finish(err);
  }

  private flush(): void {
    if (this.done || this.blocked) return;
    if (this.queued.length > this.head) {
      this.sink?.flushing?.();
      this.writeQueued();
    }
    // A graceful end sends FIN and reads on until the peer closes: closing with unread input would
    // reset the connection and lose what the peer sent last. A forced end (a peer that broke the
    // protocol) is cut off once what is queued is written.
    if (this.ending && !this.blocked) {
      if (this.forced) this.socket.destroySoon();
      else this.socket.end();
    } else if (this.stalled && !this.blocked) {
      this.stalled = false;
      this.sink?.writable?.();
    }
  }

  /** Writes what is queued, {@link WRITE_CHARS} at a time, until done or the socket asks to wait. */
  private writeQueued(): void {
    const q = this.queued;
    const n = q.length;
    const start = this.head;
    let from = start;
    this.sinceFlush = 0;
    while (from < n && !this.blocked) {
      let to = from + 1;
      let chars = q[from]!.length + 1;
      while (to < n && chars + q[to]!.length < WRITE_CHARS) chars += q[to++]!.length + 1;
      const batch = from === 0 && to === n ? q : q.slice(from, to);
      batch.push(''); // the last newline, without a second copy of the batch
      if (!this.socket.write(batch.join('\n'))) this.blocked = true;
      this.queuedChars -= chars + 63 * (to - from);
      from = to;
    }
    if (from === n) {
      this.queued = [];
      this.head = 0;
      this.queuedChars = 0;
    } else if (from * 2 > n) {
      // Most of the array was written: keep a copy of the rest (each line is copied O(1) times).
      this.queued = q.slice(from);
      this.head = 0;
    } else {
      q.fill('', start, from); // written: not kept alive here
      this.head = from;
    }
  }

  private finish(err: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.queued = [];
    this.head = 0;
    this.sink?.closed(err);
  }
}
