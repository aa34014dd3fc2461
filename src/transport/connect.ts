/** Connecting to a hub's {@link Address}. */
import { connect, type Socket } from 'node:net';
import { HubBusyError, InvalidArgumentError, NoHubError, TimeoutError, type HostbusError } from '../errors.js';
import { currentEnv, formatAddress, resolveAddress, type Address, type AddressEnv } from './address.js';

/** Options of {@link connectSocket}. */
export interface ConnectOptions {
  /** Give up after this many milliseconds with a TimeoutError (default: no limit). */
  timeoutMs?: number;
  /** Environment for resolving `spec` (default currentEnv()). */
  env?: AddressEnv;
}

/**
 * Connects to `spec` (see resolveAddress) and resolves with the connected socket, which the
 * caller then owns; no listener of this function stays attached to it. Rejects with:
 * NoHubError when nobody listens (ENOENT, ECONNREFUSED); HubBusyError when a hub listens at a
 * Unix socket but its queue of pending connections (its listen backlog) is full (EAGAIN);
 * NoHubError naming the code on any other socket error (the original error is the `cause` of
 * each); TimeoutError after `timeoutMs`;
 * InvalidArgumentError / AddressTooLongError for a bad spec, a bad timeout or TCP port 0.
 * On failure the socket is destroyed.
 */
export function connectSocket(spec: string | Address, options: ConnectOptions = {}): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const address = resolveAddress(spec, options.env ?? currentEnv());
    const where = formatAddress(address);
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new InvalidArgumentError(`timeoutMs is ${String(timeoutMs)}: give a positive number of milliseconds, or leave it out for no limit`);
    }
    if (address.kind === 'tcp' && address.port === 0) {
      throw new InvalidArgumentError(`cannot connect to port 0 (${where}): give the port the hub listens on, e.g. its Listener.address.port`);
    }

    const socket = address.kind === 'tcp'
      ? connect({ host: address.host, port: address.port, noDelay: true }) // a frame goes out at once, not after Nagle's wait
      : connect({ path: address.path });
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (timer !== undefined) clearTimeout(timer);
    };
    const onConnect = () => {
      settle();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException) => {
      settle();
      socket.destroy();
      reject(connectError(err, address, typeof spec === 'string' ? spec : where));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        settle();
        socket.destroy();
        reject(new TimeoutError(`could not connect to ${where} within ${timeoutMs} ms: check that the hub is running and not overloaded, or raise timeoutMs`));
      }, timeoutMs);
    }
  });
}

/** The hostbus error for a failed connect to `address` (given by the caller as `spec`). */
function connectError(err: NodeJS.ErrnoException, address: Address, spec: string): HostbusError {
  const where = formatAddress(address);
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return new NoHubError(`no hub is listening at ${where}: start one with \`hostbus serve ${spec}\` or \`Hub.listen(${JSON.stringify(spec)})\` in a process`, { cause: err });
  }
  if (err.code === 'EAGAIN' && address.kind === 'unix') {
    // Linux: connect(2) on a non-blocking Unix socket whose listener's queue is full.
    return new HubBusyError(`the hub at ${where} is alive but busy: its queue of pending connections is full; try again shortly, or have the hub listen with a larger backlog`, { cause: err });
  }
  return new NoHubError(`cannot connect to ${where} (${err.code ?? err.message}): check the address, and that you may access it (socket and folder permissions, firewall)`, { cause: err });
}
