// slow-consumer-1m, slow-consumer-3m: N small messages through a queue of default maxsize to a
// consumer that pauses 1 ms every 1,000 messages; the figure is the peak RSS of the largest of the
// three processes (producer, hub, consumer), each process's idle RSS alongside.
//
// Processes: the hub, one producer (`queue.sendAll(generator)`, then `end()`), one consumer, each
// its own process, the queue opened with no options (maxsize 10,000, DEFAULT_MAXSIZE).
// The consumer: `queue.recvWithAck()`, each delivery counted and acked in `next`. After every
// 1,000th it pauses: a 1 ms timer (`setTimeout`, so the event loop runs on), during which the
// deliveries that arrive are held, unacknowledged, and taken in order when the timer fires. They
// are at most the prefetch (1,024), since the consumer's credit comes back only with acks; the
// producer then waits for credit, and the hub holds at most maxsize items. (This is concatMap with
// a timer written out by hand: the same with `concatMap((d) => ... ? timer(1).pipe(map(() => d)) :
// of(d))` allocates an Observable per message and measured a consumer peak ~5-10 MiB higher.)
// Idle RSS: process.memoryUsage().rss of each process once it is connected, before any traffic
// (the hub: once it listens). Peak RSS: process.resourceUsage().maxRSS at the end.
import type { Delivery, Queue } from 'hostbus';
import type { Measurement, RunContext, Runner, ScenarioId } from '../../lib/runner.js';
import { small, type Msg } from './messages.js';
import { checkCount, deadline, Group, idSumTo, MiB, orphanGuard, peakRssKiB, rssKiB, tell, Window } from './proc.js';

const SELF = import.meta.url;
const EVERY = 1_000;
const PAUSE_MS = 1;

export async function slowProducer(queue: Queue<Msg>, n: number): Promise<void> {
  orphanGuard();
  const idle = rssKiB();
  await queue.sendAll(small(0, n));
  await queue.end();
  await tell({ bench: 'done', idleRssKiB: idle, peakRssKiB: peakRssKiB() });
}

export async function slowConsumer(queue: Queue<Msg>): Promise<void> {
  orphanGuard();
  const idle = rssKiB();
  const w = new Window();
  let k = 0;
  let pauses = 0;
  let paused = false;
  const held: Delivery<Msg>[] = [];
  const take = (d: Delivery<Msg>): void => {
    w.seen(d.value.id);
    d.ack();
    if (++k % EVERY === 0) {
      paused = true;
      pauses++;
      setTimeout(resume, PAUSE_MS);
    }
  };
  const resume = (): void => {
    paused = false;
    while (!paused && held.length > 0) take(held.shift()!);
  };
  const done = queue.recvWithAck().forEach((d) => (paused ? held.push(d) : take(d)));
  await tell({ bench: 'ready' });
  await done;
  await tell({ bench: 'result', ...w.report(), pauses, idleRssKiB: idle, peakRssKiB: peakRssKiB() });
}

function slowRunner(scenario: ScenarioId, full: number, quick: number): Runner {
  return {
    system: 'hostbus',
    scenarios: [scenario],
    run(ctx: RunContext): Promise<Measurement> {
      const n = ctx.quick ? quick : full;
      const what = `hostbus ${scenario}`;
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const queue = hub.bus.queue<Msg>('slow');
        const consumer = g.start(SELF, 'slowConsumer', [queue], 'consumer');
        await consumer.next('ready');
        const producer = g.start(SELF, 'slowProducer', [queue, n], 'producer');
        const c = await consumer.next('result');
        const p = await producer.next('done');
        await g.joinWorkers();
        const h = await hub.stop();
        checkCount(what, c as never, n, idSumTo(n));
        const seconds = ((c.lastNs as number) - (c.firstNs as number)) / 1e9;
        const peaks = { producer: p.peakRssKiB as number, hub: h.peakRssKiB, consumer: c.peakRssKiB as number };
        const idles = { producer: p.idleRssKiB as number, hub: h.idleRssKiB, consumer: c.idleRssKiB as number };
        const growth = (k: keyof typeof peaks) => peaks[k] / idles[k];
        return {
          values: { [scenario]: MiB(Math.max(peaks.producer, peaks.hub, peaks.consumer)) },
          details: {
            n,
            seconds,
            msgPerSec: n / seconds,
            pauses: c.pauses as number,
            producerPeakRssMiB: MiB(peaks.producer),
            hubPeakRssMiB: MiB(peaks.hub),
            consumerPeakRssMiB: MiB(peaks.consumer),
            producerIdleRssMiB: MiB(idles.producer),
            hubIdleRssMiB: MiB(idles.hub),
            consumerIdleRssMiB: MiB(idles.consumer),
            producerPeakToIdle: growth('producer'),
            hubPeakToIdle: growth('hub'),
            consumerPeakToIdle: growth('consumer'),
          },
        };
      });
    },
  };
}

export const slowRunners: Runner[] = [
  slowRunner('slow-consumer-1m', 1_000_000, 100_000),
  slowRunner('slow-consumer-3m', 3_000_000, 300_000),
];
