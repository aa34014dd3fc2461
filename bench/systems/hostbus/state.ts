// dict-set-awaited, dict-set-pipelined, value-add-4: shared state held by the hub (issue 14), the
// hub in its own process.
//
// dict-set-awaited: one worker gets the handle `bus.dict('bench')` (no initial content: its first
// open makes it empty), opens its channel with `await d.size()` (which must be 0), then, timed,
// `for (i < N) await d.set(`k${i % 1000}`, i)`: one round trip to the hub per set, nothing
// pipelined. Figure: N / window (first set made to last set resolved), ops/s.
//
// dict-set-pipelined: the same worker, keys and values, the sets made without awaiting each: in
// batches of 1,024, `await Promise.all(batch of d.set(...))`, the next batch made once the whole
// batch has resolved. 1,024 is the hub's request window (the credit a request channel gets): a
// batch goes out at once, and the handle buffers nothing unsent (it would take up to 65,536).
// Larger batches (4,096, or all 60,000 at once) were no faster in trial runs, and cost the
// worker more CPU for the requests waiting in its buffer.
//
// Both check, from the runner's own connection once the worker is done, that the dict holds
// exactly the keys k0 .. k999 (min(N, 1,000) of them) in the order first set, each with the last
// i written to it, and that it is at revision N (one change per set, none lost or doubled); the
// worker checks that its own handle saw revision N too.
//
// value-add-4: four workers share `bus.value('bench', 0, { type: 'i' })` (Python's Value('i', 0)).
// Once all four say ready the runner says "go"; each opens its channel with `await counter.get()`,
// then, timed, `for (M) await counter.add(1)`: the form a user writes for a shared counter, each
// increment applied at the hub before the code goes on (as `with v.get_lock(): v.value += 1`
// is), its result (the sum) there to use. Window: the earliest first add made to the latest last
// add resolved, across the four; figure: 4M / window, ops/s. Each add resolves with the sum it
// made: the sums of the four together must be exactly 1 .. 4M (each add applied once, atomically)
// and each worker's must grow; the runner reads the value at the end, which must be 4M.
import type { SharedDict, Value } from 'hostbus';
import type { Measurement, RunContext, Runner } from '../../lib/runner.js';
import { cpuSeconds, deadline, Group, hear, orphanGuard, peakRssKiB, tell } from './proc.js';

const SELF = import.meta.url;
/** Distinct keys of the dict scenarios: `k0` .. `k999`. */
const KEYS = 1_000;
/** Sets made at once by the pipelined worker (each batch awaited whole before the next): the hub's request window. */
const BATCH = 1_024;

/** Sets of dict-set-awaited. */
const awaitedN = (ctx: RunContext) => (ctx.quick ? 3_000 : 20_000);
/** Sets of dict-set-pipelined. */
const pipelinedN = (ctx: RunContext) => (ctx.quick ? 20_000 : 100_000);
/** Adds of each of the four workers of value-add-4. */
const perAdder = (ctx: RunContext) => (ctx.quick ? 3_000 : 10_000);

// ---- workers ----------------------------------------------------------------------------------

/** Sets `k${i % 1000}` to i for i < n: each awaited (batch 0), or `batch` at a time. */
export async function dictSetter(d: SharedDict<number>, n: number, batch: number): Promise<void> {
  orphanGuard();
  const before = await d.size(); // opens the dict's channel (it closes after 100 ms idle), outside the window
  if (before !== 0) throw new Error(`the dict holds ${before} keys before the first set, expected none`);
  const firstNs = Number(process.hrtime.bigint());
  if (batch === 0) {
    for (let i = 0; i < n; i++) await d.set(`k${i % KEYS}`, i);
  } else {
    for (let from = 0; from < n; from += batch) {
      const sets: Promise<void>[] = [];
      for (let i = from; i < Math.min(from + batch, n); i++) sets.push(d.set(`k${i % KEYS}`, i));
      await Promise.all(sets);
    }
  }
  const lastNs = Number(process.hrtime.bigint());
  await tell({ bench: 'result', count: n, firstNs, lastNs, revision: d.revision, cpuSeconds: cpuSeconds(), peakRssKiB: peakRssKiB() });
}

/** value-add-4: `m` awaited `counter.add(1)`, the sum of each kept. */
export async function adder(counter: Value<number>, m: number): Promise<void> {
  orphanGuard();
  const go = hear('go');
  await tell({ bench: 'ready' });
  await go;
  await counter.get(); // opens the value's channel (it closes after 100 ms idle), outside the window
  const sums = new Array<number>(m);
  const firstNs = Number(process.hrtime.bigint());
  for (let i = 0; i < m; i++) sums[i] = await counter.add(1);
  const lastNs = Number(process.hrtime.bigint());
  await tell({ bench: 'result', count: m, firstNs, lastNs, sums, cpuSeconds: cpuSeconds() });
}

// ---- runners ----------------------------------------------------------------------------------

/**
 * Throws unless `entries` (the dict's, in its order) are exactly k0 .. k(min(n, KEYS) - 1), each
 * with the last i < n written to it (i % KEYS its key), and the dict is at revision n.
 */
