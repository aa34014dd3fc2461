// `npm run bench`: every scenario for hostbus and for its peers, side by side, in one run.
//
//   node .build/bench/run.js                   3 rounds of everything
//   node .build/bench/run.js --quick           one short round of everything (a smoke test)
//   node .build/bench/run.js --rounds 5
//   node .build/bench/run.js --only hostbus,queue-small     scenarios and/or systems, comma list
//
// Rounds are interleaved: for each round, for each scenario, for each system (A B A B ...), so a
// slow spell of the machine hits every system alike. A runner that measures several scenarios at
// once (rtt-child and rtt-child-p99) runs once per round, at the place of its first scenario.
// Each run gets a fresh temporary folder. A failing run fails the whole bench (exit 1), after
// printing what failed and making sure nothing it started is still running. See docs/benchmarks.md.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSvg } from './chart.js';
import { SCENARIOS, type Measurement, type Runner, type ScenarioId, type SystemId } from './lib/runner.js';
import { detailLines, fmt, HOSTBUS, loopTable, summarize, tables, toJson, unixTable, type Sample, type Skipped } from './report.js';
import { runners } from './systems/index.js';

const ALL_SCENARIOS = Object.keys(SCENARIOS) as ScenarioId[];
/** A run that takes longer than this has failed (the runner's own deadline should come first). */
const RUN_TIMEOUT_MS = { quick: 60_000, full: 15 * 60_000 };
/** After a run, how long what it started may take to go away before it counts as left running. */
const LEFTOVER_GRACE_MS = 5_000;

interface Options {
  quick: boolean;
  rounds: number;
  scenarios: ScenarioId[];
  systems: Set<SystemId>;
}

class UsageError extends Error {}

function parse(argv: string[]): Options {
  const spec = {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof spec; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (--help for usage)`);
  }
  if (values.help) {
    console.log('usage: node .build/bench/run.js [--quick] [--rounds N] [--only <scenario|system>[,...]]');
    console.log(`scenarios: ${ALL_SCENARIOS.join(', ')}`);
    console.log(`systems: ${[...new Set(runners.map((r) => r.system))].join(', ')}`);
    process.exit(0);
  }
  const quick = values.quick!;
  let rounds = quick ? 1 : 3;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds needs a positive integer, got ${values.rounds}`);
  }
  const known = new Set<string>(runners.map((r) => r.system));
  const only = (values.only ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  const scenarios = only.filter((x): x is ScenarioId => x in SCENARIOS);
  const systems = only.filter((x) => known.has(x)) as SystemId[];
  const unknown = only.filter((x) => !(x in SCENARIOS) && !known.has(x));
  if (unknown.length > 0) {
    throw new UsageError(`--only: unknown ${unknown.join(', ')} (scenarios: ${ALL_SCENARIOS.join(', ')}; systems with runners: ${[...known].join(', ')})`);
  }
  return {
    quick,
    rounds,
    scenarios: scenarios.length > 0 ? ALL_SCENARIOS.filter((s) => scenarios.includes(s)) : ALL_SCENARIOS,
    systems: new Set(systems.length > 0 ? systems : (known as Set<SystemId>)),
  };
}

/** Two runners of one system for one scenario would make its figure ambiguous. */
function checkRunners(list: Runner[]): void {
  const seen = new Map<string, Runner>();
  for (const r of list) {
    if (r.scenarios.length === 0) throw new Error(`a ${r.system} runner covers no scenario`);
    for (const s of r.scenarios) {
      if (!(s in SCENARIOS)) throw new Error(`a ${r.system} runner names an unknown scenario ${s}`);
      const key = `${r.system} ${s}`;
      if (seen.has(key)) throw new Error(`two runners of ${r.system} measure ${s}`);
      seen.set(key, r);
    }
  }
}

// ---- processes left running -------------------------------------------------------------------

