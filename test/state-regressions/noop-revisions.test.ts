/**
 * docs/state.md (Revisions): the revision "grows by one with every write that changes it (a cas
 * that does not swap, a setDefault of a key that exists, a reverse of fewer than 2 items change
 * nothing and keep it)". The list's `extend([])` and the dict's `update([])` keep it so; but an
 * array's `setSlice` of no values (array-resource.ts, `setSlice`: always a change) and a list's
 * `sort` of 0 or 1 items (list-resource.ts, `sort`: always a change) count a revision, tell
 * every watcher of a change, and fail concurrent `update()`s and `ifRevision` writes, though
 * nothing changed.
 */
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';

describe('writes that change nothing keep the revision', () => {
  it('an array setSlice of no values keeps the revision (as a list extend([]) does)', async () => {
    const mh = memoryHub();
    const b = mh.connect();
    try {
      const a = b.array('a', [1, 2, 3]);
      const before = (await a.snapshot()).revision;
      await a.setSlice(1, []);
      expect((await a.snapshot()).revision).toBe(before);
    } finally {
      b.destroy();
      await mh.hub.close();
    }
  });

  it('a list sort of fewer than 2 items keeps the revision (as its reverse does)', async () => {
    const mh = memoryHub();
    const b = mh.connect();
    try {
      const empty = b.list<number>('empty');
      await empty.sort();
      expect((await empty.snapshot()).revision).toBe(0);
      const one = b.list<number>('one', [7]);
      await one.reverse();
      expect((await one.snapshot()).revision).toBe(0);
      await one.sort({ reverse: true });
      expect((await one.snapshot()).revision).toBe(0);
    } finally {
      b.destroy();
      await mh.hub.close();
    }
  });
});
