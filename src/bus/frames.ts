import { Buffer } from 'node:buffer';
import { ProtocolError, type WireError } from '../errors.js';
import { isJsonText } from './json-check.js';
import { memberSpan, valueEnd } from './json-span.js';

/** Protocol version spoken by this implementation (sent in `hello`). */
export const PROTOCOL_VERSION = 1;

/** Inclusive range of data-frame sequence numbers, `[from, to]`. */
export type SeqRange = [number, number];

/**
 * A parsed frame. Data frames are `{"c":ID,"d":PAYLOAD}`, or `{"c":ID,"h":HEADER,"d":PAYLOAD}`
 * with a header (a reply id, an operation, a subject), payload and header kept as raw JSON text so
 * a relay can forward them without parsing them. Every other frame has a `t` naming its kind.
 * docs/protocol.md describes each one.
 */
export type Frame =
  | { t: 'data'; c: number; d: string; h?: string }
  | { t: 'hello'; v: number; role: string; max?: number; name?: string; checked?: boolean }
  | { t: 'open'; c: number; k: string; n: string; r: string; o?: Record<string, unknown> }
  | { t: 'opened'; c: number; i?: Record<string, unknown> }
  | { t: 'credit'; c: number; n: number }
  | { t: 'ack'; c: number; r: SeqRange[] }
  | { t: 'end'; c: number; e?: WireError }
  | { t: 'error'; c?: number; e: WireError }
  | { t: 'close'; c: number }
  | { t: 'closed'; c: number }
  | { t: 'ping'; n: number }
  | { t: 'pong'; n: number };

/** Encodes a data frame around an already-encoded JSON payload (and header). */
export function encodeData(channel: number, payloadJson: string, headerJson?: string): string {
  return headerJson === undefined ? dataHeader(channel) + payloadJson + '}' : `{"c":${channel},"h":${headerJson},"d":${payloadJson}}`;
}

/** What a data frame of `channel` starts with: `{"c":ID,"d":` (a port keeps its own). */
export function dataHeader(channel: number): string {
  return '{"c":' + channel + ',"d":';
}

/** Encodes any frame but data. */
export function encodeControl(frame: Exclude<Frame, { t: 'data' }>): string {
  return JSON.stringify(frame);
}

/** Longest error message a frame carries, in characters (longer ones are cut, ending in `...`). */
export const MAX_ERROR_MESSAGE = 1024;
/** Longest error name or code a frame carries, in characters. */
const MAX_ERROR_NAME = 64;

/**
 * Encodes an `error` or `end` frame so that it fits `maxLine` bytes: the error's name and code are
 * cut to 64 characters and its message to {@link MAX_ERROR_MESSAGE}, then to what the line has
 * room for (a character of a JSON string takes at most 6 bytes, as `\u0000`). The error comes from
 * a peer as often as not (a relayed `end`, a pipe's `ERR_PEER_GONE` quoting it), so its size is
 * never trusted. Returns undefined when not even the frame with an empty message fits.
 */
export function encodeFailure(frame: Extract<Frame, { t: 'error' | 'end' }>, maxLine: number): string | undefined {
  const e = frame.e;
  if (!e) return encodeControl(frame);
  const name = cut(e.name, MAX_ERROR_NAME);
  const code = cut(e.code, MAX_ERROR_NAME);
  const line = encodeControl({ ...frame, e: { name, message: cut(e.message, MAX_ERROR_MESSAGE), code } });
  if (fits(line, maxLine)) return line;
  const bare = encodeControl({ ...frame, e: { name, message: '', code } });
  if (!fits(bare, maxLine)) return undefined;
  const room = Math.floor((maxLine - Buffer.byteLength(bare, 'utf8')) / 6);
  return encodeControl({ ...frame, e: { name, message: cut(e.message, room), code } });
}

function fits(line: string, maxLine: number): boolean {
  return line.length * 3 <= maxLine || Buffer.byteLength(line, 'utf8') <= maxLine;
}

/** `s` cut to at most `n` characters, ending in `...` when cut, never inside a surrogate pair. */
function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  if (n < 3) return '';
  let end = n - 3;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end) + '...';
}

