/**
 * The transports every channel suite runs over: `describe.each(transports)`, and in `beforeEach`
 * `bed = await transport.setup()`, in `afterEach` `await bed.teardown()`.
 *
 * - `memory`: `memoryHub()`, every hop on the asap scheduler.
 * - `unix socket`: `Hub.listen()` on a socket in a fresh temporary folder (a unique address per
 *   test), clients by `connect(path)`: real sockets, real event-loop turns between hops.
 * - `tcp`: `Hub.listen('tcp://127.0.0.1:0')` with an authkey (a free port per test), clients by
 *   `connect(url, { authkey })`: every channel kind over TCP, behind the key.
 *
 * Over a socket, one macrotask does not mean "nothing is in flight": a frame may still sit in the
 * kernel or wait for the next poll. Tests therefore wait for what they can observe (a promise, a
 * value that arrived, `hub.stats()` reaching a state, see {@link until}), never for time.
 */
import { expect } from 'vitest';
import { Hub } from '../src/bus/hub.js';
import { connect, type Bus, type BusOptions } from '../src/channels/bus.js';
import { memoryHub } from '../src/testing.js';
import { tempDir } from './helpers.js';

/** One test's hub, its clients, and how to take them down. */
export interface TestBed {
  readonly hub: Hub;
  /** A new client connection (its own session) to `hub`; closed by `teardown`. */
  bus(options?: BusOptions): Promise<Bus>;
  /**
   * Closes every bus made and waits until each is closed, then closes the hub; for a socket, then
   * removes the folder and fails if a socket file was left in it. Buses are closed with `close()`,
   * which waits for what their queues sent to drain; with `destroy` (a test that failed, or left
   * a send waiting for credit no one will grant), with `destroy()`, which does not.
   */
  teardown(options?: { destroy?: boolean }): Promise<void>;
}

export interface Transport {
  readonly name: string;
  /** A fresh hub with its own address. */
  setup(): Promise<TestBed>;
}

function bed(hub: Hub, open: (options: BusOptions) => Promise<Bus>, after: () => Promise<void>): TestBed {
  const buses: Bus[] = [];
  return {
    hub,
    async bus(options = {}) {
      const b = await open(options);
      buses.push(b);
      return b;
    },
    async teardown({ destroy = false } = {}) {
      try {
        // After destroy(), close() only waits for the connection to be over.
        await Promise.all(buses.map(async (b) => {
          if (destroy) b.destroy();
          await b.close();
        }));
      } finally {
        try {
          await hub.close();
        } finally {
          await after();
        }
      }
    },
  };
}

export const transports: readonly Transport[] = [
  {
    name: 'memory',
    async setup() {
      const mh = memoryHub();
      return bed(mh.hub, async (options) => mh.connect(options), async () => {});
    },
  },
  {
    name: 'unix socket',
    async setup() {
      const tmp = await tempDir();
      const path = tmp.sock('hub');
      let hub: Hub;
      try {
        hub = await Hub.listen(path);
      } catch (err) {
        await tmp.cleanup();
        throw err;
      }
      return bed(hub, (options) => connect(path, options), async () => {
        const left = await tmp.cleanup();
        expect(left, `socket files left in ${tmp.dir}`).toEqual([]);
      });
    },
  },
  {
    name: 'tcp',
    async setup() {
      const authkey = 'suite-key';
      const hub = await Hub.listen('tcp://127.0.0.1:0', { authkey });
      const a = hub.address!;
      const url = `tcp://127.0.0.1:${a.kind === 'tcp' ? a.port : 0}`;
      return bed(hub, (options) => connect(url, { authkey, ...options }), async () => {});
    },
  },
];

let roundTrips = 0;

/**
 * A causal barrier on one connection: opens a queue of its own on `bus` and sends it one value,
 * which first needs the hub's credit, then waits for the hub's acknowledgement. When it resolves, the hub has read every frame `bus` wrote
 * before, and `bus` every frame the hub wrote to it before, and the hub has also read what `bus`
 * wrote in answer to those (such as values sent on credit that was on its way).
 */
export async function roundTrip(bus: Bus): Promise<void> {
  const q = bus.queue<number>(`~round-trip-${++roundTrips}`);
  await q.send(0);
  await q.flush();
}

/**
 * Waits until `condition()` holds, checking it on every turn of the event loop (so each I/O
 * callback and timer gets its chance in between); fails after `ms`. For states that no promise
 * announces, such as a hub counter reaching a value.
 */
export async function until(condition: () => boolean, what = 'the condition', ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A promise's state, tracked without ever leaving a rejection unhandled. */
export interface Tracked<T> {
  readonly p: Promise<T>;
  state: 'pending' | 'resolved' | 'rejected';
  err?: unknown;
}

export function track<T>(p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { p, state: 'pending' };
  p.then(() => { t.state = 'resolved'; }, (err: unknown) => { t.state = 'rejected'; t.err = err; });
  return t;
}

/** The error `p` rejects with; fails if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(() => { throw new Error('expected a rejection'); }, (err: Error) => err);
}
