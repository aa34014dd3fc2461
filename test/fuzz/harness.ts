/**
 * The fuzz suite's harness: runs a {@link Scenario} (scenarios.ts) against a fresh hub, then
 * checks the invariants below. Two targets: a hub in a child process of its own behind a Unix
 * socket ({@link socketTarget}, test/fixtures/fuzz-hub.ts, built package in dist/), and a hub in
 * this process over the in-memory transport ({@link memoryTarget}, src/). Each run gets a fresh
 * hub (one child process serves many runs; it is replaced when it dies), with small limits
 * ({@link HUB_OPTIONS}) so that they are reached fast, and one well-behaved client (a `Bus`) with
 * a producer and a consumer on a queue of its own (`good-q`) and the two ends of a relayed pipe
 * of its own (`good-p`, `direct: false`). Hostile sessions are raw connections: a `net.Socket`
 * written byte by byte, or the client end of an in-memory wire pair written line by line (lines
 * are cut from the same bytes as the socket's decoder cuts them: `\n`, a trailing `\r` dropped,
 * empty lines skipped; a line over maxLine cannot be sent in memory, the wire refuses it).
 *
 * ## What "invalid" means (oracle.ts, from docs/protocol.md)
 *
 * The oracle replays what the hub read from one connection, line by line, in order. Each line is:
 * - a **fault**, which the hub must answer with a session `error` (a code of `errorCodes`) and
 *   a close: a line over maxLine (`ERR_FRAME_TOO_LARGE`, also an unterminated tail over it);
 *   not JSON, JSON but not an object, no `t` and no `d`, an unknown `t` (`data`, `constructor`,
 *   `__proto__`, `toString`... included); a required field missing or of the wrong JSON type
 *   (`c` not a positive integer, `k`/`n`/`r`/`role` not strings, `o` not an object, `e` not
 *   `{message, code}` strings, credit `n` not an integer ≥ 1, `r` not a list of pairs of numbers,
 *   `v`/`max`/ping `n` not numbers); a frame before `hello`; a `hello` of a version other than 1
 *   (`ERR_VERSION`, or `ERR_PROTOCOL` when `v` is not even a number); a second `hello`; a frame
 *   for a channel that is not open on this connection (never opened, or after the client's own
 *   `close`, `closed` or channel `error`); an `open` of a channel id that is open; a data frame
 *   in the canonical spelling `{"c":N,"d":...}` (N of 1 to 9 digits, no leading zero) whose rest
 *   is not one JSON value, from a session that did not vouch (`"checked":true`); a data frame
 *   beyond every credit the hub granted on that channel during the whole connection, on a
 *   channel the hub never failed or closed (`ERR_CREDIT_OVERRUN`); a payload over maxLine − 32
 *   bytes sent within credit (`ERR_FRAME_TOO_LARGE` or `ERR_PROTOCOL`).
 * - **either**: the protocol leaves it open, or it depends on timing the client cannot see: a
 *   number past 2^53 or negative or fractional where only a count is said (`v`, `max`, ping `n`,
 *   ack bounds, credit past 2^53); an unknown `role`; an unsolicited `closed`; a channel id used
 *   again after its close; a data frame beyond the credit received when it was written but not
 *   beyond all credit granted later; a name of ≤ 256 characters but more UTF-16 units; queue
 *   options on an existing name (they may differ). The hub may accept or refuse such a line; a
 *   later fault may then be answered with any typed code.
 * - otherwise **valid**. A session `error` sent by the client ends the session by its own word:
 *   the hub must close it, whatever it answers. An `open` the hub must refuse with a channel
 *   `error` (or the session with a session error), never `opened`: an unknown kind, a bad role,
 *   an empty name or one over 256 characters, a non-integer or < 1 `maxsize`/`producers`, a
 *   non-string `direct` (for a kind or a name, code `ERR_INVALID_ARGUMENT`), and (code
 *   `ERR_LIMIT`) an open while `maxChannels` channels are certainly open on the connection.
 *   `ERR_LIMIT` is accepted for any refused open: a limit of the hub may come first.
 *
 * Actions that are not lines: `close` (the harness ends or resets the connection: no
 * expectation for it but the hub's survival), `pause` (stops reading until the checks, so the
 * hub's writes back up), `wait` (for credit, `opened` or data, at most 1 s: a wait for depth,
 * never a check: what arrived is judged by the oracle whatever the wait saw; a session in good
 * standing sends two pings one after the other, and once the second `pong` is in, what the hub
 * had to write about the lines before is in too).
 *
 * ## The invariants, after each sequence
 *
 * 1. **Alive**: the hub's process did not exit (socket; the stack on its stderr is reported) and
 *    nothing was thrown uncaught or rejected unhandled in this process (memory; and the test
 *    process in both).
 * 2. **The well-behaved client still moves messages**: a value through `good-q` and one through
 *    `good-p` arrive within 5 s (a deadline as a failure condition, not a synchronisation), and
 *    its bus and consumers saw no error.
 * 3. **Bounds** (after the actions, and after the checks of 4): `hub.stats()` has
 *    `sessions ≤ maxConnections`, `pending ≤ maxPendingConnections`,
 *    `queuedChars ≤ maxQueuedChars`, `resources.length ≤ maxResources`, each queue's
 *    `queued + inflight ≤ maxsize`, and no `opened` for an open past `maxChannels`. Socket only,
 *    from docs/bounds.md (a line decoder holds ≤ maxLine bytes per connection; write queues hold
 *    credit-bounded data, or what the peer asked for; queues hold ≤ maxQueuedChars characters):
 *    the peak RSS of the hub's process during the run stays below
 *    `rss at the start of the run + 64 MiB + maxConnections × maxLine × 4 + 2 × maxQueuedChars
 *    + 4 × bytes written by the hostile sessions` (≈ start + 80 MiB + 4 × input; the factor 4
 *    covers a Buffer copy, the decoded string and what is parsed from it, 64 MiB V8's own slack);
 *    the retained heap (heapUsed + external, after a full GC) stays below
 *    `heap at the start + 2 × maxQueuedChars + 2 × maxLine per session + 4 × input + 16 MiB`;
 *    and after the hub is closed it is back within 32 MiB of the process's first baseline.
 * 4. **Typed errors** per hostile connection that the harness did not close itself, after a
 *    probe (its socket resumed, an unterminated tail ended, then a `ping` with a unique `n` if a
 *    valid `hello` was read: after a fault the hub must not read it; 3 s for the `pong` or the
 *    close): a connection with a fault got
 *    a session `error` with a code of `errorCodes` (one of the fault's codes, or `ERR_LIMIT` /
 *    `ERR_SLOW_PEER`, unless an either-line came first), then was closed, and its probe was not
 *    answered; a connection without a valid `hello` was closed with `ERR_LIMIT` (helloTimeoutMs);
 *    a valid connection answered its probe, or was closed with `ERR_LIMIT` or `ERR_SLOW_PEER`;
 *    never a silent close or a hang. No session or channel `error` from the hub is `ERR_REMOTE`
 *    (an exception inside the hub), except the answer to a client's own session error. (A socket
 *    whose write failed because the hub had closed first, EPIPE or ECONNRESET, is destroyed by
 *    Node before it reads what arrived: if it saw no session error, whether the hub sent one
 *    cannot be told, and it is counted as unverifiable instead of judged. Writes after a fault
 *    that does not depend on the hub's output are not made, and each write waits a turn so that
 *    what the hub sent is read first, which keeps these rare.)
 * 5. **The hub's output is valid**: every line it wrote to a hostile session is one frame of
 *    docs/protocol.md (at most maxLine bytes, ids and counts safe integers, credit ≥ 1, ack
 *    ranges 1 ≤ from ≤ to, error codes of `errorCodes`, error messages ≤ 1,024 characters and
 *    names ≤ 64), no line is cut by the close, and nothing follows a session error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Subscription } from 'rxjs';
import ts from 'typescript';
import type { HubOptions, HubStats } from '../../src/bus/hub.js';
import { connect, type Bus } from '../../src/channels/bus.js';
import type { PipeEnd } from '../../src/channels/pipe.js';
import type { Queue } from '../../src/channels/queue.js';
import { memoryHub } from '../../src/testing.js';
import type { Wire } from '../../src/transport/wire.js';
import { MAX_LINE, encode, materialize, ping, show } from './frames.js';
import { hubLineProblem, judge, type Judgement, type SentLine } from './oracle.js';
import type { Scenario, Step } from './scenarios.js';

/** The hub's limits in the fuzz suite. */
export const HUB_OPTIONS = {
  maxLine: MAX_LINE,
  maxConnections: 32,
  maxChannels: 256,
  maxResources: 256,
  maxQueuedChars: 4 * 1024 * 1024,
  maxPendingConnections: 8,
  helloTimeoutMs: 500,
} satisfies HubOptions;

