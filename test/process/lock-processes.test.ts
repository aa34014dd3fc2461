// Locks and semaphores across real processes over a real Unix socket: the hub runs in the test
// process, holders are children started with spawn(), and one is killed with SIGKILL.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawn } from 'hostbus';
import { hubPerTest } from './hub-per-test.js';
import { until } from '../transports.js';

const fixtures = fileURLToPath(new URL('../../.build/test/fixtures/lock-workers.js', import.meta.url));

describe('locks across processes', () => {
  const t = hubPerTest();
  const stats = (name: string) => t.hub.stats().resources.find((r) => r.kind === 'lock' && r.name === name);

  it('10 processes increment a counter file 1,000 times each under one lock: exactly 10,000', async () => {
    const file = join(t.tmp.dir, 'counter');
    writeFileSync(file, '0');
    const lock = t.bus.lock('counter');
    const children = Array.from({ length: 10 }, () => spawn(fixtures, 'increment', [lock, file, 1000]));
    await Promise.all(children.map((p) => p.join()));
    expect(readFileSync(file, 'utf8')).toBe('10000');
  }, 120_000);

  it('a holder SIGKILLed while holding gives the lock to the next waiter at once, abandoned, with a larger token', async () => {
    const lock = t.bus.lock('robust');
    const status = t.bus.queue<number>('status');
    const child = spawn(fixtures, 'holdUntilKilled', [t.bus.lock('robust'), status]);
    const theirs = await status.get();
    const next = lock.acquire();
    await until(() => stats('robust')?.waiting === 1, 'the parent waiting', 20_000);
    const killed = performance.now();
    child.kill('SIGKILL');
    const hold = await next;
    const ms = performance.now() - killed;
    expect(hold.abandoned).toBe(true);
    expect(hold.token).toBeGreaterThan(theirs);
    expect(ms).toBeLessThan(100);
    await expect(child.join()).rejects.toThrow(/SIGKILL/);
    await hold.release();
  }, 30_000);

  it('an event set by the parent wakes the children that wait for it', async () => {
    const status = t.bus.queue<string>('woke');
    const event = t.bus.event('go');
    const children = [0, 1, 2].map(() => spawn(fixtures, 'waitForEvent', [event, status]));
    await until(() => t.hub.stats().resources.find((r) => r.kind === 'event' && r.name === 'go')?.waiting === 3, 'three children waiting', 20_000);
    await event.set();
    expect([await status.get(), await status.get(), await status.get()]).toEqual(['woke: true', 'woke: true', 'woke: true']);
    await Promise.all(children.map((p) => p.join()));
  }, 30_000);

  it('a barrier of 3 whose second party is SIGKILLed while waiting breaks: the first rejects at once, the third too', async () => {
    const status = t.bus.queue<string>('parties');
    const barrier = t.bus.barrier('meet', 3);
    const waiting = () => t.hub.stats().resources.find((r) => r.kind === 'barrier' && r.name === 'meet')?.waiting;
    const first = spawn(fixtures, 'barrierParty', [barrier, status]);
    await until(() => waiting() === 1, 'the first party waiting', 20_000);
    const second = spawn(fixtures, 'barrierParty', [barrier, status]);
    await until(() => waiting() === 2, 'the second party waiting', 20_000);
    second.kill('SIGKILL');
    expect(await status.get({ timeout: 5_000 })).toBe('ERR_BARRIER_BROKEN');
    await first.join();
    await expect(second.join()).rejects.toThrow(/SIGKILL/);
    const third = spawn(fixtures, 'barrierParty', [barrier, status]);
    expect(await status.get({ timeout: 5_000 })).toBe('ERR_BARRIER_BROKEN');
    await third.join();
  }, 30_000);

  it('a semaphore of 2 never has 3 holders at once', async () => {
    const file = join(t.tmp.dir, 'holds');
    writeFileSync(file, '');
    const sem = t.bus.semaphore('two', 2);
    const children = Array.from({ length: 5 }, () => spawn(fixtures, 'holdPermit', [sem, file, 20, 5]));
    await Promise.all(children.map((p) => p.join()));
    const holds = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ').map(BigInt) as [bigint, bigint]);
    expect(holds).toHaveLength(100);
    // Sweep the enter and leave events in time order: at most 2 inside at any moment.
    const events = holds.flatMap(([enter, leave]) => [[enter, 1], [leave, -1]] as [bigint, number][]);
    events.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
    let inside = 0;
    let most = 0;
    for (const [, d] of events) most = Math.max(most, (inside += d));
    expect(most).toBe(2);
  }, 60_000);
});
