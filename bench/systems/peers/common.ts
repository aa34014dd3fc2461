// Shared by the peer runners (which run in the harness process) and their role processes: the
// messages, the consumer-side counter, round-trip percentiles, process supervision and reports.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { withTimeout } from '../../lib/child.js';
import { message } from '../../lib/message.js';
import type { RunContext } from '../../lib/runner.js';

export { message };

// ---- messages -----------------------------------------------------------------------------------

/** Bytes of one queue-4k payload: `JSON.stringify(big(i))` is exactly this long, for every i. */
export const BIG_BYTES = 4096;

export interface Big {
  id: number;
  data: string;
}

const pads = new Map<number, string>();

/** Message `i` of the 4 KiB scenarios: {"id":i,"data":"xxx…"}, 4096 bytes as JSON. */
export function big(i: number): Big {
  // {"id": is 6 characters, ,"data":" 9 and "} 2.
  const k = BIG_BYTES - 17 - String(i).length;
  let pad = pads.get(k);
  if (pad === undefined) pads.set(k, (pad = 'x'.repeat(k)));
  return { id: i, data: pad };
}

/** Sum of the ids 0..n-1: every message arrived exactly once. */
export const idSum = (n: number): number => (n * (n - 1)) / 2;

/** Message counts of one run: full, or `--quick`. */
export function counts(ctx: RunContext) {
  return ctx.quick
    ? { small: 20_000, big: 3_000, trips: 3_000, warmup: 1_000, slow1m: 100_000, slow3m: 300_000 }
    : { small: 200_000, big: 20_000, trips: 20_000, warmup: 1_000, slow1m: 1_000_000, slow3m: 3_000_000 };
}

/** The slow consumer pauses 1 ms after every this many messages. */
export const SLOW_EVERY = 1000;

/**
 * The node slow consumers' 1 ms pause: Atomics.wait on a SharedArrayBuffer, which blocks the
 * thread without spinning. Chosen over `await setTimeout(1)` because a child_process IPC channel
 * cannot be paused: blocking the thread is what stops the reading there (the kernel buffer fills
 * and the sender sees backpressure), and every node slow consumer uses the same pause.
 */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));
export function pause1ms(): void {
  Atomics.wait(pauseCell, 0, 0, 1);
}

// ---- consumer side ------------------------------------------------------------------------------

/** What a consumer reports: counted messages, their id sum, first-to-last milliseconds. */
export interface Counted {
  count: number;
  idSum: number;
  elapsedMs: number;
}

/** Counts a consumer's messages; the clock runs from {@link first} to the nth message. */
export class Counter {
  count = 0;
  idSum = 0;
  private start = 0n;
  private end = 0n;

  constructor(readonly n: number) {}

  /** The first message (or first chunk of them) arrived. */
  first(): void {
    if (this.start === 0n) this.start = process.hrtime.bigint();
  }

  /** One message; true once the nth has been seen. */
  seen(id: number): boolean {
    this.idSum += id;
    if (++this.count !== this.n) return false;
    this.end = process.hrtime.bigint();
    return true;
  }

  result(): Counted {
    return { count: this.count, idSum: this.idSum, elapsedMs: Number(this.end - this.start) / 1e6 };
  }
}

/** Rejects unless exactly messages 0..n-1 arrived (the id sum is skipped when `ids` is false). */
export function check(what: string, got: Record<string, any>, n: number, ids = true): void {
  if (got.count !== n || (ids && got.idSum !== idSum(n))) {
    throw new Error(`${what}: consumer got ${got.count} messages (id sum ${got.idSum}), expected ${n} (id sum ${idSum(n)})`);
  }
}

/** msg/s from a count and first-to-last milliseconds. */
export function rate(count: number, elapsedMs: number): number {
  if (!(elapsedMs > 0)) throw new Error(`no elapsed time measured (${elapsedMs} ms for ${count} messages)`);
  return (count / elapsedMs) * 1000;
}

/** The common details of a throughput run (named as the hostbus runners name theirs). */
export function throughputDetails(n: number, elapsedMs: number, extra: Record<string, number> = {}): Record<string, number> {
  return { n, seconds: elapsedMs / 1e3, ...extra };
}

/** The details of a slow-consumer run: both peaks in MiB. */
export function slowDetails(n: number, elapsedMs: number, producerKiB: number, consumerKiB: number, extra: Record<string, number> = {}) {
  return {
    n,
    seconds: elapsedMs / 1e3,
    msgPerSec: rate(n, elapsedMs),
    producerPeakRssMiB: producerKiB / 1024,
    consumerPeakRssMiB: consumerKiB / 1024,
    ...extra,
  };
}

/** MB/s (1e6 bytes) of `count` 4096-byte payloads in `elapsedMs`. */
export function megabytes(count: number, elapsedMs: number): number {
  return (rate(count, elapsedMs) * BIG_BYTES) / 1e6;
}

// ---- round trips --------------------------------------------------------------------------------

