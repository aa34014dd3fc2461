import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * True when the module at `moduleUrl` (pass `import.meta.url`) is the program node was started
 * with. A module that `spawn()` runs functions of is imported again in the child, so guard its
 * main code with this, as Python programs guard theirs with `if __name__ == '__main__'`.
 */
export function isMain(moduleUrl: string): boolean {
  const started = process.argv[1];
  if (!started) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(started);
  } catch {
    return false;
  }
}
