/**
 * Sessions straight between the two ends of a pipe, with no hub between: over a socketpair (a
 * `Pipe()` end handed to a child), over a direct link (a named pipe whose ends met through the
 * hub), or in memory (both ends in one process). The one place where such a connection is built,
 * so that the channels layer never touches a socket.
 */
import { Socket } from 'node:net';
import { connectDirect, listenDirect } from '../transport/direct-socket.js';
import { memoryWirePair } from '../transport/memory-wire.js';
import { SocketWire } from '../transport/socket-wire.js';
import type { Port } from './port.js';
import { ClosedError, ConnectionLostError, PeerGoneError } from '../errors.js';
import { clientAuth, hubAuth } from './auth.js';
import { helloHandshake } from './handshake.js';
import { Session, type OpenRequest, type SessionOptions } from './session.js';

/** Options of a peer session. */
export interface PeerOptions {
  /** Largest frame in bytes, each way (default 1 MiB). */
  maxLine?: number | undefined;
  /** Keepalive interval in ms (default 0: off). */
  keepaliveMs?: number | undefined;
  /** Called with each channel the other end opens; without it, opens are refused. */
  accept?: SessionOptions['accept'];
  /** Called once when the session is over. */
  onClose?: SessionOptions['onClose'];
}

/** The key both ends of a peer session prove, and which of the two challenges first. */
interface PeerAuth {
  key: Buffer;
  side: 'challenger' | 'answerer';
}

/** A peer session over `socket`, which it then owns; with `auth`, the key is proven both ways before `hello`. */
export function peerSession(socket: Socket, options: PeerOptions & { auth?: PeerAuth; helloTimeoutMs?: number; onReady?: () => void } = {}): Session {
  const { maxLine, keepaliveMs, accept, onClose, auth, helloTimeoutMs, onReady } = options;
  const wire = new SocketWire(socket, maxLine === undefined ? {} : { maxLine });
  const hello = helloHandshake('peer', wire.maxLine);
  return new Session(wire, {
    role: 'peer',
    ...(auth ? { handshake: auth.side === 'challenger' ? hubAuth(auth.key, hello) : clientAuth(auth.key, hello) } : {}),
    ...(keepaliveMs ? { keepaliveMs } : {}),
    ...(helloTimeoutMs !== undefined ? { helloTimeoutMs } : {}),
    ...(onReady ? { onReady } : {}),
    ...(accept ? { accept } : {}),
    ...(onClose ? { onClose } : {}),
  });
}

/** A peer session on an inherited file descriptor (a child's end of a socketpair). */
export function peerSessionOnFd(fd: number, options: PeerOptions = {}): Session {
  return peerSession(new Socket({ fd, readable: true, writable: true }), options);
}

/** Two peer sessions joined in memory: the first opens channels, the second accepts them with `accept`. */
export function memoryPeers(accept: NonNullable<SessionOptions['accept']>): [Session, Session] {
  const [a, b] = memoryWirePair();
  const acceptor = new Session(b, { role: 'peer', accept });
  return [new Session(a, { role: 'peer' }), acceptor];
}

/** A listener for direct peers. */
export interface PeerListener {
  /** What a peer connects to (see {@link connectPeer}). */
  readonly address: string;
  /** Stops accepting; resolves once closed (sessions made are their owner's). */
  close(): Promise<void>;
}

/**
 * Listens at a fresh address (see `listenDirect`): a socket only this user can reach, or a TCP
 * port at `host`. With `key`, every session on it must prove the key both ways (this side
 * challenges first) before anything else. Every connection becomes a peer session handed to
 * `onSession`, whose channels go to `accept` with it.
 */
export async function listenPeers(options: {
  maxLine?: number | undefined;
  key?: Buffer | undefined;
  host?: string | undefined;
  keepaliveMs?: number | undefined;
  onSession: (session: Session) => void;
  accept: (session: Session, port: Port, open: OpenRequest) => void;
  onClose: (session: Session) => void;
}): Promise<PeerListener> {
  const { key } = options;
  return listenDirect((socket) => {
    const session: Session = peerSession(socket, {
      maxLine: options.maxLine,
      keepaliveMs: options.keepaliveMs,
      ...(key ? { auth: { key, side: 'challenger' } } : {}),
      accept: (port, open) => options.accept(session, port, open),
      onClose: () => options.onClose(session),
    });
    options.onSession(session);
  }, options.host);
}

/**
 * Connects to a peer's {@link PeerListener} address and resolves with the session once the
 * peer's handshake is done, all within `timeoutMs`. With `key`, the key is proven both ways
 * first (this side answers the peer's challenge, and sends nothing before it); a `tcp://`
 * address is refused without a key. Rejects with the socket's error, the session's (ERR_AUTH,
 * ERR_LIMIT at the deadline...), a TimeoutError, or a ClosedError when `signal` aborts; the
 * session, if one was made, is closed then.
 */
export async function connectPeer(address: string, options: PeerOptions & { key?: Buffer | undefined; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<Session> {
  const { key, timeoutMs, signal } = options;
  const started = Date.now();
  const socket = await connectDirect(address, { tcp: key !== undefined, timeoutMs, signal });
  return new Promise<Session>((resolve, reject) => {
    const aborted = () => {
      reject(new ClosedError(`the connection to ${address} was given up`));
      session.close(true);
    };
    const session: Session = peerSession(socket, {
      ...options,
      ...(key ? { auth: { key, side: 'answerer' } } : {}),
      helloTimeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
      onReady: () => {
        signal?.removeEventListener('abort', aborted);
        resolve(session);
      },
      onClose: (err) => {
        signal?.removeEventListener('abort', aborted);
        reject(err ?? new ConnectionLostError('the peer closed the connection during its handshake'));
        options.onClose?.(err);
      },
    });
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Connects to the first of `addresses` that takes the connection and its handshake, trying them
 * in order within `timeoutMs` in all (see {@link connectPeer}; `tcpKeepaliveMs` is the keepalive
 * of a `tcp://` one). Rejects with the last failure once none did, or `signal` aborted.
 */
export async function reachPeer(
  addresses: readonly string[],
  options: PeerOptions & { key?: Buffer | undefined; tcpKeepaliveMs?: number | undefined; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<Session> {
  const until = Date.now() + options.timeoutMs;
  let failure: unknown = new PeerGoneError('the other end offered no address');
  for (const address of addresses) {
    const timeoutMs = until - Date.now();
    if (timeoutMs < 1 || options.signal?.aborted) break;
    try {
      return await connectPeer(address, { ...options, keepaliveMs: address.startsWith('tcp://') ? options.tcpKeepaliveMs : undefined, timeoutMs });
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}
