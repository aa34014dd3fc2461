// Helpers of the regression tests of locks and the other sync kinds (test/sync-regressions/).
import type { Hub } from '../../src/bus/hub.js';
import { RawClient } from '../raw-client.js';

export const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

/** The stats of resource `kind`/`name` on `hub`, if the hub holds it. */
export function stats(hub: Hub, kind: string, name: string): Record<string, unknown> | undefined {
  return hub.stats().resources.find((r) => r.kind === kind && r.name === name);
}

/** The stats of lock `name` on `hub`, if the hub holds it. */
export function lockStats(hub: Hub, name: string): Record<string, unknown> | undefined {
  return stats(hub, 'lock', name);
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

/** The hub's per-session count of `limit` (maxWaiting, maxHolds), summed over sessions. */
export function perSession(hub: Hub, limit: 'maxWaiting' | 'maxHolds'): number {
  const m = (hub as unknown as { perSession: Record<string, Map<number, number>> }).perSession[limit]!;
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

/** A raw client after its hello, with channel `c` opened on `kind`/`name`. */
export async function rawOpen(path: string, open: Record<string, unknown>, credit = 1024): Promise<RawClient> {
  const c = await RawClient.open(path);
  c.write(HELLO);
  c.write(JSON.stringify({ t: 'open', ...open }) + '\n');
  c.write(JSON.stringify({ t: 'credit', c: open.c, n: credit }) + '\n');
  await c.line((f) => (f.t === 'opened' || f.t === 'error') && f.c === open.c);
  return c;
}

export function req(c: number, id: number, op: string, d: unknown = null): string {
  return JSON.stringify({ c, h: { id, op }, d }) + '\n';
}

/** The answer to request `re` on channel `c`. */
export function answer(client: RawClient, c: number, re: number): Promise<Record<string, unknown>> {
  return client.line((f) => f.c === c && (f.h as { re?: number } | undefined)?.re === re);
}
