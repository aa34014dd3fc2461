/**
 * Marble tests of locks, in virtual time: the hub's timers (timeouts, leases) run on the scheduler
 * it was given, so `memoryHub({ scheduler: asapScheduler })` inside `TestScheduler.run` puts them
 * on the virtual clock. Every hop of a line over a memory wire takes D = 10 frames.
 *
 * How an acquire is timed: frame 0 the handle opens its channel (its first request waits for the
 * hub's request credit); 10 the hub has the open and answers `opened` with credit; 20 the handle
 * sends `acquire`; 30 the hub grants (or queues it); 40 the handle has its hold.
 */
import { asapScheduler, concat, map, of, switchMap, take, timer, catchError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { HostbusError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';

const D = 10;

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

const errorAsValue = <T>(source: Observable<T>): Observable<T | string> =>
  source.pipe(catchError((e: unknown) => of(`${(e as HostbusError).code}`)));

describe('lock marbles (virtual time)', () => {
  it('a handoff: b waits while a holds, and gets the lock one hop after a released it', () => {
    scheduler().run(({ expectObservable }) => {
      const { connect } = memoryHub({ scheduler: asapScheduler });
      const la = connect({ delay: D }).lock('l');
      const lb = connect({ delay: D }).lock('l');
      // a: granted at 30, has it at 40, holds it 60 frames; the unsubscribe at 100 sends the release.
      const a$ = la.acquire$().pipe(switchMap((h) => concat(of(`a${h.token > 0 ? '' : '?'}`), timer(60).pipe(map(() => 'x')))), take(2));
      // b: its open at 5 rides in the batch its connection began at 0 (hello), so it asks at 20 too,
      // behind a, and waits at the hub from 30; the release reaches the hub at 110, b has it at 120.
      const b$ = timer(5).pipe(switchMap(() => lb.acquire$()), map(() => 'b'), take(1));
      expectObservable(a$).toBe('40ms a 59ms (x|)');
      expectObservable(b$).toBe('120ms (b|)');
    });
  });

  it('a timeout: the hub answers ERR_TIMEOUT once it passed, and b holds nothing', () => {
    scheduler().run(({ expectObservable }) => {
      const { connect } = memoryHub({ scheduler: asapScheduler });
      const la = connect({ delay: D }).lock('t');
      const lb = connect({ delay: D }).lock('t');
      const a$ = la.acquire$().pipe(switchMap(() => timer(200).pipe(map(() => 'x'))), take(1));
      // b's acquire reaches the hub at 30 (as in the handoff) and waits 30 frames; the answer comes back at 70.
      const b$ = timer(5).pipe(switchMap(() => lb.acquire$({ timeout: 30 })), map(() => 'b'), errorAsValue);
      expectObservable(a$).toBe('240ms (x|)');
      expectObservable(b$).toBe('70ms (e|)', { e: 'ERR_TIMEOUT' });
    });
  });

  it("a holder whose connection closes: the waiter's hold is abandoned, with a larger token", () => {
    scheduler().run(({ expectObservable }) => {
      const { connect } = memoryHub({ scheduler: asapScheduler });
      const busA = connect({ delay: D });
      const la = busA.lock('dead');
      const lb = connect({ delay: D }).lock('dead');
      let first = 0;
      la.acquire$().subscribe((h) => (first = h.token));
      // a's connection goes at 60: the hub sees it close at 70, frees a's hold as abandoned and
      // grants b, who has it at 80.
      timer(60).subscribe(() => busA.destroy());
      const b$ = timer(5).pipe(
        switchMap(() => lb.acquire$()),
        map((h) => `${h.abandoned ? 'abandoned' : 'clean'}, ${h.token > first ? 'larger' : 'not larger'}`),
        take(1),
      );
      expectObservable(b$).toBe('80ms (b|)', { b: 'abandoned, larger' });
    });
  });
});
