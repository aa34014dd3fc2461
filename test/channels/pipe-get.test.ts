/**
 * `get()`, `poll()` and the async iterator of a pipe end (pull mode), over a `Pipe()` in memory.
 * "Not yet" is checked behind a causal barrier: a value the other end sends after the fact and
 * this end receives (a pipe delivers frames in order, so anything written before it arrived first).
 */
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Pipe } from '../../src/channels/pipe.js';
import { EndedError, InvalidArgumentError, PeerGoneError, PipeBusyError, TimeoutError } from '../../src/errors.js';

describe('PipeEnd.get', () => {
  it('takes values in order, then rejects with ERR_ENDED once the other end ended', async () => {
    const [a, b] = Pipe<number>();
    void a.sendAll([1, 2, 3]).then(() => a.end());
    expect([await b.get(), await b.get(), await b.get()]).toEqual([1, 2, 3]);
    await expect(b.get()).rejects.toBeInstanceOf(EndedError);
    await expect(b.get()).rejects.toBeInstanceOf(EndedError);
    await a.flush();
  });

  it('rejects with ERR_TIMEOUT when no value came in time, and takes the next value later', async () => {
    const [a, b] = Pipe<string>();
    await expect(b.get({ timeout: 0 })).rejects.toBeInstanceOf(TimeoutError);
    await expect(b.get({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    a.next('late');
    expect(await b.get({ timeout: 10_000 })).toBe('late');
    b.close();
  });

  it('acknowledges a value only when the next get() is called', async () => {
    const [a, b] = Pipe<string>();
    let flushed = false;
    a.next('one');
    const flush = a.flush().then(() => { flushed = true; });
    expect(await b.get()).toBe('one');
    // Barrier: b writes 'sync' after whatever it wrote on getting 'one'.
    b.next('sync');
    expect(await a.get()).toBe('sync');
    expect(flushed).toBe(false);
    const next = b.get({ timeout: 10_000 });
    await flush;
    a.next('two');
    expect(await next).toBe('two');
    a.close();
  });

  it('close() counts the value taken last as processed', async () => {
    const [a, b] = Pipe<number>();
    a.next(7);
    const ended = a.end(); // resolves once 7 is acknowledged
    expect(await b.get()).toBe(7);
    b.close();
    await ended;
  });

  it('rejects with ERR_PEER_GONE after the values received before, when the other end closes', async () => {
    const [a, b] = Pipe<number>();
    a.next(1);
    a.next(2);
    expect(await b.poll({ timeout: 10_000 })).toBe(true);
    a.close();
    expect(await b.get()).toBe(1);
    expect(await b.get()).toBe(2);
    await expect(b.get()).rejects.toBeInstanceOf(PeerGoneError);
  });

  it('an end closed before either end was used still gives the other end ERR_PEER_GONE', async () => {
    const [a, b] = Pipe<number>();
    a.close();
    await expect(b.get()).rejects.toBeInstanceOf(PeerGoneError);
  });

  it('send() before anyone reads resolves within the reader\'s buffer (as an OS pipe\'s); close() after it loses nothing', async () => {
    const [a, b] = Pipe<string>();
    await a.send('x');
    await a.send('y');
    a.close();
    expect(await b.get()).toBe('x');
    expect(await b.get()).toBe('y');
    await expect(b.get()).rejects.toBeInstanceOf(PeerGoneError);
  });

  it('one get() at a time; get() and recv() exclude each other', async () => {
    const [a, b] = Pipe<number>();
    const first = b.get();
    await expect(b.get()).rejects.toBeInstanceOf(PipeBusyError);
    await expect(firstValueFrom(b.recv())).rejects.toBeInstanceOf(PipeBusyError);
    a.next(1);
    expect(await first).toBe(1);

    const [c, d] = Pipe<number>();
    const sub = d.recv().subscribe();
    await expect(d.get()).rejects.toBeInstanceOf(PipeBusyError);
    await expect(d.poll()).rejects.toBeInstanceOf(PipeBusyError);
    sub.unsubscribe();
    a.close();
    c.close();
  });

  it('rejects a timeout that is not a number of milliseconds, without throwing', async () => {
    const [, b] = Pipe<number>();
    const got = b.get({ timeout: -1 });
    await expect(got).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(b.poll({ timeout: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
    b.close();
  });

  it('moves 20,000 values through a get() loop, in order', async () => {
    const [a, b] = Pipe<number>({ prefetch: 64 });
    const n = 20_000;
    const sending = (async () => {
      await a.sendAll(Array.from({ length: n }, (_, i) => i));
      await a.end();
    })();
    let count = 0;
    let inOrder = true;
    for (;;) {
      let v: number;
      try {
        v = await b.get();
      } catch (err) {
        expect(err).toBeInstanceOf(EndedError);
        break;
      }
      if (v !== count++) inOrder = false;
    }
    expect(count).toBe(n);
    expect(inOrder).toBe(true);
    await sending;
  });
});

describe('PipeEnd.poll', () => {
  it('says whether a value waits, takes nothing, and is false once the other end ended', async () => {
    const [a, b] = Pipe<number>();
    expect(await b.poll()).toBe(false);
    expect(await b.poll({ timeout: 10 })).toBe(false);
    a.next(5);
    expect(await b.poll({ timeout: 10_000 })).toBe(true);
    expect(await b.poll()).toBe(true);
    expect(await b.get()).toBe(5);
    const waiting = b.poll({ timeout: 10_000 });
    void a.end();
    expect(await waiting).toBe(false);
    await expect(b.get()).rejects.toBeInstanceOf(EndedError);
  });
});

describe('for await over a pipe end', () => {
  it('takes values as get() does; a break leaves the rest for the next reader', async () => {
    const [a, b] = Pipe<number>();
    void a.sendAll([1, 2, 3, 4]).then(() => a.end());
    const first: number[] = [];
    for await (const v of b) {
      first.push(v);
      if (v === 2) break;
    }
    expect(first).toEqual([1, 2]);
    const rest: number[] = [];
    await new Promise<void>((resolve, reject) => {
      b.recv().subscribe({ next: (v) => rest.push(v), error: reject, complete: resolve });
    });
    expect(rest).toEqual([3, 4]);
    await a.flush();
  });
});
