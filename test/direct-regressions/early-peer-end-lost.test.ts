/**
 * A peer may reach the accepting end before the hub's word does (the early-token path of
 * DirectLinks.acceptOn). Its channel is then held as a bare Port whose handler is `{}`: an `end`
 * the peer sends in that window is dropped, and a `close` leaves the port gone, so that when the
 * hub's `opened` arrives, join() attaches the pipe end to a port whose end (or close) it never
 * hears of. The end's `recv()` never completes.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { until } from '../transports.js';
import { plain, proxy, within } from './helpers.js';

it('an end the peer reached before the hub\'s word still hears that peer\'s end', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const px = await proxy(tmp.sock('proxy'), tmp.sock('hub'));
  const busA = await connect(tmp.sock('proxy'));
  const b = await plain(tmp.sock('hub'));
  let peer: RawClient | undefined;
  try {
    const a = busA.pipe<string>('p');
    const got = firstValueFrom(a.recv().pipe(toArray()));
    got.catch(() => undefined);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    px.hold(); // the hub's `opened` for a waits in the proxy
    b.write('{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":"x"}}\n');
    const { i } = await b.line((f) => f.t === 'opened') as { i: { direct: { connect: string; token: string } } };
    // b reaches a's listener first, opens the pipe's channel and ends its direction at once.
    peer = await RawClient.open(i.direct.connect);
    peer.write(`{"t":"hello","v":1,"role":"peer"}\n{"t":"open","c":1,"k":"pipe","n":"${i.direct.token}","r":"end"}\n{"t":"end","c":1}\n{"t":"ping","n":7}\n`);
    await peer.line((f) => f.t === 'pong'); // a has read all of it
    px.release();
    const outcome = await within(got, 2_000);
    expect(outcome, 'a\'s recv() after b ended its direction').not.toBe('pending');
    expect(outcome).toEqual({ ok: true, value: [] });
  } finally {
    peer?.socket.destroy();
    b.socket.destroy();
    await Promise.all([peer?.closed, b.closed]);
    await busA.close().catch(() => undefined);
    await px.close();
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
