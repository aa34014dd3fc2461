/**
 * Sockets for direct links between two processes that met through a hub. On Linux they live in
 * the abstract namespace: no file, so nothing is left behind even when a process is killed, and
 * only a peer given the hub's one-time token gets a channel on it. Elsewhere: a Unix socket in
 * the private folder (POSIX) or a named pipe (win32), through {@link listen}.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { formatAddress, resolveAddress } from './address.js';
import { listen } from './listen.js';

/** A listening direct socket. */
export interface DirectListener {
  /** Where peers connect: what {@link connectDirect} takes. */
  readonly address: string;
  /** Stops accepting; resolves once the server is closed (accepted sockets are their owner's). */
  close(): Promise<void>;
}

const ABSTRACT = '\0';

/** Listens at a fresh address of this process and hands every accepted socket to `onConnection`. */
export async function listenDirect(onConnection: (socket: Socket) => void): Promise<DirectListener> {
  const name = `hostbus-direct-${process.pid}-${randomBytes(8).toString('hex')}`;
  if (process.platform !== 'linux') {
    const listener = await listen(name, onConnection);
    return { address: formatAddress(listener.address), close: () => listener.close() };
  }
  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: ABSTRACT + name }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // the connections it accepts keep the process alive, not the listening itself
  server.on('error', (err) => process.emitWarning(`hostbus direct listener: ${err.message}`, { type: 'HostbusWarning' }));
  let closed: Promise<void> | undefined;
  return {
    address: ABSTRACT + name,
    close: () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/**
 * Connects to an address from {@link listenDirect}. Rejects with the socket's error, or with
 * InvalidArgumentError (or AddressTooLongError) for an address that is neither an abstract name, a path nor a pipe name.
 */
export async function connectDirect(address: string): Promise<Socket> {
  let path: string;
  if (address.startsWith(ABSTRACT) && address.length > 1) {
    path = address;
  } else {
    const resolved = resolveAddress(address);
    if (resolved.kind === 'tcp') throw new InvalidArgumentError(`a direct address must be a socket path or a pipe name, not ${address}`);
    path = resolved.path;
  }
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ path });
    const failed = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}
