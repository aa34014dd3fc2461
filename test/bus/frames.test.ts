import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeControl, encodeData, parseFrame, preview, PROTOCOL_VERSION, type Frame } from '../../src/bus/frames.js';
import { ProtocolError } from '../../src/errors.js';

type ControlFrame = Exclude<Frame, { t: 'data' }>;

/** Parses `line`, expecting a ProtocolError; returns it. */
function protocolError(line: string): ProtocolError {
  let caught: unknown;
  try {
    parseFrame(line);
  } catch (err) {
    caught = err;
  }
  expect(caught, `parseFrame(${line}) should throw`).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  expect(err.code).toBe('ERR_PROTOCOL');
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  return err;
}

describe('data frames', () => {
  it('encodes the exact wire shape', () => {
    expect(encodeData(7, '{"a":1}')).toBe('{"c":7,"d":{"a":1}}');
    expect(encodeData(1, 'null')).toBe('{"c":1,"d":null}');
  });

  it('round-trips a few payloads through encodeData/parseFrame', () => {
    for (const payload of ['null', '0', '-1.5e-7', '"x"', '"}"', '"a\\"b"', '[]', '{}', '[1,{"d":2}]', '"é🎉"']) {
      expect(parseFrame(encodeData(42, payload))).toEqual({ t: 'data', c: 42, d: payload });
    }
  });

  it('keeps the payload of a hostbus-written data frame verbatim (fast path: not parsed)', () => {
    expect(parseFrame('{"c":1,"d":{"a" : 1.50, "b":[ ]}}')).toEqual({ t: 'data', c: 1, d: '{"a" : 1.50, "b":[ ]}' });
    expect(parseFrame('{"c":123456789,"d":"\\u00e9"}')).toEqual({ t: 'data', c: 123456789, d: '"\\u00e9"' });
  });

  it('round-trips any JSON payload on any channel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.jsonValue(), (channel, value) => {
        const json = JSON.stringify(value);
        const frame = parseFrame(encodeData(channel, json));
        expect(frame).toEqual({ t: 'data', c: channel, d: json });
        if (frame.t === 'data') expect(JSON.parse(frame.d)).toEqual(JSON.parse(json));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips channel ids past the fast path (more than 9 digits) through the slow path', () => {
    const c = Number.MAX_SAFE_INTEGER;
    expect(parseFrame(encodeData(c, '[1,2]'))).toEqual({ t: 'data', c, d: '[1,2]' });
    expect(parseFrame(encodeData(1_234_567_890, '"s"'))).toEqual({ t: 'data', c: 1_234_567_890, d: '"s"' });
  });

  it('parses data frames in other spellings via the slow path, keeping d as it was written', () => {
    expect(parseFrame('{"d": 5, "c": 3}')).toEqual({ t: 'data', c: 3, d: '5' });
    expect(parseFrame('{ "c" : 3 , "d" : [ 1 , 2 ] }')).toEqual({ t: 'data', c: 3, d: '[ 1 , 2 ]' });
    expect(parseFrame('{"c": 3, "d": {"b" : "x", "a": null}}')).toEqual({ t: 'data', c: 3, d: '{"b" : "x", "a": null}' });
    expect(parseFrame('  {"c":3,"d":1}')).toEqual({ t: 'data', c: 3, d: '1' });
    expect(parseFrame('{"c":3,"d":1}  ')).toEqual({ t: 'data', c: 3, d: '1' });
    expect(parseFrame('{"d":"\\u00e9","c":9}')).toEqual({ t: 'data', c: 9, d: '"\\u00e9"' });
    expect(parseFrame('{"d":1.50,"c":9}')).toEqual({ t: 'data', c: 9, d: '1.50' });
    expect(parseFrame('{"d":null,"c":2}')).toEqual({ t: 'data', c: 2, d: 'null' });
    // The last of duplicate keys, as JSON.parse reads it; a key spelled with an escape is that key.
    expect(parseFrame('{"d":1,"c":2,"d":[3]}')).toEqual({ t: 'data', c: 2, d: '[3]' });
    expect(parseFrame('{"\\u0064":"x","c":2}')).toEqual({ t: 'data', c: 2, d: '"x"' });
    expect(parseFrame('{"e":{"d":0},"d":"s,}","c":2}')).toEqual({ t: 'data', c: 2, d: '"s,}"' });
  });

  it('reads a payload nested 10,000 levels deep in any spelling, unchanged', () => {
    // Used to fail with RangeError (Maximum call stack size exceeded) when d was re-encoded.
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    expect(parseFrame(`{"d":${deep},"c":1}`)).toEqual({ t: 'data', c: 1, d: deep });
    expect(parseFrame(`{"c":1,"d":${deep}}`)).toEqual({ t: 'data', c: 1, d: deep });
  });

  it('gives the payload JSON.parse would give, for a hand-written spelling (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (channel, value, other) => {
        const { c: _c, d: _d, t: _t, ...rest } = other;
        const spelled = JSON.stringify({ ...rest, d: value, c: channel }, null, 1);
        const f = parseFrame(spelled) as { t: string; c: number; d: string };
        expect(f.t).toBe('data');
        expect(f.c).toBe(channel);
        expect(JSON.parse(f.d)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects data frames with a bad channel id', () => {
    protocolError('{"d":1}');
    protocolError('{"d":1,"c":-1}');
    protocolError('{"c":-1,"d":1}');
    protocolError('{"d":1,"c":1.5}');
    protocolError('{"c":1.5,"d":1}');
    protocolError('{"d":1,"c":"1"}');
    protocolError('{"c":"1","d":1}');
    protocolError('{"d":1,"c":null}');
    protocolError('{"d":1,"c":0}');
    protocolError('{"d":1,"c":1e300}');
    protocolError(`{"d":1,"c":${Number.MAX_SAFE_INTEGER + 2}}`);
  });

  it('rejects truncated data frames', () => {
    protocolError('{"c":1,"d":}');
    protocolError('{"c":1,"d":1');
    protocolError('{"c":1,"d"');
    protocolError('{"c":');
    protocolError('{"c":1}');
  });

  // Both paths agree: channel ids start at 1, whatever the spelling of the frame.
  it('refuses channel 0 on the fast path as on the slow path', () => {
    protocolError('{"d":1,"c":0}');
    protocolError('{"c":0,"d":1}'); // fails: returns { t: 'data', c: 0, d: '1' }
  });
});

