/**
 * Equality and order of JSON values, as the shared state kinds use them: a list's `sort`,
 * `index`, `count` and `remove`, and a value's `cas`.
 *
 * Order: `null` < `false` < `true` < numbers < strings < arrays < objects. Numbers by value,
 * strings by UTF-16 code units, arrays item by item (a prefix first), objects by their entries
 * sorted by key, compared as arrays of `[key, value]`. Equality is that order's: objects are
 * equal when they have the same keys with equal values, in any order.
 */
export function compareJson(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2:
      return (a as number) - (b as number);
    case 3:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4:
      return compareArrays(a as unknown[], b as unknown[]);
    case 5:
      return compareArrays(sortedEntries(a as object), sortedEntries(b as object));
    default:
      return 0; // null, or the same boolean
  }
}

/** True when `a` and `b` are equal JSON values (see {@link compareJson}). */
export function equalJson(a: unknown, b: unknown): boolean {
  return a === b || compareJson(a, b) === 0;
}

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (v === false) return 0.5;
  if (v === true) return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return Array.isArray(v) ? 4 : 5;
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareJson(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function sortedEntries(o: object): unknown[] {
  return Object.entries(o).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}
