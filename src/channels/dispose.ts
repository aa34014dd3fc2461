// Node 20 has Symbol.asyncDispose from 20.4 on; older runtimes get the registered symbol that
// TypeScript's `await using` helpers look up. Imported by every module whose objects have it.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('Symbol.asyncDispose');

export {};
