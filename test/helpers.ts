import { afterEach, beforeEach, expect } from 'vitest';
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

/**
 * Registers, in the calling suite, a fresh temporary folder for each test and a stack of
 * clean-ups run in reverse after it, before the folder is removed.
 */
export function perTestDir(): { readonly dir: string; defer(cleanup: () => unknown): void } {
  let dir = '';
  let cleanups: Array<() => unknown> = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostbus-test-'));
    cleanups = [];
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    defer: (cleanup) => void cleanups.push(cleanup),
  };
}

/**
 * Registers, in the calling suite, a fresh temporary folder for each test (`sock(name)` gives a
 * socket path in it) and a stack of clean-ups run in reverse after it; then the folder is
 * removed, and the test fails if a socket file was left in it.
 */
export function perTestSockets(): { sock(name: string): string; defer(cleanup: () => unknown): void } {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cleanups: Array<() => unknown> = [];
  beforeEach(async () => {
    tmp = await tempDir();
    cleanups = [];
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    expect(await tmp.cleanup(), 'socket files left behind').toEqual([]);
  });
  return { sock: (name) => tmp.sock(name), defer: (cleanup) => void cleanups.push(cleanup) };
}
