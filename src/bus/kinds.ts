import { InvalidArgumentError } from '../errors.js';
import type { Resource, ResourceHost } from './resources/resource.js';
import type { OpenRequest } from './session.js';

/**
 * A kind of resource a hub can hold (a queue, a pipe, a lock...): one hub-side file each,
 * registered by name. The kind parses and checks the roles and options of the opens it gets, and
 * owns its namespace: by default each name is one resource; `resourceKey` can map many names onto
 * one (a pattern, say).
 */
export interface Kind {
  /** What `open` frames name in `k`: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`, starting with a letter. */
  readonly name: string;
  /** The key of the resource that serves `name` (default: `name` itself). */
  resourceKey?(name: string): string;
  /**
   * Makes the resource on the first open of its key; `remains` is what an earlier resource of
   * that key left when the hub forgot it (see `Resource.remains`). Throwing a HostbusError fails
   * the open.
   */
  create(name: string, open: OpenRequest, host: ResourceHost, remains?: unknown): Resource;
}

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

/** The kinds one hub knows, by name (a Map: no name of `Object.prototype` is a kind). */
export class KindRegistry {
  private readonly kinds = new Map<string, Kind>();

  constructor(kinds: Iterable<Kind> = []) {
    for (const kind of kinds) this.register(kind);
  }

  /** Adds `kind`; InvalidArgumentError for a bad name or one that is taken. */
  register(kind: Kind): this {
    if (typeof kind?.name !== 'string' || !NAME.test(kind.name)) {
      throw new InvalidArgumentError(`a kind's name must be 1 to 64 of a-z, 0-9, '-', '_', '.', starting with a letter, got ${JSON.stringify(kind?.name)}`);
    }
    if (typeof kind.create !== 'function') throw new InvalidArgumentError(`kind '${kind.name}' has no create()`);
    if (this.kinds.has(kind.name)) throw new InvalidArgumentError(`a kind named '${kind.name}' is already registered: choose another name`);
    this.kinds.set(kind.name, kind);
    return this;
  }

  /** The kind called `name`, if any. */
  get(name: string): Kind | undefined {
    return this.kinds.get(name);
  }

  /** Every name, in the order registered. */
  get names(): string[] {
    return [...this.kinds.keys()];
  }
}
