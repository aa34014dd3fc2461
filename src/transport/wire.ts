import { Buffer } from 'node:buffer';
import { FrameTooLargeError } from '../errors.js';

/**
 * A connection that carries lines: NDJSON frames without their newline. The bus speaks to a
 * socket, a socketpair end and an in-memory peer through this one interface.
 */
export interface Wire {
  /** Largest line, in bytes, that this wire sends or accepts. */
  readonly maxLine: number;
  /**
   * Queues one line. Lines queued in one scheduler turn go out in one write. Throws
   * {@link FrameTooLargeError} (and queues nothing) when the line is over `maxLine`.
   * What is queued is bounded by the caller (the bus writes data only within granted credit).
   */
  write(line: string): void;
  /** Starts delivery to `sink`. Lines that arrive before `start` wait in the OS or peer. */
  start(sink: WireSink): void;
  /**
   * Flushes what is queued, then closes. Graceful by default: reading goes on until the peer
   * closes its side. With `force`, the connection is cut once the queue is written, whether or
   * not the peer closes (for a peer that broke the protocol).
   */
  end(force?: boolean): void;
  /** Closes at once, dropping what is queued. `sink.closed` follows. */
  destroy(err?: Error): void;
  /**
   * Runs `work` by the end of the current turn, as this wire's own flush is scheduled; the owner
   * schedules its coalesced frames with it. Without it, the owner uses its own scheduler.
   */
  soon?(work: () => void): void;
  /**
   * Takes incoming lines of at most `max` bytes from now on (never more than `maxLine`), or
   * `maxLine` again with none: for a handshake whose lines are short. Absent: lines of `maxLine`.
   */
  limitLines?(max?: number): void;
  /**
   * False while enough is queued on this wire: the socket is full, or a flush's worth waits for
   * the end of the turn. A sender then holds its values back (where they wait unencoded, or not
   * pulled at all) until the sink's `writable` runs. Absent: always writable.
   */
  readonly writable?: boolean;
  /** The IP address of this side of a TCP connection (where it reaches the peer from); absent on other wires. */
  readonly localAddress?: string | undefined;
}

/** What a wire reports to its owner. */
export interface WireSink {
  /** One complete line arrived. */
  line(text: string): void;
  /** The wire could not read further (oversized line); it will close. */
  fault(err: Error): void;
  /** The wire closed; `err` when it was not a clean close. Called once. */
  closed(err?: Error): void;
  /**
   * The wire is about to write its batch: what the owner still holds back (coalesced acks and
   * credit) can join the same write, instead of costing one of its own.
   */
  flushing?(): void;
  /** The wire takes writes again, after it was not {@link Wire.writable}. */
  writable?(): void;
}

/** Throws FrameTooLargeError when `line` is over `maxLine` bytes (cheap for short lines). */
export function assertLineSize(line: string, maxLine: number): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no byte count.
  if (line.length * 3 <= maxLine) return;
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > maxLine) {
    throw new FrameTooLargeError(
      `frame of ${bytes} bytes is over the maxLine limit of ${maxLine} bytes: ` +
        'send smaller messages, or raise maxLine on both sides',
    );
  }
}
