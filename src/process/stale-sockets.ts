/**
 * The socket files of hubs made by `start()`: `h-<pid>-<hex>.sock` in the private folder. Those a
 * killed process left behind are swept by the next `start()` (see transport/stale-sockets.ts).
 */
import { sweepStale as sweep } from '../transport/stale-sockets.js';

/** Names of the sockets of started hubs: the pid of the process, and a random part. */
export const STARTED_NAME = /^h-(\d+)-[0-9a-f]+\.sock$/;

/** The file name of a started hub's socket for this process. */
export function startedName(hex: string): string {
  return `h-${process.pid}-${hex}.sock`;
}

/** Removes the stale started-hub sockets in `dir`; never rejects. */
export function sweepStale(dir: string): Promise<void> {
  return sweep(dir, STARTED_NAME);
}
