/**
 * "One session's fault never touches another." A value, array, dict or list is never idle
 * (state-resource.ts `get idle(): false`) and has no delete: it stays until the hub stops, and it
 * counts toward the hub-wide maxResources that every queue, pipe and lock needs too. One peer
 * that opens enough names of shared state (empty dicts cost it one open frame each), then
 * disconnects, takes that budget from every other session for the rest of the hub's life: no
 * new queue, lock or pipe can be made. Fixed: shared state has a budget of its own,
 * maxStateResources, by default a quarter of maxResources.
 */
import { describe, expect, it } from 'vitest';
import { stateBed } from './helpers.js';
import { settlesWithin } from '../sync-regressions/helpers.js';

const bed = stateBed();

describe("a peer's shared state and everyone else's resources", () => {
  it("dicts a gone peer left behind do not keep every other session from making a queue (maxResources)", async () => {
    await bed.listen({ maxResources: 8 });
    const peer = await bed.raw();
    let opens = '';
    for (let c = 1; c <= 8; c++) opens += JSON.stringify({ t: 'open', c, k: 'dict', n: `junk${c}`, r: 'use' }) + '\n';
    peer.write(opens);
    await peer.line((f) => (f.t === 'opened' || f.t === 'error') && f.c === 8);
    // With maxResources 8, shared state may take 2: the third dict on is refused.
    expect(await peer.line((f) => f.t === 'opened' && f.c === 2)).toBeDefined();
    const third = await peer.line((f) => f.t === 'error' && f.c === 3);
    expect(third.e).toMatchObject({ code: 'ERR_LIMIT' });
    expect(String((third.e as { message: string }).message)).toMatch(/maxStateResources/);
    expect(bed.hub.stats()).toMatchObject({ stateResources: 2, limits: { maxStateResources: 6 } });
    peer.socket.destroy();
    await peer.closed;

    const other = await bed.bus();
    const q = other.queue<number>('jobs');
    const sent = q.put(1);
    expect(await settlesWithin(sent, 2_000)).toBe(true);
    await expect(sent).resolves.toBeUndefined();
    expect(await q.get()).toBe(1);
  });

});