const GOOD_DEADLINE = 5_000;
const PROBE_DEADLINE = 3_000;
const WAIT_MS = 1_000;
const MiB = 1024 * 1024;

export interface Violation {
  /** What kind of failure (a short stable tag). */
  kind: string;
  detail: string;
  /** The kind and what tells its cause apart (an error's message without its numbers): a survey groups failures by it. */
  key: string;
}

/** A message with its numbers and quoted parts blanked, for telling failures apart. */
const norm = (s: string) => s.replace(/"[^"]*"|'[^']*'/g, '…').replace(/\d+/g, 'N').replace(/\s+/g, ' ').slice(0, 70);

export interface Outcome {
  violations: Violation[];
  /** Hostile connections made, bytes they wrote, waits that ran out. */
  notes: {
    connections: number; bytes: number; waitsTimedOut: number; refused: number; faults: Record<string, number>;
    probesAnswered: number; refusedOpens: number; either: number;
    /** Connections closed without a session error seen, whose socket had failed on a write (EPIPE, ECONNRESET): what the hub wrote last may be lost, so they are not judged. */
    unverifiable: number;
    /** Socket: the hub's peak RSS over its start, and its retained heap over its start, in MiB. */
    rssGrowth?: number;
    heapGrowth?: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Hostile connections

/** A raw connection to the hub, written as bytes; what the hub wrote to it, line by line. */
abstract class Conn {
  readonly received: string[] = [];
  isClosed = false;
  closedByUs = false;
  /** The socket failed (a write after the hub closed): its last lines may be lost. */
  failed: string | undefined;
  written = 0;
  private parsed: (Record<string, unknown> | undefined)[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly id: string) {}

  abstract write(bytes: Buffer): void;
  abstract pause(): void;
  abstract resume(): void;
  abstract close(how: 'end' | 'destroy'): void;
  /** Tears the connection down at the end of a run. */
  abstract destroy(): void;
  /** The lines the hub read (or will read) from this connection. */
  abstract sentLines(): SentLine[];
  /** Bytes written after the last newline. */
  abstract readonly tail: number;

  /** The hub's lines, parsed (undefined for a line that is not a JSON object). */
  frames(): (Record<string, unknown> | undefined)[] {
    for (let i = this.parsed.length; i < this.received.length; i++) {
      let f: unknown;
      try {
        f = JSON.parse(this.received[i]!);
      } catch {
        f = undefined;
      }
      this.parsed.push(typeof f === 'object' && f !== null && !Array.isArray(f) ? (f as Record<string, unknown>) : undefined);
    }
    return this.parsed;
  }

  /** Resolves true once `cond()` holds (checked on every line and on close), false after `ms`. */
  until(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) done(true);
      };
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      const timer = setTimeout(() => done(cond()), ms);
      this.waiters.add(check);
    });
  }

  protected wake(): void {
    for (const w of [...this.waiters]) w();
  }

  protected got(line: string): void {
    this.received.push(line);
    this.wake();
  }

  protected gone(): void {
    this.isClosed = true;
    this.wake();
  }
}

