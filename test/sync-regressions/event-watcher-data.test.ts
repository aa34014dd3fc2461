/**
 * docs/protocol.md (Event): "A watcher sends nothing (a data frame from it fails the channel with
 * ERR_INVALID_ARGUMENT)". The hub never grants credit on a `watch` channel, so such a frame is a
 * credit overrun (port.ts onData) that ends the watcher's whole connection: the handler's `data`
 * in event-resource.ts `watch()` cannot run. Only the offender suffers, but its other channels go.
 */
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { perTestSockets } from '../helpers.js';
import { answer, rawOpen, req } from './helpers.js';

describe('a data frame from an event watcher', () => {
  const tmp = perTestSockets();

  it('fails that channel with ERR_INVALID_ARGUMENT; the connection goes on', async () => {
    const hub = await Hub.listen(tmp.sock('hub'));
    tmp.defer(() => hub.close());
    const raw = await rawOpen(tmp.sock('hub'), { c: 1, k: 'event', n: 'e', r: 'use' });
    tmp.defer(() => raw.socket.destroy());
    raw.write('{"t":"open","c":2,"k":"event","n":"e","r":"watch"}\n{"t":"credit","c":2,"n":16}\n');
    await raw.line((f) => f.t === 'opened' && f.c === 2);
    raw.write('{"c":2,"d":true}\n');
    const err = await raw.line((f) => f.t === 'error');
    expect(err.c, `the error: ${JSON.stringify(err)}`).toBe(2);
    expect((err.e as { code?: string }).code).toBe('ERR_INVALID_ARGUMENT');
    raw.write(req(1, 1, 'isSet'));
    expect((await answer(raw, 1, 1)).d).toBe(false);
  });
});
