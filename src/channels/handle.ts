import type { Port, PortHandler } from '../bus/port.js';
import type { Sender } from './sender.js';

/** What channels need of a connection: opening channels, and its address for handles. */
export interface BusLike {
  /** Opens a channel on the hub (see `Session.open`). */
  open(kind: string, name: string, role: string, options: Record<string, unknown> | undefined, handler: PortHandler): Port;
  /** The address this bus connected to, as a spec another process can connect to. */
  addressSpec(): string;
  /** Registers a sender, so that closing the connection first waits until it has drained. */
  adopt(sender: Sender): void;
  /** Forgets a sender whose channel is gone. */
  release(sender: Sender): void;
}

/**
 * A channel handle as plain data: what crosses into a child process in place of the handle,
 * to be rebuilt there (`$hostbus` names the kind).
 */
export type HandleDescriptor =
  | { $hostbus: 'queue'; address: string; name: string; options: Record<string, unknown> }
  | { $hostbus: 'bus'; address: string }
  | { $hostbus: 'pipe-fd'; fd: number };

/** True when `v` is a handle descriptor. */
export function isHandleDescriptor(v: unknown): v is HandleDescriptor {
  return typeof v === 'object' && v !== null && typeof (v as { $hostbus?: unknown }).$hostbus === 'string';
}
