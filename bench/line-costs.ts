// What the string handling of one frame costs a hub that decodes and re-encodes it: UTF-8 decode
// of a read chunk, split into lines, join of a write batch, UTF-8 encode, per line, against
// JSON.parse and JSON.stringify of the message for scale. Interleaved rounds in one process.
//   npm run build && npx tsc -p tsconfig.json && node .build/bench/line-costs.js
import { Buffer } from 'node:buffer';
import { message } from './lib/message.js';

const LINES = 700; // about one 64 KiB read of queue-small's frames
const lines = Array.from({ length: LINES }, (_, i) => `{"c":12,"d":${JSON.stringify(message(500_000 + i))}}`);
const text = lines.join('\n') + '\n';
const chunk = Buffer.from(text);
const out = Buffer.allocUnsafe(chunk.length);
const values = lines.map((l) => JSON.parse(l) as { d: unknown });
const payloads = values.map((v) => JSON.stringify(v.d));
let sink = 0;

const steps: [string, () => void][] = [
  ['decode', () => { sink += chunk.toString('utf8').length; }],
  ['split', () => { sink += text.split('\n').length; }],
  ['join', () => { sink += lines.join('\n').length; }],
  ['encode', () => { sink += out.write(text, 0, 'utf8'); }],
  ['JSON.parse', () => { for (const p of payloads) sink += (JSON.parse(p) as object) ? 1 : 0; }],
  ['JSON.stringify', () => { for (const v of values) sink += JSON.stringify(v.d).length; }],
];
const ROUNDS = 7;
const REPS = 3_000;
const ns = new Map<string, number[]>(steps.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of steps) {
    for (let i = 0; i < 200; i++) run();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < REPS; i++) run();
    ns.get(name)!.push(Number(process.hrtime.bigint() - t0) / REPS / LINES);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[ROUNDS >> 1]!;
console.log(`per line of ${(chunk.length / LINES).toFixed(1)} bytes, in chunks of ${chunk.length} bytes; median of ${ROUNDS} interleaved rounds:`);
for (const [name] of steps) console.log(`  ${name.padEnd(15)} ${median(ns.get(name)!).toFixed(1).padStart(7)} ns`);
if (sink === 0) console.log('(nothing measured)');