interface Proc {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  start: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(f[1]), pgrp: Number(f[2]), state: f[0]!, start: Number(f[19]) };
  } catch {
    return undefined; // gone meanwhile
  }
}

const hasProc = (() => {
  try {
    return os.platform() === 'linux' && readProc(process.pid) !== undefined;
  } catch {
    return false;
  }
})();

/**
 * Processes this bench started (itself or through a runner) that still run: its descendants, and
 * processes of its process group started after it that are neither its ancestors nor its
 * siblings (children whose parent died are re-parented away from us, but keep the group).
 * Linux only (reads /proc); elsewhere an empty list.
 */
function leftovers(): Proc[] {
  if (!hasProc) return [];
  const me = readProc(process.pid)!;
  const all = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.set(p.pid, p);
  }
  const ancestors = new Set<number>();
  for (let p = all.get(me.ppid); p && !ancestors.has(p.pid); p = all.get(p.ppid)) ancestors.add(p.pid);
  const descends = (p: Proc): boolean => {
    const path = new Set<number>();
    for (let q: Proc | undefined = p; q && !path.has(q.pid); q = all.get(q.ppid)) {
      if (q.ppid === me.pid) return true;
      path.add(q.pid);
    }
    return false;
  };
  return [...all.values()].filter((p) =>
    p.pid !== me.pid && p.state !== 'Z' && p.state !== 'X' &&
    (descends(p) || (p.pgrp === me.pgrp && p.start >= me.start && !ancestors.has(p.pid) && p.ppid !== me.ppid)),
  );
}

function describe(p: Proc): string {
  try {
    return `${p.pid} ${readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160)}`;
  } catch {
    return String(p.pid);
  }
}

/** Waits up to `graceMs` for what this bench started to go away; kills (SIGKILL) and returns what did not. */
async function reap(graceMs: number): Promise<string[]> {
  const until = Date.now() + graceMs;
  let left = leftovers();
  while (left.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = leftovers();
  }
  const described = left.map(describe);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return described;
}

// ---- one run ----------------------------------------------------------------------------------

class RunFailure extends Error {}

