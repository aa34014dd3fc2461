import { Bus, connect } from '../channels/bus.js';
import { childAuthkey } from '../channels/authkeys.js';
import { handleKindNamed, isHandleDescriptor, type HandleDescriptor } from '../channels/handle.js';
import '../channels/queue.js'; // registers the queue handle kind
import { InvalidArgumentError } from '../errors.js';
import { PipeEnd } from '../channels/pipe.js';
import { peerSession, peerSessionOnFd } from '../bus/peers.js';
import { pipeSocket } from './pipe-sockets.js';

/** What the child opened for its arguments, to close when the function is done. */
export interface Opened {
  buses: Map<string, Promise<Bus>>;
  /** Each `Pipe()` end received, and how to close its connection (resolves once it is closed). */
  pipes: { end: PipeEnd<unknown>; close(): Promise<void> }[];
}

/** Rebuilds handles from the descriptors in `json`: one connection per hub address. */
export async function decodeArgs(json: string, opened: Opened, onHubLost: (address: string, err: Error) => void): Promise<unknown[]> {
  // Handles that need a connection are placeholders until it is up; then they are swapped in.
  const placeholders = new Map<object, unknown>();
  const pending: Promise<void>[] = [];
  const busFor = (address: string): Promise<Bus> => {
    let bus = opened.buses.get(address);
    if (!bus) {
      const authkey = childAuthkey(address);
      bus = connect(address, { ...(authkey ? { authkey } : {}), onClose: (err) => { if (err) onHubLost(address, err); } });
      opened.buses.set(address, bus);
    }
    return bus;
  };
  const args = JSON.parse(json, (_key, value: unknown) => {
    if (!isHandleDescriptor(value)) return value;
    const d = value as HandleDescriptor;
    if (d.$hostbus === 'pipe-fd') return pipeOnFd(Number(d.fd), opened);
    if (d.$hostbus === 'pipe-ipc') return pipeOverIpc(Number(d.id), opened, pending);
    const kind = handleKindNamed(d.$hostbus);
    if (!kind) {
      throw new InvalidArgumentError(`an argument is a handle of kind '${d.$hostbus}', which this process does not know: the module that registers it (registerHandleKind) must be imported in the child, e.g. by the module of the function it runs`);
    }
    if (typeof d.address !== 'string') throw new InvalidArgumentError(`a '${d.$hostbus}' handle came without the address of its hub`);
    const placeholder = {};
    pending.push(busFor(d.address).then((bus) => {
      placeholders.set(placeholder, kind.revive(d, bus));
    }));
    return placeholder;
  }) as unknown[];
  await Promise.all(pending);
  return swap(args, placeholders) as unknown[];
}

/** The child's end of a `Pipe()`: a session on the inherited socketpair, accepting the parent's open. */
function pipeOnFd(fd: number, opened: Opened): PipeEnd<unknown> {
  const end = new PipeEnd<unknown>(`pipe on fd ${fd}`);
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  // The connection joins this end to the other and nothing else: losing it means the peer is gone.
  const session = peerSessionOnFd(fd, { accept: (port) => end.attach(port, true), onClose: () => closed() });
  end.onGone = () => session.close();
  opened.pipes.push({ end, close: () => (session.close(), done) });
  return end;
}

/**
 * The child's end of a `Pipe()` whose other end is in another child: the parent sends the
 * socketpair's side over IPC, and this end opens the pipe's channel on it, as the parent would.
 */
function pipeOverIpc(id: number, opened: Opened, pending: Promise<void>[]): PipeEnd<unknown> {
  const end = new PipeEnd<unknown>(`pipe ${id} to another child`);
  pending.push(pipeSocket(id).then((socket) => {
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    const session = peerSession(socket, { onClose: () => closed() });
    end.onGone = () => session.close();
    end.attach(session.open('pipe', '', 'end', undefined, end.handler), true);
    opened.pipes.push({ end, close: () => (session.close(), done) });
  }));
  return end;
}

function swap(value: unknown, placeholders: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null || value instanceof PipeEnd) return value;
  if (placeholders.has(value)) return placeholders.get(value);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) v[k] = swap(v[k], placeholders);
  return value;
}
