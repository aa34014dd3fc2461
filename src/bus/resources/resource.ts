import { InvalidArgumentError, OptionsMismatchError } from '../../errors.js';
import type { Port } from '../port.js';
import { describe } from '../frames.js';
import type { OpenRequest } from '../session.js';

/**
 * A channel as a resource sees it: accept (`opened`) or `fail`; send within credit (`trySend`
 * says when it cannot, and never calls back into its caller), `grant` credit, `ack`, `end`,
 * `close`; and the `session` it came from, with a hook for that session's end. The resource sets
 * its `handler` once, in `attach`, to hear of what the peer sends.
 */
export type Channel = Readonly<Pick<Port, 'id' | 'session' | 'credit' | 'state'>>
  & Pick<Port, 'handler' | 'opened' | 'fail' | 'send' | 'trySend' | 'grant' | 'ack' | 'ackRanges' | 'end' | 'close' | 'checkPayload'>;

/**
 * A named thing the hub owns (a queue, a pipe...). The hub creates it on the first open of its
 * kind and name, hands it every channel opened on it, and drops it once `idle` after a close.
 */
export interface Resource {
  readonly kind: string;
  readonly name: string;
  /** Binds a freshly opened channel: answers `opened`, or fails it (throwing a HostbusError fails it too). */
  attach(channel: Channel, open: OpenRequest): void;
  /** True when no channel uses it and it holds no data: the hub may forget it. */
  readonly idle: boolean;
  /**
   * What the resource leaves behind when the hub forgets it, if anything: the hub keeps it (a
   * bounded number of them) and gives it to the factory of the next resource of that kind and name.
   */
  remains?(): unknown;
  /** Counters for `hub.stats()`. */
  stats(): Record<string, number | boolean | string>;
}


/** What a resource needs from the hub. */
export interface ResourceHost {
  /** Runs `work` once at the end of the current scheduler turn (coalescing repeated calls is the caller's job); what it throws is reported, not thrown. */
  defer(work: () => void): void;
  /**
   * Runs `work` in `ms` milliseconds on the hub's scheduler (virtual time in marble tests); what it
   * throws is reported, not thrown. The returned function cancels it.
   */
  later(ms: number, work: () => void): () => void;
  /** The resource may have become idle. */
  maybeIdle(resource: Resource): void;
  /** Counts `chars` more held by this hub's resources; false, and nothing counted, when that would cross `maxQueuedChars`. */
  hold(chars: number): boolean;
  /** Counts `chars` fewer held. */
  unhold(chars: number): void;
  /**
   * Counts one request more (`1`) or less (`-1`) waiting on a resource for session `session` (a
   * queue's `join`, a lock's `acquire`, an event's or a barrier's `wait`); false, and nothing counted, when one
   * more would cross
   * `maxWaiting`.
   */
  wait(session: number, delta: 1 | -1): boolean;
  /** Counts one hold of a lock more (`1`) or less (`-1`) for session `session`; false, and nothing counted, when one more would cross `maxHolds`. */
  holding(session: number, delta: 1 | -1): boolean;
  /** Counts one more value, array, dict or list, kept until the hub stops; false, and nothing counted, at `maxStateResources`. */
  keepState(): boolean;
  /** True while the hub holds `maxQueuedChars` or more; then `then` runs once, when it holds less. */
  full(then: () => void): boolean;
}

/** Reads an optional positive integer option, in `[1, max]`. */
export function intOption(o: Record<string, unknown> | undefined, key: string, max: number): number | undefined {
  const v = o?.[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new InvalidArgumentError(`option ${key} must be an integer from 1 to ${max}, got ${describe(v)}`);
  }
  return v;
}

/** Reads an optional boolean option. */
export function boolOption(o: Record<string, unknown> | undefined, key: string): boolean | undefined {
  const v = o?.[key];
  if (v === undefined || typeof v === 'boolean') return v;
  throw new InvalidArgumentError(`option ${key} must be true or false, got ${describe(v)}`);
}

/** Throws OptionsMismatchError when `given` is set and differs from what the resource has. */
export function sameOption(kind: string, name: string, key: string, given: unknown, actual: unknown): void {
  if (given === undefined || given === actual) return;
  throw new OptionsMismatchError(
    `${kind} '${name}' exists with ${key}=${describe(actual)}, not ${describe(given)}: ` +
      `open it with the same ${key}, or leave ${key} out`,
  );
}
