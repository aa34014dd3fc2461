// queue-small, queue-4x4, queue-4k: producers → a queue on a hub → consumers, each its own process.
//
// Processes: the hub (hub.ts), P producers and C consumers, all started by the runner with
// hostbus's spawn(); the queue goes to each as a handle (by reference: each worker opens its own
// connection to the hub). Consumers start first and say ready once subscribed; then producers.
// Each producer: `queue.sendAll(generator)` then `queue.end()`; the queue is opened with
// `{ producers: P }`, so it ends after the last producer's end. Each consumer: `queue.recv()`,
// counting messages and summing their ids, until the queue completes. The window runs from the
// first message any consumer received to the last one any consumer received (process.hrtime is
// one monotonic clock for every process of the host).
//
// queue-small-tcp (issue 15): queue-small with `{ tcp: true }`: the hub listens on
// tcp://127.0.0.1:0 behind an authkey made for the run; the queue's handle carries the tcp://
// address, and spawn() gives each worker the key in its environment, so every worker connects
// over TCP and proves the key. Checked besides the counts: the hub refused no connection.
import type { Queue } from 'hostbus';
import type { Measurement, RunContext, Runner } from '../../lib/runner.js';
import { BIG_BYTES, bigs, small, type Big, type Msg } from './messages.js';
import { checkCount, cpuSeconds, deadline, Group, idSumTo, MiB, orphanGuard, peakRssKiB, tell, Window, type Note } from './proc.js';

const SELF = import.meta.url;
export type Kind = 'small' | 'big';

// ---- workers ----------------------------------------------------------------------------------

export async function producer(queue: Queue<Msg | Big>, kind: Kind, from: number, count: number): Promise<void> {
  orphanGuard();
  await queue.sendAll(kind === 'small' ? small(from, count) : bigs(from, count));
  await queue.end();
  await tell({ bench: 'done', peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
}

export async function consumer(queue: Queue<Msg | Big>): Promise<void> {
  orphanGuard();
  const w = new Window();
  const done = queue.recv().forEach((m) => w.seen(m.id));
  await tell({ bench: 'ready' });
  await done;
  await tell({ bench: 'result', ...w.report(), peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
}

// ---- runner -----------------------------------------------------------------------------------

export interface Shape {
  producers: number;
  consumers: number;
  kind: Kind;
  n: number;
  /** The hub on tcp://127.0.0.1 behind an authkey (`Group.hub({ tcp: true })`) instead of a Unix socket. */
  tcp?: boolean;
  /**
   * The workers to start (a compiled module's URL and its exports, called as the producer and
   * consumer above are); default: this module's `producer` and `consumer`.
   */
  roles?: { module: string; producer: string; consumer: string };
}

export async function measure(ctx: RunContext, what: string, s: Shape): Promise<{ seconds: number; details: Record<string, number> }> {
  return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
    const hub = await g.hub(s.tcp ? { tcp: true } : {});
    const queue = hub.bus.queue<Msg | Big>('bench', { producers: s.producers });
    const roles = s.roles ?? { module: SELF, producer: 'producer', consumer: 'consumer' };
    const consumers = Array.from({ length: s.consumers }, (_, c) => g.start(roles.module, roles.consumer, [queue], `consumer ${c}`));
    for (const c of consumers) await c.next('ready');
    const share = s.n / s.producers;
    const producers = Array.from({ length: s.producers }, (_, p) => g.start(roles.module, roles.producer, [queue, s.kind, p * share, share], `producer ${p}`));
    const results: Note[] = await Promise.all(consumers.map((c) => c.next('result')));
    const produced = await Promise.all(producers.map((p) => p.next('done')));
    await g.joinWorkers();
    const hubStats = await hub.stop();
    const total = { count: 0, idSum: 0 };
    for (const r of results) {
      total.count += r.count as number;
      total.idSum += r.idSum as number;
    }
    checkCount(what, total, s.n, idSumTo(s.n));
    if (s.tcp && hubStats.authFailures !== 0) throw new Error(`${what}: the hub refused ${hubStats.authFailures} connection(s) for the authkey`);
    const first = Math.min(...results.filter((r) => (r.count as number) > 0).map((r) => r.firstNs as number));
    const last = Math.max(...results.map((r) => r.lastNs as number));
    const seconds = (last - first) / 1e9;
    const peak = (notes: Note[]) => MiB(Math.max(...notes.map((r) => r.peakRssKiB as number)));
    const cpu = (notes: Note[]) => notes.reduce((sum, r) => sum + (r.cpuSeconds as number), 0);
    return {
      seconds,
      details: {
        n: s.n,
        seconds,
        consumerPeakRssMiB: peak(results),
        producerPeakRssMiB: peak(produced),
        hubPeakRssMiB: MiB(hubStats.peakRssKiB),
        consumerCpuS: cpu(results),
        producerCpuS: cpu(produced),
        hubCpuS: hubStats.cpuSeconds,
        ...(s.consumers > 1 ? { minPerConsumer: Math.min(...results.map((r) => r.count as number)) } : {}),
        ...(s.tcp ? { authFailures: hubStats.authFailures } : {}),
      },
    };
  });
}

const N = {
  small: (q: boolean) => (q ? 50_000 : 1_000_000),
  fourByFour: (q: boolean) => (q ? 100_000 : 1_000_000),
  big: (q: boolean) => (q ? 10_000 : 100_000),
};

export const queueRunners: Runner[] = [
  {
    system: 'hostbus',
    scenarios: ['queue-small'],
    async run(ctx): Promise<Measurement> {
      const n = N.small(ctx.quick);
      const { seconds, details } = await measure(ctx, 'hostbus queue-small', { producers: 1, consumers: 1, kind: 'small', n });
      return { values: { 'queue-small': n / seconds }, details };
    },
  },
  {
    system: 'hostbus',
    scenarios: ['queue-small-tcp'],
    async run(ctx): Promise<Measurement> {
      const n = N.small(ctx.quick);
      const { seconds, details } = await measure(ctx, 'hostbus queue-small-tcp', { producers: 1, consumers: 1, kind: 'small', n, tcp: true });
      return { values: { 'queue-small-tcp': n / seconds }, details };
    },
  },
  {
    system: 'hostbus',
    scenarios: ['queue-4x4'],
    async run(ctx): Promise<Measurement> {
      const n = N.fourByFour(ctx.quick);
      const { seconds, details } = await measure(ctx, 'hostbus queue-4x4', { producers: 4, consumers: 4, kind: 'small', n });
      return { values: { 'queue-4x4': n / seconds }, details };
    },
  },
  {
    system: 'hostbus',
    scenarios: ['queue-4k'],
    async run(ctx): Promise<Measurement> {
      const n = N.big(ctx.quick);
      const { seconds, details } = await measure(ctx, 'hostbus queue-4k', { producers: 1, consumers: 1, kind: 'big', n });
      return { values: { 'queue-4k': (n * BIG_BYTES) / 1e6 / seconds }, details: { ...details, messageBytes: BIG_BYTES } };
    },
  },
];
