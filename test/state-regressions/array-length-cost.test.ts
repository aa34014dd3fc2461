/**
 * An array's `length` option is a number: a 60-byte open frame. The hub checks it against
 * maxEntries (up to 16,777,216, which the opener sets) before making the array, but not against
 * maxChars: it fills the whole array, JSON-encodes every item (listChars) and only then refuses
 * it for maxChars (state-resource.ts `create`, array-resource.ts `create`). And every later open
 * that gives `length` builds the array again, whole, to digest it (state-resource.ts `matches`).
 * Each such open blocks the hub, and every session on it, for seconds.
 */
import { describe, expect, it } from 'vitest';
import { ask, stateBed } from './helpers.js';

const bed = stateBed();

describe("the cost of an array's length", () => {
  it('an open with a length whose zeros are over maxChars is refused before the array is made (not seconds later)', async () => {
    await bed.listen();
    const t0 = performance.now();
    const { reply } = await bed.open({ c: 1, k: 'array', n: 'a', r: 'use', o: { length: 16_777_216, maxEntries: 16_777_216 } });
    const ms = performance.now() - t0;
    expect((reply.e as { code: string }).code).toBe('ERR_LIMIT');
    // Now about 2,000 ms: 16 M zeros made and encoded for a refusal the numbers alone decide.
    expect(ms, `the refusal took ${Math.round(ms)} ms of the hub's event loop`).toBeLessThan(300);
  }, 60_000);

  it('a later open that gives the same length attaches without building the array again', async () => {
    await bed.listen();
    const n = 8_388_608;
    const { client, reply } = await bed.open({ c: 1, k: 'array', n: 'a', r: 'use', o: { length: n, maxEntries: n, maxChars: 64 * 1024 * 1024 } });
    expect(reply.t).toBe('opened');
    const t0 = performance.now();
    const { reply: again } = await bed.open({ c: 1, k: 'array', n: 'a', r: 'use', o: { length: n } });
    const ms = performance.now() - t0;
    expect(again.t).toBe('opened');
    // Now over 1,000 ms per open, and any peer may repeat it.
    expect(ms, `attaching took ${Math.round(ms)} ms of the hub's event loop`).toBeLessThan(300);
    expect((await ask(client, 1, 1, 'len')).d).toEqual({ revision: 0, value: n });
  }, 60_000);
});
