/**
 * A lock keeps its waiting acquires (and parked condition waits) per channel by request id. A
 * review found that a second waiting request with the same id overwrote the first there while
 * both stayed in the line: once the channel closed, the forgotten one was granted the lock for a
 * dead channel, and one hostile client wedged the lock for everyone. Such a request is now
 * answered ERR_INVALID_ARGUMENT.
 */
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { TimeoutError } from '../../src/errors.js';
import { perTestSockets } from '../helpers.js';
import { answer, eventually, perSession, rawOpen, req, stats } from './helpers.js';

describe('a lock request id used twice by a hostile client', () => {
  const tmp = perTestSockets();

  it('two waiting acquires with one id, then the connection closes: the lock is still free for others afterwards', async () => {
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const owner = await connect(tmp.sock('hub'));
    tmp.defer(() => owner.destroy());
    const other = await connect(tmp.sock('hub'));
    tmp.defer(() => other.destroy());
    const hold = await owner.lock('l').acquire();

    const raw = await rawOpen(tmp.sock('hub'), { c: 1, k: 'lock', n: 'l', r: 'hold' });
    const refused = answer(raw, 1, 7);
    raw.write(req(1, 7, 'acquire', {}) + req(1, 7, 'acquire', {}));
    expect(((await refused).h as { e?: { code?: string } }).e?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(stats(hub, 'lock', 'l')?.waiting).toBe(1);
    raw.socket.destroy();
    await raw.closed;
    expect(await eventually(() => stats(hub, 'lock', 'l')?.waiting === 0)).toBe(true);
    await hold.release();
    // Someone else must get the lock now: its only holder released, its other waiters are gone.
    const got = await other.lock('l').acquire({ timeout: 2_000 }).then((h) => h, (e: unknown) => e);
    expect(got, `the lock is held by a dead connection: ${JSON.stringify(stats(hub, 'lock', 'l'))}`).not.toBeInstanceOf(TimeoutError);
  });

  it('a parked condition wait and a waiting acquire with one id: once the connection closed, others get the lock', async () => {
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const other = await connect(tmp.sock('hub'));
    tmp.defer(() => other.destroy());
    const third = await connect(tmp.sock('hub'));
    tmp.defer(() => third.destroy());

    const raw = await rawOpen(tmp.sock('hub'), { c: 1, k: 'lock', n: 'm', r: 'hold' });
    raw.write(req(1, 1, 'acquire', {}));
    await answer(raw, 1, 1);
    raw.write(req(1, 2, 'wait', { cond: 'c' })); // parks under "c", gives the lock up
    expect(await eventually(() => stats(hub, 'lock', 'm')?.conditionWaiting === 1)).toBe(true);
    const lock = other.lock('m');
    const hold = await lock.acquire();
    const refused = answer(raw, 1, 2);
    raw.write(req(1, 2, 'acquire', {})); // the parked wait's id: refused
    expect(((await refused).h as { e?: { code?: string } }).e?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(await other.condition('c', lock).notify()).toBe(1);
    raw.socket.destroy();
    await raw.closed;
    await hold.release();
    const got = await third.lock('m').acquire({ timeout: 2_000 }).then((h) => h, (e: unknown) => e);
    expect(got, `the lock is held by a dead connection: ${JSON.stringify(stats(hub, 'lock', 'm'))}`).not.toBeInstanceOf(TimeoutError);
    expect(perSession(hub, 'maxHolds'), 'holds counted: only third\'s').toBe(1);
  });
});
