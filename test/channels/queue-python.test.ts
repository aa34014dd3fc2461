/**
 * Python's queue surface on a hostbus queue: `qsize()`, `empty()`, `full()`, a joinable queue
 * (`taskDone()`, `join()`), and `shutdown({ immediate })` with Python 3.13's semantics. Over every
 * transport; see queue.test.ts for how the tests wait.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueOptions } from '../../src/channels/queue.js';
import { InvalidArgumentError, OptionsMismatchError, ShutDownError, TaskDoneError } from '../../src/errors.js';
import { rejection, track, transports, until, type TestBed } from '../transports.js';

describe.each(transports)('Python queue surface over $name', (transport) => {
  let t: TestBed;

  beforeEach(async () => {
    t = await transport.setup();
  });

  afterEach(async (ctx) => {
    await t.teardown({ destroy: ctx.task.result?.state === 'fail' });
  });

  const queue = async <T>(name: string, options?: QueueOptions) => (await t.bus()).queue<T>(name, options);
  const joinable = async <T>(name: string, options?: QueueOptions) => (await t.bus()).joinableQueue<T>(name, options);
  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === name);

  it('qsize(), empty() and full() say what the queue holds; the item get() took no longer counts', async () => {
    const q = await queue<number>('size', { maxsize: 3 });
    expect(await q.qsize()).toBe(0);
    expect(await q.empty()).toBe(true);
    await q.put(1);
    await q.put(2);
    await q.put(3);
    await q.flush();
    expect(await q.qsize()).toBe(3);
    expect(await q.empty()).toBe(false);
    expect(await q.full()).toBe(true);
    expect(await q.get()).toBe(1);
    expect(await q.qsize()).toBe(2);
    expect(await q.full()).toBe(true); // 1 is still out until the next get()
    expect(await q.get()).toBe(2);
    expect(await q.full()).toBe(false);
  });

  it('join() resolves only after the last taskDone(); one taskDone() too many is ERR_TASK_DONE', async () => {
    const q = await joinable<string>('jobs');
    await q.sendAll(['a', 'b', 'c']);
    const joined = track(q.join());
    const worker = await joinable<string>('jobs');
    for (let i = 0; i < 3; i++) {
      await worker.get();
      // A round trip on the hub after this taskDone: join() is still pending until the third.
      await worker.taskDone();
      await q.qsize();
      expect(joined.state).toBe(i < 2 ? 'pending' : 'resolved');
      if (i === 2) await joined.p;
    }
    const err = await rejection(worker.taskDone());
    expect(err).toBeInstanceOf(TaskDoneError);
    expect(err.code).toBe('ERR_TASK_DONE');
    await q.join(); // nothing pending: at once
    expect(stats('jobs')).toMatchObject({ joinable: true, unfinished: 0 });
  });

  it('put() on a joinable queue resolves once the hub counts it; join() after putNowait() waits for it', async () => {
    const q = await joinable<number>('counted');
    await q.put(1);
    expect(stats('counted')).toMatchObject({ unfinished: 1 });
    q.putNowait(2);
    const joined = track(q.join());
    const w = await joinable<number>('counted');
    expect([await w.get(), await w.get()]).toEqual([1, 2]);
    await w.taskDone();
    await w.qsize();
    expect(joined.state).toBe('pending');
    await w.taskDone();
    await joined.p;
  });

  it('shutdown({ immediate }) while a worker holds items: its next get() fails, and its taskDone() for the item it took counts', async () => {
    const q = await joinable<number>('held');
    await q.sendAll([1, 2, 3, 4]);
    const w = await joinable<number>('held');
    expect(await w.get()).toBe(1);
    const joined = q.join();
    await q.shutdown({ immediate: true });
    // An item already on its way to w may still come (w's connection is not q's): those it takes
    // are its own to mark done; then its get() fails.
    let took = 1;
    for (;;) {
      const err = await w.get().then(() => undefined, (e: Error) => e);
      if (!err) {
        took++;
        continue;
      }
      expect(err).toBeInstanceOf(ShutDownError);
      break;
    }
    for (let i = 0; i < took; i++) await w.taskDone();
    await joined;
    expect(stats('held')).toMatchObject({ unfinished: 0 });
  });

  it('a name is joinable or not from its first open; taskDone() on a plain queue is refused', async () => {
    const plain = await queue<number>('plain');
    await plain.put(1);
    await plain.flush();
    expect(await rejection((await joinable<number>('plain')).put(2))).toBeInstanceOf(OptionsMismatchError);
    // A plain handle that leaves the option out is a handle on the joinable queue, as for any option.
    const j = await joinable<number>('j');
    await j.put(0);
    await j.flush();
    await (await queue<number>('j')).put(1);
    expect([await j.get(), await j.get()]).toEqual([0, 1]);
    await j.taskDone();
    await j.taskDone();
    await j.join();
    const asPlain = (await t.bus()).queue<number>('plain');
    const refused = await rejection((asPlain as unknown as { control(): { request(op: string): Promise<unknown> } }).control().request('taskDone'));
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect(refused.message).toMatch(/joinableQueue/);
  });

  it('shutdown(): puts are refused, gets take what is left, then ERR_SHUTDOWN', async () => {
    const q = await queue<number>('shut');
    await q.sendAll([1, 2]);
    const c = await queue<number>('shut');
    await c.shutdown();
    const err = await rejection(q.put(3));
    expect(err).toBeInstanceOf(ShutDownError);
    expect(err.code).toBe('ERR_SHUTDOWN');
    expect(await rejection((await queue<number>('shut')).put(4))).toBeInstanceOf(ShutDownError);
    expect([await c.get(), await c.get()]).toEqual([1, 2]);
    expect(await rejection(c.get())).toBeInstanceOf(ShutDownError);
    expect(await rejection((await queue<number>('shut')).get())).toBeInstanceOf(ShutDownError);
  });

  it('shutdown({ immediate: true }) drops what is queued, releases join(), and gets fail at once', async () => {
    const q = await joinable<number>('now');
    await q.sendAll([1, 2, 3]);
    const joined = q.join();
    await q.shutdown({ immediate: true });
    await joined;
    expect(stats('now')).toMatchObject({ queued: 0, unfinished: 0, shutdown: true });
    expect(await rejection((await joinable<number>('now')).get())).toBeInstanceOf(ShutDownError);
    await until(() => stats('now') === undefined || stats('now')!.consumers === 0, 'the consumers to go');
  });
});
