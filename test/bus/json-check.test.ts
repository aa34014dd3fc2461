import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonText } from '../../src/bus/json-check.js';

const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

describe('isJsonText agrees with JSON.parse', () => {
  it('on hand-picked texts', () => {
    const texts = [
      '0', '-0', '1.5e+10', '-1E-2', '01', '1.', '.5', '-', '1e', '+1', 'true', 'tru', 'nul', 'null ', ' null',
      '""', '"\\u00e9\\n"', '"\\x"', '"\\u12G4"', '"a\tb"', '"unterminated', '[]', '[1,]', '[,1]', '[1 2]', '{}',
      '{"a":1}', '{"a":1,}', '{"a" 1}', '{a:1}', '{"a":[{"b":null}],"c":"d"}', '[[[[[]]]]]', '[[[[[]]]]', '{"a":1}}',
      '{"id":123,"name":"item-123","ok":true,"t":1700000000000}', '', ' ', '1 2', '"\u2028"', '"\ud800"', '[1]x',
    ];
    for (const t of texts) expect(isJsonText(t), t).toBe(parses(t));
  });

  it('on every JSON text (property)', () => {
    fc.assert(fc.property(fc.json(), (t) => isJsonText(t)), { numRuns: 2000 });
  });

  it('on any string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (t) => isJsonText(t) === parses(t)), { numRuns: 5000 });
  });

  it('on JSON texts with one character changed, dropped or added (property)', () => {
    const edit = fc.tuple(fc.json(), fc.nat(), fc.constantFrom(...'{}[],:"\\ 0123456789.eE+-tfnula'.split('')), fc.constantFrom('set', 'drop', 'add'));
    fc.assert(fc.property(edit, ([t, at, ch, how]) => {
      const k = t.length === 0 ? 0 : at % t.length;
      const s = how === 'set' ? t.slice(0, k) + ch + t.slice(k + 1) : how === 'drop' ? t.slice(0, k) + t.slice(k + 1) : t.slice(0, k) + ch + t.slice(k);
      return isJsonText(s) === parses(s);
    }), { numRuns: 10000 });
  });

  it('deep nesting', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(isJsonText(deep)).toBe(true);
    expect(isJsonText(deep.slice(0, -1))).toBe(false);
  });
});
