/**
 * Sweeping the socket files that hubs of `start()` left in the private folder when their process
 * was killed without a chance to remove them (SIGKILL, a crash of Node itself). Files are named
 * `h-<pid>-<hex>.sock`; one is removed only if no process has that pid (ESRCH), it is a socket,
 * and nothing accepts on it (the pid may belong to another pid namespace sharing the folder).
 * A live process's file is never touched.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { probe } from '../transport/listen.js';

/** Names of the sockets of started hubs: the pid of the process, and a random part. */
export const STARTED_NAME = /^h-(\d+)-[0-9a-f]+\.sock$/;

/** The file name of a started hub's socket for this process. */
export function startedName(hex: string): string {
  return `h-${process.pid}-${hex}.sock`;
}

/** Removes the stale started-hub sockets in `dir` (see the module comment); never rejects. */
export async function sweepStale(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.map(async (name) => {
    const pid = Number(STARTED_NAME.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) return;
    const path = posix.join(dir, name);
    try {
      if (!(await lstat(path)).isSocket() || (await probe(path))) return;
      await unlink(path);
    } catch {
      // gone meanwhile (another process swept it), or not ours to judge: leave it
    }
  }));
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
