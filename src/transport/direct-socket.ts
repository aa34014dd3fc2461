/**
 * Sockets for direct links between two processes that met through a hub. Over a TCP hub: a TCP
 * listener on the address this process reaches the hub from, on a free port, which anyone who
 * can route to it can reach (the session on it must authenticate). Otherwise, POSIX (Linux included):
 * a Unix socket `d-<pid>-<hex>.sock` in the private per-user folder ({@link privateDir}, mode
 * 0700), the socket itself 0600, so only this user's processes can connect at all. Its file is
 * removed when the listener closes, or when the process exits with it still open; files left by
 * a process that was killed are swept when a later listener starts. win32: a named pipe, through
 * {@link listen}. Abstract sockets are not used: they have no permissions, every local user can
 * list their names in /proc/net/unix and connect, and Node cannot read the peer's credentials
 * (SO_PEERCRED) without a native addon.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, unlinkSync } from 'node:fs';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { posix } from 'node:path';
import { ClosedError, InvalidArgumentError, TimeoutError } from '../errors.js';
import { ensurePrivateDir, formatAddress, privateDir, resolveAddress } from './address.js';
import { listen } from './listen.js';
import { sweepStale } from './stale-sockets.js';

/** A listening direct socket. */
export interface DirectListener {
  /** Where peers connect: what {@link connectDirect} takes. */
  readonly address: string;
  /**
   * Stops accepting and removes the socket file; resolves once the server is closed (accepted
   * sockets are their owner's, who must end them).
   */
  close(): Promise<void>;
}

const ABSTRACT = '\0';
/** Names of direct sockets: the pid of the process that listens, and a random part. */
const DIRECT_NAME = /^d-(\d+)-[0-9a-f]+\.sock$/;

/** Socket files of this process's open direct listeners, removed on exit if still open. */
const open = new Map<string, { ino: number; dev: number }>();

function unlinkOpenSync(): void {
  for (const [path, file] of open) {
    try {
      const st = lstatSync(path);
      if (st.ino === file.ino && st.dev === file.dev) unlinkSync(path);
    } catch {
      // gone already, or not ours to remove: nothing to do at exit
    }
  }
  open.clear();
}

function track(path: string, file: { ino: number; dev: number }): void {
  if (open.size === 0) process.on('exit', unlinkOpenSync);
  open.set(path, file);
}

function untrack(path: string): void {
  if (!open.delete(path)) return;
  if (open.size === 0) process.off('exit', unlinkOpenSync);
}

/**
 * Listens at a fresh address of this process and hands every accepted socket to `onConnection`:
 * on TCP at `host` (an IP address of this machine) when given, else on a private socket.
 */
export async function listenDirect(onConnection: (socket: Socket) => void, host?: string): Promise<DirectListener> {
  if (host !== undefined) return listenTcp(host, onConnection);
  const hex = randomBytes(6).toString('hex');
  if (process.platform === 'win32') {
    const listener = await listen(`direct-${process.pid}-${hex}`, onConnection);
    return { address: formatAddress(listener.address), close: () => listener.close() };
  }
  const dir = privateDir();
  const path = posix.join(dir, `d-${process.pid}-${hex}.sock`);
  resolveAddress(path); // AddressTooLongError before anything is made: the caller relays instead
  await ensurePrivateDir(dir);
  await sweepStale(dir, DIRECT_NAME);
  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref(); // the connections it accepts keep the process alive, not the listening itself
  server.on('error', (err) => process.emitWarning(`hostbus direct listener at ${path}: ${err.message}`, { type: 'HostbusWarning' }));
  let file: { ino: number; dev: number };
  try {
    // The folder already keeps other users out; the mode says the same of the socket itself.
    await chmod(path, 0o600);
    const st = await lstat(path);
    file = { ino: st.ino, dev: st.dev };
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  track(path, file);
  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    // Node unlinks the file itself when the server stops listening; remove it if it is still
    // there and still ours (same inode).
    const st = await lstat(path).catch(() => undefined);
    if (st && st.ino === file.ino && st.dev === file.dev) await unlink(path).catch(() => {});
    untrack(path);
    await done;
  };
  return { address: path, close: () => (closed ??= close()) };
}

/** A TCP direct listener at `host`, on a free port: `tcp://host:port` is its address. */
async function listenTcp(host: string, onConnection: (socket: Socket) => void): Promise<DirectListener> {
  const server: Server = createServer({ noDelay: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const address = formatAddress({ kind: 'tcp', host, port });
  server.on('error', (err) => process.emitWarning(`hostbus direct listener at ${address}: ${err.message}`, { type: 'HostbusWarning' }));
  let closed: Promise<void> | undefined;
  return { address, close: () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve()))) };
}

/**
 * Connects to an address from {@link listenDirect}, `tcp://` only when `tcp` is true; gives up
 * after `timeoutMs` (default: no limit) with a TimeoutError, or when `signal` aborts with a
 * ClosedError. Rejects with the socket's error, or
 * with InvalidArgumentError (or AddressTooLongError) for an address that is neither a path nor a
 * pipe name (nor, on Linux, an abstract name, as earlier versions offered) nor an allowed tcp://.
 */
export async function connectDirect(address: string, options: { tcp?: boolean; timeoutMs?: number; signal?: AbortSignal | undefined } = {}): Promise<Socket> {
  let target: { path: string } | { host: string; port: number; noDelay: true };
  if (address.startsWith(ABSTRACT) && address.length > 1 && process.platform === 'linux') {
    target = { path: address };
  } else {
    const resolved = resolveAddress(address);
    if (resolved.kind !== 'tcp') target = { path: resolved.path };
    else if (options.tcp && resolved.port !== 0) target = { host: resolved.host, port: resolved.port, noDelay: true };
    else throw new InvalidArgumentError(`a direct address here must be a socket path or a pipe name, not ${address}`);
  }
  const { signal } = options;
  if (signal?.aborted) throw new ClosedError(`the connection to ${address} was given up`);
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect(target);
    const aborted = () => failed(new ClosedError(`the connection to ${address} was given up`));
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const failed = (err: Error) => {
      settle();
      socket.destroy();
      reject(err);
    };
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(
      () => failed(new TimeoutError(`no connection to ${address} within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    signal?.addEventListener('abort', aborted, { once: true });
    socket.once('error', failed);
    socket.once('connect', () => {
      settle();
      socket.off('error', failed);
      resolve(socket);
    });
  });
}
