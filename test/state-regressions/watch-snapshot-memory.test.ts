/**
 * A watch without `from` makes the hub build the whole content's JSON for that watcher, at once,
 * and keep it until the watcher grants credit (state-resource.ts, `watch`: `w.snapshot = ...`).
 * Nothing counts these copies: not `maxQueuedChars`, not any bound of the resource. A raw peer
 * that opens many watch channels and never grants credit makes the hub hold one copy of the
 * content per channel: 65,536 channels of a 512 Ki-character dict are 32 Gi characters.
 */
import { describe, expect, it } from 'vitest';
import { ask, stateBed, stats } from './helpers.js';

const bed = stateBed();

/** Characters of the snapshots the hub holds for the watchers of `kind`/`name`, not yet sent. */
function heldSnapshots(kind: string, name: string): number {
  const resources = (bed.hub as unknown as { resources: Map<string, { watchers: Set<{ snapshot?: string }> }> }).resources;
  let n = 0;
  for (const w of resources.get(`${kind}\0${name}`)!.watchers) n += w.snapshot?.length ?? 0;
  return n;
}

describe('watch snapshots the hub holds', () => {
  it('watchers that grant no credit do not make the hub hold a copy of the content each, past maxQueuedChars', async () => {
    const maxQueuedChars = 4 * 1024 * 1024;
    await bed.listen({ maxQueuedChars });
    const { client: u } = await bed.open({ c: 1, k: 'list', n: 'big', r: 'use' });
    for (let i = 1; i <= 5; i++) expect((await ask(u, 1, i, 'append', { value: 'x'.repeat(100_000) })).e).toBeUndefined();
    expect(stats(bed.hub, 'list', 'big')!.chars).toBeGreaterThan(500_000);

    // One connection, 200 watch channels, no credit granted on any of them.
    const w = await bed.raw();
    const N = 200;
    let opens = '';
    for (let c = 1; c <= N; c++) opens += JSON.stringify({ t: 'open', c, k: 'list', n: 'big', r: 'watch' }) + '\n';
    w.write(opens);
    await w.line((f) => (f.t === 'opened' || f.t === 'error') && f.c === N);

    // Whether a fix counts the snapshots in maxQueuedChars or builds them only when sent, the
    // content and the snapshots held together stay within it.
    const held = heldSnapshots('list', 'big') + (stats(bed.hub, 'list', 'big')!.chars as number);
    // Now: 200 x 500,011 = 100 M characters held, 25 times maxQueuedChars, counted nowhere.
    expect(held, `the hub holds ${held} characters of content and snapshots, over maxQueuedChars ${maxQueuedChars}`).toBeLessThanOrEqual(maxQueuedChars);
    // The watchers still get their snapshot once they grant credit.
    w.write('{"t":"credit","c":1,"n":1}\n');
    const snap = await w.line((f) => f.c === 1 && f.d !== undefined);
    expect((snap.d as { op: string; value: unknown[] }).op).toBe('snapshot');
    expect((snap.d as { value: unknown[] }).value).toHaveLength(5);
  }, 60_000);
});
