/**
 * `bus.close()` does not stop a direct connection attempt in flight (DirectLinks.connect keeps no
 * handle on it, and close() only ends sessions that already joined). The attempt's socket, its
 * connect and hello timers stay until half of directTimeoutMs has passed, and the pipe end's
 * `recv()` stays pending after close() resolved, although docs/channels.md says `bus.close()`
 * closes the direct pipes opened through it.
 */
import { firstValueFrom } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { until } from '../transports.js';
import { closedOf, plain, silentServer, within } from './helpers.js';

it('bus.close() ends a direct connection attempt still in flight, and fails the end that made it', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const silent = await silentServer(tmp.sock('silent'));
  const a = await plain(tmp.sock('hub'));
  const bus = await connect(tmp.sock('hub'), { directTimeoutMs: 600_000 });
  try {
    a.write(`{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":${JSON.stringify(silent.address)}}}\n`);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    const b = bus.pipe<string>('p');
    const got = firstValueFrom(b.recv());
    got.catch(() => undefined);
    const attempt = await silent.accepted();
    await bus.close();
    expect(await within(closedOf(attempt), 2_000), 'the attempt\'s socket after bus.close()').not.toBe('pending');
    const outcome = await within(got, 2_000);
    expect(outcome, 'recv() after bus.close()').not.toBe('pending');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_CLOSED' } });
  } finally {
    a.socket.destroy();
    await a.closed;
    await silent.close(); // also ends the attempt, if close() left it
    await bus.close().catch(() => undefined);
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
