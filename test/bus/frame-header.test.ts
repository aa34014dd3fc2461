/**
 * Data frames with a header (`{"c":ID,"h":HEADER,"d":PAYLOAD}`), and the fast path that reads only
 * lines it can read whole: everything else goes through the full parser.
 */
import fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../raw-client.js';
import { encodeData, parseFrame, parseFullFrame } from '../../src/bus/frames.js';
import { Hub, type HubOptions } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { perTestSockets, tempDir } from '../helpers.js';
import { rejection, roundTrip } from '../transports.js';

describe('parsing headers', () => {
  it('slices header and payload out of hostbus\'s spelling, unparsed', () => {
    expect(parseFrame('{"c":3,"h":{"id":1,"op":"get"},"d":[1,2]}')).toEqual({ t: 'data', c: 3, h: '{"id":1,"op":"get"}', d: '[1,2]' });
    expect(parseFrame('{"c":3,"h":"s,\\"d\\":1","d":null}')).toEqual({ t: 'data', c: 3, h: '"s,\\"d\\":1"', d: 'null' });
  });

  it('reads other spellings, and headers that are not JSON, with the full parser', () => {
    expect(parseFrame('{"h": {"id": 2}, "d": 5, "c": 4}')).toEqual({ t: 'data', c: 4, h: '{"id": 2}', d: '5' });
    expect(() => parseFrame('{"c":3,"h":{oops},"d":1}')).toThrow(/invalid JSON in frame/);
  });

  it('round-trips any header and payload (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.jsonValue(), fc.jsonValue(), (c, h, d) => {
      const f = parseFrame(encodeData(c, JSON.stringify(d), JSON.stringify(h))) as { c: number; h: string; d: string };
      expect(f.c).toBe(c);
      expect(JSON.parse(f.h)).toEqual(JSON.parse(JSON.stringify(h)));
      expect(JSON.parse(f.d)).toEqual(JSON.parse(JSON.stringify(d)));
    }), { numRuns: 500 });
  });

  it('{"c":1,"d":5,"r":7}: the fast path takes "5,\\"r\\":7" unread; the full parser reads the payload 5', () => {
    expect(parseFrame('{"c":1,"d":5,"r":7}')).toEqual({ t: 'data', c: 1, d: '5,"r":7' });
    expect(parseFullFrame('{"c":1,"d":5,"r":7}')).toEqual({ t: 'data', c: 1, d: '5' });
  });
});

describe('the hub and {"c":1,"d":5,"r":7}', { timeout: 10_000 }, () => {
  const tmp = perTestSockets();

  async function setup(options: HubOptions, hello: string) {
    const hub = await Hub.listen(tmp.sock('hub'), options);
    tmp.defer(() => hub.close());
    const good = await connect(tmp.sock('hub'));
    tmp.defer(() => good.destroy());
    const got = firstValueFrom(good.queue<unknown>('q').recv());
    await roundTrip(good);
    const raw = await RawClient.open(tmp.sock('hub'));
    tmp.defer(() => raw.socket.destroy());
    raw.write(hello + '\n{"t":"open","c":1,"k":"queue","n":"q","r":"put"}\n');
    await raw.line((f) => f.t === 'credit');
    raw.write('{"c":1,"d":5,"r":7}\n');
    return got;
  }

  it('from a peer that does not vouch for its payloads, the item is 5', async () => {
    expect(await setup({}, '{"t":"hello","v":1,"role":"client"}')).toBe(5);
  });

  it('from a peer that vouches, on a hub that does not believe it (trustChecked: false), the item is 5', async () => {
    expect(await setup({ trustChecked: false }, '{"t":"hello","v":1,"role":"client","checked":true}')).toBe(5);
  });

  it('from a peer that vouches and lies, on a hub that believes it, the consumer drops it with ERR_PROTOCOL', async () => {
    const err = await rejection(setup({}, '{"t":"hello","v":1,"role":"client","checked":true}'));
    expect(err).toMatchObject({ code: 'ERR_PROTOCOL', message: expect.stringMatching(/not valid JSON/) });
  });
});

describe('headers cross a relayed pipe untouched', { timeout: 10_000 }, () => {
  it('the other end gets the same header and payload', async () => {
    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'));
    const [a, b] = [await RawClient.open(tmp.sock('hub')), await RawClient.open(tmp.sock('hub'))];
    try {
      for (const [raw, c] of [[a, 1], [b, 9]] as const) {
        raw.write(`{"t":"hello","v":1,"role":"client"}\n{"t":"open","c":${c},"k":"pipe","n":"p","r":"end"}\n`);
        await raw.line((f) => f.t === 'opened');
      }
      b.write('{"t":"credit","c":9,"n":1}\n');
      await a.line((f) => f.t === 'credit');
      a.write('{"c":1,"h":{"re":7,"op":"x"},"d":{"v":[1]}}\n');
      expect(await b.line((f) => f.d !== undefined)).toEqual({ c: 9, h: { re: 7, op: 'x' }, d: { v: [1] } });
      expect(b.lines).toContain('{"c":9,"h":{"re":7,"op":"x"},"d":{"v":[1]}}');
    } finally {
      a.socket.destroy();
      b.socket.destroy();
      await hub.close();
      expect(await tmp.cleanup()).toEqual([]);
    }
  });
});
