// Runs every peer runner once and prints its Measurement (a check of the runners, not the bench):
//   node .build/bench/systems/peers/try.js [--quick] [system-or-scenario ...]
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { peerRunners } from './index.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.filter((a) => !a.startsWith('--'));
let failed = 0;
const t0 = Date.now();
for (const r of peerRunners) {
  const name = `${r.system} [${r.scenarios.join(', ')}]`;
  if (only.length && !only.some((o) => r.system === o || r.scenarios.includes(o as never))) continue;
  const why = await r.unavailable?.();
  if (why) {
    console.log(`${name}: unavailable: ${why}`);
    continue;
  }
  const tmp = mkdtempSync(join(os.tmpdir(), 'hostbus-peers-'));
  const start = Date.now();
  try {
    const m = await r.run({ quick, tmp });
    const left = readdirSync(tmp);
    console.log(`${name} ${((Date.now() - start) / 1000).toFixed(2)} s`, JSON.stringify(m), left.length ? `LEFT IN TMP: ${left}` : '');
  } catch (err) {
    failed++;
    console.log(`${name} FAILED after ${((Date.now() - start) / 1000).toFixed(2)} s:`, err);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
console.log(`${quick ? 'quick' : 'full'} run: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
