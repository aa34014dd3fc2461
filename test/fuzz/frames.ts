/**
 * fast-check arbitraries for the frames of docs/protocol.md, for the fuzz suite (fuzz.test.ts).
 *
 * A generated line is a small description ({@link Line}), not its bytes: a 60 KiB string is
 * `{"$rep":"x","n":61000}`, a string that makes the whole line `maxLine - 8` bytes long is
 * `{"$fill":"x","slack":8}`, 5,000 nested arrays are `{"$deep":5000}`, an ack of 20,000 ranges is
 * `{"$ranges":20000}`. So a counterexample stays readable, shrinks well, and {@link materialize}
 * turns it into the exact bytes deterministically. Objects are ordered entry lists
 * (`{"$obj":[["t","ping"],["n",1]]}`), so that key order (the canonical `{"c":N,"d":...}` spelling
 * against `{"d":...,"c":N}`), duplicate keys and keys such as `__proto__` are all expressible.
 *
 * Three families:
 * - {@link validFrame}: a well-formed frame of every kind (hello, open of queue/pipe with roles
 *   put/get/end and options, data in several spellings, credit, ack, end with and without an
 *   error, close, closed, error with and without a channel, ping, pong, opened);
 * - {@link mutatedLine}: a valid frame with one mutation (a field removed, a wrong type, huge,
 *   negative or fractional numbers, strings close to maxLine, deep nesting, `constructor`,
 *   `__proto__`, `toString` as kind or name or type) and byte-level damage (invalid UTF-8, a
 *   `\r\n` end, garbage bytes, a line cut at a random byte, no newline at all);
 * - hostile, amplifying patterns are built from these in scenarios.ts.
 *
 * Whether a line is valid is not decided here: the oracle (oracle.ts) reads the bytes as the hub
 * does, so that a mutation that happens to leave a valid frame is judged as one.
 */
import fc from 'fast-check';

/** The hub's maxLine in the fuzz suite: small, so that the limits are reached fast. */
export const MAX_LINE = 64 * 1024;

/** `s` repeated `n` times, as (the inside of) a JSON string. */
export interface Rep { $rep: string; n: number }
/** A string of `s` repeated so that the whole line is `maxLine - slack` bytes long (one per line). */
export interface Fill { $fill: string; slack: number }
/** `n` nested arrays: `[[[...]]]`. */
export interface Deep { $deep: number }
/** An ack's list of `n` ranges `[k,k]` from `from` up (or down, with `rev`). */
export interface Ranges { $ranges: number; from?: number; rev?: boolean }
/** JSON text written as is (`9e15`, `1e400`, `-0`, or something that is not JSON at all). */
export interface Raw { $raw: string }
/** An object, its keys in this order; duplicates and `__proto__` allowed. */
export interface Obj { $obj: [string, Val][] }
export type Val = null | boolean | number | string | Rep | Fill | Deep | Ranges | Raw | Obj | Val[];

/** Damage done to a line's bytes, in order. */
export type ByteMut =
  /** Keeps the first `cut` fraction of the bytes (a line cut at a random byte). */
  | { cut: number }
  /** Inserts these bytes at fraction `at` of the line (invalid UTF-8, a stray newline...). */
  | { insert: number[]; at: number }
  /** The line is these bytes instead. */
  | { garbage: number[] };

/** One line as sent: a value (usually a frame object), how it is spelled, damage, its end. */
export interface Line {
  v: Val;
  /** A space after each `:` and `,` (a spelling hostbus never writes). */
  spaced?: boolean;
  mut?: ByteMut[];
  /** Default `lf`; `none` leaves the line unterminated (it runs into the next one). */
  eol?: 'lf' | 'crlf' | 'none';
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** An object from entries. */
export function obj(...entries: [string, Val][]): Obj {
  return { $obj: entries };
}

function isObj(v: Val): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && '$obj' in v;
}

/** The JSON text of `v`; a `$fill` is written as `fill` (the caller sizes it). */
export function encode(v: Val, spaced = false, fill = ''): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map((x) => encode(x, spaced, fill)).join(spaced ? ', ' : ',') + ']';
  if ('$rep' in v) return '"' + JSON.stringify(v.$rep).slice(1, -1).repeat(Math.max(0, v.n)) + '"';
  if ('$fill' in v) return '"' + fill + '"';
  if ('$deep' in v) return '['.repeat(v.$deep) + ']'.repeat(v.$deep);
  if ('$raw' in v) return v.$raw;
  if ('$ranges' in v) {
    const from = v.from ?? 1;
    const parts: string[] = [];
    for (let k = 0; k < v.$ranges; k++) {
      const seq = v.rev ? from + v.$ranges - 1 - k : from + k;
      parts.push(`[${seq},${seq}]`);
    }
    return '[' + parts.join(',') + ']';
  }
  const sep = spaced ? ': ' : ':';
  return '{' + v.$obj.map(([k, x]) => JSON.stringify(k) + sep + encode(x, spaced, fill)).join(spaced ? ', ' : ',') + '}';
}

