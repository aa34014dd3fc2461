import type { BusLike } from './handle.js';
import { ClientChannel } from './client-channel.js';
import { Requester } from './requester.js';

/** How long a handle keeps its request channel with nothing asked and nothing kept (ms). */
export const REQUEST_LINGER_MS = 100;

/** Where a request channel goes and what keeps it open. */
export interface RequestChannelOptions {
  kind: string;
  name: string;
  role: string;
  openOptions?: Record<string, unknown>;
  /** Answers as each is ready, not in request order (the kind must answer so). */
  unordered?: boolean;
  /** True while the handle keeps state on this channel (a lock's holds): it is not closed then. */
  keep?: () => boolean;
  /** The hub accepted an open of this channel; `info` is what it said. */
  opened?: (info: Record<string, unknown>) => void;
  /** The channel went (closed, failed, or its connection lost): what the hub kept for it is gone. */
  gone?: () => void;
}

/**
 * A handle's channel for requests to one resource: opened by the first request, closed once no
 * request has been waiting, and nothing `keep`s it, for {@link REQUEST_LINGER_MS}; the next
 * request opens a new one. An idle handle thus holds nothing at the hub.
 */
export class RequestChannel {
  private open: { requester: Requester; channel: ClientChannel } | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly bus: BusLike, private readonly options: RequestChannelOptions) {}

  /** Sends one request; resolves with its answer, rejects with the hub's error. */
  request<T>(op: string, args: unknown = null): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.call<T>(op, args, (err, value) => (err ? reject(err) : resolve(value as T)));
    });
  }

  /** Sends one request without a promise: `done` runs once with the error or the answer. Returns its id (0: refused). */
  call<T>(op: string, args: unknown, done: (err: Error | undefined, value?: T) => void): number {
    clearTimeout(this.idle);
    this.idle = undefined;
    const open = (this.open ??= this.connect());
    return open.requester.call<T>(op, args, (err, value) => {
      try {
        done(err, value);
      } finally {
        this.linger();
      }
    });
  }

  /** Closes the channel once nothing is asked or kept for {@link REQUEST_LINGER_MS}; call when `keep` may have turned false. */
  linger(): void {
    const open = this.open;
    if (!open || this.idle || this.options.keep?.() || open.requester.inFlight > 0) return;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (this.open === open && !this.options.keep?.() && open.requester.inFlight === 0) {
        this.open = undefined;
        open.channel.close();
      }
    }, REQUEST_LINGER_MS);
    this.idle.unref();
  }

  private connect(): { requester: Requester; channel: ClientChannel } {
    const { kind, name, role, openOptions, unordered } = this.options;
    const requester = new Requester(`${kind} '${name}'`, 65_536, !unordered);
    const parts = { requester, channel: undefined as unknown as ClientChannel };
    parts.channel = ClientChannel.open(this.bus, kind, name, role, openOptions, {
      requester,
      ...(this.options.opened ? { opened: this.options.opened } : {}),
      gone: () => {
        if (this.open !== parts) return;
        this.open = undefined;
        this.options.gone?.();
      },
    });
    return parts;
  }
}
