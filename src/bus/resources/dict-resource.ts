import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { describe } from '../frames.js';
import { jsonChars, listArg, need, unknownOp } from './state-args.js';
import { stateKind, type Args, type Content, type Plan } from './state-resource.js';

/** Most keys a path goes through. */
export const MAX_PATH = 64;

/**
 * The dict kind (a Manager's `dict`): string keys, JSON values, in the order keys were first set.
 * A `path` is a list of keys from the top, so that a change deep in a value is one request.
 * Reads: `get {path}`, `has {path}`, `keys`, `values`, `all` (the entries, `[[key, value], ...]`),
 * `size`. Writes: `set {path, value}` (missing keys on the way are created), `delete {path}`
 * (answers whether it was there), `update {entries}` (Python's `update`), `setDefault {key,
 * value}`, `pop {key, default}`, `clear`. docs/protocol.md.
 */
export const dictKind = stateKind({
  name: 'dict',
  options: [],
  create(o) {
    if (o.init === undefined) return undefined;
    const init = o.init;
    if (typeof init !== 'object' || init === null || Array.isArray(init)) throw new InvalidArgumentError(`a dict's init is an object, got ${describe(init)}`);
    const d = new DictContent();
    for (const [k, v] of Object.entries(init)) d.put(k, v);
    return d;
  },
  empty: () => new DictContent(),
});

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `o` with `key` set to `v` (in its place, or last), as a new object: `o` is not changed. */
function withKey(o: Json, key: string, v: unknown): Json {
  const entries = Object.entries(o);
  const at = entries.findIndex(([k]) => k === key);
  if (at >= 0) entries[at] = [key, v];
  else entries.push([key, v]);
  return Object.fromEntries(entries); // defines own keys: a key "__proto__" is a key like any other
}

function withoutKey(o: Json, key: string): Json {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
}

class DictContent implements Content {
  private readonly map = new Map<string, unknown>();
  /** Characters of each entry's `["key",value]`, and their sum. */
  private readonly sizes = new Map<string, number>();
  private sum = 0;

  get entries(): number {
    return this.map.size;
  }

  get chars(): number {
    return charsOf(this.sum, this.map.size);
  }

  /** Sets a top-level key while creating the content. */
  put(key: string, v: unknown): void {
    const size = entryChars(key, v);
    this.sum += size - (this.sizes.get(key) ?? 0);
    this.sizes.set(key, size);
    this.map.set(key, v);
  }

  snapshot(): unknown {
    return [...this.map];
  }

  read(op: string, args: Args): { value: unknown } | undefined {
    switch (op) {
      case 'get':
        return { value: this.lookup(path(args, op), op).value };
      case 'has':
        return { value: this.lookup(path(args, op), op).found };
      case 'keys':
        return { value: [...this.map.keys()] };
      case 'values':
        return { value: [...this.map.values()] };
      case 'all':
        return { value: this.snapshot() };
      case 'size':
        return { value: this.map.size };
      default:
        return undefined;
    }
  }

  plan(op: string, args: Args): Plan {
    switch (op) {
      case 'set': {
        const p = path(args, op);
        const v = need(args, 'value', op);
        return this.change([[p[0]!, this.setIn(p, v, op)]], [], undefined, { op, path: p, value: v });
      }
      case 'delete': {
        const p = path(args, op);
        if (!this.lookup(p, op).found) return this.same(false);
        if (p.length === 1) return this.change([], [p[0]!], true, { op, path: p });
        const top = p[0]!;
        return this.change([[top, this.deleteIn(this.map.get(top) as Json, p.slice(1))]], [], true, { op, path: p });
      }
      case 'update': {
        const entries = listArg(args, 'entries', op).map((e, i) => {
          if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') throw new InvalidArgumentError(`update: entry ${i} must be [key, value] with a string key, got ${describe(e)}`);
          return e as [string, unknown];
        });
        return entries.length === 0 ? this.same(undefined) : this.change(entries, [], undefined, { op, entries });
      }
      case 'setDefault': {
        const key = keyArg(args, op);
        if (this.map.has(key)) return this.same(this.map.get(key));
        const v = need(args, 'value', op);
        return this.change([[key, v]], [], v, { op: 'set', path: [key], value: v });
      }
      case 'pop': {
        const key = keyArg(args, op);
        if (!this.map.has(key)) {
          if (args.default === undefined) throw new NotFoundError(`pop: no key ${describe(key)} in the dict (Python's KeyError): give a default to get instead`);
          return this.same(args.default);
        }
        return this.change([], [key], this.map.get(key), { op: 'delete', path: [key] });
      }
      case 'clear':
        return this.map.size === 0 ? this.same(undefined) : this.change([], [...this.map.keys()], undefined, { op });
      default:
        throw unknownOp('dict', op, 'get, has, keys, values, all, size, set, delete, update, setDefault, pop and clear');
    }
  }