describe('control frames', () => {
  const e = { name: 'TimeoutError', message: 'too slow', code: 'ERR_TIMEOUT' };
  const frames: ControlFrame[] = [
    { t: 'hello', v: PROTOCOL_VERSION, role: 'client' },
    { t: 'hello', v: 1, role: 'hub', max: 1024 * 1024, name: 'worker-1' },
    { t: 'hello', v: 0, role: '' },
    { t: 'open', c: 1, k: 'queue', n: 'jobs', r: 'producer' },
    { t: 'open', c: 2, k: 'pipe', n: 'p', r: 'a', o: { maxsize: 10, nested: { x: [1, 'y'] } } },
    { t: 'opened', c: 1 },
    { t: 'opened', c: 3, i: { size: 4 } },
    { t: 'credit', c: 1, n: 1 },
    { t: 'credit', c: 5, n: 1000 },
    { t: 'ack', c: 1, r: [] },
    { t: 'ack', c: 1, r: [[1, 1]] },
    { t: 'ack', c: 9, r: [[1, 5], [7, 7], [9, 12]] },
    { t: 'end', c: 1 },
    { t: 'end', c: 2, e },
    { t: 'error', e },
    { t: 'error', c: 4, e },
    { t: 'close', c: 1 },
    { t: 'closed', c: 1 },
    { t: 'ping', n: 0 },
    { t: 'ping', n: 3 },
    { t: 'pong', n: 3 },
  ];

  it('covers every frame kind', () => {
    const kinds = new Set(frames.map((f) => f.t));
    expect([...kinds].sort()).toEqual(['ack', 'close', 'closed', 'credit', 'end', 'error', 'hello', 'open', 'opened', 'ping', 'pong']);
  });

  it.each(frames.map((f) => [JSON.stringify(f), f] as const))('round-trips %s', (_, frame) => {
    const line = encodeControl(frame);
    expect(line).not.toContain('\n');
    expect(parseFrame(line)).toEqual(frame);
  });

  it('round-trips every kind with random field values (property)', () => {
    const id = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
    const count = fc.nat();
    const text = fc.string();
    const wireErr = fc.record({ name: text, message: text, code: text });
    const obj = fc.dictionary(fc.string(), fc.jsonValue());
    const range = fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.nat(1000)).map(([a, n]) => [a, a + n] as [number, number]);
    const frameArb: fc.Arbitrary<ControlFrame> = fc.oneof(
      fc.record({ t: fc.constant('hello' as const), v: count, role: text, max: count, name: text }, { requiredKeys: ['t', 'v', 'role'] }),
      fc.record({ t: fc.constant('open' as const), c: id, k: text, n: text, r: text, o: obj }, { requiredKeys: ['t', 'c', 'k', 'n', 'r'] }),
      fc.record({ t: fc.constant('opened' as const), c: id, i: obj }, { requiredKeys: ['t', 'c'] }),
      fc.record({ t: fc.constant('credit' as const), c: id, n: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
      fc.record({ t: fc.constant('ack' as const), c: id, r: fc.array(range) }),
      fc.record({ t: fc.constant('end' as const), c: id, e: wireErr }, { requiredKeys: ['t', 'c'] }),
      fc.record({ t: fc.constant('error' as const), c: id, e: wireErr }, { requiredKeys: ['t', 'e'] }),
      fc.record({ t: fc.constantFrom('close' as const, 'closed' as const), c: id }),
      fc.record({ t: fc.constantFrom('ping' as const, 'pong' as const), n: count }),
    );
    fc.assert(
      fc.property(frameArb, (frame) => {
        const parsed = parseFrame(encodeControl(frame));
        // JSON drops the sign of -0 in option objects; compare through JSON as the peer sees them.
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(JSON.parse(JSON.stringify(frame)));
        expect(parsed.t).toBe(frame.t);
      }),
      { numRuns: 500 },
    );
  });

  it('fills a missing error name with "Error" and drops unknown fields of e', () => {
    expect(parseFrame('{"t":"error","e":{"message":"m","code":"ERR_X","extra":1}}')).toEqual({
      t: 'error',
      e: { name: 'Error', message: 'm', code: 'ERR_X' },
    });
  });
});

describe('invalid frames', () => {
  it('rejects what is not JSON', () => {
    for (const line of ['', ' ', 'hello', '{', '{"t":"ping","n":1', "{'t':'ping'}", '{"t":"ping","n":1}}', 'NaN', '{"c":1,"d":1}x']) {
      const err = protocolError(line);
      if (line.length > 0) expect(err.message).toContain('JSON');
    }
  });

  it('rejects JSON that is not an object', () => {
    for (const line of ['[]', '[{"t":"ping","n":1}]', '1', '"ping"', 'null', 'true']) {
      expect(protocolError(line).message).toMatch(/object/);
    }
  });

  it('rejects an unknown or missing frame type', () => {
    expect(protocolError('{"t":"bogus","c":1}').message).toContain('bogus');
    protocolError('{"t":"data","c":1,"d":1}');
    protocolError('{"t":1,"c":1}');
    protocolError('{"c":1}');
    protocolError('{}');
    protocolError('{"t":"__proto__"}');
    protocolError('{"t":"toString"}');
  });

  it('rejects a missing, negative, zero or non-integer channel id', () => {
    for (const c of ['', ',"c":-1', ',"c":0', ',"c":1.5', ',"c":"1"', ',"c":null', ',"c":[1]', ',"c":true']) {
      protocolError(`{"t":"close"${c}}`);
      protocolError(`{"t":"credit","n":1${c}}`);
      protocolError(`{"t":"open","k":"queue","n":"q","r":"x"${c}}`);
    }
  });

  it('rejects credit 0 and non-integer credit', () => {
    expect(protocolError('{"t":"credit","c":1,"n":0}').message).toMatch(/credit/);
    protocolError('{"t":"credit","c":1,"n":-5}');
    protocolError('{"t":"credit","c":1,"n":2.5}');
    protocolError('{"t":"credit","c":1}');
    protocolError('{"t":"credit","c":1,"n":"3"}');
  });

  it('rejects bad ack ranges', () => {
    for (const r of ['[[3,1]]', '[[0,1]]', '[[-1,2]]', '[[1,2],[5,4]]', '[[1]]', '[[1,2,3]]', '[[1.5,2]]', '[["1",2]]', '[1,2]', '[null]', '{}', '"1-2"', '3', 'null']) {
      expect(protocolError(`{"t":"ack","c":1,"r":${r}}`).message).toMatch(/range/);
    }
    protocolError('{"t":"ack","c":1}');
  });

  it('rejects an error frame without a proper e', () => {
    for (const tail of ['', ',"e":null', ',"e":"boom"', ',"e":{}', ',"e":{"message":"m"}', ',"e":{"code":"ERR_X"}', ',"e":{"message":1,"code":"ERR_X"}']) {
      expect(protocolError(`{"t":"error"${tail}}`).message).toContain('"e"');
      protocolError(`{"t":"end","c":1${tail.length > 0 ? tail : ',"e":[]'}}`);
    }
  });

  it('rejects an open frame without k, n or r, or with a non-object o', () => {
    const full = { t: 'open', c: 1, k: 'queue', n: 'jobs', r: 'consumer' };
    expect(parseFrame(JSON.stringify(full))).toEqual(full);
    for (const key of ['k', 'n', 'r'] as const) {
      const { [key]: _, ...missing } = full;
      expect(protocolError(JSON.stringify(missing)).message).toContain(`"${key}"`);
      protocolError(JSON.stringify({ ...full, [key]: 5 }));
    }
    for (const o of [[], 'x', 1, null]) protocolError(JSON.stringify({ ...full, o }));
  });

  it('rejects hello and ping frames with bad numbers', () => {
    protocolError('{"t":"hello","role":"x"}');
    protocolError('{"t":"hello","v":1}');
    protocolError('{"t":"hello","v":-1,"role":"x"}');
    protocolError('{"t":"hello","v":1,"role":"x","max":1.5}');
    protocolError('{"t":"ping"}');
    protocolError('{"t":"pong","n":-1}');
  });

  it('shows a short preview of a long bad line in the message', () => {
    const long = 'x'.repeat(10_000);
    const err = protocolError(long);
    expect(err.message.length).toBeLessThan(200);
    expect(preview(long).endsWith('...')).toBe(true);
    expect(preview('short')).toBe('"short"');
  });

  it('returns a frame or throws ProtocolError on any string, never another error (property)', () => {
    const keys = fc.constantFrom('t', 'c', 'd', 'e', 'n', 'r', 'k', 'o', 'i', 'v', 'role', 'max', 'name', '__proto__');
    const kinds = fc.constantFrom('hello', 'open', 'opened', 'credit', 'ack', 'end', 'error', 'close', 'closed', 'ping', 'pong', 'data');
    const value = fc.oneof(kinds, fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: -2, max: 3 }));
    const frameLike = fc.dictionary(keys, value).map((o) => JSON.stringify(o));
    const fastPathLike = fc.tuple(fc.string({ unit: fc.constantFrom('0', '1', '9', 'a', '-') }), fc.string()).map(([c, d]) => `{"c":${c},"d":${d}}`);
    const line = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json(), frameLike, fastPathLike);
    fc.assert(
      fc.property(line, (s) => {
        let frame: Frame;
        try {
          frame = parseFrame(s);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          return;
        }
        expect(typeof frame.t).toBe('string');
      }),
      { numRuns: 3000 },
    );
  });
});
