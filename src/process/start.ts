/**
 * One line to start: `await using bus = await start()` makes a hub of this process's own on a
 * private address and a bus connected to it, as Python's `with Manager() as m`.
 */
import { authkeyFromEnv } from '../bus/auth.js';
import { randomBytes } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Hub, type HubOptions } from '../bus/hub.js';
import { Bus, type BusOptions } from '../channels/bus.js';
import { ensurePrivateDir, privateDir } from '../transport/address.js';
import type { Wire } from '../transport/wire.js';
import { forget, removeOnExit } from './socket-files.js';
import { startedName, sweepStale } from './stale-sockets.js';

import '../channels/dispose.js';

/** Options of {@link start}. */
export interface StartOptions {
  /** Options of the hub (its `unref` is always true). */
  hub?: Omit<HubOptions, 'unref'>;
  /** Options of the bus. */
  bus?: BusOptions;
}

/**
 * A bus that owns the hub it is connected to, as {@link start} returns it. It makes queues,
 * pipes and every other kind as any bus does, and its handles go to `spawn()` children, which
 * connect to the hub's socket. `close()` (and `await using`) closes the bus, then the hub.
 */
export class StartedBus extends Bus implements AsyncDisposable {
  /** @internal */
  constructor(wire: Wire, readonly hub: Hub, options: ConstructorParameters<typeof Bus>[1]) {
    super(wire, options);
  }

  /**
   * Closes the bus as {@link Bus.close} does (what was sent reaches the hub first), then the hub
   * (children still connected see ERR_CONNECTION_LOST) and removes its socket file. Resolves
   * once both are closed; idempotent.
   */
  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      await this.closeHub();
    }
  }

  /** Closes the bus and the hub now, without waiting for anything to drain. */
  override destroy(): void {
    super.destroy();
    void this.closeHub().catch((err: unknown) => {
      process.emitWarning(`hostbus: closing a started hub failed: ${(err as Error)?.message ?? String(err)}`, { type: 'HostbusWarning' });
    });
  }

  /** `await using bus = await start()`: closes as {@link close} does at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async closeHub(): Promise<void> {
    try {
      await this.hub.close();
    } finally {
      const address = this.hub.address;
      if (address?.kind === 'unix') forget(address.path);
    }
  }
}

/**
 * Starts a hub in this process on a fresh private address and connects a bus to it. POSIX: a
 * socket `h-<pid>-<hex>.sock` in {@link privateDir} (0700; the socket 0600); win32: a named pipe.
 * Before it listens, it removes the sockets of started hubs whose process is gone (killed with
 * SIGKILL). The hub does not keep the process alive: its listener and its connections are
 * unref'd, and the bus talks to it in memory, so a program whose work is done exits even if it
 * forgot `close()`; its socket file is then removed at exit, and on SIGINT, SIGTERM or SIGHUP if
 * the program has no handler of its own for the signal (docs/processes.md). Rejects with the
 * errors of `Hub.listen` (AddressTooLongError when the private folder's path is too long).
 */
export async function start(options: StartOptions = {}): Promise<StartedBus> {
  const hex = randomBytes(6).toString('hex');
  let spec: string;
  if (process.platform === 'win32') {
    spec = `start-${process.pid}-${hex}`;
  } else {
    const dir = privateDir();
    await ensurePrivateDir(dir);
    await sweepStale(dir);
    spec = posix.join(dir, startedName(hex));
  }
  const hub = await Hub.listen(spec, { ...options.hub, unref: true });
  const address = hub.address!;
  try {
    if (address.kind === 'unix') {
      const st = await lstat(address.path);
      removeOnExit(address.path, { ino: st.ino, dev: st.dev });
    }
    const maxLine = options.bus?.maxLine;
    const wire = () => hub.connectMemory(maxLine === undefined ? { tick: true } : { tick: true, maxLine });
    // The hub's key (its option, or the environment's) is the bus's too: its connection proves it like any other.
    const authkey = options.hub?.authkey ?? authkeyFromEnv();
    const bus = new StartedBus(wire(), hub, { ...options.bus, ...(authkey ? { authkey } : {}), address, dial: async () => wire() });
    await bus.ready;
    return bus;
  } catch (err) {
    await hub.close();
    if (address.kind === 'unix') forget(address.path);
    throw err;
  }
}
