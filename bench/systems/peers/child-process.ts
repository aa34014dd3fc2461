// Peers: Node's child_process IPC, `fork` with serialization 'json' and 'advanced'. The runner
// forks a dedicated parent process (child-process-role.js), which forks the child and sends to it.
import { fileURLToPath } from 'node:url';
import type { RunContext, Runner, ScenarioId, SystemId } from '../../lib/runner.js';
import { BIG_BYTES, check, counts, megabytes, measure, Proc, rate, slowDetails, throughputDetails, type Report } from './common.js';

const ROLE = fileURLToPath(new URL('./child-process-role.js', import.meta.url));

type Serialization = 'json' | 'advanced';
const SYSTEM: Record<Serialization, SystemId> = { json: 'child-process-json', advanced: 'child-process-advanced' };

/** Forks `parent <serialization> <mode> <n> [warmup]` and returns its result. */
function parent(ctx: RunContext, s: Serialization, label: string, mode: string, n: number, warmup?: number): Promise<Report> {
  const args = ['parent', s, mode, String(n), ...(warmup === undefined ? [] : [String(warmup)])];
  return measure(ctx, label, async (start) => {
    const p = start(Proc.node(ROLE, args, label));
    const r = await p.next('result');
    await p.done();
    return r;
  });
}

/**
 * Small messages parent → child, one way. The same measurement serves queue-small and
 * pipe-small (IPC is the closest to both); each scenario is a separate run.
 */
function small(s: Serialization, scenario: ScenarioId): Runner {
  const system = SYSTEM[s];
  return {
    system,
    scenarios: [scenario],
    async run(ctx) {
      const n = counts(ctx).small;
      const r = await parent(ctx, s, `${system} ${scenario}`, 'small', n);
      check(`${system} ${scenario}`, r, n);
      return {
        values: { [scenario]: rate(r.count, r.elapsedMs) },
        details: throughputDetails(n, r.elapsedMs, { backpressureWaits: r.backpressureWaits }),
      };
    },
  };
}

function big(s: Serialization): Runner {
  const system = SYSTEM[s];
  return {
    system,
    scenarios: ['queue-4k'],
    async run(ctx) {
      const n = counts(ctx).big;
      const r = await parent(ctx, s, `${system} queue-4k`, '4k', n);
      check(`${system} queue-4k`, r, n);
      return {
        values: { 'queue-4k': megabytes(r.count, r.elapsedMs) },
        details: throughputDetails(n, r.elapsedMs, { messageBytes: BIG_BYTES, backpressureWaits: r.backpressureWaits }),
      };
    },
  };
}

function rtt(s: Serialization): Runner {
  const system = SYSTEM[s];
  return {
    system,
    scenarios: ['rtt-child', 'rtt-child-p99'],
    async run(ctx) {
      const { trips, warmup } = counts(ctx);
      const r = await parent(ctx, s, `${system} rtt-child`, 'rtt', trips, warmup);
      if (r.count !== trips) throw new Error(`${system} rtt-child: ${r.count} round trips timed, expected ${trips}`);
      return { values: { 'rtt-child': r.p50, 'rtt-child-p99': r.p99 }, details: { n: trips, warmup, meanUs: r.mean, maxUs: r.max } };
    },
  };
}

/** Peak RSS; the child pauses 1 ms every 1,000 messages (Atomics.wait, see pause1ms in common.ts). */
function slow(scenario: 'slow-consumer-1m' | 'slow-consumer-3m'): Runner {
  return {
    system: 'child-process-json',
    scenarios: [scenario],
    async run(ctx) {
      const c = counts(ctx);
      const n = scenario === 'slow-consumer-1m' ? c.slow1m : c.slow3m;
      const r = await parent(ctx, 'json', `child-process-json ${scenario}`, 'slow', n);
      check(`child-process-json ${scenario}`, r, n);
      return {
        values: { [scenario]: Math.max(r.producerMaxRssKiB, r.consumerMaxRssKiB) / 1024 },
        details: slowDetails(n, r.elapsedMs, r.producerMaxRssKiB, r.consumerMaxRssKiB, { backpressureWaits: r.backpressureWaits }),
      };
    },
  };
}

export const childProcessRunners: Runner[] = [
  small('json', 'queue-small'),
  small('json', 'pipe-small'),
  big('json'),
  rtt('json'),
  slow('slow-consumer-1m'),
  slow('slow-consumer-3m'),
  small('advanced', 'queue-small'),
  small('advanced', 'pipe-small'),
  big('advanced'),
  rtt('advanced'),
];
