// Parent side of the producer/consumer processes: fork, IPC messages, exit status, timeout.
import { fork, type ChildProcess } from 'node:child_process';

/** What a role process reports to the parent over IPC. */
export type Report =
  | { type: 'ready' }
  | { type: 'result'; elapsedMs: number; count: number; maxRssKiB: number }
  | { type: 'done'; maxRssKiB: number };

/** A forked role process: `next(type)` waits for its report of that type. */
export class Child {
  private readonly proc: ChildProcess;
  private readonly reports: Report[] = [];
  private waiter: (() => void) | undefined;
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(file: string, args: string[], readonly label: string) {
    this.proc = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m) => {
      this.reports.push(m as Report);
      this.waiter?.();
    });
    this.exited = new Promise((resolve, reject) => {
      this.proc.once('error', reject);
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code;
        this.waiter?.();
        if (code === 0) resolve();
        else reject(new Error(`${label} exited with ${signal ?? `code ${code}`}`));
      });
    });
    this.exited.catch(() => undefined); // observed through next() and awaited by the caller
  }

  async next<T extends Report['type']>(type: T): Promise<Extract<Report, { type: T }>> {
    for (;;) {
      const i = this.reports.findIndex((r) => r.type === type);
      if (i >= 0) return this.reports.splice(i, 1)[0] as Extract<Report, { type: T }>;
      if (this.exitCode !== undefined) throw new Error(`${this.label} exited (code ${this.exitCode}) before reporting '${type}'`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Only used when a round failed or timed out. */
  kill(): void {
    if (this.exitCode === undefined) this.proc.kill('SIGKILL');
  }
}

/** Runs `work`, rejecting after `ms` milliseconds. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** In a role process: reports to the parent; resolves once the message is sent. */
export function report(r: Report): Promise<void> {
  return new Promise((resolve, reject) => process.send!(r, undefined, {}, (err) => (err ? reject(err) : resolve())));
}