const DATA_PREFIX = '{"c":';

/**
 * Parses one line into a frame. Data frames in hostbus's spelling take a fast path that reads only
 * the channel id (and header) and slices the payload out unparsed (see {@link parseFullFrame} for
 * what it does not check); anything else is parsed as JSON and checked field by field. Throws
 * {@link ProtocolError} on anything that is not a valid frame.
 */
export function parseFrame(line: string): Frame {
  return sliceData(line) ?? parseFullFrame(line);
}

/**
 * Parses one line as JSON and checks it field by field. The fast path takes the rest of a line
 * after `"d":` as the payload without reading it: a payload that is not one JSON value there
 * (`{"c":1,"d":5,"r":7}`) is read here instead, as JSON reads the whole line.
 */
export function parseFullFrame(line: string): Frame {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ProtocolError(`invalid JSON in frame: ${preview(line)}`);
  }
  return checkFrame(raw, line);
}

/**
 * `{"c":123,"d":...}` or `{"c":123,"h":HEADER,"d":...}` → data frame, or undefined when the line is
 * not in that exact shape (or its header is not JSON).
 */
function sliceData(line: string): Frame | undefined {
  const c = dataChannel(line);
  if (c !== 0) return { t: 'data', c, d: dataPayload(line, c) };
  const at = DATA_PREFIX.length + idDigits(line);
  if (at === DATA_PREFIX.length || !line.startsWith(',"h":', at) || line.charCodeAt(line.length - 1) !== 125) return undefined;
  const start = at + 5;
  const end = valueEnd(line, start);
  if (end >= line.length - 1 || !line.startsWith(',"d":', end) || end + 5 >= line.length - 1) return undefined;
  const h = line.slice(start, end);
  if (!isJsonText(h)) return undefined;
  return { t: 'data', c: Number(line.slice(DATA_PREFIX.length, at)), h, d: line.slice(end + 5, line.length - 1) };
}

/** How many digits of a channel id (no leading zero, at most 9, not 0) follow `{"c":`, or 0. */
function idDigits(line: string): number {
  if (!line.startsWith(DATA_PREFIX)) return 0;
  let i = DATA_PREFIX.length;
  const first = line.charCodeAt(i);
  if (first < 49 || first > 57) return 0;
  for (let ch = first; ch >= 48 && ch <= 57; ch = line.charCodeAt(++i));
  return i - DATA_PREFIX.length > 9 ? 0 : i - DATA_PREFIX.length;
}

/**
 * The channel id of a data frame in the exact shape `{"c":ID,"d":PAYLOAD}` that hostbus writes
 * (ID without leading zeros, at most 9 digits; a payload of at least one character), or 0 when
 * `line` is not in that shape. For the hot path: nothing is allocated.
 */
export function dataChannel(line: string): number {
  if (!line.startsWith(DATA_PREFIX)) return 0;
  let i = DATA_PREFIX.length;
  let id = 0;
  const start = i;
  for (let ch = line.charCodeAt(i); ch >= 48 && ch <= 57; ch = line.charCodeAt(++i)) {
    id = id * 10 + (ch - 48);
  }
  if (id === 0 || line.charCodeAt(start) === 48 || i - start > 9 || !line.startsWith(',"d":', i)) return 0;
  if (line.charCodeAt(line.length - 1) !== 125 /* } */ || line.length <= i + 6) return 0;
  return id;
}

