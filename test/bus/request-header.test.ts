/**
 * The request and answer headers have a fast path for the form hostbus writes
 * (`{"id":N,"op":"NAME"}`, `{"re":N}`) and JSON.parse for every other: both must read the same.
 * Over a raw socket, so that the headers are exactly what the test writes.
 */
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { tempDir } from '../helpers.js';
import { RawClient } from '../raw-client.js';

describe('request headers', () => {
  it('an escaped op, spaces, and other key orders are read as JSON; an id with a leading zero is not JSON', async () => {
    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'));
    const raw = await RawClient.open(tmp.sock('hub'));
    try {
      raw.write('{"t":"hello","v":1,"role":"client","checked":true}\n'); // a peer that vouches for its payloads: the session does not check them
      raw.write('{"t":"open","c":1,"k":"value","n":"v","r":"use","o":{"init":7}}\n{"t":"credit","c":1,"n":16}\n');
      raw.write('{"c":1,"h":{"id":1,"op":"get"},"d":null}\n');
      raw.write('{"c":1,"h":{"id":2,"op":"g\\u0065t"},"d":null}\n');
      raw.write('{"c":1,"h":{ "op":"get", "id":3 },"d":null}\n');
      const answers = await Promise.all([1, 2, 3].map((re) => raw.line((f) => (f.h as { re?: number } | undefined)?.re === re)));
      expect(answers.map((a) => a.d)).toEqual([{ revision: 0, value: 7 }, { revision: 0, value: 7 }, { revision: 0, value: 7 }]);
      // A leading zero is not JSON: the fast path must not take it either.
      raw.write('{"c":1,"h":{"id":04,"op":"get"},"d":null}\n');
      const bad = await raw.line((f) => f.t === 'error');
      expect(bad.e).toMatchObject({ code: 'ERR_PROTOCOL' });
    } finally {
      raw.socket.destroy();
      await hub.close();
      expect(await tmp.cleanup()).toEqual([]);
    }
  });
});
