/**
 * Listening on an {@link Address}: Unix socket (private mode, stale-file recovery), Windows named
 * pipe or TCP. No module-level state: every {@link Listener} is independent.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { chmod, link, lstat, mkdtemp, rmdir, unlink } from 'node:fs/promises';
import { connect, createServer, type ListenOptions as NetListenOptions, type Server, type Socket } from 'node:net';
import { posix } from 'node:path';
import { AddressInUseError, AddressTooLongError, InvalidArgumentError } from '../errors.js';
import {
  currentEnv, ensurePrivateDir, formatAddress, privateDir, resolveAddress, unixPathLimit,
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
  /**
   * How many connections the OS queues while they wait to be accepted (default Node's 511; the
   * OS may cap it, e.g. at net.core.somaxconn on Linux). When it is full, a client's connect
   * fails with HubBusyError. A positive integer, else InvalidArgumentError.
   */
  backlog?: number;
  /**
   * When true, the listening server does not by itself keep the process alive (`server.unref()`);
   * the sockets it accepts are the connection callback's to ref or unref. Default false.
   */
  unref?: boolean;
}

type Errno = NodeJS.ErrnoException;
type FileId = { ino: number; dev: number };
type Bind = (path: string) => Promise<Server>;
const codeOf = (err: unknown): string | undefined => (err as Errno | undefined)?.code;

/**
 * Prefix of the staging folder made next to a socket path outside the private folder; mkdtemp
 * adds 6 characters, and the socket inside it is named `s`.
 */
const STAGING = '.hb-';

/**
 * Listens at `spec` (see resolveAddress) and calls `onConnection` with every accepted socket,
 * which that callback then owns. Unix sockets: the socket file is never reachable with looser
 * permissions than 0600. In privateDir() (made with mode 0700) it is bound in place; elsewhere it
 * is bound in a fresh 0700 staging folder next to the path, made 0600 there, and hard-linked into
 * place, so it appears at the path only once it is owner-only (AddressTooLongError when the
 * staging path would exceed the platform's limit). A stale socket file (nobody accepts on it) is
 * replaced. Rejects with AddressInUseError when a live server holds the address or the path is a
 * file that is not a socket, InvalidArgumentError for a bad spec or backlog; other errors are
 * passed through as they are.
 */
