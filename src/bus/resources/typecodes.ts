import { InvalidArgumentError } from '../../errors.js';
import { describe } from '../frames.js';

/**
 * Python's typecodes (`array` and `ctypes`) that a value or an array may be given, and what
 * each holds here: integers in their C range (the 64-bit ones within ±(2^53 − 1), what a JSON
 * number carries exactly), `f` a 32-bit float (stored rounded, as ctypes' c_float), `d` a double,
 * `c` a string of one character from U+0000 to U+00FF (Python's one byte), `u` a string of one
 * character (one code point).
 */
export const TYPECODES = ['b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'f', 'd', 'c', 'u'] as const;
export type Typecode = (typeof TYPECODES)[number];

const SAFE = Number.MAX_SAFE_INTEGER;
const INT_RANGE: Partial<Record<Typecode, [number, number]>> = {
  b: [-128, 127], B: [0, 255], h: [-32_768, 32_767], H: [0, 65_535],
  i: [-(2 ** 31), 2 ** 31 - 1], I: [0, 2 ** 32 - 1],
  l: [-SAFE, SAFE], L: [0, SAFE], q: [-SAFE, SAFE], Q: [0, SAFE],
};

/** Reads an open's `type` option: a typecode, or undefined for any JSON. */
export function typeOption(v: unknown): Typecode | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (TYPECODES as readonly string[]).includes(v)) return v as Typecode;
  throw new InvalidArgumentError(`type must be one of Python's typecodes ${TYPECODES.join(' ')}, got ${describe(v)}: or leave it out for any JSON value`);
}

/** True for the typecodes that hold numbers (every one but `c` and `u`). */
export function isNumeric(type: Typecode | undefined): boolean {
  return type !== 'c' && type !== 'u';
}

/** What a new item of `type` holds (Python's zero of it); `0` without a type. */
export function zeroOf(type: Typecode | undefined): number | string {
  return type === 'c' || type === 'u' ? '\u0000' : 0;
}

/**
 * `v` as stored under `type` (a `f` rounded to 32 bits); InvalidArgumentError, naming `what`,
 * when it is not of that type or out of its range. Without a type, any JSON value (that is
 * what the wire carries) goes through as it is.
 */
export function checkTyped(type: Typecode | undefined, v: unknown, what: string): unknown {
  if (type === undefined) return v;
  const range = INT_RANGE[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new InvalidArgumentError(`${what} must be an integer from ${range[0]} to ${range[1]} (typecode '${type}'), got ${describe(v)}`);
    }
    return v;
  }
  if (type === 'f' || type === 'd') {
    const x = typeof v === 'number' && type === 'f' ? Math.fround(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${what} must be a finite number${type === 'f' ? ' within a 32-bit float' : ''} (typecode '${type}'), got ${describe(v)}`);
    }
    return x;
  }
  const one = typeof v === 'string' && [...v].length === 1;
  if (!one || (type === 'c' && (v as string).charCodeAt(0) > 0xff)) {
    throw new InvalidArgumentError(`${what} must be a string of one character${type === 'c' ? ' from U+0000 to U+00FF' : ''} (typecode '${type}'), got ${describe(v)}`);
  }
  return v;
}
