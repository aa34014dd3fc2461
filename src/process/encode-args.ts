import { InvalidArgumentError } from '../errors.js';
import '../channels/bus.js'; // registers the bus and queue handle kinds
import '../channels/queue.js';
import { handleKindOf, type HandleDescriptor } from '../channels/handle.js';
import { PipeEnd } from '../channels/pipe.js';
import { FIRST_PIPE_FD } from './messages.js';

/**
 * Replaces the handles in `args` by descriptors, as JSON. A handle of a registered kind (queues,
 * buses, and every kind registered with `registerHandleKind`) becomes `{$hostbus, address, ...}`
 * (the child connects to the same hub); each `Pipe()` end becomes an extra stdio slot, listed in
 * `pipes` with the end that stays in this process.
 */
export function encodeArgs(args: unknown[]): { json: string; pipes: PipeEnd<unknown>[] } {
  const pipes: PipeEnd<unknown>[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (value instanceof PipeEnd) {
      if (!value.link) value.toJSON(); // throws: a named pipe's end cannot move
      pipes.push(value.link!.transfer(value) as PipeEnd<unknown>);
      return { $hostbus: 'pipe-fd', fd: FIRST_PIPE_FD + pipes.length - 1 } satisfies HandleDescriptor;
    }
    const kind = handleKindOf(value);
    if (kind) {
      const d = kind.describe(value);
      if (d.address === 'memory') {
        throw new InvalidArgumentError('a handle of an in-memory hub cannot go to another process: use Hub.listen(address)');
      }
      return d;
    }
    if (seen.has(value)) throw new InvalidArgumentError('spawn arguments must not be circular');
    seen.add(value);
    if (Array.isArray(value)) return value.map(walk);
    if (Object.getPrototypeOf(value) !== Object.prototype) return value; // Date, Map...: JSON as usual
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
  };
  return { json: JSON.stringify(args.map(walk)), pipes };
}