export async function listen(
  spec: string | Address,
  onConnection: (socket: Socket) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  const env = options.env ?? currentEnv();
  const address = resolveAddress(spec, env);
  const backlog = checkBacklog(options.backlog);
  const where = formatAddress(address);
  const onError = options.onError ?? ((err: Error) => {
    process.emitWarning(`hostbus listener at ${where}: ${err.message}`, { type: 'HostbusWarning', code: codeOf(err) });
  });
  const queue = backlog === undefined ? {} : { backlog };
  const unref = options.unref === true;
  const bindAt = (target: NetListenOptions) => bind({ ...target, ...queue }, onConnection, onError, unref);
  const bindHere = (target: NetListenOptions) => bindAt(target).catch((err: unknown) => {
    throw codeOf(err) === 'EADDRINUSE' ? inUse(where, err) : err;
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
  if (dir === privateDir(env)) {
    await ensurePrivateDir(dir);
    const { server, file } = await bindInPlace(path, (p) => bindAt({ path: p }), (p) => bindHere({ path: p }));
    return makeListener(server, address, file);
  }
  const { server, file } = await bindStaged(path, (p) => bindAt({ path: p }), where);
  return makeListener(server, address, file);
}

/** `backlog` if it is undefined or a positive integer (at most 2^31 - 1); else InvalidArgumentError. */
function checkBacklog(backlog: unknown): number | undefined {
  if (backlog === undefined) return undefined;
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 1 || backlog > 0x7fffffff) {
    throw new InvalidArgumentError(`backlog is ${typeof backlog === 'string' ? JSON.stringify(backlog) : String(backlog)}: give a positive integer number of pending connections (such as 511, the default), or leave it out`);
  }
  return backlog;
}

function inUse(where: string, cause: unknown): AddressInUseError {
  return new AddressInUseError(`something is already listening at ${where}: stop it, or choose another address`, { cause });
}

/**
 * Binds the socket at `path` itself, then makes it 0600: only for a path in the private 0700
 * folder, where nobody else can reach it in between. A stale socket at `path` is replaced.
 */
async function bindInPlace(path: string, bindAt: Bind, bindHere: Bind): Promise<{ server: Server; file: FileId }> {
  let server: Server;
  try {
    server = await bindAt(path);
  } catch (err) {
    if (codeOf(err) !== 'EADDRINUSE') throw err;
    await clearStale(path);
    server = await bindHere(path);
  }
  try {
    await chmod(path, 0o600);
    const st = await lstat(path);
    return { server, file: { ino: st.ino, dev: st.dev } };
  } catch (err) {
    server.close();
    throw err;
  }
}

/**
 * Binds the socket in a fresh staging folder next to `path` (mode 0700, same filesystem), makes
 * it 0600 there, then hard-links it to `path`: link(2), unlike rename(2), fails if something is
 * at `path` (then a stale socket is replaced, anything else is AddressInUseError) instead of
 * replacing a live hub's socket. The staging name and folder are removed on every outcome; the
 * server then listens on the socket file at `path` only.
 */
async function bindStaged(path: string, bindAt: Bind, where: string): Promise<{ server: Server; file: FileId }> {
  const dir = posix.dirname(path);
  checkStagingLength(path, dir);
  const staging = await mkdtemp(posix.join(dir, STAGING));
  const temp = posix.join(staging, 's');
  let server: Server | undefined;
  let file: FileId | undefined;
  try {
    server = await bindAt(temp);
    await chmod(temp, 0o600);
    const st = await lstat(temp);
    file = { ino: st.ino, dev: st.dev };
    await linkInto(temp, path, where);
    await discardStaging(staging, temp);
    return { server, file };
  } catch (err) {
    // Closing the server unlinks the staging name (libuv unlinks the path it bound).
    server?.close();
    if (file) removeIfSame(path, file, () => {});
    await discardStaging(staging, temp).catch(() => {}); // the first error is the one to report
    throw err;
  }
}

/** AddressTooLongError if the staging path for `path` would exceed this platform's limit. */
function checkStagingLength(path: string, dir: string): void {
  const staged = posix.join(dir, `${STAGING}XXXXXX`, 's');
  const bytes = Buffer.byteLength(staged);
  const limit = unixPathLimit(process.platform);
  if (bytes <= limit) return;
  throw new AddressTooLongError(`socket path ${path} is first bound as ${staged} (${bytes} bytes, over the ${limit}-byte limit on ${process.platform}), so that it is owner-only before it appears at its path: use a folder at least ${bytes - limit} bytes shorter, or a bare name`);
}

/** Hard-links `temp` to `path`; on EEXIST clears a stale socket once and tries again. */
async function linkInto(temp: string, path: string, where: string): Promise<void> {
  try {
    await link(temp, path);
    return;
  } catch (err) {
    if (codeOf(err) !== 'EEXIST') throw err;
  }
  await clearStale(path);
  try {
    await link(temp, path);
  } catch (err) {
    throw codeOf(err) === 'EEXIST' ? inUse(where, err) : err;
  }
}

async function discardStaging(staging: string, temp: string): Promise<void> {
  await unlink(temp).catch(ignoreENOENT);
  await rmdir(staging).catch(ignoreENOENT);
}

/** Creates a server (unref'd if asked) and listens; on success the persistent error handler is attached at once. */
function bind(target: NetListenOptions, onConnection: (s: Socket) => void, onError: (e: Error) => void, unref: boolean): Promise<Server> {
  return new Promise((resolve, reject) => {
    // TCP_NODELAY on every accepted TCP socket: a frame goes out at once, not after Nagle's wait for an ack.
    const server = createServer({ noDelay: true }, onConnection);
    if (unref) server.unref();
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
export function probe(path: string): Promise<boolean> {
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

/**
 * Removes `path` if it is still the file `file` (same inode), never a socket another server has
 * put there since; synchronous, so that it is gone when the caller returns. Errors other than
 * ENOENT go to `onError`.
 */
function removeIfSame(path: string, file: FileId, onError: (err: unknown) => void): void {
  try {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st && st.ino === file.ino && st.dev === file.dev) unlinkSync(path);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') onError(err);
  }
}

function makeListener(server: Server, address: Address, file: FileId | undefined): Listener {
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
    });
    let unlinkError: unknown;
    if (file && address.kind === 'unix') {
      // Node unlinks the path it bound, which for a staged socket is the staging name (gone
      // already: nothing to do). Remove the socket at the address if it is still ours.
      removeIfSame(address.path, file, (err) => {
        unlinkError = err;
      });
    }
    await closed;
    if (unlinkError !== undefined) throw unlinkError;
  };
  return {
    address,
    close: () => (closing ??= close()),
  };
}
