/**
 * Entry point of a child started by `spawn()`: receives what to run over the IPC channel,
 * rebuilds the handles among its arguments, runs the function, reports how it ended, and exits
 * (as Python's Process does when its target returns). If a hub it uses goes away, it exits with
 * code 1 instead of lingering.
 */
import { pathToFileURL } from 'node:url';
import { errorToWire, InvalidArgumentError } from '../errors.js';
import { decodeArgs, type Opened } from './decode-args.js';
import type { DoneMessage, StartMessage } from './messages.js';

const opened: Opened = { buses: new Map(), pipes: [] };

function report(msg: DoneMessage, code: number): void {
  finished = true;
  if (!process.send || !process.connected) process.exit(code);
  process.send(msg, () => process.exit(code));
}

function failed(err: unknown): DoneMessage {
  const wire = errorToWire(err);
  return { hostbus: 'done', error: { ...wire, ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) } };
}

process.on('uncaughtException', (err) => report(failed(err), 1));
// The parent is gone (its IPC channel closed) before the function returned: no one can join this
// child any more, so it exits rather than linger as an orphan.
process.on('disconnect', () => {
  if (!finished) {
    process.stderr.write('hostbus: the parent process went away; exiting\n');
    process.exit(1);
  }
});
let finished = false;
process.on('unhandledRejection', (err) => report(failed(err), 1));

/** Why the export `fn` is not the function the parent passed (typed spawn), or undefined if it is. */
function refuse(msg: StartMessage, fn: unknown): InvalidArgumentError | undefined {
  if (typeof fn === 'function' && String(fn) === msg.source) return undefined;
  const what = fn === undefined ? 'does not export it' : `exports another ${typeof fn === 'function' ? 'function' : 'value'} under that name`;
  return new InvalidArgumentError(`spawn runs ${msg.export}() in the child by its export name, and ${msg.module} ${what}: export the function from that module under the name '${msg.export}' (export function ${msg.export}(...) or export { ${msg.export} }), or pass the module that does`);
}

process.once('message', async (msg: StartMessage) => {
  try {
    const mod = (await import(msg.module.startsWith('file:') ? msg.module : pathToFileURL(msg.module).href)) as Record<string, unknown>;
    const fn = mod[msg.export];
    const refusal = msg.source === undefined ? undefined : refuse(msg, fn);
    if (refusal) return report({ hostbus: 'done', refused: true, error: errorToWire(refusal) }, 1);
    if (typeof fn !== 'function') throw new TypeError(`${msg.module} has no exported function '${msg.export}'`);
    const args = await decodeArgs(msg.args, opened, (address, err) => {
      process.stderr.write(`hostbus: the hub at ${address} went away (${err.message}); exiting\n`);
      process.exit(1);
    });
    await fn(...args);
    // Values still on their way out are delivered first, as Python's Connection flushes on exit;
    // then each pipe's connection is closed, its last writes handed to the OS before the exit.
    await Promise.all(opened.pipes.map((p) => p.end.finish()));
    await Promise.all(opened.pipes.map((p) => p.close()));
    for (const bus of opened.buses.values()) await (await bus).close();
    report({ hostbus: 'done' }, 0);
  } catch (err) {
    report(failed(err), 1);
  }
});
