/**
 * docs/protocol.md: the hub relays a direct pair from the first frame that *either* end sends on
 * its hub channel, and passes on the `end` of an end that ended. When the end told to accept is
 * the one that falls back (its `credit`, then its `end`, on its hub channel), the hub relays both
 * to the connecting end's hub channel at once, while that end is still trying the offered
 * addresses. DirectLinks.connect() gives the hub channel the handler `{ closed }` for the attempt
 * (fix 1 records only the channel's going): the relayed `end` is dropped. The connecting end then
 * falls back onto that channel (end.attach(hubPort)) and never hears that the other end ended:
 * its `recv()` never completes.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { tempDir } from '../helpers.js';
import { until } from '../transports.js';
import { plain, silentServer, within } from './helpers.js';

it('an end still trying the direct address hears the end of an accepting end that fell back to the hub', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const silent = await silentServer(tmp.sock('silent'));
  const a = await plain(tmp.sock('hub'));
  const bus = await connect(tmp.sock('hub'), { directTimeoutMs: 60_000 });
  try {
    a.write(`{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":${JSON.stringify(silent.address)}}}\n`);
    await until(() => hub.stats().resources.some((r) => r.kind === 'pipe'), 'the first end at the hub');
    const b = bus.pipe<string>('p');
    const got = firstValueFrom(b.recv().pipe(toArray()));
    got.catch(() => undefined);
    await a.line((f) => f.t === 'opened' && f.c === 1); // a is told to accept
    const attempt = await silent.accepted(); // b is trying a's (silent) address
    // a falls back itself: it grants credit and ends its direction on its hub channel.
    a.write('{"t":"credit","c":1,"n":5}\n{"t":"end","c":1}\n{"t":"ping","n":1}\n');
    await a.line((f) => f.t === 'pong');
    // A round trip on b's hub connection: b has read what the hub relayed to it before.
    const hold = await bus.lock('sync').acquire();
    await hold.release();
    attempt.destroy(); // b's attempt fails: it falls back to its hub channel
    await a.line((f) => f.t === 'credit' && f.c === 1); // b's credit, relayed: b uses the hub now
    const outcome = await within(got, 2_000);
    expect(outcome, 'b\'s recv() after a ended its direction').not.toBe('pending');
    expect(outcome).toEqual({ ok: true, value: [] });
  } finally {
    a.socket.destroy();
    await a.closed;
    await bus.close().catch(() => undefined);
    await hub.close();
    await silent.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
