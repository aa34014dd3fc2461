/**
 * While the end told to connect tries the other end's addresses, its hub channel's handler is
 * `{}`: the channel's `closed` is dropped. When the hub goes away during the attempt and the
 * attempt then fails, the end falls back onto that dead hub channel (`end.attach(hubPort)` on a
 * port already gone) and nothing ever settles it: `recv()` and `send()` hang forever.
 */
import { firstValueFrom } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { until } from '../transports.js';
import { plain, silentServer, within } from './helpers.js';

it('an end whose hub went away while it tried a direct address does not fall back onto the dead hub channel and hang', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const silent = await silentServer(tmp.sock('silent'));
  const a = await plain(tmp.sock('hub'));
  const bus = await connect(tmp.sock('hub'), { directTimeoutMs: 60_000 });
  try {
    // The first end (raw) offers an address that accepts and never answers.
    a.write(`{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":${JSON.stringify(silent.address)}}}\n`);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    const b = bus.pipe<string>('p');
    const got = firstValueFrom(b.recv());
    got.catch(() => undefined);
    const attempt = await silent.accepted(); // the bus's end is trying the silent address now
    await hub.close();
    await until(() => bus.closed, 'the bus to see its hub go');
    attempt.destroy(); // the attempt fails: the end falls back to its (gone) hub channel
    const outcome = await within(got, 3_000);
    expect(outcome, 'recv() of an end whose hub channel is gone').not.toBe('pending');
    expect(outcome).toMatchObject({ ok: false });
  } finally {
    a.socket.destroy();
    await a.closed;
    await bus.close().catch(() => undefined);
    await hub.close();
    await silent.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
