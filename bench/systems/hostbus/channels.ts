// channels-1k: 1,000 queues on one connection, from one producer process to one consumer process
// through the hub (a third process).
//
// The runner makes 1,000 queue handles (`ch-0` .. `ch-999`) and hands all of them to each worker:
// a worker opens one connection per hub address, so each side's 1,000 channels share one
// connection. The consumer subscribes to all 1,000 (`merge` of their `recv()`), says ready, then
// the producer starts: for every queue at once, `sendAll(generator of M messages)` then `end()`.
// The consumer counts per queue and sums ids; its window runs from its first message to its last.
import type { Queue } from 'hostbus';
import { merge } from 'rxjs';
import type { Measurement, Runner } from '../../lib/runner.js';
import { message, type Msg } from './messages.js';
import { checkCount, cpuSeconds, deadline, Group, idSumTo, MiB, orphanGuard, peakRssKiB, tell, Window } from './proc.js';

const SELF = import.meta.url;
const CHANNELS = 1_000;

function* slice(k: number, m: number): Generator<Msg> {
  for (let i = k * m; i < (k + 1) * m; i++) yield message(i);
}

export async function channelsProducer(queues: Queue<Msg>[], m: number): Promise<void> {
  orphanGuard();
  await Promise.all(queues.map(async (q, k) => {
    await q.sendAll(slice(k, m));
    await q.end();
  }));
  await tell({ bench: 'done', peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
}

export async function channelsConsumer(queues: Queue<Msg>[], m: number): Promise<void> {
  orphanGuard();
  const w = new Window();
  const perQueue = new Uint32Array(queues.length);
  const done = merge(...queues.map((q) => q.recv())).forEach((msg) => {
    w.seen(msg.id);
    perQueue[Math.floor(msg.id / m)]!++;
  });
  await tell({ bench: 'ready' });
  await done;
  const wrong = perQueue.findIndex((c) => c !== m);
  if (wrong >= 0) throw new Error(`queue ch-${wrong} delivered ${perQueue[wrong]} messages, expected ${m}`);
  await tell({ bench: 'result', ...w.report(), peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
}

export const channelsRunners: Runner[] = [
  {
    system: 'hostbus',
    scenarios: ['channels-1k'],
    run(ctx): Promise<Measurement> {
      const m = ctx.quick ? 50 : 200;
      const n = CHANNELS * m;
      const what = 'hostbus channels-1k';
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const queues = Array.from({ length: CHANNELS }, (_, k) => hub.bus.queue<Msg>(`ch-${k}`));
        const consumer = g.start(SELF, 'channelsConsumer', [queues, m], 'consumer');
        await consumer.next('ready');
        const producer = g.start(SELF, 'channelsProducer', [queues, m], 'producer');
        const c = await consumer.next('result');
        const p = await producer.next('done');
        await g.joinWorkers();
        const h = await hub.stop();
        checkCount(what, c as never, n, idSumTo(n));
        const seconds = ((c.lastNs as number) - (c.firstNs as number)) / 1e9;
        return {
          values: { 'channels-1k': n / seconds },
          details: {
            channels: CHANNELS,
            perChannel: m,
            n,
            seconds,
            hubRssMiB: MiB(h.peakRssKiB),
            hubIdleRssMiB: MiB(h.idleRssKiB),
            producerPeakRssMiB: MiB(p.peakRssKiB as number),
            consumerPeakRssMiB: MiB(c.peakRssKiB as number),
            producerCpuS: p.cpuSeconds as number,
            hubCpuS: h.cpuSeconds,
            consumerCpuS: c.cpuSeconds as number,
          },
        };
      });
    },
  },
];
