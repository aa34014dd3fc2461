import { FrameTooLargeError } from '../errors.js';

/** Default maximum frame size in bytes, newline excluded (1 MiB). */
export const DEFAULT_MAX_LINE = 1024 * 1024;

const NL = 0x0a;

/**
 * A pure, resumable NDJSON line splitter. Feed it chunks split anywhere (even inside a UTF-8
 * character: a newline byte never occurs inside one); it calls `onLine` once per complete line,
 * in order, without the newline. A trailing `\r` is stripped, so `\r\n` input works.
 *
 * Memory: it holds at most one incomplete line, and never more than `maxLine` bytes of it: the
 * moment an incomplete line passes the limit, `push` throws {@link FrameTooLargeError} and the
 * decoder refuses further input, without reading the rest of that line into memory.
 * Empty lines are skipped.
 */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The last byte held in `pending` (a `\r` there may be the end of a line of maxLine bytes). */
  private lastPending = 0;
  private failed = false;

  /** The longest line taken now: `maxLine`, or less while {@link limitTo} says so. */
  private limit: number;

  constructor(
    private readonly onLine: (line: string) => void,
    readonly maxLine: number = DEFAULT_MAX_LINE,
  ) {
    this.limit = maxLine;
  }

  /**
   * Takes lines of at most `max` bytes from now on (at most `maxLine`), or `maxLine` again with
   * none: a connection takes only short lines before its peer is authenticated. A held
   * incomplete line over the new limit fails at its next byte.
   */
  limitTo(max?: number): void {
    this.limit = max === undefined ? this.maxLine : Math.min(max, this.maxLine);
  }

  /** Bytes of the incomplete line held, waiting for its newline. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Splits `chunk` into lines; throws FrameTooLargeError on an oversized line. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw new FrameTooLargeError('decoder already failed on an oversized frame');
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const first = buf.indexOf(NL);
    if (first < 0) return this.hold(buf);

    // The head line may continue what the previous chunks left.
    if (this.pendingBytes > 0) {
      this.check(this.pendingBytes + first, first > 0 ? buf[first - 1]! : this.lastPending);
      this.pending.push(buf.subarray(0, first));
      const head = Buffer.concat(this.pending, this.pendingBytes + first);
      this.pending = [];
      this.pendingBytes = 0;
      this.emit(head.toString('utf8'));
    } else if (first > 0) {
      this.check(first, buf[first - 1]!);
      this.emit(buf.toString('utf8', 0, first));
    }

    const last = buf.lastIndexOf(NL);
    if (last > first) {
      // Whole lines between the first and the last newline: one decode, one split. Only when the
      // span could hold an oversized line is each line cut out and checked on its own.
      if (last - first - 1 > this.limit) {
        this.emitEach(buf, first + 1, last);
      } else {
        const lines = buf.toString('utf8', first + 1, last).split('\n');
        for (let i = 0; i < lines.length; i++) this.emit(lines[i]!);
      }
    }
    if (last + 1 < buf.length) this.hold(buf.subarray(last + 1));
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    this.check(this.pendingBytes + part.length, part[part.length - 1]!);
    this.lastPending = part[part.length - 1]!;
    // Copy, so a small tail does not keep a whole socket chunk alive.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private emit(line: string): void {
    const n = line.length;
    if (n === 0) return;
    if (line.charCodeAt(n - 1) === 13) {
      if (n === 1) return;
      line = line.slice(0, -1);
    }
    this.onLine(line);
  }

  private emitEach(buf: Buffer, start: number, end: number): void {
    for (let at = start; at <= end; ) {
      const nl = buf.indexOf(NL, at);
      const stop = nl < 0 || nl > end ? end : nl;
      this.check(stop - at, stop > at ? buf[stop - 1]! : 0);
      this.emit(buf.toString('utf8', at, stop));
      at = stop + 1;
    }
  }

  /** `bytes` of one line, `last` its last byte: a line of maxLine bytes may still have a `\r` after it. */
  private check(bytes: number, last: number): void {
    if (bytes <= this.limit || (bytes === this.limit + 1 && last === 13)) return;
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.limit < this.maxLine) {
      throw new FrameTooLargeError(`received a line of more than ${this.limit} bytes before the peer was authenticated: the handshake's lines are short`);
    }
    throw new FrameTooLargeError(
      `received a frame of more than ${this.limit} bytes (the maxLine limit): ` +
        'raise maxLine on both sides, or send smaller messages',
    );
  }
}
