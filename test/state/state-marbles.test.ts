/**
 * Marble tests of shared state, in virtual time (`memoryHub({ scheduler: asapScheduler })` inside
 * `TestScheduler.run`). Every hop of a line over a memory wire takes D = 10 frames. A handle's
 * first request opens its channel: frame 0 the open goes, 10 the hub has it and grants credit,
 * 20 the request goes, 30 the hub applies it, 40 the answer is back.
 */
import { asapScheduler, map, take, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { memoryHub } from '../../src/testing.js';

const D = 10;

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('shared state marbles (virtual time)', () => {
  it("a watch sees two writers' changes in revision order, each once, one hop after the hub applied each", () => {
    scheduler().run(({ expectObservable }) => {
      const { connect } = memoryHub({ scheduler: asapScheduler });
      const watcher = connect({ delay: D }).dict<number>('d');
      const a = connect({ delay: D }).dict<number>('d');
      const b = connect({ delay: D }).dict<number>('d');
      // The watch opens at 0: the hub makes the dict at 10 and sends the snapshot, here at 20.
      const w$ = watcher.watch().pipe(map((c) => `${c.revision}:${c.op}${c.path ? ' ' + c.path.join('.') : ''}`), take(4));
      // a's open goes at 25; it sets at 45, applied at 55 (revision 1), seen at 65. b opens at 40,
      // sends both sets at 60 in one batch, applied at 70 (revisions 2 and 3), both seen at 80.
      timer(25).subscribe(() => void a.set('x', 1));
      timer(40).subscribe(() => {
        void b.set('y', 2);
        void b.set(['z', 'deep'], 3);
      });
      expectObservable(w$).toBe('20ms s 44ms a 14ms (bc|)', { s: '0:snapshot', a: '1:set x', b: '2:set y', c: '3:set z.deep' });
    });
  });

  it('update$ retries after a conflict: its write conditional on the revision it read is refused, it reads again and wins', () => {
    scheduler().run(({ expectObservable }) => {
      const { connect } = memoryHub({ scheduler: asapScheduler });
      const mine = connect({ delay: D }).value<number>('n', 10);
      const other = connect({ delay: D }).value<number>('n', 10);
      let reads = 0;
      // update$ reads 10 at 20 (applied at 30, back at 40) and writes 1,020 at 40 with ifRevision 0;
      // but the other writer (its channel opened at 5, credit back at 25) set 11 at 25, applied at
      // 35 (revision 1), so that write is refused at 50 (back at 60). update$ reads again at 60
      // (11, back at 80) and writes 22 at 80, applied at 90, back at 100.
      const u$ = mine.update$((n) => {
        reads++;
        return n * 2 + (reads > 1 ? 0 : 1000);
      });
      timer(5).subscribe(() => void other.get());
      timer(25).subscribe(() => void other.set(11));
      expectObservable(u$).toBe('100ms (u|)', { u: 22 });
      expectObservable(timer(101).pipe(map(() => reads))).toBe('101ms (r|)', { r: 2 });
    });
  });
});
