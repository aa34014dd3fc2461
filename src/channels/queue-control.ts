import type { BusLike } from './handle.js';
import { ClientChannel } from './client-channel.js';
import { Requester } from './requester.js';

/**
 * The control channel of a queue handle (role `ctl`): requests about the queue (`size`,
 * `taskDone`, `shutdown`), answered in order. Opened by the first request, closed once none has
 * been waiting for `lingerMs`, so that an idle handle does not keep the hub from forgetting the
 * queue. `join` waits on a channel of its own, so that it holds up no other answer.
 */
export class QueueControl {
  private channel: { requester: Requester; channel: ClientChannel } | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: BusLike,
    private readonly name: string,
    private readonly openOptions: Record<string, unknown>,
    private readonly lingerMs: number,
  ) {}

  /**
   * Sends `op` on the shared control channel; resolves with the hub's answer. It goes out after
   * the frames this connection had already scheduled (the acknowledgement of an item `get()` took,
   * say), so the answer counts them.
   */
  async request<T>(op: string, args: unknown = null): Promise<T> {
    await new Promise<void>((resolve) => process.nextTick(resolve));
    clearTimeout(this.idle);
    this.idle = undefined;
    const open = (this.channel ??= this.open());
    return open.requester.request<T>(op, args).finally(() => this.linger(open));
  }

  /** Sends `op` on a channel of its own, closed once answered. */
  alone<T>(op: string, args: unknown = null): Promise<T> {
    const own = this.open();
    return own.requester.request<T>(op, args).finally(() => own.channel.close());
  }

  private open(): { requester: Requester; channel: ClientChannel } {
    const requester = new Requester(`queue '${this.name}'`);
    const parts = { requester, channel: undefined as unknown as ClientChannel };
    parts.channel = ClientChannel.open(this.bus, 'queue', this.name, 'ctl', this.openOptions, {
      requester,
      gone: () => {
        if (this.channel === parts) this.channel = undefined;
      },
    });
    return parts;
  }

  private linger(open: { requester: Requester; channel: ClientChannel }): void {
    if (this.channel !== open || open.requester.inFlight > 0 || this.idle) return;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (this.channel === open && open.requester.inFlight === 0) {
        this.channel = undefined;
        open.channel.close();
      }
    }, this.lingerMs);
    this.idle.unref();
  }
}