  /** The value at `p`, and whether it is there; a path through a value that is not an object is InvalidArgumentError. */
  private lookup(p: string[], op: string): { found: boolean; value?: unknown } {
    if (!this.map.has(p[0]!)) return { found: false };
    let at: unknown = this.map.get(p[0]!);
    for (let i = 1; i < p.length; i++) {
      if (!isObject(at)) throw throughNonObject(op, p, i, at);
      if (!Object.hasOwn(at, p[i]!)) return { found: false };
      at = at[p[i]!];
    }
    return { found: true, value: at };
  }

  /** The new value of the top-level key of `p` once `v` is set at `p`: new objects along the path, missing ones created. */
  private setIn(p: string[], v: unknown, op: string): unknown {
    const build = (at: unknown, i: number): unknown => {
      if (i === p.length) return v;
      if (at === undefined) at = {};
      if (!isObject(at)) throw throughNonObject(op, p, i, at);
      return withKey(at, p[i]!, build(Object.hasOwn(at, p[i]!) ? at[p[i]!] : undefined, i + 1));
    };
    return build(this.map.get(p[0]!), 1);
  }

  /** `o` less the key at the end of `rest` (which is there), as new objects along the way. */
  private deleteIn(o: Json, rest: string[]): Json {
    if (rest.length === 1) return withoutKey(o, rest[0]!);
    return withKey(o, rest[0]!, this.deleteIn(o[rest[0]!] as Json, rest.slice(1)));
  }

  private same(result: unknown): Plan {
    return { result, entries: this.map.size, chars: this.chars, commit: () => undefined };
  }

  /** A plan that sets `puts` (top-level keys and their new values; a later one of a key wins) and removes `dels`. */
  private change(puts: [string, unknown][], dels: string[], result: unknown, change: Plan['change']): Plan {
    const unique = new Map(puts);
    const sizes = new Map<string, number>();
    let sum = this.sum;
    let size = this.map.size;
    for (const key of dels) {
      sum -= this.sizes.get(key)!;
      size--;
    }
    for (const [k, v] of unique) {
      const s = entryChars(k, v);
      sizes.set(k, s);
      const old = this.sizes.get(k);
      if (old === undefined) size++;
      else sum -= old;
      sum += s;
    }
    return {
      result, change, entries: size, chars: charsOf(sum, size),
      commit: () => {
        for (const key of dels) {
          this.map.delete(key);
          this.sizes.delete(key);
        }
        for (const [k, v] of unique) {
          this.map.set(k, v); // an existing key keeps its place, as in Python
          this.sizes.set(k, sizes.get(k)!);
        }
        this.sum = sum;
      },
    };
  }
}

/** Characters of one entry `["key",value]` and its comma. */
function entryChars(key: string, v: unknown): number {
  return jsonChars(key) + jsonChars(v) + 4;
}

function charsOf(sum: number, size: number): number {
  return size === 0 ? 2 : sum + 1;
}

function keyArg(args: Args, op: string): string {
  const key = need(args, 'key', op);
  if (typeof key !== 'string') throw new InvalidArgumentError(`${op}: a dict's keys are strings, got ${describe(key)}: use String(key)`);
  return key;
}

function path(args: Args, op: string): string[] {
  const p = need(args, 'path', op);
  if (!Array.isArray(p) || p.length === 0 || p.length > MAX_PATH || !p.every((k) => typeof k === 'string')) {
    throw new InvalidArgumentError(`${op}: path is a list of 1 to ${MAX_PATH} keys, each a string, got ${describe(p)}`);
  }
  return p as string[];
}

function throughNonObject(op: string, p: string[], i: number, at: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${op}: the path ${JSON.stringify(p).slice(0, 128)} goes through ${describe(at)} at ${JSON.stringify(p.slice(0, i)).slice(0, 128)}, which is not an object: a path goes through objects only`);
}
