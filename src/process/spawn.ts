import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChildProcessError, InvalidArgumentError } from '../errors.js';
import { encodeArgs } from './encode-args.js';
import { FIRST_PIPE_FD, type DoneMessage, type StartMessage } from './messages.js';
import { connectPipes } from './pipe-slots.js';

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Working folder of the child. */
  cwd?: string;
  /** Where the child's stdout and stderr go: `inherit` (default) or `pipe` (read `proc.child.stdout`). */
  stdio?: 'inherit' | 'pipe';
}

/**
 * A child process running one exported function, as Python's `Process(target, args)`.
 * `join()` waits for it: it resolves with 0 when the function returned, and rejects with
 * {@link ChildProcessError} when the function threw or rejected, or the child crashed or was killed.
 * It decides once the child has exited and its IPC channel has closed, so that every message the
 * child sent, the report of how its function ended among them, has been read.
 */
export class Process {
  private result: Promise<number>;
  /** The Node child process. */
  readonly child: ChildProcess;

  /** @internal */
  constructor(child: ChildProcess, what: string) {
    this.child = child;
    let reported: DoneMessage | undefined;
    child.on('message', (msg: DoneMessage) => {
      if (msg && msg.hostbus === 'done') reported = msg;
    });
    this.result = new Promise((resolve, reject) => {
      // 'exit' can come before the last messages of the channel (the SIGCHLD that reaps one child
      // reaps every child that has exited, whatever is still unread); 'disconnect' comes after them.
      let exited = false;
      let channelOpen = child.connected;
      const decide = () => {
        if (!exited || channelOpen) return;
        const e = reported?.error;
        if (e) {
          const err = new ChildProcessError(`${what} threw ${e.name}: ${e.message}`);
          if (e.stack) err.stack = `${err.name}: ${err.message}\n    in the child: ${e.stack}`;
          return reject(err);
        }
        const { exitCode: code, signalCode: signal } = child;
        if (signal) return reject(new ChildProcessError(`${what} was killed by ${signal}`));
        if (code !== 0) return reject(new ChildProcessError(`${what} exited with code ${code}`));
        if (!reported) return reject(new ChildProcessError(`${what} exited before its function returned`));
        resolve(0);
      };
      child.once('exit', () => {
        exited = true;
        decide();
      });
      child.once('disconnect', () => {
        channelOpen = false;
        decide();
      });
      // A child that could not start has no pid and emits no 'exit' (and a second 'error' when the
      // start message cannot be written). Other errors (a failed send or kill) leave the outcome
      // to the child's exit.
      child.on('error', (err) => {
        if (child.pid === undefined) reject(new ChildProcessError(`${what} could not start: ${err.message}`, { cause: err }));
      });
    });
    this.result.catch(() => undefined);
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Exit code once it exited (null while it runs, or when a signal ended it). */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Waits for the child to end: 0 when its function returned; rejects otherwise. */
  join(): Promise<number> {
    return this.result;
  }

  /** Sends a signal to the child (default SIGTERM). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.child.kill(signal);
  }
}

/**
 * Starts a Node child that runs `exportName` of `module` (a path or `file:` URL, such as
 * `new URL('./worker.js', import.meta.url)`) with `args`. Arguments are JSON; handles among them
 * go by reference: a queue or a bus is rebuilt in the child on its own connection to the same hub,
 * and an end of `Pipe()` joins the two processes over a direct socketpair, with no hub between.
 */
export function spawn(module: string | URL, exportName: string, args: unknown[] = [], options: SpawnOptions = {}): Process {
  const path = module instanceof URL ? fileURLToPath(module) : module.startsWith('file:') ? fileURLToPath(module) : module;
  if (typeof exportName !== 'string' || exportName.length === 0) {
    throw new InvalidArgumentError('spawn needs the name of the exported function to run');
  }
  const encoded = encodeArgs(args);
  const { json, pipes } = encoded;
  const entry = fileURLToPath(new URL('./child-main.js', import.meta.url));
  const out = options.stdio === 'pipe' ? 'pipe' : 'inherit';
  const child = fork(entry, [], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['inherit', out, out, 'ipc', ...pipes.map(() => 'pipe' as const)],
    serialization: 'json',
  });
  const start: StartMessage = { hostbus: 'start', module: path, export: exportName, args: json };
  child.send(start);
  connectPipes(child, encoded, FIRST_PIPE_FD); // after the start: the child takes its first message as the start
  return new Process(child, `child ${exportName}() of ${path}`);
}
