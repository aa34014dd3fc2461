// Peers: Python's multiprocessing.Queue and multiprocessing.Pipe, Manager().Lock() and Lock(),
// Manager().dict() and Value() (python_mp.py does the work; its parent process starts the producer
// and consumer processes, or the contenders, and prints one JSON result line).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Measurement, RunContext, Runner, ScenarioId, SystemId } from '../../lib/runner.js';
import { BIG_BYTES, check, counts, megabytes, measure, Proc, rate, slowDetails, throughputDetails, type Report } from './common.js';

/** tsc does not copy .py files: from .build/bench/systems/peers/ back to the source folder. */
const SCRIPT = fileURLToPath(new URL('../../../../bench/systems/peers/python_mp.py', import.meta.url));

let availability: Promise<string | undefined> | undefined;

/** Why python3 (with multiprocessing) cannot run here, or undefined. Asked once per process. */
function unavailable(): Promise<string | undefined> {
  availability ??= new Promise((resolve) => {
    if (!existsSync(SCRIPT)) return resolve(`${SCRIPT} not found`);
    const p = spawn('python3', ['-c', 'import multiprocessing, resource, ctypes'], { stdio: 'ignore' });
    p.once('error', (err) => resolve(`python3 cannot be started: ${err.message}`));
    p.once('exit', (code) => resolve(code === 0 ? undefined : `python3 -c 'import multiprocessing, resource, ctypes' exited with ${code}`));
  });
  return availability;
}

/** Runs `python3 python_mp.py <args>` once and returns its result line. */
function python(ctx: RunContext, label: string, args: string[]): Promise<Report> {
  return measure(ctx, label, async (start) => {
    const p = start(Proc.python(SCRIPT, args, label));
    const r = await p.next('result');
    await p.done();
    return r;
  });
}

function runner(system: SystemId, scenarios: ScenarioId[], run: (ctx: RunContext) => Promise<Measurement>): Runner {
  return { system, scenarios, run, unavailable };
}

/** Throughput of small messages through `mode` (queue-small, queue-4x4, pipe-small and the loop scenarios). */
function small(system: SystemId, scenario: ScenarioId, mode: string): Runner {
  return runner(system, [scenario], async (ctx) => {
    const n = counts(ctx).small;
    const r = await python(ctx, `${system} ${scenario}`, [mode, String(n)]);
    check(`${system} ${scenario}`, r, n);
    const details = throughputDetails(n, r.elapsedMs);
    if (Array.isArray(r.consumers) && r.consumers.length > 1) (r.consumers as number[]).forEach((c, i) => (details[`consumer${i}Messages`] = c));
    return { values: { [scenario]: rate(r.count, r.elapsedMs) }, details };
  });
}

/** MB/s of 4096-byte payloads through `mode` (queue-4k, pipe-4k). */
function big(system: SystemId, mode: string): Runner {
  return runner(system, ['queue-4k'], async (ctx) => {
    const n = counts(ctx).big;
    const r = await python(ctx, `${system} queue-4k`, [mode, String(n)]);
    check(`${system} queue-4k`, r, n);
    return { values: { 'queue-4k': megabytes(r.count, r.elapsedMs) }, details: throughputDetails(n, r.elapsedMs, { messageBytes: BIG_BYTES }) };
  });
}

/**
 * Peak RSS with a consumer that sleeps 1 ms (time.sleep(0.001)) every 1,000 messages. The
 * mp.Queue is unbounded (maxsize=0, its default), so the producer's put() never blocks: what the
 * consumer has not taken yet waits in the producer's feeder buffer.
 */
function slow(scenario: 'slow-consumer-1m' | 'slow-consumer-3m'): Runner {
  return runner('python-mp-queue', [scenario], async (ctx) => {
    const c = counts(ctx);
    const n = scenario === 'slow-consumer-1m' ? c.slow1m : c.slow3m;
    const r = await python(ctx, `python-mp-queue ${scenario}`, ['queue-slow', String(n)]);
    check(`python-mp-queue ${scenario}`, r, n);
    return {
      values: { [scenario]: Math.max(r.producerMaxRssKiB, r.consumerMaxRssKiB) / 1024 },
      details: slowDetails(n, r.elapsedMs, r.producerMaxRssKiB, r.consumerMaxRssKiB),
    };
  });
}

/**
 * Locks (issue 13): `lock-pair` times `acquire(); release()` pairs in one process (lock-uncontended);
 * `lock-handoff` has two worker processes contend (acquires / window). KIND: `manager`
 * (Manager().Lock(), a proxy to the manager's server process) or `mp` (mp.Lock(), a futex).
 */