function findFill(v: Val): Fill | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const f = findFill(x);
      if (f) return f;
    }
    return undefined;
  }
  if ('$fill' in v) return v;
  if (isObj(v)) {
    for (const [, x] of v.$obj) {
      const f = findFill(x);
      if (f) return f;
    }
  }
  return undefined;
}

/** The bytes of `line`, newline included (if it has one). Deterministic. */
export function materialize(line: Line, maxLine = MAX_LINE): Buffer {
  const fill = findFill(line.v);
  let text: string;
  if (fill) {
    const bare = Buffer.byteLength(encode(line.v, line.spaced, ''));
    const unit = JSON.stringify(fill.$fill).slice(1, -1) || 'x';
    const room = Math.max(0, maxLine - fill.slack - bare);
    const count = Math.floor(room / Buffer.byteLength(unit));
    text = encode(line.v, line.spaced, unit.repeat(count));
  } else {
    text = encode(line.v, line.spaced);
  }
  let bytes = Buffer.from(text, 'utf8');
  for (const m of line.mut ?? []) {
    if ('cut' in m) bytes = bytes.subarray(0, Math.floor(bytes.length * m.cut));
    else if ('insert' in m) {
      const at = Math.floor(bytes.length * m.at);
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.insert), bytes.subarray(at)]);
    } else bytes = Buffer.from(m.garbage);
  }
  const eol = line.eol === 'none' ? '' : line.eol === 'crlf' ? '\r\n' : '\n';
  return Buffer.concat([bytes, Buffer.from(eol)]);
}

