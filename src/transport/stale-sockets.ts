/**
 * Sweeping socket files that processes left in the private folder when they were killed without
 * a chance to remove them (SIGKILL, a crash of Node itself). A file is removed only if its name
 * matches `pattern` with the pid as its first group, no process has that pid (ESRCH), it is a
 * socket, and nothing accepts on it (the pid may belong to another pid namespace sharing the
 * folder). A live process's file is never touched.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { probe } from './listen.js';

/** Removes the stale sockets in `dir` whose names match `pattern` (see the module comment); never rejects. */
export async function sweepStale(dir: string, pattern: RegExp): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.map(async (name) => {
    const pid = Number(pattern.exec(name)?.[1]);
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
