import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameTooLargeError, HostbusError } from '../../src/errors.js';
import { DEFAULT_MAX_LINE, LineDecoder } from '../../src/transport/line-decoder.js';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

/** A decoder that records every line it yields. */
function collecting(maxLine?: number): { decoder: LineDecoder; lines: string[] } {
  const lines: string[] = [];
  const decoder = maxLine === undefined ? new LineDecoder((l) => lines.push(l)) : new LineDecoder((l) => lines.push(l), maxLine);
  return { decoder, lines };
}

/** Splits `data` at the given cut points (any numbers; taken modulo the length, sorted). */
function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (data.length === 0) return [data];
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(data.subarray(from, p));
    from = p;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

/** Reference model: what a decoder must yield for `data` when no line is over the limit. */
function referenceLines(data: Uint8Array): { lines: string[]; segments: number[] } {
  const lines: string[] = [];
  const segments: number[] = [];
  let from = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0x0a) continue;
    segments.push(i - from);
    let line = Buffer.from(data.subarray(from, i)).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > 0) lines.push(line);
    from = i + 1;
  }
  segments.push(data.length - from); // the incomplete tail
  return { lines, segments };
}

/** Runs `fn`, returns what it threw (fails when it does not throw). */
function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function expectTooLarge(err: unknown): void {
  expect(err).toBeInstanceOf(FrameTooLargeError);
  expect(err).toBeInstanceOf(HostbusError);
  expect((err as FrameTooLargeError).code).toBe('ERR_FRAME_TOO_LARGE');
}