class SocketConn extends Conn {
  private chunks: { bytes: Buffer; at: number }[] = [];
  private buf = '';
  tailBytes = 0;

  private constructor(id: string, private readonly socket: Socket) {
    super(id);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.got(line);
      }
    });
    // EPIPE, ECONNRESET: the hub closed first, as it may. A failed write destroys the socket, and
    // whatever the hub wrote last (its session error) may be lost with it: remembered, see checkConn.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.failed ??= err.code ?? err.message;
    });
    socket.on('close', () => this.gone());
  }

  static open(id: string, path: string): Promise<SocketConn | string> {
    return new Promise((resolve) => {
      const socket = netConnect({ path });
      const fail = (err: NodeJS.ErrnoException) => {
        socket.destroy();
        resolve(err.code ?? err.message);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        resolve(new SocketConn(id, socket));
      });
    });
  }

  get tail(): number {
    return this.tailBytes;
  }

  /** The unterminated rest of what the hub wrote. */
  get partial(): string {
    return this.buf;
  }

  write(bytes: Buffer): void {
    if (this.isClosed || this.closedByUs || this.socket.destroyed || bytes.length === 0) return;
    this.socket.write(bytes);
    this.written += bytes.length;
    this.chunks.push({ bytes, at: this.received.length });
    const nl = bytes.lastIndexOf(10);
    this.tailBytes = nl < 0 ? this.tailBytes + bytes.length : bytes.length - nl - 1;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(how: 'end' | 'destroy'): void {
    this.closedByUs = true;
    if (how === 'end') this.socket.end();
    else this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  sentLines(): SentLine[] {
    const out: SentLine[] = [];
    let parts: Buffer[] = [];
    let len = 0;
    for (const { bytes, at } of this.chunks) {
      let from = 0;
      for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, from)) {
        parts.push(bytes.subarray(from, nl));
        len += nl - from;
        const line = Buffer.concat(parts, len);
        // maxLine counts the frame: a `\r` before the newline is not part of it.
        if (len - (line[len - 1] === 13 ? 1 : 0) > MAX_LINE) {
          out.push({ bytes: len, text: '', at, tooLarge: true });
          return out;
        }
        out.push({ bytes: len, text: line.toString('utf8'), at });
        parts = [];
        len = 0;
        from = nl + 1;
      }
      if (from < bytes.length) {
        parts.push(bytes.subarray(from));
        len += bytes.length - from;
      }
      // The decoder gives up as soon as it holds more than maxLine bytes of one line (a last `\r`
      // may still be the start of the line's `\r\n`).
      const lastCr = len > 0 && bytes[bytes.length - 1] === 13 && from < bytes.length;
      if (len > MAX_LINE + (lastCr ? 1 : 0)) {
        out.push({ bytes: len, text: '', at, tooLarge: true });
        return out;
      }
    }
    return out;
  }
}

class MemoryConn extends Conn {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines: SentLine[] = [];

  constructor(id: string, private readonly wire: Wire) {
    super(id);
    wire.start({
      line: (text) => this.got(text),
      fault: () => undefined,
      closed: () => this.gone(),
    });
  }

  get tail(): number {
    return this.pendingBytes;
  }

  /** Cuts lines as the socket's decoder does, and writes each one the wire takes. */
  write(bytes: Buffer): void {
    if (this.isClosed || this.closedByUs || bytes.length === 0) return;
    this.written += bytes.length;
    let from = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, from)) {
      this.pending.push(bytes.subarray(from, nl));
      const raw = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      from = nl + 1;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text === '') continue;
      try {
        this.wire.write(text);
      } catch {
        continue; // over maxLine: the in-memory wire refuses it, nothing is sent
      }
      this.lines.push({ bytes: Buffer.byteLength(raw), text: raw, at: this.received.length });
    }
    if (from < bytes.length) {
      this.pending.push(Buffer.from(bytes.subarray(from)));
      this.pendingBytes += bytes.length - from;
    }
  }

  pause(): void {}
  resume(): void {}

  close(how: 'end' | 'destroy'): void {
    this.closedByUs = true;
    if (how === 'end') this.wire.end();
    else this.wire.destroy();
  }

  destroy(): void {
    this.wire.destroy();
  }

  sentLines(): SentLine[] {
    return this.lines;
  }
}

// ---------------------------------------------------------------------------------------------
// The well-behaved client

/** A settled-or-not view of a promise that never leaves a rejection unhandled. */
function settle<T>(p: Promise<T>): { p: Promise<void>; state: () => string } {
  let state = 'pending';
  const q = p.then(() => void (state = 'resolved'), (err: unknown) => void (state = `rejected: ${(err as Error)?.message ?? String(err)}`));
  return { p: q, state: () => state };
}