/** Round trip figures in µs: p50 and p99 (nearest rank), mean, max. */
export interface Trips {
  count: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank quantile of sorted samples (as the hostbus runners and python_mp.py compute it). */
const quantile = (sorted: number[], q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

export function trips(samplesUs: number[]): Trips {
  const s = [...samplesUs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { count: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), mean, max: s[s.length - 1]! };
}

// ---- role processes -----------------------------------------------------------------------------

/** In a forked role process: sends `r` to the parent, resolves once it is written. */
export function report(r: object): Promise<void> {
  return new Promise((resolve, reject) => process.send!(r, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

/**
 * Makes a forked role process exit if its parent goes away (a killed harness leaves nothing
 * running), and turns any failure into a message on stderr and exit code 1.
 */
export function roleMain(name: string, main: () => Promise<void>): void {
  const fail = (err: unknown) => {
    console.error(`${name}:`, err);
    process.exit(1);
  };
  process.on('disconnect', () => fail(new Error('parent went away')));
  main().then(() => process.exit(0), fail);
}

// ---- supervision (harness side) -----------------------------------------------------------------

/** A report from a role process: `{ type, ...fields }`. */
export type Report = { type: string } & Record<string, any>;

/**
 * A supervised process: a node role forked with IPC, or python printing JSON lines on stdout.
 * Each is started in its own process group (`detached`), so that {@link kill} also reaches what it
 * started itself (the python parent's processes, a node parent's forked child).
 */
export class Proc {
  private readonly proc: ChildProcess;
  private readonly reports: Report[] = [];
  private waiters: (() => void)[] = [];
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private failure: Error | undefined;
  private stderr = '';
  private readonly closed: Promise<void>;

  private constructor(proc: ChildProcess, readonly label: string) {
    this.proc = proc;
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    proc.on('message', (m) => this.push(m as Report));
    proc.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
    this.closed = new Promise((resolve) => proc.on('close', () => resolve()));
  }

  /** Forks a compiled node role file (IPC for reports; stderr is collected). */
  static node(file: string, args: string[], label: string): Proc {
    return new Proc(fork(file, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true }), label);
  }

  /** Spawns `python3 file args`; every stdout line that starts with `{` is a JSON report. */
  static python(file: string, args: string[], label: string): Proc {
    const proc = spawn('python3', [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const p = new Proc(proc, label);
    let tail = '';
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      const lines = (tail + s).split('\n');
      tail = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) p.push(JSON.parse(line) as Report);
    });
    return p;
  }

  private push(r: Report): void {
    this.reports.push(r);
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settled(): Promise<unknown> {
    // 'close' comes after the exit, the end of stderr/stdout and of the IPC channel.
    return Promise.race([this.closed, new Promise((r) => setTimeout(r, 500))]);
  }

  private async died(what: string): Promise<Error> {
    await this.settled(); // stderr usually says why
    const how = this.failure ? this.failure.message : this.exit!.signal ?? `code ${this.exit!.code}`;
    const err = this.stderr.trim();
    return new Error(`${this.label} ${what} (${how})${err ? `:\n${err}` : ''}`);
  }

  /** The next report of this type; rejects if the process dies first. */
  async next(type: string): Promise<Report> {
    for (;;) {
      const i = this.reports.findIndex((r) => r.type === type);
      if (i >= 0) return this.reports.splice(i, 1)[0]!;
      if (this.failure || this.exit) {
        // A report written just before the exit may still be on its way.
        await this.settled();
        const j = this.reports.findIndex((r) => r.type === type);
        if (j >= 0) return this.reports.splice(j, 1)[0]!;
        throw await this.died(`ended before reporting '${type}'`);
      }
      await this.changed();
    }
  }

  /** Resolves once the process has exited with code 0; rejects otherwise. */
  async done(): Promise<void> {
    while (!this.failure && !this.exit) await this.changed();
    if (this.failure || this.exit!.code !== 0) throw await this.died('failed');
  }

  /** SIGKILLs the whole process group (whatever is left of it); safe to call at any time. */
  kill(): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already.
    }
  }
}

/** A measurement's timeout: generous, it only turns a hang into a failure. */
export const timeoutMs = (ctx: RunContext): number => (ctx.quick ? 40_000 : 600_000); // the harness's own: 60 s, 15 min

/**
 * Runs one measurement: `work` starts its processes with `start`; all of them are killed
 * afterwards, whatever happened (normally they have exited already).
 */
export async function measure<T>(ctx: RunContext, label: string, work: (start: (p: Proc) => Proc) => Promise<T>): Promise<T> {
  const procs: Proc[] = [];
  try {
    return await withTimeout(work((p) => (procs.push(p), p)), timeoutMs(ctx), label);
  } finally {
    for (const p of procs) p.kill();
  }
}

let sockets = 0;
/** A fresh socket path inside the run's folder (short: Unix socket paths are limited to ~107 bytes). */
export function socketPath(ctx: RunContext): string {
  return join(ctx.tmp, `peer-${process.pid}-${++sockets}.sock`);
}
