/**
 * Regressions of the lock kind against hostile peers (docs/bounds.md: "Every count a peer can grow has
 * a limit"; a peer must not be able to wedge the hub).
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from '../raw-client.js';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { LimitError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { perTestSockets } from '../helpers.js';
import { until } from '../transports.js';
import { lockStats } from './helpers.js';

const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

describe('holds a connection can make the hub keep', () => {
  it('are bounded: with every limit of the hub small, one connection cannot make it keep 20,000 holds with lease timers', async () => {
    // Nothing counts holds: only a semaphore's value (up to 2^30) bounds them, and a plain
    // Semaphore's value can be raised by anyone (release with nothing held). Each hold is a Map
    // entry and, with a lease, a timer of the hub; a token-less release and every RLock acquire
    // scan all of them (holdOf).
    const mh = memoryHub({ maxWaiting: 8, maxChannels: 8, maxResources: 8, maxConnections: 2 });
    const a = mh.connect();
    try {
      const big = a.semaphore('big', 2 ** 30);
      const asked = await Promise.allSettled(Array.from({ length: 20_000 }, () => big.tryAcquire({ lease: 2 ** 31 - 1 })));
      const refused = asked.filter((r) => r.status === 'rejected' && r.reason instanceof LimitError).length;
      expect(refused, `the hub keeps ${String(lockStats(mh.hub, 'big')?.holders)} holds of one connection, each with a timer`).toBeGreaterThan(0);
    } finally {
      a.destroy();
      await mh.hub.close();
    }
  }, 30_000);
});

describe('what one request costs the hub', () => {
  const tmp = perTestSockets();

  /** Counts reads of the elements of the lock's waiting line (the hub keeps it in an array). */
  /** Counts every pass over the lock's waiting line (its Set's iterators), from now on. */
  function countReads(hub: Hub, name: string): { reads: number } {
    const res = (hub as unknown as { resources: Map<string, { line: Set<unknown> }> }).resources.get(`lock\0${name}`)!;
    const counter = { reads: 0 };
    const line = res.line;
    const values = line.values.bind(line);
    line.values = () => {
      counter.reads++;
      return values();
    };
    line[Symbol.iterator] = line.values;
    return counter;
  }

  it('a cancel of an id that is not waiting does not scan every waiter of every connection', async () => {
    // Under the default limits a hub may have 1,024 connections x 1,024 waiting acquires on one
    // lock: each `cancel` (answered at once, so a peer may send them without end) then walks a
    // million entries; so does each waiter's timeout (indexOf + splice), and a timeout per
    // waiter, in the reverse order of the line, is quadratic.
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const owner = await connect(tmp.sock('hub'));
    tmp.defer(() => owner.destroy());
    await owner.lock('l').acquire();
    const waiters: RawClient[] = [];
    for (let i = 0; i < 10; i++) {
      const c = await RawClient.open(tmp.sock('hub'));
      tmp.defer(() => c.socket.destroy());
      c.write(HELLO);
      c.write('{"t":"open","c":1,"k":"lock","n":"l","r":"hold"}\n');
      await c.line((f) => f.t === 'opened');
      c.write(Array.from({ length: 1_000 }, (_, k) => `{"c":1,"h":{"id":${k + 1},"op":"acquire"},"d":{}}\n`).join(''));
      waiters.push(c);
    }
    await until(() => lockStats(hub, 'l')?.waiting === 10_000, '10,000 waiting', 20_000);
    const counted = countReads(hub, 'l');
    const attacker = await RawClient.open(tmp.sock('hub'));
    tmp.defer(() => attacker.socket.destroy());
    attacker.write(HELLO);
    attacker.write('{"t":"open","c":1,"k":"lock","n":"l","r":"hold"}\n{"t":"credit","c":1,"n":1024}\n');
    await attacker.line((f) => f.t === 'opened');
    attacker.write(Array.from({ length: 100 }, (_, k) => `{"c":1,"h":{"id":${k + 1},"op":"cancel"},"d":{"id":${k + 1}}}\n`).join(''));
    await attacker.line((f) => (f.h as { re?: number } | undefined)?.re === 100);
    expect(counted.reads, '100 cancels of nothing walked the waiting line this many times').toBe(0);
  }, 60_000);
});
