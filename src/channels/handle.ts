import type { Port, PortHandler } from '../bus/port.js';
import { InvalidArgumentError } from '../errors.js';

/** What channels need of a connection: opening channels, and its address for handles. */
export interface BusLike {
  /** Opens a channel on the hub (see `Session.open`). */
  open(kind: string, name: string, role: string, options: Record<string, unknown> | undefined, handler: PortHandler): Port;
  /** The address this bus connected to, as a spec another process can connect to. */
  addressSpec(): string;
  /** Registers a sender (or a getter), so that closing the connection first waits until it has drained. */
  adopt(part: Drainable): void;
  /** Forgets a part whose channel is gone. */
  release(part: Drainable): void;
}

/** A part of a handle that has something to settle before its connection closes. */
export interface Drainable {
  /** Resolves once what it holds has settled (sent values acknowledged; taken items acknowledged). */
  drained(): Promise<unknown>;
}

/**
 * A handle as plain data: what crosses into a child process in place of the handle, to be
 * rebuilt there. `$hostbus` names its {@link HandleKind}; `address` is the hub's, which the child
 * connects to (a `Pipe()` end, `pipe-fd`, has a file descriptor instead).
 */
export interface HandleDescriptor {
  $hostbus: string;
  address?: string;
  [field: string]: unknown;
}

/** True when `v` is a handle descriptor. */
export function isHandleDescriptor(v: unknown): v is HandleDescriptor {
  return typeof v === 'object' && v !== null && typeof (v as { $hostbus?: unknown }).$hostbus === 'string';
}

/**
 * A kind of handle that `spawn()` passes by reference: described here as plain data, revived in
 * the child on its own connection to the same hub. One client-side file per kind registers its
 * handle kind with {@link registerHandleKind}; the child must import that file too (the module
 * of the function it runs usually does).
 */
export interface HandleKind<H extends object = object> {
  /** The `$hostbus` of its descriptors: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`. */
  readonly name: string;
  /** True when `value` is a handle of this kind. */
  is(value: unknown): value is H;
  /** The handle as plain data: its `address` is its bus's `addressSpec()`. */
  describe(handle: H): HandleDescriptor;
  /** The handle again, on `bus` (a connection to the descriptor's address). */
  revive(descriptor: HandleDescriptor, bus: BusLike): H;
}

const handleKinds = new Map<string, HandleKind>();

/** Registers a handle kind for `spawn()`; InvalidArgumentError for a bad or taken name. */
export function registerHandleKind<H extends object>(kind: HandleKind<H>): void {
  if (typeof kind?.name !== 'string' || !/^[a-z][a-z0-9_.-]{0,63}$/.test(kind.name) || kind.name === 'pipe-fd') {
    throw new InvalidArgumentError(`a handle kind's name must be 1 to 64 of a-z, 0-9, '-', '_', '.', starting with a letter (not pipe-fd), got ${JSON.stringify(kind?.name)}`);
  }
  if (handleKinds.has(kind.name)) throw new InvalidArgumentError(`a handle kind named '${kind.name}' is already registered`);
  handleKinds.set(kind.name, kind as unknown as HandleKind);
}

/** The registered kind of `value`, if it is a handle. */
export function handleKindOf(value: object): HandleKind | undefined {
  for (const kind of handleKinds.values()) if (kind.is(value)) return kind;
  return undefined;
}

/** The registered kind called `name`, if any. */
export function handleKindNamed(name: string): HandleKind | undefined {
  return handleKinds.get(name);
}
