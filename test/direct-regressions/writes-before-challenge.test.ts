/**
 * docs/protocol.md and docs/remote.md: "The connecting end writes nothing to a direct listener of
 * a bus with a key before it got a challenge". connectPeer() starts the session's keepalive (the
 * bus's keepaliveMs) before the auth handshake: after two silent intervals it writes `ping`
 * frames, then, after the third, a session `error`, to an address named by another hub client
 * that never challenged it. (The keepalive also cuts the attempt after 3 x keepaliveMs, far
 * inside the documented half of directTimeoutMs.) Without keepalive, the attempt's deadline
 * (helloTimeoutMs in connectPeer) fails the session with Session.fail(), which writes a session
 * `error` frame ("no hello within ... a client must send its hello first") to that address too.
 */
import { firstValueFrom } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { until } from '../transports.js';
import { KEY, authenticated, silentServer } from './helpers.js';

async function attempt(options: { keepaliveMs?: number; directTimeoutMs: number }): Promise<string[]> {
  const hub = await Hub.listen('tcp://127.0.0.1:0', { authkey: KEY });
  const port = hub.address!.kind === 'tcp' ? hub.address!.port : 0;
  const silent = await silentServer();
  const a = await authenticated({ host: '127.0.0.1', port });
  const bus = await connect(`tcp://127.0.0.1:${port}`, { authkey: KEY, ...options });
  try {
    a.write(`{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":${JSON.stringify(silent.address)}}}\n`);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    const b = bus.pipe<string>('p');
    firstValueFrom(b.recv()).catch(() => undefined);
    await silent.accepted();
    // The bus's end gives up on the silent address and falls back: its credit reaches the raw end.
    await a.line((f) => f.t === 'credit' && f.c === 1);
    return [...silent.received];
  } finally {
    a.socket.destroy();
    await a.closed;
    await bus.close().catch(() => undefined);
    await hub.close();
    await silent.close();
  }
}

it('when its attempt times out, an end of a keyed bus writes nothing to a direct address that has not challenged it', async () => {
  expect(await attempt({ directTimeoutMs: 400 }), 'bytes written to a listener that never challenged').toEqual(['']);
});

it('with a keepalive, an end of a keyed bus writes nothing to a direct address that has not challenged it', async () => {
  expect(await attempt({ keepaliveMs: 20, directTimeoutMs: 2_000 }), 'bytes written to a listener that never challenged').toEqual(['']);
});