function checkDict(what: string, entries: [string, unknown][], revision: number, n: number): void {
  const keys = Math.min(n, KEYS);
  if (entries.length !== keys) throw new Error(`${what}: the dict holds ${entries.length} keys, expected ${keys}`);
  for (let j = 0; j < keys; j++) {
    const [k, v] = entries[j]!;
    const last = j + KEYS * Math.floor((n - 1 - j) / KEYS);
    if (k !== `k${j}` || v !== last) throw new Error(`${what}: entry ${j} is ${JSON.stringify([k, v])}, expected ["k${j}",${last}]`);
  }
  if (revision !== n) throw new Error(`${what}: the dict is at revision ${revision} after ${n} sets, expected ${n}`);
}

function dictRunner(scenario: 'dict-set-awaited' | 'dict-set-pipelined', size: (ctx: RunContext) => number, batch: number): Runner {
  return {
    system: 'hostbus',
    scenarios: [scenario],
    run(ctx): Promise<Measurement> {
      const n = size(ctx);
      const what = `hostbus ${scenario}`;
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const d = hub.bus.dict<number>('bench');
        const worker = g.start(SELF, 'dictSetter', [d, n, batch], 'worker');
        const r = await worker.next('result');
        await g.joinWorkers();
        if (r.count !== n || r.revision !== n) throw new Error(`${what}: the worker made ${r.count} sets and saw revision ${r.revision}, expected ${n}`);
        checkDict(what, await d.entries(), d.revision, n); // entries() keeps the dict's order; revision: of that answer
        const hubStats = await hub.stop();
        const seconds = ((r.lastNs as number) - (r.firstNs as number)) / 1e9;
        return {
          values: { [scenario]: n / seconds },
          details: {
            n,
            ...(batch > 0 ? { batch } : {}),
            keys: Math.min(n, KEYS),
            seconds,
            usPerOp: (seconds * 1e6) / n,
            workerCpuS: r.cpuSeconds as number,
            workerPeakRssMiB: (r.peakRssKiB as number) / 1024,
            hubCpuS: hubStats.cpuSeconds,
            hubPeakRssMiB: hubStats.peakRssKiB / 1024,
          },
        };
      });
    },
  };
}

/** From the sums each adder saw: checks they are 1 .. total, each once, growing per adder; counts how often the adder changed from one sum to the next. */
function sumsOf(what: string, perWorker: number[][], total: number): { switches: number; longestRun: number } {
  const owner = new Int8Array(total).fill(-1);
  perWorker.forEach((sums, w) => {
    let last = 0;
    for (const s of sums) {
      if (!Number.isInteger(s) || s < 1 || s > total) throw new Error(`${what}: adder ${w} got the sum ${s}, outside 1..${total}`);
      if (s <= last) throw new Error(`${what}: adder ${w} got the sum ${s} after ${last}: its sums must grow`);
      if (owner[s - 1] !== -1) throw new Error(`${what}: the sum ${s} came to adders ${owner[s - 1]} and ${w}: an add was lost`);
      owner[s - 1] = w;
      last = s;
    }
  });
  let switches = 0;
  let run = 0;
  let longestRun = 0;
  for (let i = 0; i < total; i++) {
    if (owner[i] === -1) throw new Error(`${what}: no adder got the sum ${i + 1}`);
    if (i > 0 && owner[i] !== owner[i - 1]) {
      switches++;
      run = 0;
    }
    longestRun = Math.max(longestRun, ++run);
  }
  return { switches, longestRun };
}

export const stateRunners: Runner[] = [
  dictRunner('dict-set-awaited', awaitedN, 0),
  dictRunner('dict-set-pipelined', pipelinedN, BATCH),
  {
    system: 'hostbus',
    scenarios: ['value-add-4'],
    run(ctx): Promise<Measurement> {
      const m = perAdder(ctx);
      const total = 4 * m;
      const what = 'hostbus value-add-4';
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const counter = hub.bus.value<number>('bench', 0, { type: 'i' });
        const workers = [0, 1, 2, 3].map((w) => g.start(SELF, 'adder', [counter, m], `adder ${w}`));
        for (const w of workers) await w.next('ready');
        for (const w of workers) w.send({ bench: 'go' });
        const results = await Promise.all(workers.map((w) => w.next('result')));
        await g.joinWorkers();
        for (const [w, r] of results.entries()) {
          if (r.count !== m || (r.sums as number[]).length !== m) throw new Error(`${what}: adder ${w} made ${r.count} adds, expected ${m}`);
        }
        const { switches, longestRun } = sumsOf(what, results.map((r) => r.sums as number[]), total);
        const final = await counter.get();
        if (final !== total) throw new Error(`${what}: the counter is ${final} after ${total} adds of 1, expected ${total}`);
        const hubStats = await hub.stop();
        const starts = results.map((r) => r.firstNs as number);
        const ends = results.map((r) => r.lastNs as number);
        const seconds = (Math.max(...ends) - Math.min(...starts)) / 1e9;
        return {
          values: { 'value-add-4': total / seconds },
          details: {
            n: total,
            perWorker: m,
            seconds,
            startSpreadMs: (Math.max(...starts) - Math.min(...starts)) / 1e6,
            switches,
            switchShare: switches / (total - 1),
            longestRun,
            workerCpuS: results.reduce((a, r) => a + (r.cpuSeconds as number), 0),
            hubCpuS: hubStats.cpuSeconds,
          },
        };
      });
    },
  },
];
