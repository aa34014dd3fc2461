/**
 * What a user of the handles meets: conditions on every write (docs/state.md: "Every write takes
 * `{ ifRevision, fence }` as its last argument"), and the rule that a promise-returning method
 * rejects and never throws synchronously, and that `update$` checks its options as `update` does.
 */
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RevisionMismatchError, StaleFenceError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { rejection } from '../transports.js';

async function withBus(fn: (b: ReturnType<ReturnType<typeof memoryHub>['connect']>) => Promise<void>): Promise<void> {
  const mh = memoryHub();
  const b = mh.connect();
  try {
    await fn(b);
  } finally {
    b.destroy();
    await mh.hub.close();
  }
}

describe('the handles of the shared state', () => {
  it("a dict's pop takes write options, as every write does: a stale ifRevision is refused and the key stays", async () => {
    // dict.ts `pop(key, ...dflt)` has no options parameter: a third argument is dropped.
    await withBus(async (b) => {
      const d = b.dict<number>('d', { k: 1 });
      await d.set('other', 2); // revision 1
      const pop = d.pop as unknown as (key: string, dflt: number, options: { ifRevision?: number; fence?: number }) => Promise<number>;
      expect(await rejection(pop.call(d, 'k', 0, { ifRevision: 0 }))).toBeInstanceOf(RevisionMismatchError);
      expect(await d.get('k')).toBe(1);
      await d.set('fenced', 3, { fence: 10 });
      expect(await rejection(pop.call(d, 'k', 0, { fence: 5 }))).toBeInstanceOf(StaleFenceError);
      expect(await d.has('k')).toBe(true);
    });
  });

  it("update$ refuses a maxRetries that update refuses (a negative one, NaN), instead of retrying without end or not at all", async () => {
    // state-handle.ts `retry$` takes `options.maxRetries ?? 1_000` unchecked: NaN never gives up
    // (`attempt++ >= NaN` is never true), while `retry` rejects it with ERR_INVALID_ARGUMENT.
    await withBus(async (b) => {
      const v = b.value('v', 0);
      expect(await rejection(v.update((x) => x, { maxRetries: -1 }))).toBeInstanceOf(InvalidArgumentError);
      expect(await rejection(v.update((x) => x, { maxRetries: Number.NaN }))).toBeInstanceOf(InvalidArgumentError);
      expect(await rejection(firstValueFrom(v.update$((x) => x, { maxRetries: -1 })))).toBeInstanceOf(InvalidArgumentError);
      expect(await rejection(firstValueFrom(v.update$((x) => x, { maxRetries: Number.NaN })))).toBeInstanceOf(InvalidArgumentError);
    });
  });

  it("a list's sort given null rejects (or sorts) and does not throw synchronously", async () => {
    // list.ts `sort(sortOptions = {})` reads `sortOptions.reverse` outside any promise.
    await withBus(async (b) => {
      const l = b.list<number>('l', [3, 1, 2]);
      let p: Promise<void> | undefined;
      expect(() => {
        p = l.sort(null as unknown as { reverse?: boolean });
      }).not.toThrow();
      await p?.catch(() => undefined);
    });
  });
});
