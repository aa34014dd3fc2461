// Process plumbing of the hostbus runners: the runner (in the bench's process) starts workers with
// hostbus's own `spawn()`, and each worker talks to the runner over the IPC channel that `spawn()`
// sets up (`process.send` in the worker, `Process.child`'s 'message' events in the runner). The
// measured traffic never goes over IPC: only "ready", the counts, the clocks and the RSS figures.
import { connect, spawn, type Bus, type Process } from 'hostbus';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A message between a worker and its runner. */
export interface Note {
  bench: string;
  [key: string]: unknown;
}

// ---- worker side ------------------------------------------------------------------------------

/** In a worker: exits at once when the process that started it goes away (nothing lingers). */
export function orphanGuard(): void {
  process.once('disconnect', () => process.exit(1));
}

/** In a worker: sends `note` to the process that started it; resolves once it is written. */
export function tell(note: Note): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('this worker has no IPC channel to its parent'));
    process.send(note, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

/** In a worker: waits for a note of this kind from the process that started it. */
export function hear(kind: string): Promise<Note> {
  return new Promise((resolve) => {
    const on = (msg: Note) => {
      if (msg && msg.bench === kind) {
        process.off('message', on);
        resolve(msg);
      }
    };
    process.on('message', on);
  });
}

/** Resident set size now, in KiB (the unit of `process.resourceUsage().maxRSS`). */
export function rssKiB(): number {
  return Math.round(process.memoryUsage().rss / 1024);
}

/** CPU time (user + system) this process used so far, in seconds. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Peak resident set size of this process so far, in KiB. */
export function peakRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/**
 * The clock of a consumer: the time of its first and of its last message, as
 * `process.hrtime` nanoseconds (CLOCK_MONOTONIC: one clock for every process of the host, so the
 * windows of several consumers can be joined). Per message it only reads `performance.now()`
 * (the same monotonic clock, as a double: no BigInt per message).
 */
export class Window {
  count = 0;
  idSum = 0;
  private firstNs = 0;
  private firstPerf = 0;
  private lastPerf = 0;

  seen(id: number): void {
    const now = performance.now();
    if (this.count === 0) {
      this.firstNs = Number(process.hrtime.bigint());
      this.firstPerf = now;
    }
    this.lastPerf = now;
    this.count++;
    this.idSum += id;
  }

  report(): { count: number; idSum: number; firstNs: number; lastNs: number } {
    return {
      count: this.count,
      idSum: this.idSum,
      firstNs: this.firstNs,
      lastNs: this.firstNs + (this.lastPerf - this.firstPerf) * 1e6,
    };
  }
}

// ---- runner side ------------------------------------------------------------------------------

/** A worker process seen from the runner: its notes, its end. */
export class Worker {
  private readonly notes: Note[] = [];
  private wakers: (() => void)[] = [];
  private exited = false;
  readonly joined: Promise<number>;

  constructor(readonly proc: Process, readonly label: string) {
    proc.child.on('message', (msg: Note) => {
      if (msg && typeof msg.bench === 'string') {
        this.notes.push(msg);
        this.wakeAll();
      }
    });
    this.joined = proc.join().finally(() => {
      this.exited = true;
      this.wakeAll();
    });
    this.joined.catch(() => undefined); // observed by the group
  }

  /** Waits for the worker's next note of this kind; rejects if it ends without sending one. */
  async next(kind: string): Promise<Note> {
    for (;;) {
      const i = this.notes.findIndex((n) => n.bench === kind);
      if (i >= 0) return this.notes.splice(i, 1)[0]!;
      if (this.exited) {
        await this.joined; // throws the child's own error when it failed
        throw new Error(`${this.label} ended without reporting '${kind}'`);
      }
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  private wakeAll(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  send(note: Note): void {
    this.proc.child.send(note);
  }

  get running(): boolean {
    return !this.exited;
  }
}

/** A hub in its own process, and the runner's connection to it (for making handles). */
export interface HubHandle {
  /** The hub's socket path, or `tcp://127.0.0.1:PORT` for a hub on TCP. */
  address: string;
  /** The hub's authkey (a hub on TCP has one, made for this run), else undefined. */
  authkey: string | undefined;
  /** The runner's connection: handles made from it go to workers by reference. */
  bus: Bus;
  /** RSS of the hub process once it listened, before any client, in KiB. */
  idleRssKiB: number;
  /**
   * Closes the runner's connection, stops the hub; resolves with its RSS (KiB), CPU time (s) and
   * the connections it refused because they did not prove the authkey.
   */
  stop(): Promise<{ peakRssKiB: number; idleRssKiB: number; cpuSeconds: number; authFailures: number }>;
}

const HUB_MODULE = fileURLToPath(new URL('./hub.js', import.meta.url));

/**
 * The processes of one measurement. Every worker is started through `start`; `run` races the
 * measurement against a deadline and against the failure of any worker, and in every case
 * leaves nothing running: what is still running at the end is killed (SIGKILL) and waited for.
 */
export class Group {
  private readonly workers: Worker[] = [];
  private failure: ((err: Error) => void) | undefined;
  private bus: Bus | undefined;
  private hubWorker: Worker | undefined;

  constructor(readonly what: string, readonly tmp: string, private readonly deadlineMs: number) {}

  /** Starts `exportName` of `module` (a compiled module's URL) in a new process. */
  start(module: string, exportName: string, args: unknown[], label: string): Worker {
    const w = new Worker(spawn(module, exportName, args), `${this.what}: ${label}`);
    this.workers.push(w);
    w.joined.catch((err: Error) => this.failure?.(err));
    return w;
  }

  /**
   * Starts a hub in its own process, listening on a socket in this run's temporary folder; with
   * `{ tcp: true }`, on `tcp://127.0.0.1:0` (a free port) behind an authkey made for this run
   * (16 random bytes, in hex), which the runner's own connection proves. Handles made from that
   * connection carry the hub's tcp:// address, and `spawn()` gives the workers they go to the key
   * in their environment (`HOSTBUS_AUTHKEY_HEX`); a worker given the address instead must be
   * given `authkey` too.
   */
  async hub(options: { tcp?: boolean } = {}): Promise<HubHandle> {
    const authkey = options.tcp ? randomBytes(16).toString('hex') : undefined;
    const listenAt = options.tcp ? 'tcp://127.0.0.1:0' : join(this.tmp, 'hub.sock');
    const w = this.start(HUB_MODULE, 'hubMain', authkey === undefined ? [listenAt] : [listenAt, { authkey }], 'hub');
    this.hubWorker = w;
    const ready = await w.next('ready');
    const address = options.tcp ? (ready.address as string) : listenAt;
    if (options.tcp && !/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/.test(address)) throw new Error(`${this.what}: the hub said it listens at ${address}`);
    const bus = await connect(address, authkey === undefined ? {} : { authkey });
    this.bus = bus;
    return {
      address,
      authkey,
      bus,
      idleRssKiB: ready.idleRssKiB as number,
      stop: async () => {
        await bus.close();
        w.send({ bench: 'stop' });
        const stats = await w.next('stats');
        await w.joined;
        return {
          peakRssKiB: stats.peakRssKiB as number,
          idleRssKiB: ready.idleRssKiB as number,
          cpuSeconds: stats.cpuSeconds as number,
          authFailures: stats.authFailures as number,
        };
      },
    };
  }

  /** Waits for every worker but the hub to end well. */
  async joinWorkers(): Promise<void> {
    await Promise.all(this.workers.filter((w) => w !== this.hubWorker).map((w) => w.joined));
  }

  async run<T>(body: (g: Group) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      this.failure = reject;
      timer = setTimeout(() => reject(new Error(`${this.what} took over ${this.deadlineMs / 1000} s`)), this.deadlineMs);
    });
    try {
      return await Promise.race([body(this), failed]);
    } finally {
      clearTimeout(timer);
      this.failure = undefined;
      this.bus?.destroy();
      for (const w of this.workers) if (w.running) w.proc.kill('SIGKILL');
      await Promise.allSettled(this.workers.map((w) => w.joined));
    }
  }
}

/** Deadline of one measurement: what a healthy run needs, many times over. */
export function deadline(quick: boolean): number {
  return quick ? 45_000 : 300_000;
}

/** Throws unless a consumer side saw exactly the expected messages. */
export function checkCount(what: string, got: { count: number; idSum: number }, n: number, idSum: number): void {
  if (got.count !== n || got.idSum !== idSum) {
    throw new Error(`${what}: received ${got.count} messages (id sum ${got.idSum}), expected ${n} (id sum ${idSum})`);
  }
}

/** Sum of the ids 0..n-1. */
export const idSumTo = (n: number) => (n * (n - 1)) / 2;

export const MiB = (kib: number) => kib / 1024;
