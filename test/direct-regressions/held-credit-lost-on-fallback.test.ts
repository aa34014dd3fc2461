/**
 * PipeResource keeps the credit an end grants before the other end arrives (`held`) and passes it
 * on at pairing; pairDirect does not (the pair is to go direct), and the switch to relaying in
 * fallBack() does not either. An end that granted credit on its hub channel right after its
 * `open` (pipelined, as the protocol allows) and is then told to accept: when the other end falls
 * back, that credit never reaches it, so its sends wait forever.
 */
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { until } from '../transports.js';
import { plain, within } from './helpers.js';

it('credit an end granted before pairing reaches the other end when the pair falls back to the hub', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const a = await plain(tmp.sock('hub'));
  const bus = await connect(tmp.sock('hub'));
  try {
    // Nobody listens at this address: the second end fails at once and falls back.
    a.write(`{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":${JSON.stringify(tmp.sock('nobody'))}}}\n{"t":"credit","c":1,"n":5}\n`);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    const b = bus.pipe<string>('p');
    await a.line((f) => f.t === 'credit' && f.c === 1); // the fallback: b's credit, relayed
    const sent = b.send('hi');
    sent.catch(() => undefined);
    const got = await within(a.line((f) => f.c === 1 && f.d === 'hi'), 2_000);
    expect(got, 'the value b sent within the credit a granted').not.toBe('pending');
  } finally {
    a.socket.destroy();
    await a.closed;
    await bus.close().catch(() => undefined);
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
