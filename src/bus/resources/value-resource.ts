import { InvalidArgumentError } from '../../errors.js';
import { describe } from '../frames.js';
import { equalJson } from './json-values.js';
import { jsonChars, need, numberArg, unknownOp } from './state-args.js';
import { stateKind, type Args, type Content, type Plan } from './state-resource.js';
import { checkTyped, isNumeric, type Typecode } from './typecodes.js';

/**
 * The value kind (Python's `Value`): one JSON value, or one number or character of a typecode.
 * Reads: `get`. Writes: `set {value}`, `add {n}` (a number; answers the sum), `cas {expected,
 * value}` (answers whether it swapped). docs/protocol.md.
 */
export const valueKind = stateKind({
  name: 'value',
  options: ['type'],
  create(o, type) {
    if (o.init === undefined) return undefined;
    return new ValueContent(checkTyped(type, o.init, 'the initial value'), type);
  },
});

class ValueContent implements Content {
  readonly entries = 1;
  chars: number;

  constructor(private v: unknown, private readonly type: Typecode | undefined) {
    this.chars = jsonChars(v);
  }

  snapshot(): unknown {
    return this.v;
  }

  read(op: string): { value: unknown } | undefined {
    return op === 'get' ? { value: this.v } : undefined;
  }

  plan(op: string, args: Args): Plan {
    switch (op) {
      case 'set': {
        const v = checkTyped(this.type, need(args, 'value', op), 'value');
        return this.to(v, undefined, { op, value: v });
      }
      case 'add': {
        const n = numberArg(args, 'n', op);
        if (typeof this.v !== 'number' || !isNumeric(this.type)) {
          throw new InvalidArgumentError(`add needs a number to add to, and the value is ${describe(this.v)}: set a number first`);
        }
        const sum = checkTyped(this.type ?? 'd', this.v + n, 'the sum');
        return this.to(sum, sum, { op, n, value: sum });
      }
      case 'cas': {
        const expected = need(args, 'expected', op);
        const v = checkTyped(this.type, need(args, 'value', op), 'value');
        if (!equalJson(this.v, expected)) return { result: false, entries: 1, chars: this.chars, commit: () => undefined };
        return this.to(v, true, { op, value: v });
      }
      default:
        throw unknownOp('value', op, 'get, set, add and cas');
    }
  }

  private to(v: unknown, result: unknown, change: Plan['change']): Plan {
    const chars = jsonChars(v);
    return {
      result, change, entries: 1, chars,
      commit: () => {
        this.v = v;
        this.chars = chars;
      },
    };
  }
}
