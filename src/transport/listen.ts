/**
 * Listening on an {@link Address}: Unix socket (private mode, stale-file recovery), Windows named
 * pipe or TCP. No module-level state: every {@link Listener} is independent.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type ListenOptions as NetListenOptions, type Server, type Socket } from 'node:net';
import { posix } from 'node:path';
import { AddressInUseError } from '../errors.js';
import {
  currentEnv, ensurePrivateDir, formatAddress, privateDir, resolveAddress,
  type Address, type AddressEnv,
} from './address.js';

/** A listening server. */
export interface Listener {
  /** Where it listens; for TCP the bound host and the real port (also when 0 was asked for). */
  readonly address: Address;
  /**
   * Stops accepting at once (a Unix socket file is removed before close() returns) and resolves
   * once the server is closed, i.e. once every accepted connection has ended: their owner must
   * end or destroy them; close() does not. Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Environment for resolving `spec` (default {@link currentEnv}). */
  env?: AddressEnv;
  /**
   * Errors the server raises after it listens (such as EMFILE on accept). Default: emitted as a
   * process warning, so they are neither lost nor fatal.
   */
  onError?: (err: Error) => void;
}

type Errno = NodeJS.ErrnoException;
const codeOf = (err: unknown): string | undefined => (err as Errno | undefined)?.code;

/**
 * Listens at `spec` (see resolveAddress) and calls `onConnection` with every accepted socket,
 * which that callback then owns. Unix sockets: the private folder is made (mode 0700) when the
 * path lies in privateDir(); a stale socket file (nobody accepts on it) is replaced; the socket
 * file gets mode 0600. Rejects with AddressInUseError when a live server holds the address or
 * the path is a file that is not a socket; other listen errors are passed through as they are.
 */
export async function listen(
  spec: string | Address,
  onConnection: (socket: Socket) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  const env = options.env ?? currentEnv();
  const address = resolveAddress(spec, env);
  const where = formatAddress(address);
  const onError = options.onError ?? ((err: Error) => {
    process.emitWarning(`hostbus listener at ${where}: ${err.message}`, { type: 'HostbusWarning', code: codeOf(err) });
  });
  const inUse = (err: unknown) => codeOf(err) === 'EADDRINUSE'
    ? new AddressInUseError(`something is already listening at ${where}: stop it, or choose another address`, { cause: err })
    : err;
  const bindHere = (target: NetListenOptions) => bind(target, onConnection, onError).catch((err: unknown) => {
    throw inUse(err);
  });

  if (address.kind === 'tcp') {
    const server = await bindHere({ host: address.host, port: address.port });
    const info = server.address();
    const bound: Address = info && typeof info === 'object'
      ? { kind: 'tcp', host: info.address, port: info.port }
      : address;
    return makeListener(server, bound, undefined);
  }
  if (address.kind === 'pipe') return makeListener(await bindHere({ path: address.path }), address, undefined);

  const { path } = address;
  const dir = posix.dirname(path);
  if (dir === privateDir(env)) await ensurePrivateDir(dir);
  let server: Server;
  try {
    server = await bind({ path }, onConnection, onError);
  } catch (err) {
    if (codeOf(err) !== 'EADDRINUSE') throw err;
    await clearStale(path);
    server = await bindHere({ path });
  }
  try {
    await chmod(path, 0o600);
    const st = await lstat(path);
    return makeListener(server, address, { ino: st.ino, dev: st.dev });
  } catch (err) {
    server.close();
    throw err;
  }
}

/** Creates a server and listens; on success the persistent error handler is attached at once. */
function bind(target: NetListenOptions, onConnection: (s: Socket) => void, onError: (e: Error) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    const failed = (err: Error) => {
      server.off('listening', listening);
      reject(err);
    };
    const listening = () => {
      server.off('error', failed);
      server.on('error', onError);
      resolve(server);
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(target);
  });
}

/**
 * After EADDRINUSE on `path`: returns once the path is free (a stale socket file was removed, or
 * it vanished); throws AddressInUseError if it is not a socket, or if a server accepts on it.
 */
async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) {
    throw new AddressInUseError(`${path} is a file that is not a socket: move or remove it, or choose another address`);
  }
  let live: boolean;
  try {
    live = await probe(path);
  } catch (err) {
    throw new AddressInUseError(`${path} is in use and could not be probed (${codeOf(err) ?? String(err)}): remove it if no hub runs there, or choose another address`, { cause: err });
  }
  if (live) throw new AddressInUseError(`a hub is already listening at ${path}: stop it, or choose another address`);
  await unlink(path).catch(ignoreENOENT);
}

/** Connects to `path`: true if something accepts, false if refused or gone, rejects otherwise. */
function probe(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    // `on`, not `once`: a late error on this throwaway socket must not become uncaught.
    socket.on('error', (err: Errno) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

function ignoreENOENT(err: unknown): void {
  if (codeOf(err) !== 'ENOENT') throw err;
}

function makeListener(server: Server, address: Address, file: { ino: number; dev: number } | undefined): Listener {
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
    });
    closed.catch(() => {}); // awaited below; avoids an unhandled rejection while unlinking
    if (file && address.kind === 'unix') {
      // Node unlinks the socket file itself; remove it if it is still there and still ours
      // (same inode), never a socket another server has bound at the path meanwhile.
      const st = await lstat(address.path).catch((err: unknown) => ignoreENOENT(err));
      if (st && st.ino === file.ino && st.dev === file.dev) await unlink(address.path).catch(ignoreENOENT);
    }
    await closed;
  };
  return {
    address,
    close: () => (closing ??= close()),
  };
}
