import { InvalidArgumentError } from '../errors.js';
import type { HubOptions } from './hub.js';

/** The limits of a hub, with their defaults (docs/bounds.md). */
const LIMITS = {
  maxConnections: 1024,
  maxChannels: 65_536,
  maxResources: 65_536,
  maxQueuedChars: 512 * 1024 * 1024,
  maxPendingConnections: 128,
  helloTimeoutMs: 5_000,
  maxEndedQueues: 1024,
  maxWaiting: 1024,
  maxHolds: 4096,
  maxStateResources: 16_384,
} as const;

export type Limits = { -readonly [K in keyof typeof LIMITS]: number };

/** The hub's limits from its options, each checked: a positive safe integer. */
export function limitsOf(options: HubOptions): Limits {
  if ('maxWaitingJoins' in options) throw new InvalidArgumentError('the option maxWaitingJoins is now maxWaiting (it counts every kind of waiting request): rename it');
  const out = { ...LIMITS } as Limits;
  for (const key of Object.keys(LIMITS) as (keyof Limits)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new InvalidArgumentError(`HubOptions.${key} must be a positive integer, got ${String(v)}`);
    }
    out[key] = v;
  }
  // Shared state is kept until the hub stops: by default it may take a quarter of the resources.
  if (options.maxStateResources === undefined) out.maxStateResources = Math.max(1, Math.floor(out.maxResources / 4));
  for (const key of ['maxLine', 'backlog', 'keepaliveMs', 'maxQueued', 'closeTimeoutMs'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || (key === 'maxLine' && v < 64))) {
      throw new InvalidArgumentError(`HubOptions.${key} must be ${key === 'maxLine' ? 'an integer of at least 64' : 'a non-negative integer'}, got ${String(v)}`);
    }
  }
  return out;
}


/** Runs scheduled work of a resource: what escapes it is a defect, reported, never fatal to the hub. */
export function guarded(work: () => void): void {
  try {
    work();
  } catch (err) {
    process.emitWarning(`hostbus hub: scheduled work failed: ${(err as Error)?.stack ?? String(err)}`, { type: 'HostbusWarning' });
  }
}
