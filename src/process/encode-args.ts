import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import '../channels/bus.js'; // registers the bus and queue handle kinds
import '../channels/queue.js';
import { handleKindOf, type HandleDescriptor } from '../channels/handle.js';
import { PipeEnd, type LocalLink } from '../channels/pipe.js';
import type { PipeArgs } from './pipe-slots.js';
import { FIRST_PIPE_FD } from './messages.js';

let handOverCount = 0;

/**
 * Replaces the handles in `args` by descriptors, as JSON. A handle of a registered kind (queues,
 * buses, and every kind registered with `registerHandleKind`) becomes `{$hostbus, address, ...}`
 * (the child connects to the same hub); each `Pipe()` end becomes an extra stdio slot, listed in
 * `pipes` with its link, or, when the other end of its `Pipe()` went to another child before and
 * was not used here, the socketpair of that child, sent over IPC (`handOvers`; see pipe-slots.ts).
 */
export function encodeArgs(args: unknown[]): { json: string; addresses: Set<string> } & PipeArgs {
  const pipes: LocalLink<unknown>[] = [];
  const handOvers: PipeArgs['handOvers'] = [];
  const seen = new Set<object>();
  const addresses = new Set<string>();
  const walk = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (value instanceof PipeEnd) {
      if (!value.link) value.toJSON(); // throws: a named pipe's end cannot move
      const link = value.link as LocalLink<unknown>;
      if (process.platform === 'win32' && link.away && link.away !== value) {
        throw new UnsupportedError(`${value.label}: both ends of one Pipe() cannot go to two children on Windows (a socket cannot be handed to another process there): join the two children with bus.pipe(name)`);
      }
      if (link.transfer(value) === 'ipc') {
        handOvers.push({ link, id: ++handOverCount });
        return { $hostbus: 'pipe-ipc', id: handOverCount } satisfies HandleDescriptor;
      }
      pipes.push(link);
      return { $hostbus: 'pipe-fd', fd: FIRST_PIPE_FD + pipes.length - 1 } satisfies HandleDescriptor;
    }
    const kind = handleKindOf(value);
    if (kind) {
      const d = kind.describe(value);
      if (d.address === 'memory') {
        throw new InvalidArgumentError('a handle of an in-memory hub cannot go to another process: use Hub.listen(address)');
      }
      if (typeof d.address === 'string') addresses.add(d.address);
      return d;
    }
    if (seen.has(value)) throw new InvalidArgumentError('spawn arguments must not be circular');
    seen.add(value);
    if (Array.isArray(value)) return value.map(walk);
    if (Object.getPrototypeOf(value) !== Object.prototype) return value; // Date, Map...: JSON as usual
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
  };
  return { json: JSON.stringify(args.map(walk)), pipes, handOvers, addresses };
}
