// Helpers of the lock regression tests (test/lock-regressions/).
import type { Hub } from '../../src/bus/hub.js';

/** The stats of lock `name` on `hub`, if the hub holds it. */
export function lockStats(hub: Hub, name: string): Record<string, unknown> | undefined {
  return hub.stats().resources.find((r) => r.kind === 'lock' && r.name === name);
}


/** Polls `condition` every few ms for up to `ms`; true as soon as it holds, false if it never did. */
export async function eventually(condition: () => boolean, ms = 1_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

/** Whether `p` settles within `ms` (never leaves a rejection unhandled). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  return eventually(() => done, ms);
}