/** Resolves after `ms` or when `p` settles, whichever is first; true if `p` settled. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class Good {
  readonly errors: string[] = [];
  private seq = 0;
  private readonly arrived = { q: new Set<string>(), p: new Set<string>() };
  private readonly waiters = new Set<() => void>();
  private readonly subs: Subscription[] = [];
  private readonly q: Queue<string>;
  private readonly a: PipeEnd<string>;
  private readonly b: PipeEnd<string>;

  constructor(readonly bus: Bus) {
    this.q = bus.queue<string>('good-q');
    this.a = bus.pipe<string>('good-p', { direct: false });
    this.b = bus.pipe<string>('good-p', { direct: false });
    this.subs.push(this.q.recv().subscribe({ next: (v) => this.arrive('q', v), error: (e: Error) => this.errors.push(`its queue consumer failed: ${e.message}`) }));
    this.subs.push(this.b.recv().subscribe({ next: (v) => this.arrive('p', v), error: (e: Error) => this.errors.push(`its pipe end failed: ${e.message}`) }));
  }

  private arrive(where: 'q' | 'p', v: string): void {
    this.arrived[where].add(v);
    for (const w of [...this.waiters]) w();
  }

  private arrival(where: 'q' | 'p', v: string): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.arrived[where].has(v)) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** One value through its queue and one through its pipe; what went wrong, if anything. */
  async roundTrip(): Promise<string | undefined> {
    const v = `v${++this.seq}`;
    const parts = {
      'queue send': settle(this.q.send(v)),
      'queue delivery': settle(this.arrival('q', v)),
      'pipe send': settle(this.a.send(v)),
      'pipe delivery': settle(this.arrival('p', v)),
    };
    await within(Promise.all(Object.values(parts).map((x) => x.p)), GOOD_DEADLINE);
    const states = Object.entries(parts).map(([k, x]) => [k, x.state()] as const);
    if (states.every(([, s]) => s === 'resolved')) return undefined;
    return states.map(([k, s]) => `${k}: ${s}`).join(', ');
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.bus.destroy();
    await within(this.bus.close(), GOOD_DEADLINE);
    for (const w of [...this.waiters]) this.waiters.delete(w);
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Sample {
  stats?: HubStats;
  mem?: NodeJS.MemoryUsage;
  peakRss?: number;
  error?: string;
}

/** One run's hub. */
interface RunHub {
  raw(id: string): Promise<Conn | string>;
  bus(onClose: (err?: Error) => void): Promise<Bus>;
  /** `hub.stats()`; with `gc`, memory after a full GC; `reset` starts a new peak RSS. */
  stats(gc: boolean, reset?: boolean): Promise<Sample>;
  /** Why the hub is not alive, if it is not (crash with the stack). */
  dead(): string | undefined;
  /** Closes the hub; what went wrong doing so (and memory kept past it), if anything. */
  close(): Promise<Violation[]>;
  readonly measuresMemory: boolean;
}

export interface Target {
  readonly name: string;
  open(): Promise<RunHub>;
  dispose(): Promise<void>;
}

const fixtureSource = fileURLToPath(new URL('../fixtures/fuzz-hub.ts', import.meta.url));
const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Compiles the fixture into `dir` (it imports the built package: run `npm run build` first). */
async function prepareFixture(dir: string): Promise<string> {
  try {
    await readFile(distIndex);
  } catch {
    throw new Error(`${distIndex} is missing: run \`npm run build\` first (the socket variant runs the built package in a child process)`);
  }
  const out = ts.transpileModule(await readFile(fixtureSource, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(dir, 'fuzz-hub.mjs');
  await writeFile(file, out.outputText);
  return file;
}

/** The hub's child process, and requests to it over IPC. */
class HubProcess {
  exit: string | undefined;
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-16_000);
    });
    child.on('message', (msg: Record<string, unknown>) => {
      const reply = this.pending.get(msg.id as number);
      if (reply) {
        this.pending.delete(msg.id as number);
        reply(msg);
      }
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = `exited with ${signal ?? `code ${code}`}`;
        for (const reply of this.pending.values()) reply({ error: `the hub process ${this.exit}` });
        this.pending.clear();
        resolve();
      });
    });
  }

  static async start(script: string): Promise<HubProcess> {
    const child = fork(script, [pathToFileURL(distIndex).href], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const proc = new HubProcess(child);
    const ready = await new Promise<boolean>((resolve) => {
      child.once('message', () => resolve(true));
      void proc.exited.then(() => resolve(false));
    });
    if (!ready) throw new Error(`the fuzz hub process did not start: ${proc.exit}\n${proc.stderr}`);
    return proc;
  }

  request(msg: Record<string, unknown>, ms = 10_000): Promise<Record<string, unknown>> {
    if (this.exit) return Promise.resolve({ error: `the hub process ${this.exit}` });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: `no answer from the hub process within ${ms} ms (busy in a loop?)` });
      }, ms);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.send({ ...msg, id });
    });
  }

  /**
   * Ends the process (this one child, by its handle): SIGTERM, then SIGKILL if it has not exited
   * within 3 s. (A parent's `disconnect()` would let it exit, but Node then never emits `close`.)
   */
  async stop(): Promise<void> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      if (!(await within(this.exited, 3_000))) this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}

/** Hubs in a child process, listening in `dir` (a socket file per run, removed by each close). */
export async function socketTarget(dir: string): Promise<Target> {
  const script = await prepareFixture(dir);
  let proc: HubProcess | undefined;
  let baseline = 0;
  let runs = 0;
  return {
    name: 'unix socket, hub in a child process',
    async open(): Promise<RunHub> {
      if (!proc || proc.exit) {
        await proc?.stop();
        proc = await HubProcess.start(script);
        baseline = 0;
      }
      const p = proc;
      const path = join(dir, `hub-${++runs}.sock`);
      const listening = await p.request({ op: 'listen', path, options: HUB_OPTIONS });
      if (listening.error) throw new Error(`the hub did not listen: ${String(listening.error)}`);
      if (baseline === 0) {
        const first = await p.request({ op: 'stats', gc: true });
        const mem = first.mem as NodeJS.MemoryUsage | undefined;
        baseline = mem ? mem.heapUsed + mem.external : 0;
      }
      return {
        measuresMemory: true,
        raw: (id) => SocketConn.open(id, path),
        bus: (onClose) => connect(path, { onClose }),
        async stats(gc, reset = false) {
          const r = await p.request({ op: 'stats', gc, reset });
          if (r.error) return { error: String(r.error) };
          return { stats: r.stats as HubStats, mem: r.mem as NodeJS.MemoryUsage, peakRss: r.peakRss as number };
        },
        dead: () => (p.exit ? `the hub process ${p.exit}; its stderr:\n${p.stderr.trim()}` : undefined),
        async close() {
          if (p.exit) return [];
          const closed = await p.request({ op: 'close' });
          if (closed.error) {
            const kind = p.exit ? 'hub-crash' : 'hub-close';
            const detail = `closing the hub: ${String(closed.error)}${p.exit ? `\n${p.stderr.trim()}` : ''}`;
            const v = [{ kind, detail, key: `${kind}: ${norm(/^\w*Error\b.*$/m.exec(detail)?.[0] ?? String(closed.error))}` }];
            await p.stop(); // a fresh process for the next run
            return v;
          }
          const after = await p.request({ op: 'stats', gc: true });
          const mem = after.mem as NodeJS.MemoryUsage | undefined;
          if (mem && baseline > 0 && mem.heapUsed + mem.external > baseline + 32 * MiB) {
            const held = mem.heapUsed + mem.external;
            await p.stop(); // start the next run from a clean process
            return [{ kind: 'memory-after-close', key: 'memory-after-close', detail: `after hub.close() the hub's process holds ${(held / MiB).toFixed(1)} MiB (heap + external, after a GC), its first baseline was ${(baseline / MiB).toFixed(1)} MiB` }];
          }
          return [];
        },
      };
    },
    async dispose() {
      await proc?.stop();
    },
  };
}

