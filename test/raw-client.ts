// A client that speaks the wire protocol as raw bytes, for tests of how the hub treats peers.
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';

/** A raw socket to a hub: writes bytes, collects the lines it gets back. */
export class RawClient {
  readonly lines: string[] = [];
  readonly errors: Error[] = [];
  /** Resolves when the socket has closed (both directions). */
  readonly closed: Promise<void>;
  private isClosed = false;
  private buf = '';
  private read = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake();
    });
    // The hub may close while bytes are still going out (EPIPE, ECONNRESET): that is expected.
    socket.on('error', (err) => this.errors.push(err));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
  }

  /** Connects to a socket path or a TCP host and port; with `paused`, reads nothing until the socket is resumed (a peer that does not read). */
  static async open(path: string | { host: string; port: number }, paused = false): Promise<RawClient> {
    const socket = typeof path === 'string' ? netConnect({ path }) : netConnect(path);
    if (paused) socket.pause();
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** The next line the hub sent; rejects if the socket closes first. */
  async next(): Promise<string> {
    while (this.read >= this.lines.length) {
      if (this.isClosed) throw new Error(`the socket closed before another line; unterminated rest: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.lines[this.read++]!;
  }

  /** The first line received (from the start, read or not) that `match` accepts, parsed. */
  async line(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (let i = 0; ; i++) {
      while (i >= this.lines.length) {
        if (this.isClosed) throw new Error(`the socket closed; lines: ${this.lines.join(' | ')}`);
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      const f = JSON.parse(this.lines[i]!) as Record<string, unknown>;
      if (match(f)) return f;
    }
  }

  /** Lines received and not read by `next` yet. */
  get unread(): string[] {
    return this.lines.slice(this.read);
  }

  /** The unterminated rest of the input. */
  get partial(): string {
    return this.buf;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
