/**
 * docs/protocol.md (Falling back to the hub): the hub relays a direct pair from the first `credit`
 * or `end` an end sends on its hub channel; "an `ack` acknowledges nothing" there and is the
 * protocol error it is on any channel. PipeResource.pairDirect wires `ack` to fallBack() too, and
 * Port.onAck only refuses ranges past what was sent: an `ack` with no range (`"r":[]`, which the
 * frame parser takes) is no error and switches the pair to relaying.
 */
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { tempDir } from '../helpers.js';
import { plain } from './helpers.js';

it('an empty ack on the hub channel of a direct pair does not make the hub relay the pair', async () => {
  const tmp = await tempDir();
  const hub = await Hub.listen(tmp.sock('hub'));
  const a = await plain(tmp.sock('hub'));
  const b = await plain(tmp.sock('hub'));
  try {
    a.write('{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":"x"}}\n');
    b.write('{"t":"open","c":1,"k":"pipe","n":"p","r":"end","o":{"direct":"y"}}\n');
    await Promise.all([a.line((f) => f.t === 'opened'), b.line((f) => f.t === 'opened')]);
    expect(JSON.stringify(hub.stats().resources.find((r) => r.kind === 'pipe')), 'the pair before').toContain('"direct":true');
    b.write('{"t":"ack","c":1,"r":[]}\n{"t":"ping","n":1}\n');
    await b.line((f) => f.t === 'pong');
    const pipe = hub.stats().resources.find((r) => r.kind === 'pipe') as Record<string, unknown> | undefined;
    const refused = b.lines.some((l) => l.includes('"t":"error"'));
    expect({ direct: JSON.stringify(pipe).includes('"direct":true'), refused }, 'the pair after an empty ack').not.toEqual({ direct: false, refused: false });
  } finally {
    a.socket.destroy();
    b.socket.destroy();
    await Promise.all([a.closed, b.closed]);
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  }
});
