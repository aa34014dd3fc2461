// The hub's payload check against JSON.parse, side by side in one process, interleaved rounds.
//   npm run build && npx tsc -p tsconfig.json && node .build/bench/json-check.js
import { isJsonText } from '../src/bus/json-check.js';

const cases: [string, string, number][] = [
  ['50 B object', '{"id":123,"name":"item-123","ok":true,"t":1700000000000}', 2_000_000],
  ['4 KiB object', JSON.stringify({ blob: 'x'.repeat(4000), n: [1, 2, 3] }), 100_000],
];
const ROUNDS = 5;

for (const [label, text, reps] of cases) {
  const ns: Record<'parse' | 'check', number[]> = { parse: [], check: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, f] of [['parse', () => JSON.parse(text)], ['check', () => isJsonText(text)]] as const) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < reps; i++) f();
      ns[key].push(Number(process.hrtime.bigint() - t0) / reps);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[ROUNDS >> 1]!;
  const p = median(ns.parse);
  const c = median(ns.check);
  console.log(`${label}: JSON.parse ${p.toFixed(0)} ns, isJsonText ${c.toFixed(0)} ns, JSON.parse/isJsonText ${(p / c).toFixed(2)} (median of ${ROUNDS} interleaved rounds)`);
}
