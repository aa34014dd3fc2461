/**
 * The child's side of a `Pipe()` end whose socketpair comes over the IPC channel (both ends of
 * one `Pipe()` handed to two children: see `pipe-slots.ts`). The listener is installed when this
 * module loads, in a child started by `spawn()` (whose main module is child-main.js), before the
 * start message is handled, so that a socket sent right behind it is never missed; other processes
 * that import it get no listener.
 */
import type { Socket } from 'node:net';

/** Parent → child over the IPC channel, with the socket as its handle. */
export interface PipeSocketMessage {
  hostbus: 'pipe-socket';
  /** Which argument it is for (the `id` of its `pipe-ipc` descriptor). */
  id: number;
  /** Base64 of the bytes the parent had read from the socket before handing it over. */
  head: string;
}

const arrived = new Map<number, Socket>();
const waiting = new Map<number, (socket: Socket) => void>();

function isPipeSocket(msg: unknown): msg is PipeSocketMessage {
  return typeof msg === 'object' && msg !== null && (msg as { hostbus?: unknown }).hostbus === 'pipe-socket';
}

if (process.send && /child-main\.js$/.test(process.argv[1] ?? '')) {
  process.on('message', (msg: unknown, handle: unknown) => {
    if (!isPipeSocket(msg) || !handle) return;
    const socket = handle as Socket;
    // Same turn as the socket was made: nothing was read from it yet, so the head goes first.
    if (msg.head) socket.unshift(Buffer.from(msg.head, 'base64'));
    const take = waiting.get(msg.id);
    if (take) {
      waiting.delete(msg.id);
      take(socket);
    } else {
      arrived.set(msg.id, socket);
    }
  });
}

/** Resolves with the socket the parent sends for `id` (it comes right behind the start message). */
export function pipeSocket(id: number): Promise<Socket> {
  const socket = arrived.get(id);
  if (socket) {
    arrived.delete(id);
    return Promise.resolve(socket);
  }
  return new Promise((resolve) => waiting.set(id, resolve));
}