/** `line` for a report: its bytes as text, long runs of one character shortened. */
export function show(bytes: Buffer, max = 400): string {
  let s = JSON.stringify(bytes.toString('latin1').replace(/[\x80-\xff]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16)}`));
  s = s.slice(1, -1).replace(/(.)\1{15,}/g, (run, ch: string) => `${ch}…×${run.length}…`);
  s = s.replace(/((?:\[\d+,\d+\],){8,})/g, (run) => `[[k,k],…×${run.split('],').length - 1}…],`);
  return s.length > max ? s.slice(0, max) + `… (${bytes.length} bytes)` : s;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/** Channel ids: small, the largest the fast path reads (9 digits), and around 2^53. */
export const channelId: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 2, arbitrary: fc.integer({ min: 41, max: 100_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(999_999_999, 1_000_000_000, 123_456_789) },
  { weight: 1, arbitrary: fc.integer({ min: 2 ** 53 - 16, max: 2 ** 53 - 1 }) },
);

/** Names the hostile sessions use (never the well-behaved client's, which all start with `good-`). */
export const name: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'jobs', 'p1', 'p2') },
  { weight: 2, arbitrary: fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf') },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(256), 'y'.repeat(257), 'é\u0000\ud800', '\u{1F600}'.repeat(129)) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith('good-')) },
);

/** A JS JSON value as a {@link Val} (objects keep their key order). */
export function toVal(x: unknown): Val {
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (Array.isArray(x)) return x.map(toVal);
  return { $obj: Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, toVal(v)] as [string, Val]) };
}

/** Payloads: small JSON values, strings around the payload bound (maxLine - 32), deep arrays. */
export const payload: fc.Arbitrary<Val> = fc.oneof(
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(toVal) },
  { weight: 1, arbitrary: fc.integer({ min: -40, max: 8 }).map((d): Val => ({ $rep: 'x', n: MAX_LINE - 32 - 2 + d })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n): Val => ({ $rep: 'ü', n })) },
  { weight: 1, arbitrary: fc.constantFrom<Val>({ $deep: 100 }, { $deep: 6000 }, { $deep: 30000 }) },
);

/** An error as frames carry it: `{name, message, code}`; the message may fill the line. */
export const wireError: fc.Arbitrary<Obj> = fc.record({
  name: fc.constantFrom('Error', 'TypeError', 'RemoteError', 'ProtocolError', 'constructor'),
  message: fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 40 }) as fc.Arbitrary<Val> },
    { weight: 1, arbitrary: fc.integer({ min: -4, max: 200 }).map((slack): Val => ({ $fill: 'm', slack })) },
  ),
  code: fc.constantFrom('ERR_REMOTE', 'ERR_PROTOCOL', 'ERR_ENDED', 'ERR_NOT_A_CODE', 'toString', '__proto__'),
  withName: fc.boolean(),
}).map(({ name: n, message, code, withName }) =>
  withName ? obj(['name', n], ['message', message], ['code', code]) : obj(['message', message], ['code', code]));

/** Ack ranges: a few valid ones, or tens of thousands that fill most of a line. */
export const ackRanges: fc.Arbitrary<Val> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 8 })), { minLength: 1, maxLength: 4 })
    .map((rs): Val => rs.map(([from, w]) => [from, from + w])) },
  { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 1000, max: 10_500 }), from: fc.constantFrom(1, 100, 2 ** 53 - 20_000), rev: fc.boolean() })
    .map(({ n, from, rev }): Val => ({ $ranges: n, from, rev })) },
  { weight: 1, arbitrary: fc.constantFrom<Val>([[1, 2 ** 53 - 1]], [[2 ** 53 - 1, 2 ** 53 - 1]], []) },
);

/** Credit grants: batches, the most a channel may have outstanding (2^30), and past it (2^53-1: twice of it is not a safe integer). */
export const creditN: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 2048 }) },
  { weight: 2, arbitrary: fc.constantFrom(2 ** 30, 2 ** 30 - 1) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, 9e15, 2 ** 30 + 1) },
);

// ---------------------------------------------------------------------------------------------
// Valid frames

export function hello(opts: { role?: string; checked?: boolean; max?: number; name?: string } = {}): Obj {
  const e: [string, Val][] = [['t', 'hello'], ['v', 1], ['role', opts.role ?? 'client']];
  if (opts.max !== undefined) e.push(['max', opts.max]);
  if (opts.name !== undefined) e.push(['name', opts.name]);
  if (opts.checked) e.push(['checked', true]);
  return { $obj: e };
}

export const helloFrame: fc.Arbitrary<Obj> = fc.record({
  role: fc.constantFrom('client', 'client', 'peer', 'hub'),
  checked: fc.boolean(),
  max: fc.option(fc.constantFrom(1, MAX_LINE, 2 ** 53 - 1), { nil: undefined }),
  name: fc.option(fc.constantFrom('fuzz', 'constructor'), { nil: undefined }),
}).map((o) => hello(o));

export const openQueue = (c: number, n: string, r: 'put' | 'get', o?: Obj): Obj =>
  o ? obj(['t', 'open'], ['c', c], ['k', 'queue'], ['n', n], ['r', r], ['o', o]) : obj(['t', 'open'], ['c', c], ['k', 'queue'], ['n', n], ['r', r]);
export const openPipe = (c: number, n: string, o?: Obj): Obj =>
  o ? obj(['t', 'open'], ['c', c], ['k', 'pipe'], ['n', n], ['r', 'end'], ['o', o]) : obj(['t', 'open'], ['c', c], ['k', 'pipe'], ['n', n], ['r', 'end']);
/** A data frame, in the canonical spelling `{"c":N,"d":...}` unless `reordered`. */
export const data = (c: number, d: Val, reordered = false): Obj => (reordered ? obj(['d', d], ['c', c]) : obj(['c', c], ['d', d]));
export const credit = (c: number, n: number): Obj => obj(['t', 'credit'], ['c', c], ['n', n]);
export const ack = (c: number, r: Val): Obj => obj(['t', 'ack'], ['c', c], ['r', r]);
export const end = (c: number, e?: Obj): Obj => (e ? obj(['t', 'end'], ['c', c], ['e', e]) : obj(['t', 'end'], ['c', c]));
export const close = (c: number): Obj => obj(['t', 'close'], ['c', c]);
export const closed = (c: number): Obj => obj(['t', 'closed'], ['c', c]);
export const channelError = (c: number, e: Obj): Obj => obj(['t', 'error'], ['c', c], ['e', e]);
export const sessionError = (e: Obj): Obj => obj(['t', 'error'], ['e', e]);
export const ping = (n: number): Obj => obj(['t', 'ping'], ['n', n]);

/** Option values of the wrong type or range. */
const weirdOption: fc.Arbitrary<Val> = fc.constantFrom<Val>(0, -1, 1.5, 2 ** 53, '10', null, [], obj(), { $deep: 5000 }, { $raw: '1e400' });

export const queueOptions: fc.Arbitrary<Obj | undefined> = fc.option(
  fc.record({
    maxsize: fc.option(fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Val>(1, 2, 4, 100, 10_000) }, { weight: 1, arbitrary: weirdOption }), { nil: undefined }),
    producers: fc.option(fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Val>(1, 2, 3) }, { weight: 1, arbitrary: weirdOption }), { nil: undefined }),
  })
    .map(({ maxsize, producers }) => {
      const e: [string, Val][] = [];
      if (maxsize !== undefined) e.push(['maxsize', maxsize]);
      if (producers !== undefined) e.push(['producers', producers]);
      return { $obj: e };
    }),
  { nil: undefined, freq: 2 },
);

/** A well-formed frame of any kind (what it means depends on the session's state). */
export function validFrame(c: fc.Arbitrary<number> = channelId): fc.Arbitrary<Obj> {
  return fc.oneof(
    { weight: 1, arbitrary: helloFrame },
    { weight: 4, arbitrary: fc.tuple(c, name, fc.constantFrom<'put' | 'get'>('put', 'get'), queueOptions).map(([id, n, r, o]) => openQueue(id, n, r, o)) },
    { weight: 3, arbitrary: fc.tuple(c, name, fc.option(fc.constantFrom<Val>('\u0000hostbus-fuzz', '/nonexistent/x.sock', '', 1, { $deep: 5000 }, { $rep: 'd', n: 2000 }), { nil: undefined, freq: 6 }))
      .map(([id, n, direct]) => openPipe(id, n, direct === undefined ? undefined : obj(['direct', direct]))) },
    { weight: 4, arbitrary: fc.tuple(c, payload, fc.boolean()).map(([id, d, re]) => data(id, d, re)) },
    { weight: 3, arbitrary: fc.tuple(c, creditN).map(([id, n]) => credit(id, n)) },
    { weight: 2, arbitrary: fc.tuple(c, ackRanges).map(([id, r]) => ack(id, r)) },
    { weight: 2, arbitrary: fc.tuple(c, fc.option(wireError, { nil: undefined })).map(([id, e]) => end(id, e)) },
    { weight: 1, arbitrary: c.map(close) },
    { weight: 1, arbitrary: c.map(closed) },
    { weight: 1, arbitrary: fc.tuple(c, wireError).map(([id, e]) => channelError(id, e)) },
    { weight: 1, arbitrary: wireError.map(sessionError) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 31 }).map(ping) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 31 }).map((n) => obj(['t', 'pong'], ['n', n])) },
    { weight: 1, arbitrary: c.map((id) => obj(['t', 'opened'], ['c', id], ['i', obj()])) },
  );
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Values of the wrong type or size for any field. */
export const weird: fc.Arbitrary<Val> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<Val>(
    2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 9e15, -1, 0, 1.5, -0.5, 1e21,
    { $raw: '9e15' }, { $raw: '1e400' }, { $raw: '-0' }, { $raw: '1E0' }, { $raw: '0x10' }, { $raw: '01' }, { $raw: 'NaN' },
  ) },
  { weight: 3, arbitrary: fc.constantFrom<Val>(null, true, false, '', '1', 'constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', [], [1, 2], obj(), obj(['__proto__', obj(['n', 1])])) },
  { weight: 1, arbitrary: fc.integer({ min: -4, max: 64 }).map((slack): Val => ({ $fill: 'z', slack })) },
  { weight: 1, arbitrary: fc.constantFrom<Val>({ $deep: 5000 }, { $deep: 30_000 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

const fieldNames = ['t', 'c', 'd', 'n', 'r', 'e', 'k', 'o', 'v', 'role', 'i', 'checked', 'max', '__proto__', 'constructor'];

/** One change to a frame object. */
export type FieldMut =
  | { drop: number }
  | { set: number; to: Val }
  | { add: string; to: Val }
  | { type: Val };

export const fieldMut: fc.Arbitrary<FieldMut> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(8).map((i): FieldMut => ({ drop: i })) },
  { weight: 4, arbitrary: fc.tuple(fc.nat(8), weird).map(([i, to]): FieldMut => ({ set: i, to })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...fieldNames), weird).map(([add, to]): FieldMut => ({ add, to })) },
  { weight: 2, arbitrary: fc.constantFrom<Val>('data', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'HELLO', 'Open', '', 1, null, [])
    .map((type): FieldMut => ({ type })) },
);

/** `frame` with `m` applied (the index of a field wraps around its entries). */
export function applyFieldMut(frame: Obj, m: FieldMut): Obj {
  const e = frame.$obj.slice();
  if ('drop' in m) {
    if (e.length > 0) e.splice(m.drop % e.length, 1);
  } else if ('set' in m) {
    if (e.length > 0) {
      const i = m.set % e.length;
      e[i] = [e[i]![0], m.to];
    }
  } else if ('add' in m) {
    e.push([m.add, m.to]);
  } else {
    const i = e.findIndex(([k]) => k === 't');
    if (i >= 0) e[i] = ['t', m.type];
    else e.unshift(['t', m.type]);
  }
  return { $obj: e };
}

/** Byte sequences that are not UTF-8 (and one that is: a newline in the middle of a line). */
export const invalidUtf8: fc.Arbitrary<number[]> = fc.constantFrom(
  [0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0x00], [0x0d], [0x0a],
);

export const byteMut: fc.Arbitrary<ByteMut> = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((cut): ByteMut => ({ cut })) },
  { weight: 3, arbitrary: fc.tuple(invalidUtf8, fc.double({ min: 0, max: 1, noNaN: true })).map(([insert, at]): ByteMut => ({ insert, at })) },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 48 }).map((garbage): ByteMut => ({ garbage })) },
);

/** A line that is a valid frame. */
export function validLine(c: fc.Arbitrary<number> = channelId): fc.Arbitrary<Line> {
  return fc.tuple(validFrame(c), fc.boolean(), fc.constantFrom<'lf' | 'crlf'>('lf', 'lf', 'lf', 'crlf'))
    .map(([v, spaced, eol]): Line => ({ v, ...(spaced ? { spaced } : {}), ...(eol === 'crlf' ? { eol } : {}) }));
}

/** A line damaged at the frame level, at the byte level, or both. */
export function mutatedLine(c: fc.Arbitrary<number> = channelId): fc.Arbitrary<Line> {
  return fc.tuple(
    validFrame(c),
    fc.array(fieldMut, { maxLength: 2 }),
    fc.array(byteMut, { maxLength: 2 }),
    fc.constantFrom<'lf' | 'crlf' | 'none'>('lf', 'lf', 'lf', 'crlf', 'none'),
    fc.boolean(),
  ).filter(([, fm, bm]) => fm.length + bm.length > 0)
    .map(([frame, fm, bm, eol, spaced]): Line => {
      const v = fm.reduce(applyFieldMut, frame);
      const line: Line = { v };
      if (spaced) line.spaced = true;
      if (bm.length > 0) line.mut = bm;
      if (eol !== 'lf') line.eol = eol;
      return line;
    });
}

/** Lines that are not frames at all: JSON that is not an object, bare garbage, over maxLine. */
export const junkLine: fc.Arbitrary<Line> = fc.oneof(
  fc.constantFrom<Line>(
    { v: [1, 2, 3] }, { v: 'hello' }, { v: null }, { v: { $raw: 'this is not json' } }, { v: { $raw: '' } , eol: 'crlf' },
    { v: { $raw: '\r' } }, { v: obj(['t', 'ping'], ['n', 1]), eol: 'none' },
    { v: { $rep: 'x', n: MAX_LINE } }, { v: obj(['c', 1], ['d', { $fill: 'x', slack: -1 }]) }, { v: obj(['c', 1], ['d', { $fill: 'x', slack: 0 }]) },
    { v: obj(['t', 'ping'], ['n', 1], ['pad', { $fill: 'p', slack: -1 }]), eol: 'crlf' },
    { v: obj(['t', 'ping'], ['n', 1], ['pad', { $fill: 'p', slack: 0 }]), eol: 'crlf' },
    { v: { $raw: '{"c":1,"d":1,"t":"end"}' } }, { v: { $raw: '{"c":1,"d":nonsense}' } }, { v: { $raw: '{"c":01,"d":1}' } },
    { v: { $raw: '{"c":1,"d":}' } }, { v: { $raw: '{"c":1,"d":1}}' } }, { v: { $raw: '{"c":1,"d":"\\ud800"}' } },
  ),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }).map((g): Line => ({ v: '', mut: [{ garbage: g }] })),
);

/** Any line: mostly valid frames, then mutants and junk. */
export function anyLine(c: fc.Arbitrary<number> = channelId): fc.Arbitrary<Line> {
  return fc.oneof(
    { weight: 5, arbitrary: validLine(c) },
    { weight: 3, arbitrary: mutatedLine(c) },
    { weight: 1, arbitrary: junkLine },
  );
}