/** Hubs in this process, over the in-memory transport. */
export function memoryTarget(): Target {
  return {
    name: 'memory',
    async open(): Promise<RunHub> {
      const mh = memoryHub(HUB_OPTIONS);
      return {
        measuresMemory: false,
        async raw(id) {
          try {
            return new MemoryConn(id, mh.hub.connectMemory());
          } catch (err) {
            return `connectMemory threw ${(err as Error).message}`;
          }
        },
        bus: async (onClose) => mh.connect({ onClose }),
        stats: async () => {
          try {
            return { stats: mh.hub.stats() };
          } catch (err) {
            return { error: `hub.stats() threw ${(err as Error).stack}` };
          }
        },
        dead: () => undefined,
        async close() {
          await mh.hub.close();
          return [];
        },
      };
    },
    async dispose() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Errors escaping in this process

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `thrown: ${String(err)}`;
}

/** Records uncaught exceptions and unhandled rejections of this process, instead of the test runner. */
function captureProcessErrors(): { errors: string[]; restore(): Promise<void> } {
  const errors: string[] = [];
  const saved = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const record = (err: unknown) => void errors.push(stackOf(err));
  process.removeAllListeners('uncaughtException');
  process.removeAllListeners('unhandledRejection');
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    errors,
    async restore() {
      // A rejection is reported once the microtasks of its turn have run: give them that turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
      for (const l of saved.uncaughtException) process.on('uncaughtException', l as NodeJS.UncaughtExceptionListener);
      for (const l of saved.unhandledRejection) process.on('unhandledRejection', l as NodeJS.UnhandledRejectionListener);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Running a scenario

let probes = 2 ** 40;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `scenario` against a fresh hub of `target`; every invariant that failed. */
export async function runScenario(target: Target, scenario: Scenario): Promise<Outcome> {
  const notes: Outcome['notes'] = { connections: 0, bytes: 0, waitsTimedOut: 0, refused: 0, faults: {}, probesAnswered: 0, refusedOpens: 0, either: 0, unverifiable: 0 };
  const violations: Violation[] = [];
  const add = (kind: string, detail: string, cause?: string) => void violations.push({ kind, detail, key: cause === undefined ? kind : `${kind}: ${norm(cause)}` });
  const caught = captureProcessErrors();
  const conns: Conn[] = [];
  const slots = new Map<number, Conn>();
  const counts = new Map<number, number>();
  let good: Good | undefined;
  let hub: RunHub | undefined;
  try {
    hub = await target.open();
    const bus = await hub.bus((err) => {
      if (err) good?.errors.push(`its connection closed: ${err.name}: ${err.message}`);
    });
    good = new Good(bus);
    const before = await good.roundTrip();
    if (before) {
      add('good-client', `before any hostile action: ${before}`);
      return { violations, notes };
    }
    const start = hub.measuresMemory ? await hub.stats(true, true) : undefined;

    // ---- the actions
    for (const step of scenario.steps) {
      if (hub.dead()) break;
      await runStep(hub, step);
    }
    const mid = await hub.stats(false);

    // ---- probes, then the checks of each connection
    const judged = await Promise.all(conns.map((c) => probe(c)));
    const end = await hub.stats(hub.measuresMemory);

    // 1. alive
    const dead = hub.dead();
    if (dead) add('hub-crash', dead, /^\w*Error\b.*$/m.exec(dead)?.[0] ?? dead);
    for (const e of caught.errors) add('uncaught', e, e.split('\n')[0]);
    if (dead) return { violations, notes };

    // 2. the well-behaved client
    const after = await good.roundTrip();
    if (after) add('good-client', `after the sequence: ${after}`);
    for (const e of good.errors) add('good-client', e);

    // 3. bounds
    for (const [where, s] of [['after the actions', mid], ['after the probes', end]] as const) checkStats(where, s, add);
    if (start?.mem && end.mem && end.peakRss !== undefined) {
      checkMemory(start, end, notes.bytes, conns.filter((c) => !c.isClosed).length, add);
      notes.rssGrowth = Math.round((end.peakRss - start.mem.rss) / MiB);
      notes.heapGrowth = Math.round((end.mem.heapUsed + end.mem.external - start.mem.heapUsed - start.mem.external) / MiB);
    }

    // 4 and 5, per connection
    const vouched = conns.some((c) => c.sentLines().some((l) => /"checked"\s*:\s*true/.test(l.text)));
    conns.forEach((c, i) => checkConn(c, judged[i]!, !vouched, add));
    notes.unverifiable = conns.filter((c) => c.failed && !c.closedByUs && !c.frames().some((f) => f?.t === 'error' && f.c === undefined)).length;
    for (const { j, answered, probe: n } of judged) {
      if (j.fault) {
        const k = `${j.fault.codes[0]}: ${j.fault.why.replace(/\d+/g, 'N').replace(/".*"/, '…').slice(0, 40)}`;
        notes.faults[k] = (notes.faults[k] ?? 0) + 1;
      }
      if (answered && n !== undefined) notes.probesAnswered++;
      notes.refusedOpens += j.mustRefuse.length;
      notes.either += j.either.length;
    }
    return { violations, notes };
  } finally {
    await good?.close();
    for (const c of conns) c.destroy();
    if (hub) {
      const closing = await hub.close();
      violations.push(...closing);
    }
    await caught.restore();
    for (const e of caught.errors.slice()) if (!violations.some((v) => v.detail === e)) add('uncaught', e, e.split('\n')[0]);
  }

  async function runStep(h: RunHub, step: Step): Promise<void> {
    if (step.op === 'connect') {
      const k = (counts.get(step.s) ?? 0) + 1;
      counts.set(step.s, k);
      const conn = await h.raw(`session ${step.s}, connection ${k}`);
      if (typeof conn === 'string') {
        notes.refused++;
        if (conn !== 'EAGAIN') add('connect', `session ${step.s} could not connect: ${conn}`);
        slots.delete(step.s);
        return;
      }
      notes.connections++;
      conns.push(conn);
      slots.set(step.s, conn);
      if (step.hello) write(conn, materialize(step.hello));
      return;
    }
    const conn = slots.get(step.s);
    if (!conn || conn.isClosed) return;
    if (step.op === 'write' || step.op === 'flood' || step.op === 'ack') {
      // Lines after a fault are never read (the hub stops there), and writing them races the
      // hub's close: a write that fails destroys the socket with the session error unread.
      // (Only a fault that does not depend on what the hub wrote since: that may not be read yet.)
      const j = judge(conn.sentLines(), conn.received, HUB_OPTIONS);
      if ((j.fault && !j.fault.late) || j.clientError !== undefined) return;
      await turn(); // and what the hub already wrote is read first
      if (conn.isClosed) return;
    }
    switch (step.op) {
      case 'write': {
        const bytes = Buffer.concat(step.lines.map((l) => materialize(l)));
        const cuts = [...new Set((step.split ?? []).map((f) => Math.floor(f * bytes.length)))].filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b);
        let from = 0;
        for (const cut of cuts) {
          write(conn, bytes.subarray(from, cut));
          from = cut;
          await turn();
        }
        write(conn, bytes.subarray(from));
        return;
      }
      case 'wait': {
        const want = step.n ?? 1;
        const met = () => {
          if (conn.isClosed) return true;
          let n = 0;
          for (const f of conn.frames()) {
            if (!f) continue;
            if (f.t === 'error' && (f.c === undefined || f.c === step.c)) return true;
            if (f.c !== step.c) continue;
            if (step.for === 'data' ? f.t === undefined && 'd' in f : f.t === step.for) n++;
          }
          return n >= want;
        };
        if (met()) return;
        const j = judge(conn.sentLines(), conn.received, HUB_OPTIONS);
        if (j.hello && (!j.fault || j.fault.late) && j.clientError === undefined) {
          // Two pings answered one after the other: the hub has written all it had to say about
          // the lines before the first (its deferred work of that turn included) by the second pong.
          for (let k = 0; k < 2 && !met(); k++) {
            const n = ++probes;
            write(conn, Buffer.from(encode(ping(n)) + '\n'));
            if (!(await conn.until(() => met() || conn.frames().some((f) => f?.t === 'pong' && f.n === n), WAIT_MS))) notes.waitsTimedOut++;
          }
        } else if (!(await conn.until(met, WAIT_MS))) {
          notes.waitsTimedOut++;
        }
        return;
      }
      case 'ack': {
        const seqs: number[] = [];
        for (const f of conn.frames()) if (f && f.t === undefined && f.c === step.c) seqs.push(seqs.length + 1);
        if (step.order === 'rev') seqs.reverse();
        if (step.order === 'odd-even' || step.order === 'odd') {
          const odd = seqs.filter((k) => k % 2 === 1);
          seqs.splice(0, seqs.length, ...odd, ...(step.order === 'odd' ? [] : seqs.filter((k) => k % 2 === 0)));
        }
        for (let i = 0; i < seqs.length; i += 4000) {
          const r = seqs.slice(i, i + 4000).map((k) => `[${k},${k}]`).join(',');
          write(conn, Buffer.from(`{"t":"ack","c":${step.c},"r":[${r}]}\n`));
        }
        return;
      }
      case 'flood': {
        let granted = 0;
        for (const f of conn.frames()) if (f && f.t === 'credit' && f.c === step.c && typeof f.n === 'number') granted += f.n;
        const count = Math.min(step.max, granted);
        if (count <= 0) return;
        const frame = `{"c":${step.c},"d":"${'x'.repeat(Math.max(0, step.size - 2))}"}\n`;
        write(conn, Buffer.from(frame.repeat(count)));
        return;
      }
      case 'pause':
        return conn.pause();
      case 'resume':
        return conn.resume();
      case 'close':
        conn.close(step.how);
        slots.delete(step.s);
        return;
    }
  }

  function write(conn: Conn, bytes: Buffer): void {
    notes.bytes += bytes.length;
    conn.write(bytes);
  }

  /** Ends the connection's part of the sequence: a ping that must be answered, or its close. */
  async function probe(conn: Conn): Promise<{ j: Judgement; probe?: number; answered: boolean }> {
    if (conn.closedByUs) return { j: judge(conn.sentLines(), conn.received, HUB_OPTIONS), answered: false };
    if (!conn.isClosed) {
      conn.resume();
      if (conn.tail > 0) conn.write(Buffer.from('\n'));
    }
    // A ping after a fault is never read (harmless); before a hello it would be a fault itself.
    const before = judge(conn.sentLines(), conn.received, HUB_OPTIONS);
    let n: number | undefined;
    if (!conn.isClosed && before.hello && before.clientError === undefined) {
      n = ++probes;
      conn.write(Buffer.from(encode(ping(n)) + '\n'));
    }
    const ponged = () => n !== undefined && conn.frames().some((f) => f?.t === 'pong' && f.n === n);
    await conn.until(() => conn.isClosed || ponged(), PROBE_DEADLINE);
    const answered = ponged();
    return { j: judge(conn.sentLines(), conn.received, HUB_OPTIONS), ...(n === undefined ? {} : { probe: n }), answered };
  }
}

function checkStats(where: string, s: Sample, add: Add): void {
  if (s.error || !s.stats) {
    add('stats', `${where}: ${s.error ?? 'hub.stats() gave nothing'}`);
    return;
  }
  const st = s.stats as Partial<HubStats> & { resources?: HubStats['resources'] };
  const bound = (key: 'sessions' | 'pending' | 'queuedChars', max: number, option: string) => {
    const v = st[key];
    if (typeof v !== 'number') add('stats-missing', `hub.stats().${key} is ${JSON.stringify(v) ?? 'undefined'}`);
    else if (v > max) add('bound', `${where}: stats().${key} = ${v} > ${option} ${max}`);
  };
  bound('sessions', HUB_OPTIONS.maxConnections, 'maxConnections');
  bound('pending', HUB_OPTIONS.maxPendingConnections, 'maxPendingConnections');
  bound('queuedChars', HUB_OPTIONS.maxQueuedChars, 'maxQueuedChars');
  if (typeof st.limits !== 'object' || st.limits === null) add('stats-missing', 'hub.stats().limits is missing');
  const resources = st.resources ?? [];
  if (resources.length > HUB_OPTIONS.maxResources) add('bound', `${where}: ${resources.length} resources > maxResources ${HUB_OPTIONS.maxResources}`);
  for (const r of resources) {
    if (r.kind !== 'queue') continue;
    const held = Number(r.queued) + Number(r.inflight);
    if (held > Number(r.maxsize)) add('bound', `${where}: queue ${JSON.stringify(r.name)} holds ${held} items > its maxsize ${String(r.maxsize)}`);
  }
}

function checkMemory(start: Sample, end: Sample, bytesIn: number, sessions: number, add: Add): void {
  const o = HUB_OPTIONS;
  const rssCeiling = start.mem!.rss + 64 * MiB + o.maxConnections * o.maxLine * 4 + 2 * o.maxQueuedChars + 4 * bytesIn;
  if (end.peakRss! > rssCeiling) {
    add('memory-rss', `the hub's peak RSS was ${(end.peakRss! / MiB).toFixed(1)} MiB, over its ceiling of ${(rssCeiling / MiB).toFixed(1)} MiB (start ${(start.mem!.rss / MiB).toFixed(1)} MiB, ${bytesIn} bytes written by hostile sessions)`);
  }
  const heap = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
  const heapCeiling = heap(start.mem!) + 2 * o.maxQueuedChars + 2 * o.maxLine * (sessions + 1) + 4 * bytesIn + 16 * MiB;
  if (heap(end.mem!) > heapCeiling) {
    add('memory-retained', `after a GC the hub's process retains ${(heap(end.mem!) / MiB).toFixed(1)} MiB (heap + external), over ${(heapCeiling / MiB).toFixed(1)} MiB (start ${(heap(start.mem!) / MiB).toFixed(1)} MiB, ${bytesIn} bytes in)`);
  }
}

type Add = (kind: string, detail: string, cause?: string) => void;

const LIMIT_CODES = ['ERR_LIMIT', 'ERR_SLOW_PEER'];

function lineAt(conn: Conn, i: number): string {
  const l = conn.sentLines()[i];
  return l ? show(Buffer.from(l.text)) : '?';
}

/** Invariants 4 and 5 for one connection. */
function checkConn(conn: Conn, r: { j: Judgement; probe?: number; answered: boolean }, payloads: boolean, add: Add): void {
  const { j } = r;
  const frames = conn.frames();
  const who = conn.id;
  const sessionErrorAt = frames.findIndex((f) => f?.t === 'error' && f.c === undefined);
  const sessionError = sessionErrorAt >= 0 ? (frames[sessionErrorAt]!.e as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof sessionError?.code === 'string' ? sessionError.code : undefined;
  const msg = sessionError ? ` (${String(code)}: ${String(sessionError.message).slice(0, 160)})` : '';

  // 5. output
  conn.received.forEach((line, i) => {
    const problem = hubLineProblem(line, MAX_LINE, payloads);
    if (problem) add('bad-output', `${who}: the hub wrote ${problem}: ${show(Buffer.from(line), 240)}`, problem);
    if (sessionErrorAt >= 0 && i > sessionErrorAt) add('after-session-error', `${who}: the hub wrote after its session error: ${show(Buffer.from(line), 160)}`);
  });
  // (A socket that failed was destroyed before it read all that had arrived: its rest proves nothing.)
  if (conn instanceof SocketConn && conn.partial !== '' && !conn.closedByUs && !conn.failed) {
    add('bad-output', `${who}: the hub closed the connection in the middle of a line (${Buffer.byteLength(conn.partial)} bytes of it arrived): ${show(Buffer.from(conn.partial), 160)}`, 'a line cut by the close');
  }

  // 4. errors are typed, and never ERR_REMOTE (but for the echo of the client's own session error)
  frames.forEach((f, i) => {
    if (f?.t !== 'error') return;
    const e = f.e as { code?: unknown; message?: unknown } | undefined;
    if (e?.code === 'ERR_REMOTE' && !(f.c === undefined && j.clientError !== undefined)) {
      add('remote-error', `${who}: the hub sent ${f.c === undefined ? 'a session' : `a channel ${String(f.c)}`} error ERR_REMOTE (an exception inside the hub): ${String(e.message).slice(0, 200)}; after ${lineAt(conn, culprit(conn, j, i, f.c))}`, String(e.message));
    }
  });
  if (conn.closedByUs) return;

  const relaxed = j.either.some((e) => e.index < (j.fault?.index ?? Infinity));
  const closed = conn.isClosed;
  const state = closed ? 'closed' : 'open';
  if (j.fault) {
    const f = j.fault;
    const bad = `line ${f.index + 1}, ${f.why}: ${lineAt(conn, f.index)}`;
    if (r.answered) {
      add('undetected', `${who}: the hub answered a ping sent after ${bad}`, f.why);
    } else if (!sessionError) {
      if (!closed) add('hang', `${who}: no session error and not closed within ${PROBE_DEADLINE} ms after ${bad}`, f.why);
      else if (!conn.failed) add('silent-close', `${who}: closed without a session error after ${bad}`, f.why);
    } else if (!relaxed && code && !f.codes.includes(code) && !LIMIT_CODES.includes(code)) {
      add('wrong-code', `${who}: expected ${f.codes.join(' or ')}, got ${code}${msg} for ${bad}`, `${f.codes.join('|')} -> ${code} (${f.why})`);
    } else if (!closed) {
      add('not-closed', `${who}: a session error${msg} but the connection stays open, after ${bad}`);
    }
  } else if (j.clientError !== undefined) {
    if (!closed) add('hang', `${who}: still open ${PROBE_DEADLINE} ms after its own session error: ${lineAt(conn, j.clientError)}`);
  } else if (!j.hello) {
    const sent = conn.sentLines().length;
    if (!closed) add('no-hello-timeout', `${who}: no valid hello (${sent} lines sent), still open ${PROBE_DEADLINE} ms later (helloTimeoutMs ${HUB_OPTIONS.helloTimeoutMs})`);
    else if (!sessionError && !conn.failed) add('silent-close', `${who}: closed without a session error, before any valid hello`);
    else if (sessionError && !relaxed && code !== 'ERR_LIMIT') add('wrong-code', `${who}: no valid hello: expected ERR_LIMIT, got ${String(code)}${msg}`, `no hello: ERR_LIMIT -> ${String(code)}`);
  } else if (!r.answered && !closed) {
    add('hang', `${who}: a valid session did not answer its probe ping within ${PROBE_DEADLINE} ms (${state})`);
  } else if (closed && !sessionError && !r.answered) {
    if (!conn.failed) add('silent-close', `${who}: a valid session was closed without a session error; it received ${conn.received.length} lines: ${conn.received.slice(0, 4).map((l) => show(Buffer.from(l), 120)).join(' | ')}`);
  } else if (code && !LIMIT_CODES.includes(code) && !relaxed) {
    add('valid-session-cut', `${who}: a session that broke nothing got a session error${msg}; last line: ${lineAt(conn, conn.sentLines().length - 1)}`, `${String(code)} ${String(sessionError?.message)}`);
  }

  // Opens that must be refused.
  for (const m of j.mustRefuse) {
    let answer: Record<string, unknown> | undefined;
    for (const f of frames) if (f && f.c === m.c && (f.t === 'opened' || f.t === 'error')) answer ??= f;
    const why = m.why.replace(/\d+/g, 'N').replace(/".*"/, '…');
    if (answer?.t === 'opened') add(m.codes ? 'limit-not-enforced' : 'accepted-bad-open', `${who}: the hub answered opened to an open it must refuse (${m.why}): ${lineAt(conn, m.index)}`, why);
    else if (!answer && !sessionError && !conn.failed) add('unanswered-open', `${who}: no channel error for an open it must refuse (${m.why}): ${lineAt(conn, m.index)}`, why);
    else if (answer && m.codes) {
      const c = (answer.e as { code?: unknown } | undefined)?.code;
      // A limit of the hub may come first, whatever else is wrong with the open.
      if (typeof c === 'string' && !m.codes.includes(c) && c !== 'ERR_LIMIT') add('wrong-code', `${who}: expected ${m.codes.join(' or ')} for an open it must refuse (${m.why}), got ${c}: ${lineAt(conn, m.index)}`, `open: ${m.codes.join('|')} -> ${c} (${why})`);
    }
  }
}

/** The line that most likely caused the hub's line `i`: the fault, the open of its channel, or the last line before it. */
function culprit(conn: Conn, j: Judgement, i: number, c: unknown): number {
  const last = lastSentBefore(conn, i);
  if (j.fault && j.fault.index <= last) return j.fault.index;
  if (typeof c === 'number') {
    const lines = conn.sentLines();
    for (let k = last; k >= 0; k--) if (/"t"\s*:\s*"open"/.test(lines[k]!.text) && new RegExp(`"c"\\s*:\\s*${c}\\b`).test(lines[k]!.text)) return k;
  }
  return last;
}

/** The index of the last line the client had written before the hub's line `i` arrived. */
function lastSentBefore(conn: Conn, i: number): number {
  const lines = conn.sentLines();
  let k = -1;
  for (let x = 0; x < lines.length; x++) if (lines[x]!.at <= i) k = x;
  return k;
}

/** A scenario as its steps with the exact bytes of each line (long runs shortened), for reports. */
export function describe(scenario: Scenario): string {
  return scenario.steps.map((step) => {
    switch (step.op) {
      case 'connect':
        return `s${step.s} connect${step.hello ? ` + ${show(materialize(step.hello)) || '(nothing)'}` : ' (no hello)'}`;
      case 'write':
        return `s${step.s} write${step.split ? ` (cut at ${step.split.map((x) => x.toFixed(2)).join(', ')})` : ''}:\n` +
          step.lines.map((l) => `    ${show(materialize(l))}`).join('\n');
      case 'wait':
        return `s${step.s} wait for ${step.n ?? 1} ${step.for} on ${step.c}`;
      case 'ack':
        return `s${step.s} ack each data frame received on ${step.c}${step.order ? ` (${step.order})` : ''}, [k,k] per frame, 4,000 ranges per ack`;
      case 'flood':
        return `s${step.s} flood ${step.c} with up to ${step.max} frames of ${step.size} characters (within credit)`;
      default:
        return `s${step.s} ${step.op}${'how' in step ? ` (${step.how})` : ''}`;
    }
  }).join('\n');
}
