/**
 * The responder of a `use` channel grants 1,024 requests (REQUEST_WINDOW) and keeps each answer
 * until the requester grants credit for it (responder.ts). A state read answers with the content
 * (`all`, `values`, `keys`, `slice`, a big `get`): a 40-byte request becomes an answer of up to a
 * frame, kept in memory and counted nowhere. A raw peer that sends 1,024 `all`s and grants no
 * credit makes the hub hold 1,024 copies of the content per channel, on as many channels as it
 * likes.
 */
import { describe, expect, it } from 'vitest';
import { ask, eventually, req, stateBed, stats } from './helpers.js';

const bed = stateBed();

describe('answers of reads the hub holds', () => {
  it('1,024 `all` requests on a channel that grants no credit do not make the hub hold 1,024 copies of the content', async () => {
    const maxQueuedChars = 4 * 1024 * 1024;
    await bed.listen({ maxQueuedChars });
    const { client: u } = await bed.open({ c: 1, k: 'list', n: 'big', r: 'use' });
    for (let i = 1; i <= 5; i++) expect((await ask(u, 1, i, 'append', { value: 'x'.repeat(100_000) })).e).toBeUndefined();
    expect(stats(bed.hub, 'list', 'big')!.chars).toBeGreaterThan(500_000);

    const { client: a } = await bed.open({ c: 1, k: 'list', n: 'big', r: 'use' }, 0);
    const before = process.memoryUsage().heapUsed;
    let s = '';
    for (let i = 1; i <= 1024; i++) s += req(1, i, 'all');
    a.write(s);
    // The hub has read (acknowledged) all 1,024 requests, or refused the channel.
    expect(await eventually(() => a.lines.some((l) => l.includes('"t":"ack"') && l.includes('1024') || l.includes('"t":"error"')), 20_000)).toBe(true);
    const grew = process.memoryUsage().heapUsed - before;
    // Now about 512 MB (1,024 x 500,011 characters): over a hundred times maxQueuedChars.
    expect(grew, `the hub's heap grew by ${Math.round(grew / 1e6)} MB for answers nobody asked credit for`).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
