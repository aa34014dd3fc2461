import { indexArg, listChars } from './state-args.js';
import type { Args, Content, Plan } from './state-resource.js';

/**
 * What an array's and a list's content share: a list of JSON items, its characters, and the reads
 * both have (`get {index}`, `len`, `all`). Each kind adds its own reads and its writes.
 */
export abstract class ItemsContent implements Content {
  chars: number;

  /** `what` names the content in errors: "an array", "the list". */
  constructor(protected items: unknown[], private readonly what: string) {
    this.chars = listChars(items);
  }

  get entries(): number {
    return this.items.length;
  }

  snapshot(): unknown {
    return this.items;
  }

  read(op: string, args: Args): { value: unknown } | undefined {
    switch (op) {
      case 'get':
        return { value: this.items[this.index(args, op)] };
      case 'len':
        return { value: this.items.length };
      case 'all':
        return { value: this.items };
      default:
        return undefined;
    }
  }

  abstract plan(op: string, args: Args): Plan;

  /** `args.index` as an index into the items, Python's way. */
  protected index(args: Args, op: string): number {
    return indexArg(args, 'index', op, this.items.length, this.what);
  }
}
