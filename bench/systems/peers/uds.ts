// Peers over a Unix socket, two processes (uds-role.js): uds-ndjson-ceiling, the hand-written
// NDJSON ceiling, and uds-raw, fixed-size byte records without framing or JSON.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Measurement, RunContext, Runner, ScenarioId, SystemId } from '../../lib/runner.js';
import { BIG_BYTES, check, counts, megabytes, measure, Proc, rate, slowDetails, socketPath, throughputDetails } from './common.js';

const ROLE = fileURLToPath(new URL('./uds-role.js', import.meta.url));

/** A consumer (listening), then a producer; their reports. */
async function oneWay(ctx: RunContext, label: string, kind: string, n: number) {
  const path = socketPath(ctx);
  try {
    return await measure(ctx, label, async (start) => {
      const consumer = start(Proc.node(ROLE, ['consumer', kind, path, String(n)], `${label} consumer`));
      await consumer.next('ready');
      const producer = start(Proc.node(ROLE, ['producer', kind, path, String(n)], `${label} producer`));
      const [c, p] = await Promise.all([consumer.next('result'), producer.next('done')]);
      await Promise.all([consumer.done(), producer.done()]);
      return { c, p };
    });
  } finally {
    rmSync(path, { force: true }); // left behind only if the consumer was killed
  }
}

function throughput(system: SystemId, scenario: ScenarioId, kind: string): Runner {
  const ids = !kind.startsWith('raw-'); // raw records are counted by bytes, not read
  return {
    system,
    scenarios: [scenario],
    async run(ctx): Promise<Measurement> {
      const c = counts(ctx);
      const n = scenario === 'queue-4k' ? c.big : c.small;
      const label = `${system} ${scenario}`;
      const { c: r, p } = await oneWay(ctx, label, kind, n);
      check(label, r, n, ids);
      const value = scenario === 'queue-4k' ? megabytes(r.count, r.elapsedMs) : rate(r.count, r.elapsedMs);
      const extra: Record<string, number> = scenario === 'queue-4k' ? { messageBytes: BIG_BYTES } : {};
      return { values: { [scenario]: value }, details: throughputDetails(n, r.elapsedMs, { ...extra, backpressureWaits: p.backpressureWaits }) };
    },
  };
}

/**
 * uds-raw with a consumer pausing 1 ms every 1,000 records (Atomics.wait, see pause1ms) and a
 * producer that ignores write()'s return value: the peak RSS of an unbounded writer.
 */
function slow(scenario: 'slow-consumer-1m' | 'slow-consumer-3m'): Runner {
  return {
    system: 'uds-raw',
    scenarios: [scenario],
    async run(ctx) {
      const c = counts(ctx);
      const n = scenario === 'slow-consumer-1m' ? c.slow1m : c.slow3m;
      const label = `uds-raw ${scenario}`;
      const { c: r, p } = await oneWay(ctx, label, 'raw-slow', n);
      check(label, r, n, false);
      return {
        values: { [scenario]: Math.max(p.producerMaxRssKiB, r.consumerMaxRssKiB) / 1024 },
        details: slowDetails(n, r.elapsedMs, p.producerMaxRssKiB, r.consumerMaxRssKiB),
      };
    },
  };
}

/**
 * One-hop request/reply over a socket: the requester writes one line, the echo process parses it
 * and writes it back, the requester waits for that line. The same figures are returned as
 * rtt-hub/rtt-hub-p99 too: the hub scenario (two processes that met through a hub, so two hops
 * for hostbus) is compared against this one-hop ceiling, which has no hub to go through.
 */
const rtt: Runner = {
  system: 'uds-ndjson-ceiling',
  scenarios: ['rtt-child', 'rtt-child-p99', 'rtt-hub', 'rtt-hub-p99'],
  async run(ctx) {
    const { trips, warmup } = counts(ctx);
    const label = 'uds-ndjson-ceiling rtt';
    const path = socketPath(ctx);
    try {
      const r = await measure(ctx, label, async (start) => {
        const echo = start(Proc.node(ROLE, ['echo', path], `${label} echo`));
        await echo.next('ready');
        const requester = start(Proc.node(ROLE, ['requester', path, String(trips), String(warmup)], `${label} requester`));
        const r = await requester.next('result');
        await Promise.all([echo.done(), requester.done()]);
        return r;
      });
      if (r.count !== trips) throw new Error(`${label}: ${r.count} round trips timed, expected ${trips}`);
      return {
        values: { 'rtt-child': r.p50, 'rtt-child-p99': r.p99, 'rtt-hub': r.p50, 'rtt-hub-p99': r.p99 },
        details: { n: trips, warmup, meanUs: r.mean, maxUs: r.max },
      };
    } finally {
      rmSync(path, { force: true });
    }
  },
};

export const udsRunners: Runner[] = [
  throughput('uds-ndjson-ceiling', 'queue-small', 'ndjson-small'),
  throughput('uds-ndjson-ceiling', 'pipe-small', 'ndjson-small'),
  throughput('uds-ndjson-ceiling', 'queue-4k', 'ndjson-4k'),
  rtt,
  throughput('uds-raw', 'queue-small', 'raw-small'),
  throughput('uds-raw', 'pipe-small', 'raw-small'),
  throughput('uds-raw', 'queue-4k', 'raw-4k'),
  slow('slow-consumer-1m'),
  slow('slow-consumer-3m'),
];