async function runOnce(runner: Runner, round: number, quick: boolean, label: string): Promise<Sample> {
  const tmp = mkdtempSync(join(os.tmpdir(), 'hostbus-bench-'));
  const started = performance.now();
  const limit = quick ? RUN_TIMEOUT_MS.quick : RUN_TIMEOUT_MS.full;
  let timer: NodeJS.Timeout | undefined;
  let m: Measurement;
  try {
    m = await Promise.race([
      runner.run({ quick, tmp }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RunFailure(`${label} took over ${limit / 1000} s`)), limit);
      }),
    ]);
  } catch (err) {
    if (err instanceof RunFailure) throw err;
    throw new RunFailure(`${label} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    rmSync(tmp, { recursive: true, force: true });
  }
  const wallMs = performance.now() - started;
  const left = await reap(LEFTOVER_GRACE_MS);
  if (left.length > 0) throw new RunFailure(`${label} left processes running (now killed):\n  ${left.join('\n  ')}`);
  for (const s of runner.scenarios) {
    const v = m.values?.[s];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RunFailure(`${label} gave no valid figure for ${s} (got ${JSON.stringify(v)})`);
    }
  }
  const extra = Object.keys(m.values ?? {}).filter((s) => !runner.scenarios.includes(s as ScenarioId));
  if (extra.length > 0) console.log(`  note: ${label} also gave ${extra.join(', ')}, which it does not declare: ignored`);
  const details: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.details ?? {})) if (typeof v === 'number' && Number.isFinite(v)) details[k] = v;
  const values: Partial<Record<ScenarioId, number>> = {};
  for (const s of runner.scenarios) values[s] = m.values[s]!;
  return { round, runner, values, details, wallMs };
}

// ---- main -------------------------------------------------------------------------------------

function machine(): Record<string, string | number> {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function main(argv: string[]): Promise<void> {
  const opts = parse(argv);
  checkRunners(runners);
  const t0 = performance.now();
  const host = machine();
  console.log(`hostbus bench: ${opts.quick ? 'QUICK (short counts, a smoke test), ' : ''}${opts.rounds} round(s), interleaved`);
  console.log(`machine: ${host.nproc} cores, ${host.cpu}, ${host.memGiB} GiB, node ${host.node}, ${host.os}`);

  const wanted = runners.filter((r) => opts.systems.has(r.system) && r.scenarios.some((s) => opts.scenarios.includes(s)));
  const skipped: Skipped[] = [];
  const active: Runner[] = [];
  for (const r of wanted) {
    let reason: string | undefined;
    try {
      reason = await r.unavailable?.();
    } catch (err) {
      throw new RunFailure(`${r.system} (${r.scenarios.join(', ')}): unavailable() failed: ${err instanceof Error ? err.message : err}`);
    }
    if (reason) {
      skipped.push({ system: r.system, scenarios: r.scenarios, reason });
      console.log(`skipped: ${r.system} (${r.scenarios.join(', ')}): ${reason}`);
    } else {
      active.push(r);
    }
  }
  const systems = [...new Set([HOSTBUS, ...active.map((r) => r.system)])].filter((s) => active.some((r) => r.system === s));
  console.log(`systems: ${systems.join(', ')}`);
  console.log(`scenarios: ${opts.scenarios.join(', ')}\n`);
  if (active.length === 0) throw new UsageError('nothing to run: no available runner matches the selection');

  // The order of one round: each runner at the place of its first selected scenario.
  const order: Runner[] = [];
  for (const s of opts.scenarios) {
    for (const system of systems) {
      const r = active.find((x) => x.system === system && x.scenarios.includes(s));
      if (r && !order.includes(r)) order.push(r);
    }
  }

  const samples: Sample[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const r of order) {
      const label = `${r.system} ${r.scenarios.join('+')} (round ${round}/${opts.rounds})`;
      const s = await runOnce(r, round, opts.quick, label);
      samples.push(s);
      const figures = r.scenarios
        .filter((id) => opts.scenarios.includes(id))
        .map((id) => `${id} ${fmt(s.values[id]!, SCENARIOS[id].unit)} ${SCENARIOS[id].unit}`)
        .join('  ');
      console.log(`round ${round}/${opts.rounds}  ${r.system.padEnd(22)} ${figures}  (${(s.wallMs / 1000).toFixed(1)} s)`);
    }
  }

  const summaries = summarize(samples, opts.scenarios, systems);
  console.log('');
  console.log(tables(summaries, systems, opts.rounds));
  const loops = loopTable(summaries);
  if (loops) console.log(`\n${loops}`);
  const overTcp = unixTable(summaries);
  if (overTcp) console.log(`\n${overTcp}`);
  const details = detailLines(samples);
  if (details) console.log(`\nDetails (median over rounds):\n${details}`);

  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const latest = toJson(summaries, { quick: opts.quick, rounds: opts.rounds, machine: host, skipped });
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
  writeFileSync(join(outDir, 'latest.svg'), renderSvg(latest));
  console.log(`\nwrote ${join(outDir, 'latest.json')} and latest.svg in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function fail(err: unknown): Promise<never> {
  if (err instanceof UsageError) {
    console.error(`bench: ${err.message}`);
    process.exit(2);
  }
  console.error(`\nBENCH FAILED: ${err instanceof Error ? (err instanceof RunFailure ? err.message : (err.stack ?? err.message)) : String(err)}`);
  const left = await reap(LEFTOVER_GRACE_MS);
  if (left.length > 0) console.error(`processes left running, now killed:\n  ${left.join('\n  ')}`);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping`);
    void reap(0).then(() => process.exit(1));
  });
}

main(process.argv.slice(2)).then(
  // Runners must leave nothing behind; a handle that would keep this process alive is not waited for.
  () => process.exit(0),
  fail,
);