function locks(system: SystemId, kind: 'manager' | 'mp'): Runner[] {
  return [
    runner(system, ['lock-uncontended', 'lock-uncontended-p99'], async (ctx) => {
      const { trips, warmup } = counts(ctx);
      const r = await python(ctx, `${system} lock-uncontended`, ['lock-pair', String(trips), kind, String(warmup)]);
      if (r.count !== trips) throw new Error(`${system} lock-uncontended: ${r.count} pairs timed, expected ${trips}`);
      return { values: { 'lock-uncontended': r.p50, 'lock-uncontended-p99': r.p99 }, details: { n: trips, warmup, p99Us: r.p99, meanUs: r.mean, maxUs: r.max } };
    }),
    runner(system, ['lock-handoff'], async (ctx) => {
      const n = counts(ctx).trips; // per worker, as hostbus's
      const r = await python(ctx, `${system} lock-handoff`, ['lock-handoff', String(n), kind]);
      if (r.count !== 2 * n || r.counter !== 2 * n) {
        throw new Error(`${system} lock-handoff: ${r.count} acquires and a counter of ${r.counter} under the lock, expected ${2 * n}`);
      }
      return {
        values: { 'lock-handoff': rate(r.count, r.elapsedMs) },
        details: { n: 2 * n, seconds: r.elapsedMs / 1e3, switches: r.switches, switchShare: r.switches / (2 * n - 1) },
      };
    }),
  ];
}

/**
 * Shared state (issue 14): `dict-set` is a `d[f"k{i % 1000}"] = i` loop on a Manager().dict() in
 * one process (each set a round trip to the manager: a proxy call cannot be pipelined, so the same
 * loop is the peer of dict-set-awaited and of dict-set-pipelined, at each one's N); `value-add` has
 * four processes each do M `with v.get_lock(): v.value += 1` on one mp.Value('i', 0) (shared
 * memory and a futex: a physical reference). Both check the content in python_mp_state.py, and
 * the count, the keys and the final value here.
 */
function dictSet(scenario: 'dict-set-awaited' | 'dict-set-pipelined', size: (ctx: RunContext) => number): Runner {
  return runner('python-mp-manager-dict', [scenario], async (ctx) => {
    const n = size(ctx);
    const r = await python(ctx, `python-mp-manager-dict ${scenario}`, ['dict-set', String(n)]);
    if (r.count !== n || r.keys !== Math.min(n, 1_000)) throw new Error(`python-mp-manager-dict ${scenario}: ${r.count} sets and ${r.keys} keys, expected ${n} and ${Math.min(n, 1_000)}`);
    return { values: { [scenario]: rate(r.count, r.elapsedMs) }, details: { n, keys: r.keys, seconds: r.elapsedMs / 1e3, usPerOp: (r.elapsedMs * 1e3) / n } };
  });
}

export const pythonRunners: Runner[] = [
  small('python-mp-queue', 'queue-small', 'queue-small'),
  small('python-mp-queue', 'queue-4x4', 'queue-4x4'),
  big('python-mp-queue', 'queue-4k'),
  slow('slow-consumer-1m'),
  slow('slow-consumer-3m'),

  small('python-mp-pipe', 'pipe-small', 'pipe-small'),
  // One-at-a-time loops, against hostbus's loop forms (Python has no bulk path to compare with).
  small('python-mp-queue', 'queue-put-loop', 'queue-put-loop'),
  small('python-mp-queue', 'queue-get-loop', 'queue-get-loop'),
  small('python-mp-queue', 'queue-iter', 'queue-iter'),
  small('python-mp-pipe', 'pipe-get-loop', 'pipe-get-loop'),
  // The 4 KiB payloads through the pipe: the pipe's closest to queue-4k.
  big('python-mp-pipe', 'pipe-4k'),
  runner('python-mp-pipe', ['rtt-child', 'rtt-child-p99'], async (ctx) => {
    const { trips, warmup } = counts(ctx);
    const r = await python(ctx, 'python-mp-pipe rtt-child', ['pipe-rtt', String(trips), String(warmup)]);
    if (r.count !== trips) throw new Error(`python-mp-pipe rtt-child: ${r.count} round trips timed, expected ${trips}`);
    return { values: { 'rtt-child': r.p50, 'rtt-child-p99': r.p99 }, details: { n: trips, warmup, meanUs: r.mean, maxUs: r.max } };
  }),
  ...locks('python-mp-manager-lock', 'manager'),
  ...locks('python-mp-lock', 'mp'),
  // At the N of hostbus's runners of the same scenarios (bench/systems/hostbus/state.ts).
  dictSet('dict-set-awaited', (ctx) => counts(ctx).trips),
  dictSet('dict-set-pipelined', (ctx) => (ctx.quick ? 20_000 : 100_000)),
  runner('python-mp-value', ['value-add-4'], async (ctx) => {
    const m = ctx.quick ? 3_000 : 10_000; // per worker, as hostbus's
    const r = await python(ctx, 'python-mp-value value-add-4', ['value-add', String(m)]);
    if (r.count !== 4 * m || r.value !== 4 * m) throw new Error(`python-mp-value value-add-4: ${r.count} adds and a value of ${r.value}, expected ${4 * m}`);
    return { values: { 'value-add-4': rate(r.count, r.elapsedMs) }, details: { n: 4 * m, perWorker: m, seconds: r.elapsedMs / 1e3, startSpreadMs: r.startSpreadMs } };
  }),
];
