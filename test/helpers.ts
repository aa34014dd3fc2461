import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A fresh temporary folder; `cleanup()` removes it and reports socket files left in it. */
export async function tempDir(): Promise<{ dir: string; sock(name: string): string; cleanup(): Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hostbus-test-'));
  return {
    dir,
    sock: (name) => join(dir, `${name}.sock`),
    async cleanup() {
      const left = (await readdir(dir)).filter((f) => f.endsWith('.sock'));
      await rm(dir, { recursive: true, force: true });
      return left;
    },
  };
}

/** The compiled test fixture module (built by `npm test` into .build/). */
export const workers = fileURLToPath(new URL('../.build/test/fixtures/workers.js', import.meta.url));

/**
 * Waits until `condition()` holds, checking after each turn of the event loop; fails after
 * `ms`. For conditions that no event announces (such as a hub counter reaching a value).
 */
export async function until(condition: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
