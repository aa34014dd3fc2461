/**
 * `hostbus/testing`: an in-memory hub for unit and marble tests. Every hop goes through RxJS
 * schedulers, so inside `TestScheduler.run` a producer, the hub and its consumers run in virtual
 * time and marble diagrams of a whole flow are deterministic.
 */
import { Bus, type BusOptions } from './channels/bus.js';
import { Hub, type HubOptions } from './bus/hub.js';
import type { MemoryWireOptions } from './transport/memory-wire.js';

export { memoryWirePair, type MemoryWireOptions } from './transport/memory-wire.js';

/** An in-memory hub and a way to connect clients to it. */
export interface MemoryHub {
  readonly hub: Hub;
  /** A new client connection (its own session) to the hub. */
  connect(options?: BusOptions & Pick<MemoryWireOptions, 'delay'>): Bus;
}

/**
 * Makes a hub that lives in memory. Create it inside `TestScheduler.run` (or pass `scheduler`)
 * for virtual time; outside, it runs on the real asap scheduler. The timers of its resources (a
 * lock's timeouts and leases) run on `scheduler` when one is given, else on Node's timers: pass
 * `{ scheduler: asapScheduler }` inside `TestScheduler.run` to put them on the virtual clock.
 */
export function memoryHub(options: HubOptions = {}): MemoryHub {
  const hub = new Hub(options);
  return {
    hub,
    connect(busOptions = {}) {
      const { delay, ...rest } = busOptions;
      const wire = hub.connectMemory(delay === undefined ? {} : { delay });
      return new Bus(wire, { scheduler: options.scheduler, ...rest });
    },
  };
}
