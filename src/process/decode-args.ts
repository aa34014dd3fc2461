import { Socket } from 'node:net';
import { Bus, connect } from '../channels/bus.js';
import { isHandleDescriptor, type HandleDescriptor } from '../channels/handle.js';
import { PipeEnd } from '../channels/pipe.js';
import { Session } from '../bus/session.js';
import { SocketWire } from '../transport/socket-wire.js';

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
      bus = connect(address, { onClose: (err) => { if (err) onHubLost(address, err); } });
      opened.buses.set(address, bus);
    }
    return bus;
  };
  const args = JSON.parse(json, (_key, value: unknown) => {
    if (!isHandleDescriptor(value)) return value;
    const d = value as HandleDescriptor;
    if (d.$hostbus === 'pipe-fd') return pipeOnFd(d.fd, opened);
    const placeholder = {};
    pending.push(busFor(d.address).then((bus) => {
      placeholders.set(placeholder, d.$hostbus === 'bus' ? bus : bus.queue(d.name, d.options));
    }));
    return placeholder;
  }) as unknown[];
  await Promise.all(pending);
  return swap(args, placeholders) as unknown[];
}

/** The child's end of a `Pipe()`: a session on the inherited socketpair, accepting the parent's open. */
function pipeOnFd(fd: number, opened: Opened): PipeEnd<unknown> {
  const end = new PipeEnd<unknown>(`pipe on fd ${fd}`);
  const socket = new Socket({ fd, readable: true, writable: true });
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const session = new Session(new SocketWire(socket), { role: 'peer', accept: (port) => end.attach(port), onClose: () => closed() });
  end.onGone = () => session.close();
  opened.pipes.push({ end, close: () => (session.close(), done) });
  return end;
}

function swap(value: unknown, placeholders: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null || value instanceof PipeEnd) return value;
  if (placeholders.has(value)) return placeholders.get(value);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) v[k] = swap(v[k], placeholders);
  return value;
}
