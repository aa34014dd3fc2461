/**
 * What a channel's close costs the hub: a step that concerns one channel does not walk every
 * other connection's waiters (lock-resource.ts: "never in the whole line"). Found by a review:
 * - `Conditions.gone` (lock-conditions.ts) walks every parked waiter of every condition of the
 *   lock (`for list of waiting.values(): list.filter(...)`) on each close of any channel of that
 *   lock; handles close their channel after 100 ms idle, so this runs all the time;
 * - `EventResource.gone` (event-resource.ts) filters every waiter of the event on each close of
 *   any `use` channel; each wait's timeout is an `indexOf` + `splice` over them all;
 * - `BarrierResource.gone` walks every waiting party on each close of any channel.
 * Under the default limits, 1,024 connections x 1,024 waits: a million entries per close.
 */
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { perTestSockets } from '../helpers.js';
import { eventually, rawOpen, req, stats } from './helpers.js';

/** Counts every pass over `set` (its iterators), from now on. */
function counted<T>(set: Set<T>, counter: { reads: number }): void {
  const values = set.values.bind(set);
  set.values = () => {
    counter.reads++;
    return values();
  };
  set[Symbol.iterator] = set.values;
}

describe('the close of a channel that waits on nothing', () => {
  const tmp = perTestSockets();

  it('of a lock with 1,000 parked condition waiters does not walk them', async () => {
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const raw = await rawOpen(tmp.sock('hub'), { c: 1, k: 'lock', n: 'm', r: 'hold' });
    tmp.defer(() => raw.socket.destroy());
    // acquire, wait, acquire, wait... in order on one channel: each acquire finds the lock free.
    let frames = '';
    for (let i = 0; i < 1_000; i++) frames += req(1, 2 * i + 1, 'acquire', {}) + req(1, 2 * i + 2, 'wait', { cond: 'c' });
    raw.write(frames);
    expect(await eventually(() => stats(hub, 'lock', 'm')?.conditionWaiting === 1_000, 10_000)).toBe(true);

    const res = (hub as unknown as { resources: Map<string, { conditions: { waiting: Map<string, Set<unknown>> } }> }).resources.get('lock\0m')!;
    const counter = { reads: 0 };
    for (const list of res.conditions.waiting.values()) counted(list, counter);

    const bystander = await connect(tmp.sock('hub'));
    tmp.defer(() => bystander.destroy());
    for (let i = 0; i < 10; i++) {
      const l = bystander.lock('m');
      await l.locked(); // opens a channel on m; it closes after 100 ms idle, or now:
      (l as unknown as { channel: { open?: { channel: { close(): void } } } }).channel.open?.channel.close();
    }
    // The hub reads one connection's frames in order: once this is answered, the closes were handled.
    await bystander.lock('m').locked();
    expect(counter.reads, '10 closes of channels that never waited walked the parked waiters this many times').toBe(0);
  }, 30_000);

  it('of an event with 1,000 waiters does not walk them', async () => {
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const raw = await rawOpen(tmp.sock('hub'), { c: 1, k: 'event', n: 'e', r: 'use' });
    tmp.defer(() => raw.socket.destroy());
    let frames = '';
    for (let i = 0; i < 1_000; i++) frames += req(1, i + 1, 'wait', null);
    raw.write(frames);
    expect(await eventually(() => stats(hub, 'event', 'e')?.waiting === 1_000, 10_000)).toBe(true);

    const res = (hub as unknown as { resources: Map<string, { waiters: Set<unknown> }> }).resources.get('event\0e')!;
    const counter = { reads: 0 };
    counted(res.waiters, counter);

    const bystander = await connect(tmp.sock('hub'));
    tmp.defer(() => bystander.destroy());
    for (let i = 0; i < 10; i++) {
      const e = bystander.event('e');
      await e.isSet();
      (e as unknown as { channel: { open?: { channel: { close(): void } } } }).channel.open?.channel.close();
    }
    await bystander.event('e').isSet();
    expect(counter.reads, '10 closes of channels that never waited walked the waiters this many times').toBe(0);
  }, 30_000);
});
