// Every test file must leave no socket, server or child process behind: at the end of the file
// the worker holds no more handles of those kinds than it held at the start.
import { afterAll, beforeAll, expect } from 'vitest';

const watched = ['PipeWrap', 'PipeServerWrap', 'TCPWrap', 'TCPServerWrap', 'ProcessWrap', 'TTYWrap'];

function counts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) if (watched.includes(kind)) out[kind] = (out[kind] ?? 0) + 1;
  return out;
}

const exceeds = (now: Record<string, number>, base: Record<string, number>) =>
  Object.keys(now).some((k) => now[k]! > (base[k] ?? 0));

let baseline: Record<string, number> = {};

beforeAll(() => {
  baseline = counts();
});

afterAll(async () => {
  // A closed handle goes away when its close callback has run: give that a bounded wait.
  const deadline = Date.now() + 2_000;
  while (exceeds(counts(), baseline) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(counts(), 'handles left open by this test file').toEqual(baseline);
});
