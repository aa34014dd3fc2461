import { Observable } from 'rxjs';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { ClientChannel } from './client-channel.js';
import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { Inbound } from './inbound.js';
import { RequestChannel } from './request-channel.js';

/** States a `changes()` subscriber may have in flight before it processed them. */
const WATCH_PREFETCH = 64;

/**
 * An event held by the hub, as Python's `multiprocessing.Event`, across processes: a flag that
 * any handle sets or clears, and that any number of processes wait for. Requests are pipelined
 * on one channel, opened on first use and closed after 100 ms with none waiting.
 */
export class Event {
  private readonly channel: RequestChannel;

  constructor(private readonly bus: BusLike, readonly name: string) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      throw new InvalidArgumentError(`an event's name must be a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    this.channel = new RequestChannel(bus, { kind: 'event', name, role: 'use', unordered: true });
  }

  /** Sets the flag: every `wait()` resolves `true`. Resolves once the hub applied it. */
  set(): Promise<void> {
    return this.channel.request<null>('set').then(() => undefined);
  }

  /** Clears the flag. Resolves once the hub applied it. */
  clear(): Promise<void> {
    return this.channel.request<null>('clear').then(() => undefined);
  }

  /** Whether the flag is set now (a round trip). */
  isSet(): Promise<boolean> {
    return this.channel.request<unknown>('isSet').then((v) => this.flag(v));
  }

  /**
   * Resolves `true` once the flag is set (at once if it is), or `false` when `timeout` ms passed
   * first, as Python's `wait(timeout)`; without a timeout it waits for as long as it takes.
   */
  wait(options: { timeout?: number } = {}): Promise<boolean> {
    const { timeout } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      return Promise.reject(new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`));
    }
    return this.channel.request<unknown>('wait', { timeout }).then((v) => this.flag(v));
  }

  /**
   * The flag's state, the current one first, then each change; a subscriber that is slow gets the
   * latest state, not every one it missed. Cold: each subscription opens a channel of its own,
   * closed on unsubscribe. It never completes; it errors if its connection goes.
   */
  changes(): Observable<boolean> {
    return new Observable<boolean>((subscriber) => {
      const inbound = new Inbound<boolean>(`event '${this.name}'`, WATCH_PREFETCH);
      const channel = ClientChannel.open(this.bus, 'event', this.name, 'watch', undefined, { inbound: inbound as Inbound<unknown> });
      const sub = inbound.values(false, () => channel.close()).subscribe({
        next: (v) => {
          if (typeof v === 'boolean') subscriber.next(v);
          else subscriber.error(new ProtocolError(`event '${this.name}': the hub sent ${String(v).slice(0, 32)}, not a state`));
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
  }

  /** The handle as plain data, for passing to a child process. */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'event', address: this.bus.addressSpec(), name: this.name };
  }

  private flag(v: unknown): boolean {
    if (typeof v !== 'boolean') throw new ProtocolError(`event '${this.name}': the hub answered ${String(v).slice(0, 32)}, not true or false`);
    return v;
  }
}

registerHandleKind<Event>({
  name: 'event',
  is: (value): value is Event => value instanceof Event,
  describe: (event) => event.toJSON(),
  revive: (d, bus) => new Event(bus, String(d.name)),
});
