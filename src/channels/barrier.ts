import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { registerHandleKind, type BusLike, type HandleDescriptor } from './handle.js';
import { RequestChannel } from './request-channel.js';
import { MAX_PARTIES } from '../bus/resources/barrier-resource.js';

/** Options of a barrier, fixed by its first open. */
export interface BarrierOptions {
  /** Default timeout of each `wait()`, in ms: when it passes, the barrier breaks. */
  timeout?: number;
}

/**
 * A barrier held by the hub, as Python's `multiprocessing.Barrier(parties, timeout=...)`, across
 * processes: `wait()` resolves once `parties` parties are waiting, and the barrier starts over.
 * If a waiting party's connection closes (its process died), a wait times out, or someone calls
 * `abort()`, the barrier breaks: every wait rejects with ERR_BARRIER_BROKEN, at once, until
 * `reset()`. Nothing waits forever on a dead process.
 */
export class Barrier {
  private readonly channel: RequestChannel;

  constructor(private readonly bus: BusLike, readonly name: string, readonly parties: number, readonly options: BarrierOptions = {}) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
      throw new InvalidArgumentError(`a barrier's name must be a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
    }
    if (!Number.isSafeInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
      throw new InvalidArgumentError(`a barrier's parties is an integer from 1 to ${MAX_PARTIES}, got ${parties}`);
    }
    const { timeout } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      throw new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`);
    }
    this.channel = new RequestChannel(bus, {
      kind: 'barrier',
      name,
      role: 'use',
      openOptions: timeout === undefined ? { parties } : { parties, timeout },
      unordered: true,
    });
  }

  /**
   * Waits for the other parties: resolves with this party's index (0 to parties − 1, in the order
   * they arrived) once all have. `timeout` (ms) overrides the barrier's; when it passes, the
   * barrier breaks. Rejects with ERR_BARRIER_BROKEN when it is or becomes broken.
   */
  async wait(options: { timeout?: number } = {}): Promise<number> {
    const { timeout } = options;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
      throw new InvalidArgumentError(`timeout must be a number of milliseconds >= 0, got ${timeout}`);
    }
    const index = await this.channel.request<unknown>('wait', timeout === undefined ? null : { timeout });
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= this.parties) {
      throw new ProtocolError(`barrier '${this.name}': the hub answered wait with ${String(index).slice(0, 32)}, not an index`);
    }
    return index;
  }

  /** Breaks the barrier: waiting parties, and later ones, reject with ERR_BARRIER_BROKEN until `reset()`. */
  async abort(): Promise<void> {
    await this.channel.request('abort');
  }

  /** Back to empty and unbroken; parties waiting now reject with ERR_BARRIER_BROKEN. */
  async reset(): Promise<void> {
    await this.channel.request('reset');
  }

  /** Whether it is broken (Python's `broken`; a round trip). */
  async broken(): Promise<boolean> {
    return (await this.state()).broken;
  }

  /** Parties waiting now (Python's `n_waiting`; a round trip). */
  async nWaiting(): Promise<number> {
    return (await this.state()).waiting;
  }

  /** The handle as plain data, for passing to a child process. */
  toJSON(): HandleDescriptor {
    return { $hostbus: 'barrier', address: this.bus.addressSpec(), name: this.name, parties: this.parties, options: { ...this.options } };
  }

  private async state(): Promise<{ waiting: number; broken: boolean }> {
    const s = await this.channel.request<{ waiting?: unknown; broken?: unknown }>('state');
    if (typeof s?.waiting !== 'number' || typeof s.broken !== 'boolean') {
      throw new ProtocolError(`barrier '${this.name}': the hub answered state without waiting and broken`);
    }
    return { waiting: s.waiting, broken: s.broken };
  }
}

registerHandleKind<Barrier>({
  name: 'barrier',
  is: (value): value is Barrier => value instanceof Barrier,
  describe: (barrier) => barrier.toJSON(),
  revive: (d, bus) => new Barrier(bus, String(d.name), Number(d.parties), (d.options ?? {}) as BarrierOptions),
});
