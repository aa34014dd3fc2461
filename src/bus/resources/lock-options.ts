import { InvalidArgumentError } from '../../errors.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';

/** The kinds of lock one resource can be: Python's Lock, RLock, Semaphore and BoundedSemaphore. */
export const LOCK_TYPES = ['lock', 'rlock', 'semaphore', 'bounded-semaphore'] as const;
export type LockType = (typeof LOCK_TYPES)[number];

/** Largest timeout or lease, in ms (what a Node timer can wait: about 24.8 days). */
export const MAX_WAIT_MS = 2 ** 31 - 1;
/** Largest value of a semaphore. */
export const MAX_PERMITS = 2 ** 30;

/** The options of a lock's open: its `type` and `value`, checked. */
export function readOptions(open: OpenRequest): { type: LockType; value: number } {
  const o = open.o;
  const type = o?.type ?? 'lock';
  if (typeof type !== 'string' || !(LOCK_TYPES as readonly string[]).includes(type)) {
    throw new InvalidArgumentError(`option type of a lock is one of ${LOCK_TYPES.join(', ')}, got ${describe(type)}`);
  }
  const value = o?.value ?? 1;
  const semaphore = type === 'semaphore' || type === 'bounded-semaphore';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_PERMITS || (!semaphore && value !== 1)) {
    throw new InvalidArgumentError(semaphore
      ? `a semaphore's value is an integer from 0 to ${MAX_PERMITS}, got ${describe(value)}`
      : `a ${type} has no value option (it is 1), got ${describe(value)}`);
  }
  return { type: type as LockType, value };
}

/** Reads an optional duration in ms, in `[0, MAX_WAIT_MS]`. */
export function msArg(args: Record<string, unknown>, key: string): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_WAIT_MS) {
    throw new InvalidArgumentError(`${key} is a number of milliseconds from 0 to ${MAX_WAIT_MS}, got ${describe(v)}`);
  }
  return v;
}

/** A request's payload as an object (`null`: none). */
export function objectArgs(args: unknown): Record<string, unknown> {
  if (args === null || args === undefined) return {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new InvalidArgumentError(`a lock request's arguments are an object, got ${describe(args)}`);
  return args as Record<string, unknown>;
}

