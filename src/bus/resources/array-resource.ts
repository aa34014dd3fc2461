import { InvalidArgumentError, LimitError } from '../../errors.js';
import { describe } from '../frames.js';
import { ItemsContent } from './items-content.js';
import { indexArg, jsonChars, listArg, need, numberArg, sliceArgs, unknownOp } from './state-args.js';
import { stateKind, type Args, type Plan } from './state-resource.js';
import { checkTyped, isNumeric, zeroOf, type Typecode } from './typecodes.js';

/**
 * The array kind (Python's `Array`): a list of fixed length, of JSON values or of one typecode.
 * Reads: `get {index}`, `len`, `slice {start, end}`, `all`. Writes: `set {index, value}`,
 * `add {index, n}` (answers the sum), `setSlice {start, values}` (as many items as it gives,
 * from `start`). Indexes are Python's: negative from the end. docs/protocol.md.
 */
export const arrayKind = stateKind({
  name: 'array',
  options: ['type', 'length'],
  create(o, type, { maxEntries, maxChars }) {
    if (o.init !== undefined && o.length !== undefined) throw new InvalidArgumentError('an array is created with init or with length, not both');
    if (o.length !== undefined) {
      const n = o.length;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`length must be an integer >= 0, got ${describe(n)}`);
      // Checked before the array is made: its JSON is n zeros and n - 1 commas in brackets.
      const chars = n === 0 ? 2 : n * (jsonChars(zeroOf(type)) + 1) + 1;
      if (n > maxEntries || chars > maxChars) {
        throw new LimitError(`an array of length ${n} is over its maxEntries ${maxEntries} or maxChars ${maxChars} (${chars} characters): create it with larger bounds`);
      }
      return new ArrayContent(new Array<unknown>(n).fill(zeroOf(type)), type);
    }
    if (o.init === undefined) return undefined;
    if (!Array.isArray(o.init)) throw new InvalidArgumentError(`an array's init is a list, got ${describe(o.init)}: or give its length`);
    return new ArrayContent(o.init.map((v, i) => checkTyped(type, v, `item ${i}`)), type);
  },
});

class ArrayContent extends ItemsContent {
  constructor(items: unknown[], private readonly type: Typecode | undefined) {
    super(items, 'an array');
  }

  override read(op: string, args: Args): { value: unknown } | undefined {
    if (op !== 'slice') return super.read(op, args);
    const [start, end] = sliceArgs(args, op, this.items.length);
    return { value: this.items.slice(start, end) };
  }

  plan(op: string, args: Args): Plan {
    switch (op) {
      case 'set': {
        const i = this.index(args, op);
        const v = checkTyped(this.type, need(args, 'value', op), 'value');
        return this.put(i, [v], { op, index: i, value: v });
      }
      case 'add': {
        const i = this.index(args, op);
        const n = numberArg(args, 'n', op);
        const cur = this.items[i];
        if (typeof cur !== 'number' || !isNumeric(this.type)) {
          throw new InvalidArgumentError(`add needs a number at index ${i}, and it holds ${describe(cur)}: set a number first`);
        }
        const sum = checkTyped(this.type ?? 'd', cur + n, 'the sum');
        return { ...this.put(i, [sum], { op, index: i, n, value: sum }), result: sum };
      }
      case 'setSlice': {
        const start = indexArg(args, 'start', op, this.items.length, 'an array', true);
        const values = listArg(args, 'values', op).map((v, k) => checkTyped(this.type, v, `item ${k}`));
        if (start + values.length > this.items.length) {
          throw new InvalidArgumentError(`setSlice: ${values.length} items from index ${start} go past the array's ${this.items.length}: an array's length is fixed`);
        }
        if (values.length === 0) return { entries: this.items.length, chars: this.chars, commit: () => undefined };
        return this.put(start, values, { op, start, values });
      }
      default:
        throw unknownOp('array', op, 'get, set, add, len, slice, setSlice and all');
    }
  }

  /** Puts `values` at `start` on. */
  private put(start: number, values: unknown[], change: Plan['change']): Plan {
    let chars = this.chars;
    values.forEach((v, k) => (chars += jsonChars(v) - jsonChars(this.items[start + k])));
    return {
      change, entries: this.items.length, chars,
      commit: () => {
        values.forEach((v, k) => (this.items[start + k] = v));
        this.chars = chars;
      },
    };
  }
}
