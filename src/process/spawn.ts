import { fork, type ChildProcess } from 'node:child_process';
import { authkeyOf, CHILD_AUTHKEYS } from '../channels/authkeys.js';
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
        if (e && reported?.refused) return reject(new InvalidArgumentError(e.message));
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

/** A function `spawn()` can run: any function; its parameters say what the arguments must be. */
export type Target = (...args: any[]) => unknown;

/**
 * Starts a Node child that runs `target` with `args`, as Python's `Process(target=f, args=(q,))`.
 * `module` is the module that exports `target` under its name (`target.name`): usually the
 * caller's own, `import.meta.url`. The arguments are checked against the function's parameters
 * at compile time. The child runs the function only if `module` exports, under `target.name`, a
 * function of the same source text as `target` (the same function, as far as another process can
 * tell); if it does not (the function is not exported, is exported under another name, or comes
 * from another module), the child exits without running anything and `join()` rejects with
 * InvalidArgumentError (ERR_INVALID_ARGUMENT) saying what to export. The check is in the child,
 * not here: importing the caller's own module from here would wait for that module's top-level
 * `await`, which waits for the child. Throws InvalidArgumentError at once for a target that is
 * not a named function, and the errors of the string form for arguments that cannot go.
 */
export function spawn<F extends Target>(module: string | URL, target: F, args: Parameters<F>, options?: SpawnOptions): Process;
/**
 * Starts a Node child that runs `exportName` of `module` (a path or `file:` URL, such as
 * `new URL('./worker.js', import.meta.url)`) with `args`. Arguments are JSON; handles among them
 * go by reference: a queue or a bus is rebuilt in the child on its own connection to the same hub,
 * and an end of `Pipe()` joins the two processes over a direct socketpair, with no hub between.
 */
export function spawn(module: string | URL, exportName: string, args?: unknown[], options?: SpawnOptions): Process;
export function spawn(module: string | URL, target: string | Target, args: unknown[] = [], options: SpawnOptions = {}): Process {
  const path = module instanceof URL ? fileURLToPath(module) : module.startsWith('file:') ? fileURLToPath(module) : module;
  const exportName = typeof target === 'function' ? target.name : target;
  if (typeof target === 'function' && exportName === '') {
    throw new InvalidArgumentError('spawn needs a named function (an exported function declaration or const), not an anonymous one: export it from the module and pass it, or pass its export name');
  }
  if (typeof exportName !== 'string' || exportName.length === 0) {
    throw new InvalidArgumentError('spawn needs the name of the exported function to run');
  }
  const encoded = encodeArgs(args);
  const { json, pipes } = encoded;
  const env = childEnv(options.env ?? process.env, encoded.addresses);
  const entry = fileURLToPath(new URL('./child-main.js', import.meta.url));
  const out = options.stdio === 'pipe' ? 'pipe' : 'inherit';
  const child = fork(entry, [], {
    env,
    cwd: options.cwd,
    stdio: ['inherit', out, out, 'ipc', ...pipes.map(() => 'pipe' as const)],
    serialization: 'json',
  });
  const start: StartMessage = {
    hostbus: 'start', module: path, export: exportName, args: json,
    ...(typeof target === 'function' ? { source: String(target) } : {}),
  };
  child.send(start);
  connectPipes(child, encoded, FIRST_PIPE_FD); // after the start: the child takes its first message as the start
  return new Process(child, `child ${exportName}() of ${path}`);
}

/**
 * The child's environment: `base`, and, when its handles are on hubs with an authkey, each
 * hub's key by its address in `HOSTBUS_CHILD_AUTHKEYS` (JSON, keys in hex), which the child uses
 * for those connections only: never on its command line, never for another hub.
 */
function childEnv(base: NodeJS.ProcessEnv, addresses: Set<string>): NodeJS.ProcessEnv {
  const keys: Record<string, string> = {};
  for (const a of addresses) {
    const key = authkeyOf(a);
    if (key) keys[a] = key.toString('hex');
  }
  return Object.keys(keys).length === 0 ? base : { ...base, [CHILD_AUTHKEYS]: JSON.stringify(keys) };
}
