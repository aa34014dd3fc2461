import { InvalidArgumentError } from '../../errors.js';
import { describe } from '../frames.js';
import type { Args } from './state-resource.js';

/** Characters of `v`'s JSON. */
export function jsonChars(v: unknown): number {
  return JSON.stringify(v ?? null).length;
}

/** Characters of a JSON list of `items`: brackets, commas and each item. */
export function listChars(items: readonly unknown[]): number {
  let n = 2 + Math.max(items.length - 1, 0);
  for (const v of items) n += jsonChars(v);
  return n;
}

/** `args[key]`, which must be there (JSON `null` is a value); InvalidArgumentError naming `op` if not. */
export function need(args: Args, key: string, op: string): unknown {
  const v = args[key];
  if (v === undefined) throw new InvalidArgumentError(`${op} needs ${key}`);
  return v;
}

/** `args[key]` as a finite number. */
export function numberArg(args: Args, key: string, op: string): number {
  const v = need(args, key, op);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${op}: ${key} must be a finite number, got ${describe(v)}`);
  return v;
}

/** `args[key]` as a list. */
export function listArg(args: Args, key: string, op: string): unknown[] {
  const v = need(args, key, op);
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${op}: ${key} must be a list, got ${describe(v)}`);
  return v;
}

/**
 * `args[key]` as an index into `length` items, Python's way: negative counts from the end;
 * outside the items is InvalidArgumentError (Python's IndexError). `room` allows `length`
 * itself (an insert at the end).
 */
export function indexArg(args: Args, key: string, op: string, length: number, what: string, room = false): number {
  const v = need(args, key, op);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${op}: ${key} must be an integer, got ${describe(v)}`);
  const i = v < 0 ? v + length : v;
  if (i < 0 || i > length || (i === length && !room)) {
    if (length === 0 && !room) throw new InvalidArgumentError(`${op}: index ${v} is out of range: ${what} is empty (Python's IndexError)`);
    throw new InvalidArgumentError(`${op}: index ${v} is out of range for ${what} of ${length} items (Python's IndexError): use 0 to ${room ? length : length - 1}, or -${length} to -1`);
  }
  return i;
}

/** Python's slice bounds: `start` and `end` optional, negative from the end, clamped to the items. */
export function sliceArgs(args: Args, op: string, length: number): [number, number] {
  const bound = (key: string, dflt: number): number => {
    const v = args[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${op}: ${key} must be an integer, got ${describe(v)}`);
    return Math.min(Math.max(v < 0 ? v + length : v, 0), length);
  };
  return [bound('start', 0), bound('end', length)];
}

/** InvalidArgumentError for an operation a kind does not have, listing the ones it has. */
export function unknownOp(kind: string, op: string, ops: string): InvalidArgumentError {
  return new InvalidArgumentError(`${kind} requests are ${ops}, not ${describe(op)}`);
}

/**
 * InvalidArgumentError unless `v` nests lists and objects at most `max` levels deep (a scalar is
 * 0 deep, `[1]` is 1), checked without recursion, before anything encodes or compares it.
 * `wrap` is how many of those levels are the request's own (arguments around the value).
 */
export function checkDepth(v: unknown, max: number, what: string, wrap = 0): void {
  if (typeof v !== 'object' || v === null) return;
  const nodes: object[] = [v];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const x = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > max + wrap) {
      throw new InvalidArgumentError(`${what} nest lists and objects more than ${max} levels deep: flatten them, or create the resource with a larger maxDepth`);
    }
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const c: unknown = x[i];
        if (typeof c === 'object' && c !== null) nodes.push(c), depths.push(depth + 1);
      }
    } else {
      for (const k in x) {
        const c: unknown = (x as Record<string, unknown>)[k];
        if (typeof c === 'object' && c !== null) nodes.push(c), depths.push(depth + 1);
      }
    }
  }
}