describe('LineDecoder: splitting', () => {
  it('defaults maxLine to 1 MiB', () => {
    expect(DEFAULT_MAX_LINE).toBe(1024 * 1024);
    expect(new LineDecoder(() => {}).maxLine).toBe(DEFAULT_MAX_LINE);
  });

  it('yields the same lines when fed one byte at a time', () => {
    const input = bytes('alpha\nbeta\n\ngamma delta\r\n{"c":1,"d":[1,2]}\n');
    const { decoder, lines } = collecting();
    const seenBuffered: number[] = [];
    for (let i = 0; i < input.length; i++) {
      decoder.push(input.subarray(i, i + 1));
      seenBuffered.push(decoder.buffered);
    }
    expect(lines).toEqual(['alpha', 'beta', 'gamma delta', '{"c":1,"d":[1,2]}']);
    expect(decoder.buffered).toBe(0);
    // While a line is incomplete its bytes are held, one more per byte fed.
    expect(seenBuffered.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(seenBuffered[5]).toBe(0);
  });

  it('holds an incomplete line until its newline arrives', () => {
    const { decoder, lines } = collecting();
    decoder.push(bytes('abc'));
    expect(lines).toEqual([]);
    expect(decoder.buffered).toBe(3);
    decoder.push(bytes('def'));
    expect(decoder.buffered).toBe(6);
    decoder.push(bytes('\nghi'));
    expect(lines).toEqual(['abcdef']);
    expect(decoder.buffered).toBe(3);
    decoder.push(bytes('\n'));
    expect(lines).toEqual(['abcdef', 'ghi']);
    expect(decoder.buffered).toBe(0);
  });

  it('yields several lines from one chunk, in order', () => {
    const { decoder, lines } = collecting();
    decoder.push(bytes('1\n2\n3\n4\n5\n6'));
    expect(lines).toEqual(['1', '2', '3', '4', '5']);
    decoder.push(bytes('7\n'));
    expect(lines).toEqual(['1', '2', '3', '4', '5', '67']);
  });

  it('strips one trailing \\r, so \\r\\n input works', () => {
    const { decoder, lines } = collecting();
    decoder.push(bytes('one\r\ntwo\r'));
    decoder.push(bytes('\nthree\r\r\na\rb\r\n'));
    expect(lines).toEqual(['one', 'two', 'three\r', 'a\rb']);
  });

  it('skips empty lines, and lines that are only \\r', () => {
    const { decoder, lines } = collecting();
    decoder.push(bytes('\n\n\r\nx\n\n\r\n'));
    decoder.push(bytes('\n'));
    decoder.push(bytes('\r'));
    decoder.push(bytes('\ny\n'));
    expect(lines).toEqual(['x', 'y']);
  });

  it('accepts a plain Uint8Array view at an offset into a larger buffer', () => {
    const backing = new Uint8Array(32).fill(0x21); // '!'
    backing.set(bytes('hi\nthere\n'), 10);
    const view = backing.subarray(10, 19);
    const { decoder, lines } = collecting();
    decoder.push(view);
    expect(lines).toEqual(['hi', 'there']);
  });

  it('does not keep a reference to the chunk it holds a tail of', () => {
    const chunk = Buffer.from('done\npart');
    const { decoder, lines } = collecting();
    decoder.push(chunk);
    chunk.fill(0x3f); // '?': a socket may reuse its buffer
    decoder.push(bytes('ial\n'));
    expect(lines).toEqual(['done', 'partial']);
  });

  it('decodes multi-byte UTF-8 characters split across chunks at every byte offset', () => {
    const text = 'héllo 🎉\nwörld ✓ 日本\n\u{10FFFF}\n';
    const data = bytes(text);
    const expected = ['héllo 🎉', 'wörld ✓ 日本', '\u{10FFFF}'];
    for (let i = 0; i <= data.length; i++) {
      const { decoder, lines } = collecting();
      decoder.push(data.subarray(0, i));
      decoder.push(data.subarray(i));
      expect(lines, `split at ${i}`).toEqual(expected);
    }
    // Three chunks: every pair of offsets.
    for (let i = 0; i <= data.length; i++) {
      for (let j = i; j <= data.length; j++) {
        const { decoder, lines } = collecting();
        decoder.push(data.subarray(0, i));
        decoder.push(data.subarray(i, j));
        decoder.push(data.subarray(j));
        expect(lines, `split at ${i}, ${j}`).toEqual(expected);
      }
    }
  });

  it('decodes a line of only 4-byte characters fed one byte at a time', () => {
    const line = '🎉😀🚀'.repeat(20);
    const data = bytes(line + '\n');
    const { decoder, lines } = collecting();
    for (let i = 0; i < data.length; i++) decoder.push(data.subarray(i, i + 1));
    expect(lines).toEqual([line]);
  });
});

describe('LineDecoder: the maxLine limit', () => {
  const MAX = 16;

  it('accepts a line of exactly maxLine bytes, in one chunk or in pieces', () => {
    const line = 'x'.repeat(MAX);
    const { decoder, lines } = collecting(MAX);
    decoder.push(bytes(`a\n${line}\nb\n`));
    decoder.push(bytes(line.slice(0, 10)));
    decoder.push(bytes(line.slice(10)));
    expect(decoder.buffered).toBe(MAX);
    decoder.push(bytes('\n'));
    decoder.push(bytes(`${line}\n`));
    expect(lines).toEqual(['a', line, 'b', line, line]);
  });

  it('counts bytes, not characters', () => {
    const ok = 'é'.repeat(MAX / 2); // 16 bytes, 8 characters
    const { decoder, lines } = collecting(MAX);
    decoder.push(bytes(ok + '\n'));
    expect(lines).toEqual([ok]);
    expectTooLarge(thrown(() => decoder.push(bytes(ok + 'a\n')))); // 17 bytes, 9 characters
  });

  it('refuses a maxLine+1 line arriving whole in one chunk as the first line', () => {
    const { decoder, lines } = collecting(MAX);
    expectTooLarge(thrown(() => decoder.push(bytes('y'.repeat(MAX + 1) + '\nafter\n'))));
    expect(lines).toEqual([]);
    expect(decoder.buffered).toBe(0);
  });

  it('refuses a maxLine+1 line arriving whole in one chunk between other lines', () => {
    const { decoder, lines } = collecting(MAX);
    expectTooLarge(thrown(() => decoder.push(bytes(`before\n${'y'.repeat(MAX + 1)}\nafter\n`))));
    expect(lines).toEqual(['before']);
    expect(lines).not.toContain('after');
    expect(decoder.buffered).toBe(0);
  });

  it('refuses a maxLine+1 line that completes a held line', () => {
    const { decoder, lines } = collecting(MAX);
    decoder.push(bytes('ok\n' + 'z'.repeat(MAX)));
    expect(decoder.buffered).toBe(MAX);
    expectTooLarge(thrown(() => decoder.push(bytes('z\nafter\n'))));
    expect(lines).toEqual(['ok']);
  });

  it('refuses a maxLine+1 line in a long run of good lines in one chunk', () => {
    const good = Array.from({ length: 50 }, (_, i) => `line-${i}`);
    const { decoder, lines } = collecting(MAX);
    const chunk = good.join('\n') + '\n' + 'w'.repeat(MAX + 1) + '\n' + good.join('\n') + '\n';
    expectTooLarge(thrown(() => decoder.push(bytes(chunk))));
    // Whatever came out is a prefix of the good lines before the oversized one.
    expect(good.slice(0, lines.length)).toEqual(lines);
  });

  it('refuses an oversized trailing line of a chunk without waiting for its newline', () => {
    const { decoder, lines } = collecting(MAX);
    expectTooLarge(thrown(() => decoder.push(bytes('a\nb\n' + 'q'.repeat(MAX + 1)))));
    expect(lines).toEqual(['a', 'b']);
    expect(decoder.buffered).toBe(0);
  });

  it('throws as soon as the held bytes of a line without newline pass the limit', () => {
    const max = 1024;
    const piece = bytes('p'.repeat(100));
    const { decoder, lines } = collecting(max);
    let pushes = 0;
    let error: unknown;
    for (let i = 0; i < 100 && error === undefined; i++) {
      try {
        pushes++;
        decoder.push(piece);
      } catch (err) {
        error = err;
      }
      expect(decoder.buffered).toBeLessThanOrEqual(max);
    }
    expectTooLarge(error);
    // 10 pieces = 1000 bytes are fine; the 11th makes 1100 > 1024.
    expect(pushes).toBe(11);
    expect(lines).toEqual([]);
    expect(decoder.buffered).toBe(0);
  });

  it('never holds more than maxLine bytes, fed byte by byte', () => {
    const max = 64;
    const { decoder } = collecting(max);
    let i = 0;
    let error: unknown;
    for (; i < 1000; i++) {
      try {
        decoder.push(bytes('b'));
      } catch (err) {
        error = err;
        break;
      }
      expect(decoder.buffered).toBeLessThanOrEqual(max);
    }
    expectTooLarge(error);
    expect(i).toBe(max); // the (max+1)th byte is refused
  });

  it('refuses every further push after a failure, and yields nothing more', () => {
    const { decoder, lines } = collecting(MAX);
    expectTooLarge(thrown(() => decoder.push(bytes('r'.repeat(MAX + 1)))));
    expectTooLarge(thrown(() => decoder.push(bytes('ok\n'))));
    expectTooLarge(thrown(() => decoder.push(bytes('\n'))));
    expectTooLarge(thrown(() => decoder.push(new Uint8Array(0))));
    expect(lines).toEqual([]);
    expect(decoder.buffered).toBe(0);
  });

  // What is delivered before an oversized line must not depend on how the input was split.
  it('delivers the same lines before an oversized one however the input is split', () => {
    const input = bytes('a\nb\n' + 'x'.repeat(MAX + 1) + '\n');
    const byByte = collecting(MAX);
    expectTooLarge(thrown(() => { for (let i = 0; i < input.length; i++) byByte.decoder.push(input.subarray(i, i + 1)); }));
    expect(byByte.lines).toEqual(['a', 'b']);
    const whole = collecting(MAX);
    expectTooLarge(thrown(() => whole.decoder.push(input)));
    expect(whole.lines).toEqual(['a', 'b']); // fails: only ['a']
  });
});

describe('LineDecoder: properties', () => {
  // Strings without '\n' (may contain '\r'), from several unicode generators.
  const lineArb = fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      fc.string({ unit: fc.constantFrom('a', '\r', 'é', '🎉', '日', ' ', '\u{10FFFF}'), maxLength: 12 }),
    )
    .map((s) => s.replaceAll('\n', ''));
  const cutsArb = fc.array(fc.nat(), { maxLength: 30 });

  it('(a) yields exactly the non-empty lines, in order, for any split of the bytes', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 25 }), cutsArb, (input, cuts) => {
        const data = bytes(input.join('\n') + '\n');
        const { decoder, lines } = collecting();
        for (const chunk of splitAt(data, cuts)) decoder.push(chunk);
        const expected = input.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.length > 0);
        expect(lines).toEqual(expected);
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('(a2) byte-by-byte feeding gives the same lines as one chunk', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 10 }), (input) => {
        const data = bytes(input.join('\n') + '\n');
        const whole = collecting();
        whole.decoder.push(data);
        const byByte = collecting();
        for (let i = 0; i < data.length; i++) byByte.decoder.push(data.subarray(i, i + 1));
        expect(byByte.lines).toEqual(whole.lines);
      }),
      { numRuns: 200 },
    );
  });

  const MAX = 64;
  // Random bytes, with plenty of newlines so that both short and oversized lines occur.
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.array(fc.oneof(fc.constant(0x0a), fc.constant(0x0d), fc.integer({ min: 0, max: 255 })), { maxLength: 600 }).map(
      (a) => Uint8Array.from(a),
    ),
  );

  it('(b) on any bytes split anywhere, throws only FrameTooLargeError and holds at most maxLine bytes', () => {
    fc.assert(
      fc.property(bytesArb, cutsArb, (data, cuts) => {
        const { decoder, lines } = collecting(MAX);
        const { lines: reference, segments } = referenceLines(data);
        let failure: unknown;
        for (const chunk of splitAt(data, cuts)) {
          try {
            decoder.push(chunk);
          } catch (err) {
            failure = err;
            break;
          }
          expect(decoder.buffered).toBeLessThanOrEqual(MAX);
        }
        expect(decoder.buffered).toBeLessThanOrEqual(MAX);
        const oversized = segments.some((n) => n > MAX);
        if (failure !== undefined) expectTooLarge(failure);
        // It fails exactly when some line (or the incomplete tail) is over the limit.
        expect(failure !== undefined).toBe(oversized);
        if (oversized) {
          // What came out is a prefix of the lines before the first oversized one.
          expect(reference.slice(0, lines.length)).toEqual(lines);
          expectTooLarge(thrown(() => decoder.push(bytes('x\n'))));
        } else {
          expect(lines).toEqual(reference);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('(c) lines of at most maxLine random bytes always come through, whatever the split', () => {
    const shortLine = fc.uint8Array({ maxLength: MAX }).map((a) => a.map((b) => (b === 0x0a ? 0x20 : b)));
    fc.assert(
      fc.property(fc.array(shortLine, { maxLength: 20 }), cutsArb, (input, cuts) => {
        const parts: number[] = [];
        for (const l of input) parts.push(...l, 0x0a);
        const data = Uint8Array.from(parts);
        const { decoder, lines } = collecting(MAX);
        for (const chunk of splitAt(data, cuts)) decoder.push(chunk);
        expect(lines).toEqual(referenceLines(data).lines);
      }),
      { numRuns: 500 },
    );
  });
});
