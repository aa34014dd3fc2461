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
import { Session, type OpenRequest, type SessionOptions } from './session.js';

/** Options of a peer session. */
export interface PeerOptions {
  /** Largest frame in bytes, each way (default 1 MiB). */
  maxLine?: number | undefined;
  /** Called with each channel the other end opens; without it, opens are refused. */
  accept?: SessionOptions['accept'];
  /** Called once when the session is over. */
  onClose?: SessionOptions['onClose'];
}

/** A peer session over `socket`, which it then owns. */
export function peerSession(socket: Socket, options: PeerOptions = {}): Session {
  const { maxLine, accept, onClose } = options;
  return new Session(new SocketWire(socket, maxLine === undefined ? {} : { maxLine }), {
    role: 'peer',
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
 * Listens at a fresh address only this user can reach (see `listenDirect`); every connection
 * becomes a peer session handed to `onSession`, whose channels go to `accept` with it.
 */
export async function listenPeers(options: {
  maxLine?: number | undefined;
  onSession: (session: Session) => void;
  accept: (session: Session, port: Port, open: OpenRequest) => void;
  onClose: (session: Session) => void;
}): Promise<PeerListener> {
  return listenDirect((socket) => {
    const session: Session = peerSession(socket, {
      maxLine: options.maxLine,
      accept: (port, open) => options.accept(session, port, open),
      onClose: () => options.onClose(session),
    });
    options.onSession(session);
  });
}

/** Connects to a peer's {@link PeerListener} address: resolves with the session, rejects with the socket's error. */
export async function connectPeer(address: string, options: PeerOptions = {}): Promise<Session> {
  return peerSession(await connectDirect(address), options);
}
