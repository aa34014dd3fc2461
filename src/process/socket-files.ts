/**
 * The socket files of the hubs `start()` made in this process, removed when the process ends
 * without closing them: at its `exit` event, and on SIGINT, SIGTERM or SIGHUP when nothing else
 * in the program handles that signal (the file is removed, then the signal is raised again with
 * its default behaviour, so the process still dies by it). A program with a handler of its own
 * for the signal decides what happens: then the file goes when the process exits (its `exit`
 * event) or the hub closes. SIGKILL leaves the file: the next `start()` sweeps it
 * (stale-sockets.ts). Process-wide by nature, as signals are; POSIX only (win32 pipes leave no
 * file).
 */
import { lstatSync, unlinkSync } from 'node:fs';

type FileId = { ino: number; dev: number };

/** Signals whose default behaviour ends the process, handled while a started hub is open. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

const files = new Map<string, FileId>();

function removeAllSync(): void {
  for (const [path, file] of files) {
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st && st.ino === file.ino && st.dev === file.dev) unlinkSync(path);
    } catch {
      // not ours to remove any more, or gone: nothing to do while the process ends
    }
  }
  files.clear();
}

const handlers = new Map<Signal, () => void>(SIGNALS.map((signal) => [signal, () => onSignal(signal)]));

/** Ours is the only handler: remove the files, stop handling, raise the signal again. */
function onSignal(signal: Signal): void {
  if (process.listenerCount(signal) > 1) return; // the program handles it: not ours to decide
  removeAllSync();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', removeAllSync);
  for (const [signal, handler] of handlers) process.on(signal, handler);
}

function uninstall(): void {
  process.off('exit', removeAllSync);
  for (const [signal, handler] of handlers) process.off(signal, handler);
}

/** Removes the socket file at `path` (if it is still the file `file`) when the process ends. */
export function removeOnExit(path: string, file: FileId): void {
  if (files.size === 0) install();
  files.set(path, file);
}

/** Forgets `path` (its hub closed and removed it). */
export function forget(path: string): void {
  if (!files.delete(path)) return;
  if (files.size === 0) uninstall();
}
