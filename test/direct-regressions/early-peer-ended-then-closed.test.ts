/**
 * An early peer (one that reached the accepting end's listener before the hub's word did) that
 * ended its direction and then closed its channel has finished cleanly: relayed, or joined
 * directly, the accepting end's `recv()` completes. DirectLinks.accept() instead fails the end with
 * ERR_PEER_GONE when the early port is no longer open, dropping the `end` it recorded
 * (`pending.ended`). And when the early peer also closed its connection, as a hostbus end does
 * once its channel is gone (PipeEnd.onGone -> session.close()), the listener's onClose -> drop()
 * forgets the early record altogether: accept() then waits the whole directTimeoutMs for a peer
 * that came and went, and fails with "did not connect".
 */
import { firstValueFrom, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { until } from '../transports.js';
import { plain, proxy, within } from './helpers.js';

async function scenario(peerDoes: (peer: RawClient, token: string) => Promise<void>) {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const px = await proxy(tmp.sock('proxy'), tmp.sock('hub'));
  const busA = await connect(tmp.sock('proxy'), { directTimeoutMs: 60_000 });
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
    peer = await RawClient.open(i.direct.connect);
    await peerDoes(peer, i.direct.token);
    px.release();
    return await within(got, 2_000);
  } finally {
    peer?.socket.destroy();
    b.socket.destroy();
    await Promise.all([peer?.closed, b.closed]);
    await busA.close().catch(() => undefined);
    await px.close();
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
}

it('an early peer that ended, then closed its channel, completes the accepting end\'s recv()', async () => {
  const outcome = await scenario(async (peer, token) => {
    peer.write(`{"t":"hello","v":1,"role":"peer"}\n{"t":"open","c":1,"k":"pipe","n":"${token}","r":"end"}\n{"t":"end","c":1}\n{"t":"close","c":1}\n`);
    await peer.line((f) => f.t === 'closed' && f.c === 1); // a has read the end and the close
  });
  expect(outcome).toEqual({ ok: true, value: [] });
});

it('an early peer that ended, closed its channel and its connection (as a hostbus end does) completes the accepting end\'s recv() at once', async () => {
  const outcome = await scenario(async (peer, token) => {
    peer.write(`{"t":"hello","v":1,"role":"peer"}\n{"t":"open","c":1,"k":"pipe","n":"${token}","r":"end"}\n{"t":"end","c":1}\n{"t":"close","c":1}\n`);
    await peer.line((f) => f.t === 'closed' && f.c === 1);
    peer.socket.end();
    await peer.closed; // a's side closed the connection too: its session is over
  });
  expect(outcome, 'a\'s recv() after its early peer ended and left').not.toBe('pending');
  expect(outcome).toEqual({ ok: true, value: [] });
});
