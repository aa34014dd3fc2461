import type { Port, PortHandler } from '../bus/port.js';
import { ClosedError } from '../errors.js';
import type { BusLike } from './handle.js';
import type { Inbound } from './inbound.js';
import type { Requester } from './requester.js';
import type { Sender } from './sender.js';

/** What a handle's channel is made of, each part optional. */
export interface ChannelParts {
  /** What this side sends (values waiting for credit, in flight until acknowledged). */
  sender?: Sender;
  /** What this side receives (credit granted, values handed to one subscriber). */
  inbound?: Inbound<unknown>;
  /** Requests this side makes. */
  requester?: Requester;
  /** The other side accepted the open; `info` is what it said. */
  opened?(info: Record<string, unknown>): void;
  /** The other side ended its direction (after the inbound part heard of it). */
  ended?(err?: Error): void;
  /** The error every part fails with when the channel goes (default: the one it went with, or none on a clean close). */
  reason?(err: Error | undefined): Error | undefined;
  /** The channel is gone, after every part failed. */
  gone?(err: Error | undefined): void;
}

/**
 * One channel of a handle: it owns its port and the parts that use it (sender, inbound,
 * requester), gives the port its handler once, and fails as a whole: when the channel goes, every
 * part fails with the same error, then `gone` runs. A handle makes one per channel it opens.
 */
export class ClientChannel {
  /** The handler the port is given (composed once from the parts). */
  readonly handler: PortHandler;
  private port: Port | undefined;

  constructor(private readonly parts: ChannelParts) {
    const { sender, inbound, requester } = parts;
    const credit = sender && requester
      ? (n: number) => { sender.handler.credit(n); requester.handler.credit?.(n); }
      : sender?.handler.credit ?? requester?.handler.credit;
    this.handler = {
      ...(parts.opened ? { opened: parts.opened } : {}),
      ...(credit ? { credit } : {}),
      ...(sender ? { writable: sender.handler.writable, ack: sender.handler.ack } : {}),
      ...(inbound || requester ? { data: inbound ? inbound.handler.data : requester!.handler.data! } : {}),
      end: (err) => {
        inbound?.handler.end(err);
        parts.ended?.(err);
      },
      closed: (err) => this.gone(err),
    };
  }

  /** Opens the channel on `bus` (see `Session.open`: never throws; a refused open fails the parts soon). */
  static open(bus: BusLike, kind: string, name: string, role: string, options: Record<string, unknown> | undefined, parts: ChannelParts): ClientChannel {
    const channel = new ClientChannel(parts);
    channel.attach(bus.open(kind, name, role, options, channel.handler));
    return channel;
  }

  /** Binds the channel to `port` (opened here, or accepted from the other side). */
  attach(port: Port): void {
    this.port = port;
    port.handler = this.handler;
    this.parts.sender?.bind(port);
    this.parts.inbound?.bind(port);
    this.parts.requester?.bind(port);
  }

  /** Closes the channel from this side: the parts fail as on any close (ERR_CLOSED where they had work). */
  close(): void {
    this.port?.close();
  }

  private gone(cause: Error | undefined): void {
    const { sender, inbound, requester } = this.parts;
    const err = this.parts.reason ? this.parts.reason(cause) : cause;
    if (err) sender?.fail(err);
    inbound?.fail(err);
    requester?.handler.closed?.(err ?? new ClosedError('the channel was closed'));
    this.parts.gone?.(err);
  }
}
