/**
 * The parent's side of the socketpairs of `Pipe()` ends handed to a child (after `fork`). The end
 * that stays here connects to its socketpair on first use; handed to a second child before that,
 * the socketpair's side goes to that child over the IPC channel (`child.send(msg, socket)`), and
 * the two children talk over it directly: the second opens the pipe's channel, as a parent would.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { peerSession } from '../bus/peers.js';
import type { LocalLink, ParkedSlot, PipeEnd } from '../channels/pipe.js';
import type { PipeSocketMessage } from './pipe-sockets.js';

/** The Pipe() ends among a child's arguments (see `encodeArgs`). */
export interface PipeArgs {
  /** Links whose end goes to the child as a socketpair, one extra stdio slot each, in order. */
  pipes: LocalLink<unknown>[];
  /** Links whose other end went to another child: this child gets that socketpair's side, by id. */
  handOvers: { link: LocalLink<unknown>; id: number }[];
}

const ignore = (): void => undefined;

/** A socketpair side held here, unread, until the end that stays is used. */
class SocketSlot implements ParkedSlot {
  constructor(readonly socket: Socket) {
    // Until a session owns it: a child that dies resets it, which must not crash this process.
    socket.on('error', ignore);
  }

  connect(end: PipeEnd<unknown>): void {
    this.socket.off('error', ignore);
    const session = peerSession(this.socket);
    end.onGone = () => session.close();
    end.attach(session.open('pipe', '', 'end', undefined, end.handler));
  }
}

/**
 * Parks each socketpair of `child` (stdio slots from `firstFd` on) with its link, then hands each
 * parked side the child is to get over its IPC channel. Call it after the start message was sent:
 * the child takes its first message as the start.
 */
export function connectPipes(child: ChildProcess, args: PipeArgs, firstFd: number): void {
  args.pipes.forEach((link, i) => link.park(new SocketSlot(child.stdio[firstFd + i] as Socket)));
  for (const { link, id } of args.handOvers) {
    const slot = link.takeParked() as SocketSlot | undefined;
    if (slot) handOver(child, slot.socket, id);
  }
}

/**
 * Sends `socket` to `child`. This process stops reading it first, and the bytes it had read
 * already (the other child's `hello`) travel in the message, so the receiver reads the stream
 * whole; Node closes this process's copy once the child has it.
 */
function handOver(child: ChildProcess, socket: Socket, id: number): void {
  socket.pause();
  const head: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null;) head.push(chunk);
  // Paused, a net.Socket still reads into its buffer; stop the handle itself (all of this runs in
  // one turn, so nothing is read between the buffer's copy and the stop).
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?(): number } })._handle;
  if (handle) {
    handle.reading = false;
    handle.readStop?.();
  }
  const msg: PipeSocketMessage = { hostbus: 'pipe-socket', id, head: Buffer.concat(head).toString('base64') };
  // A failed send means the child is gone; its join() reports that.
  child.send(msg, socket, (err) => { if (err) socket.destroy(); });
}
