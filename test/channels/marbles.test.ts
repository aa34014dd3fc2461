/**
 * Marble tests of whole queue flows: producers, the hub and consumers, all in virtual time.
 *
 * Every memoryHub here is created inside `testScheduler.run`, so the asap scheduler its sessions,
 * wires and hub use is virtual. Each client connects with `{ delay: D }`: every hop of a line over
 * a memory wire (client → hub, or hub → client) takes D frames, counted from the first line of a
 * batch (lines written while a flush is already pending ride along with it). Session flushes
 * (credit, ack) and the hub's deferred work (producer refills) run on asap, i.e. in the same frame.
 *
 * How a queue flow is timed, with D = 10:
 *   0   every client writes hello + open (+ credit, for a subscribed consumer);
 *   10  the hub gets them: a producer is `opened` and (asap) granted credit; a consumer's credit is noted;
 *   20  the producer gets its credit and sends what waited (plus `end` if it completed meanwhile);
 *   30  the hub puts the items and dispatches them (round robin) to consumers with credit;
 *   40  the consumer gets them; `next` returning acks them (and returns credit);
 *   50  the hub gets the acks; once the queue has ended and nothing is left, it sends `end`;
 *   60  the consumer completes (or errors, if the queue ended in error).
 */
import { catchError, concatMap, delay, map, of, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { HostbusError, RemoteError, TimeoutError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';

const D = 10;

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** An error as a marble value: class, code and message. */
function describeError(e: unknown): string {
  const cls = e instanceof TimeoutError ? 'TimeoutError' : e instanceof RemoteError ? 'RemoteError' : 'other';
  return `${cls}:${(e as HostbusError).code}:${(e as Error).message}`;
}

/** Turns an error into a last value, so it can be compared exactly in a marble. */
const errorAsValue = <T>(source: Observable<T>): Observable<T | string> =>
  source.pipe(catchError((e: unknown) => of(describeError(e))));

describe('queue marbles (virtual time)', () => {
  it('(a) a cold producer into a queue, one consumer: values, then complete after the end', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('jobs');
      const consumer = connect({ delay: D }).queue<string>('jobs');

      // a, b, c and the complete (frame 6) all come before the producer has any credit: they wait
      // in its buffer. Frame 20: the credit arrives, a, b, c and `end` go out in one batch.
      // Frame 30: the hub has them, dispatches them, and the queue has ended (producers: 1) but
      // three items are unacked. Frame 40: the consumer gets a, b, c and acks them. Frame 50: the
      // hub has the acks: nothing left, so `end` goes out. Frame 60: the consumer completes.
      cold('a-b-c-|').subscribe(producer);
      expectObservable(consumer.recv()).toBe('40ms (abc) 15ms |');
    });
  });

  it('(a) a slow producer: once credit is there, each value takes exactly two hops', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      // D = 1 here, so the timing of each value is plain.
      const producer = connect({ delay: 1 }).queue<string>('jobs');
      const consumer = connect({ delay: 1 }).queue<string>('jobs');

      // a (frame 0) waits for credit: open reaches the hub at 1, credit comes back at 2, a goes
      // out at 2, reaches the hub at 3 and the consumer at 4. b (10) and c (20) find credit in
      // place: producer → hub → consumer, one frame each: 12 and 22. The consumer acked c at 22
      // (hub: 23). The complete (30) sends `end` at once: the hub has it at 31, nothing is left,
      // so it sends `end`, and the consumer completes at 32.
      cold('a 9ms b 9ms c 9ms |').subscribe(producer);
      expectObservable(consumer.recv()).toBe('4ms a 7ms b 9ms c 9ms |');
    });
  });

  it('(b) two consumers stalled by credit (prefetch 1 and 2): each item exactly once, the slow one gets fewer', () => {
    const got: Record<'slow' | 'fast', string[]> = { slow: [], fast: [] };
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('work');
      const slowQ = connect({ delay: D }).queue<string>('work');
      const fastQ = connect({ delay: D }).queue<string>('work');

      // slow: prefetch 1, and each item takes 30 frames to process (acked when done).
      const slow = slowQ.recvWithAck({ prefetch: 1 }).pipe(
        concatMap((d) => of(d).pipe(delay(30), tap((x) => x.ack()))),
        map((d) => d.value),
        tap((v) => got.slow.push(v)),
      );
      // fast: prefetch 2, done as soon as `next` returns (one credit back per item).
      const fast = fastQ.recv({ prefetch: 2 }).pipe(tap((v) => got.fast.push(v)));

      cold('(abcdefghij|)').subscribe(producer);
      // Frame 30: the hub gets the ten items; round robin over consumers with credit: a → slow,
      // b → fast, c → fast (slow has no credit left); d..j stay queued.
      // fast: gets b, c at 40, acks and re-grants at once; the hub (50) sends d, e (60); and so on
      // every 20 frames (one round trip): f, g at 80 and, after h went to slow, i, j at 100.
      // slow: gets a at 40, is done with it at 70 (ack + credit reach the hub at 80), gets h at 90
      // and is done with it at 120. Frame 130: the hub has the last ack: `end` to both → 140.
      expectObservable(slow).toBe('70ms a 49ms h 19ms |');
      expectObservable(fast).toBe('40ms (bc) 16ms (de) 16ms (fg) 16ms (ij) 36ms |');
    });
    // Each item exactly once, across the two.
    expect([...got.slow, ...got.fast].sort()).toEqual([...'abcdefghij']);
    expect(got.slow.length).toBeLessThan(got.fast.length);
  });

  it('(b) equal speed: a consumer with prefetch 2 gets twice the share of one with prefetch 1', () => {
    const got: Record<'one' | 'two', string[]> = { one: [], two: [] };
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('share');
      const one = connect({ delay: D }).queue<string>('share').recv({ prefetch: 1 }).pipe(tap((v) => got.one.push(v)));
      const two = connect({ delay: D }).queue<string>('share').recv({ prefetch: 2 }).pipe(tap((v) => got.two.push(v)));

      cold('(abcdefghi|)').subscribe(producer);
      // Both ack on `next` and get credit back 20 frames after each delivery (one round trip),
      // so at every round the hub deals one item to `one` and two to `two`, in round robin.
      // The last acks reach the hub at 90: `end`, and both complete at 100.
      expectObservable(one).toBe('40ms a 19ms d 19ms g 19ms |');
      expectObservable(two).toBe('40ms (bc) 16ms (ef) 16ms (hi) 16ms |');
    });
    expect(got.one).toEqual(['a', 'd', 'g']);
    expect(got.two).toEqual(['b', 'c', 'e', 'f', 'h', 'i']);
  });

  it('(c) producers: 2 — the queue ends after both ends, and every item sent before an end comes first', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const options = { producers: 2 };
      const p1 = connect({ delay: D }).queue<string>('two', options);
      const p2 = connect({ delay: D }).queue<string>('two', options);
      const consumer = connect({ delay: D }).queue<string>('two', options);

      // p1 sends a, b and ends before it has credit: all reach the hub at 30. That is one end of
      // two: the queue goes on. p2's x waits for credit as well (hub: 30). y (35) and z (70) go
      // out as they come; p2's complete (71) rides with z, whose batch leaves at 80: the hub puts
      // z, then takes the second end: the queue has ended, with z unacked. The consumer gets z at
      // 90, acks it (hub: 100), and completes at 110.
      cold('a-b-|').subscribe(p1);
      cold('x 34ms y 34ms z|').subscribe(p2);
      expectObservable(consumer.recv()).toBe('40ms (abx) 10ms y 34ms z 19ms |');
    });
  });

  it('(c) producers: 2 with maxsize 2 — ends wait behind credit-stalled items, nothing is lost or reordered', () => {
    const got: string[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const options = { producers: 2, maxsize: 2 };
      const p1 = connect({ delay: D }).queue<string>('tight', options);
      const p2 = connect({ delay: D }).queue<string>('tight', options);
      const consumer = connect({ delay: D }).queue<string>('tight', options);

      // Both producers complete at frame 0, with four items each still waiting for credit: each
      // `end` goes out only after that producer's last item.
      // Frame 10: both opens are handled; the refill at the end of that turn gives each producer
      // one credit (a producer holds at most a quarter of maxsize, and at least one), so the hub
      // has at most two items out (queued + unacked + credit) and every round moves one item of
      // each producer, in the order the rotation gives. A round is producer → hub → consumer →
      // hub (ack, refill) → producer: 40 frames.
      cold('(abcd|)').subscribe(p1);
      cold('(wxyz|)').subscribe(p2);
      expectObservable(consumer.recv().pipe(tap((v) => got.push(v))))
        .toBe('40ms (aw) 36ms (xb) 36ms (cy) 36ms (zd) 16ms |');
    });
    // Each producer's items in its own order; all eight, once.
    expect(got.filter((v) => 'abcd'.includes(v))).toEqual(['a', 'b', 'c', 'd']);
    expect(got.filter((v) => 'wxyz'.includes(v))).toEqual(['w', 'x', 'y', 'z']);
    expect(got).toHaveLength(8);
  });

  it('(d) error on the producer: consumers get the items before it, then the error with its message', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('failing');
      const c1 = connect({ delay: D }).queue<string>('failing');
      const c2 = connect({ delay: D }).queue<string>('failing');

      // a, b, c and the error-end go out together at 20 (the first credit) and reach the hub at
      // 30: a → c1, b → c2, c → c1 (round robin), then the queue ends in error with three items
      // unacked. Both consumers get theirs at 40 and ack them (hub: 50); only then does the hub
      // send the error-end, after which each consumer errors, at 60. A plain Error crosses the
      // wire as ERR_REMOTE, its name kept in the message.
      cold('a-b-c-#', undefined, new Error('boom')).subscribe(producer);
      const E = 'RemoteError:ERR_REMOTE:Error: boom';
      expectObservable(errorAsValue(c1.recv())).toBe('40ms (ac) 16ms (E|)', { a: 'a', c: 'c', E });
      expectObservable(errorAsValue(c2.recv())).toBe('40ms b 19ms (E|)', { b: 'b', E });
    });
  });

  it('(d) a hostbus error keeps its class and code across the wire', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('failing');
      const consumer = connect({ delay: D }).queue<string>('failing');
      cold('a#', undefined, new TimeoutError('too slow')).subscribe(producer);
      expectObservable(errorAsValue(consumer.recv()))
        .toBe('40ms a 19ms (E|)', { a: 'a', E: 'TimeoutError:ERR_TIMEOUT:too slow' });
    });
  });

  it('(e) a consumer that unsubscribes gives its unacked items to the other consumer', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { connect } = memoryHub();
      const producer = connect({ delay: D }).queue<string>('handoff');
      const q1 = connect({ delay: D }).queue<string>('handoff');
      const q2 = connect({ delay: D }).queue<string>('handoff');

      cold('(abcdef|)').subscribe(producer);
      // c1: prefetch 3, never acks. The hub (30) gives it a, b, c; d, e, f stay queued and the
      // queue has ended. c1 unsubscribes at 100: its `close` reaches the hub at 110, which puts
      // a, b, c back at the front and hands them to c2.
      const c1 = q1.recvWithAck({ prefetch: 3 }).pipe(map((d) => d.value));
      expectObservable(c1, '^ 99ms !').toBe('40ms (abc)');
      // c2 subscribes at 50 (credit at the hub: 60): d, e, f at 70, acked (hub: 80); a, b, c at
      // 120, acked (hub: 130): nothing left and nothing unacked, so `end`: complete at 140.
      const c2 = q2.recv({ prefetch: 10 });
      expectObservable(c2, '50ms ^').toBe('70ms (def) 45ms (abc) 15ms |');
    });
  });
});
