import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { describe } from '../frames.js';
import { compareJson, equalJson } from './json-values.js';
import { ItemsContent } from './items-content.js';
import { jsonChars, listArg, listChars, need, sliceArgs, unknownOp } from './state-args.js';
import { stateKind, type Args, type Plan } from './state-resource.js';

/**
 * The list kind (a Manager's `list`): JSON values. Reads: `get {index}`, `len`, `all`, `index
 * {value, start, end}`, `count {value}`. Writes: `set {index, value}`, `append {value}`,
 * `extend {values}`, `insert {index, value}`, `pop {index}` (default the last; answers the item),
 * `remove {value}` (the first equal one), `reverse`, `sort {reverse}` (JSON's order, see
 * json-values.ts), `clear`. Indexes are Python's: negative from the end. docs/protocol.md.
 */
export const listKind = stateKind({
  name: 'list',
  options: [],
  create(o) {
    if (o.init === undefined) return undefined;
    if (!Array.isArray(o.init)) throw new InvalidArgumentError(`a list's init is a list, got ${describe(o.init)}`);
    return new ListContent([...o.init]);
  },
  empty: () => new ListContent([]),
});

class ListContent extends ItemsContent {
  constructor(items: unknown[]) {
    super(items, 'the list');
  }

  override read(op: string, args: Args): { value: unknown } | undefined {
    switch (op) {
      case 'index': {
        const v = need(args, 'value', op);
        const [start, end] = sliceArgs(args, op, this.items.length);
        for (let i = start; i < end; i++) if (equalJson(this.items[i], v)) return { value: i };
        throw new NotFoundError(`index: ${describe(v)} is not in the list${start > 0 || end < this.items.length ? ` from ${start} to ${end}` : ''} (Python's ValueError)`);
      }
      case 'count': {
        const v = need(args, 'value', op);
        return { value: this.items.reduce<number>((n, item) => (equalJson(item, v) ? n + 1 : n), 0) };
      }
      default:
        return super.read(op, args);
    }
  }

  plan(op: string, args: Args): Plan {
    const n = this.items.length;
    switch (op) {
      case 'set': {
        const i = this.index(args, op);
        const v = need(args, 'value', op);
        return this.plan1(this.chars + jsonChars(v) - jsonChars(this.items[i]), n, undefined, { op, index: i, value: v }, (items) => void (items[i] = v));
      }
      case 'append': {
        const v = need(args, 'value', op);
        return this.plan1(this.chars + jsonChars(v) + (n > 0 ? 1 : 0), n + 1, undefined, { op, value: v }, (items) => void items.push(v));
      }
      case 'extend': {
        const values = listArg(args, 'values', op);
        if (values.length === 0) return this.same(undefined);
        return this.plan1(this.chars + listChars(values) - 2 + (n > 0 ? 1 : 0), n + values.length, undefined, { op, values }, (items) => void items.push(...values));
      }
      case 'insert': {
        const at = need(args, 'index', op);
        if (typeof at !== 'number' || !Number.isSafeInteger(at)) throw new InvalidArgumentError(`insert: index must be an integer, got ${describe(at)}`);
        const i = Math.min(Math.max(at < 0 ? at + n : at, 0), n); // Python's insert clamps
        const v = need(args, 'value', op);
        return this.plan1(this.chars + jsonChars(v) + (n > 0 ? 1 : 0), n + 1, undefined, { op, index: i, value: v }, (items) => void items.splice(i, 0, v));
      }
      case 'pop': {
        if (n === 0) throw new InvalidArgumentError('pop from an empty list (Python\'s IndexError)');
        const i = args.index === undefined || args.index === null ? n - 1 : this.index(args, op);
        return this.remove(i, this.items[i], { op, index: i });
      }
      case 'remove': {
        const v = need(args, 'value', op);
        const i = this.items.findIndex((item) => equalJson(item, v));
        if (i < 0) throw new NotFoundError(`remove: ${describe(v)} is not in the list (Python's ValueError)`);
        return this.remove(i, undefined, { op, index: i });
      }
      case 'reverse':
        return n < 2 ? this.same(undefined) : this.plan1(this.chars, n, undefined, { op }, (items) => void items.reverse());
      case 'sort': {
        const reverse = args.reverse ?? false;
        if (typeof reverse !== 'boolean') throw new InvalidArgumentError(`sort: reverse is true or false, got ${describe(reverse)}`);
        const sorted = [...this.items].sort(reverse ? (a, b) => compareJson(b, a) : compareJson);
        if (sorted.every((v, i) => v === this.items[i])) return this.same(undefined); // already in order
        return this.plan1(this.chars, n, undefined, { op, values: sorted }, () => void (this.items = sorted));
      }
      case 'clear':
        return n === 0 ? this.same(undefined) : this.plan1(2, 0, undefined, { op }, () => void (this.items = []));
      default:
        throw unknownOp('list', op, 'get, len, all, index, count, set, append, extend, insert, pop, remove, reverse, sort and clear');
    }
  }

  private remove(i: number, result: unknown, change: Plan['change']): Plan {
    const n = this.items.length;
    return this.plan1(this.chars - jsonChars(this.items[i]) - (n > 1 ? 1 : 0), n - 1, result, change, (items) => void items.splice(i, 1));
  }

  private same(result: unknown): Plan {
    return { result, entries: this.items.length, chars: this.chars, commit: () => undefined };
  }

  private plan1(chars: number, entries: number, result: unknown, change: Plan['change'], apply: (items: unknown[]) => void): Plan {
    return {
      result, change, entries, chars,
      commit: () => {
        apply(this.items);
        this.chars = chars;
      },
    };
  }
}