/** The payload of a line that {@link dataChannel} read as a data frame of channel `c`. */
export function dataPayload(line: string, c: number): string {
  return line.slice(DATA_PREFIX.length + digits(c) + 5, line.length - 1);
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function checkFrame(raw: unknown, line: string): Frame {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProtocolError(`a frame must be a JSON object: ${preview(line)}`);
  }
  const f = raw as Record<string, unknown>;
  if (f.t === undefined && 'd' in f) {
    // The payload as it was written: re-encoding it would fail on values nested deeper than the stack.
    const span = memberSpan(line, 'd')!;
    const frame: Frame = { t: 'data', c: channelOf(f, line), d: line.slice(span[0], span[1]) };
    if ('h' in f) {
      const h = memberSpan(line, 'h')!;
      frame.h = line.slice(h[0], h[1]);
    }
    return frame;
  }
  switch (f.t) {
    case 'hello':
      return { t: 'hello', v: int(f, 'v', line), role: str(f, 'role', line), ...optional(f, line) };
    case 'open': {
      const o = f.o;
      if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) {
        throw new ProtocolError(`"o" must be an object in: ${preview(line)}`);
      }
      const frame: Frame = { t: 'open', c: channelOf(f, line), k: str(f, 'k', line), n: str(f, 'n', line), r: str(f, 'r', line) };
      if (o) frame.o = o as Record<string, unknown>;
      return frame;
    }
    case 'opened': {
      const frame: Frame = { t: 'opened', c: channelOf(f, line) };
      if (typeof f.i === 'object' && f.i !== null) frame.i = f.i as Record<string, unknown>;
      return frame;
    }
    case 'credit': {
      const n = int(f, 'n', line);
      if (n < 1) throw new ProtocolError(`credit must be at least 1: ${preview(line)}`);
      return { t: 'credit', c: channelOf(f, line), n };
    }
    case 'ack':
      return { t: 'ack', c: channelOf(f, line), r: ranges(f.r, line) };
    case 'end':
      return f.e === undefined ? { t: 'end', c: channelOf(f, line) } : { t: 'end', c: channelOf(f, line), e: wireError(f.e, line) };
    case 'close':
    case 'closed':
      return { t: f.t, c: channelOf(f, line) };
    case 'error': {
      const e = wireError(f.e, line);
      return f.c === undefined ? { t: 'error', e } : { t: 'error', c: channelOf(f, line), e };
    }
    case 'ping':
    case 'pong':
      return { t: f.t, n: int(f, 'n', line) };
    default:
      throw new ProtocolError(`unknown frame type ${describe(f.t)}: ${preview(line)}`);
  }
}

function wireError(v: unknown, line: string): WireError {
  const e = v as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null || typeof e.message !== 'string' || typeof e.code !== 'string') {
    throw new ProtocolError(`"e" must be {name, message, code} in: ${preview(line)}`);
  }
  return { name: typeof e.name === 'string' ? e.name : 'Error', message: e.message, code: e.code };
}

function optional(f: Record<string, unknown>, line: string): { max?: number; name?: string; checked?: boolean } {
  const out: { max?: number; name?: string; checked?: boolean } = {};
  if (f.max !== undefined) out.max = int(f, 'max', line);
  if (typeof f.name === 'string') out.name = f.name;
  if (f.checked === true) out.checked = true;
  return out;
}

function channelOf(f: Record<string, unknown>, line: string): number {
  const c = int(f, 'c', line);
  if (c < 1) throw new ProtocolError(`channel id must be at least 1: ${preview(line)}`);
  return c;
}

function int(f: Record<string, unknown>, key: string, line: string): number {
  const v = f[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError(`"${key}" must be a non-negative integer in: ${preview(line)}`);
  }
  return v;
}

function str(f: Record<string, unknown>, key: string, line: string): string {
  const v = f[key];
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string in: ${preview(line)}`);
  return v;
}

function ranges(v: unknown, line: string): SeqRange[] {
  if (!Array.isArray(v)) throw new ProtocolError(`"r" must be a list of [from, to] ranges: ${preview(line)}`);
  for (const r of v) {
    if (!Array.isArray(r) || r.length !== 2 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[1]) || r[0] < 1 || r[1] < r[0]) {
      throw new ProtocolError(`bad ack range (${Array.isArray(r) ? r.map(describe).join(', ') : describe(r)}) in: ${preview(line)}`);
    }
  }
  return v as SeqRange[];
}

/**
 * A value from a peer, for an error message: a short scalar as JSON, anything else by its kind
 * (never re-encoded whole: a peer's value may be nested deeper than the stack).
 */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? v.slice(0, 64) + '...' : v);
  return v === undefined ? 'nothing' : String(v);
}

/** The start of a line, for error messages. */
export function preview(line: string): string {
  return line.length > 80 ? JSON.stringify(line.slice(0, 80)) + '...' : JSON.stringify(line);
}
