// queue-put-loop, queue-get-loop, queue-iter, pipe-get-loop: one side of queue-small or
// pipe-small written one value at a time, as a user writes it; the other side keeps the bulk path.
//
// The queue scenarios have the processes, counts and timing window of queue-small (queue.ts):
// hub, one producer, one consumer, each its own process; the consumer starts first and says
// ready. What changes is one side:
//   queue-put-loop   producer: `for (...) await queue.send(m)`, then `end()`; consumer: `recv().forEach`
//   queue-get-loop   producer: `sendAll(messages, then null)`, then `end()`;
//                    consumer: `while ((m = await queue.get()) !== null)`
//   queue-iter       producer: `sendAll(messages)`, then `end()`; consumer: `for await (const m of queue)`
// pipe-get-loop has the processes of pipe-small (pipe.ts): the parent makes `Pipe()` and spawns the
// child with one end (a direct socketpair, no hub). Child: `sendAll(messages, then null)`, then
// `end()`; parent: `while ((m = await end.get()) !== null)`.
import { Pipe, spawn, type PipeEnd, type Queue } from 'hostbus';
import type { Measurement, Runner } from '../../lib/runner.js';
import { message, small, type Msg } from './messages.js';
import { checkCount, cpuSeconds, deadline, Group, idSumTo, MiB, orphanGuard, peakRssKiB, tell, Window } from './proc.js';
import { measure } from './queue.js';

const SELF = import.meta.url;

/**
 * Messages per run: those of queue-small and pipe-small (50,000 with `--quick`, 1,000,000 in a
 * full run), so that a loop and its bulk path have the same share of start-up and JIT warm-up
 * in their figures.
 */
const loopN = (quick: boolean) => (quick ? 50_000 : 1_000_000);

/** Messages `from` .. `from + count - 1`, then the sentinel `null`. */
function* thenNull(from: number, count: number): Generator<Msg | null> {
  yield* small(from, count);
  yield null;
}

const done = () => tell({ bench: 'done', peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
const result = (w: Window) => tell({ bench: 'result', ...w.report(), peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });

// ---- queue workers (called as queue.ts's producer and consumer are) ------------------------------

/** queue-put-loop: one awaited `send` per message. */
export async function putLoopProducer(queue: Queue<Msg>, _kind: string, from: number, count: number): Promise<void> {
  orphanGuard();
  for (let i = from; i < from + count; i++) await queue.send(message(i));
  await queue.end();
  await done();
}

/** queue-get-loop (and pipe-get-loop's child): the bulk path, the messages then `null`. */
export async function sentinelProducer(queue: Queue<Msg | null>, _kind: string, from: number, count: number): Promise<void> {
  orphanGuard();
  await queue.sendAll(thenNull(from, count));
  await queue.end();
  await done();
}

/** queue-iter: the bulk path, as queue-small's producer. */
export async function bulkProducer(queue: Queue<Msg>, _kind: string, from: number, count: number): Promise<void> {
  orphanGuard();
  await queue.sendAll(small(from, count));
  await queue.end();
  await done();
}

/** queue-put-loop: the bulk receive, as queue-small's consumer. */
export async function bulkConsumer(queue: Queue<Msg>): Promise<void> {
  orphanGuard();
  const w = new Window();
  const all = queue.recv().forEach((m) => w.seen(m.id));
  await tell({ bench: 'ready' });
  await all;
  await result(w);
}

/** queue-get-loop: one awaited `get()` per message, until the sentinel. */
export async function getLoopConsumer(queue: Queue<Msg | null>): Promise<void> {
  orphanGuard();
  const w = new Window();
  await tell({ bench: 'ready' });
  let m: Msg | null;
  while ((m = await queue.get()) !== null) w.seen(m.id);
  await result(w);
}

/** queue-iter: `for await`, until the queue ends. */
export async function iterConsumer(queue: Queue<Msg>): Promise<void> {
  orphanGuard();
  const w = new Window();
  await tell({ bench: 'ready' });
  for await (const m of queue) w.seen(m.id);
  await result(w);
}

// ---- pipe workers ---------------------------------------------------------------------------------

export async function pipeSentinelChild(end: PipeEnd<Msg | null>, n: number): Promise<void> {
  orphanGuard();
  await end.sendAll(thenNull(0, n));
  await end.end();
}

export async function pipeGetParent(n: number): Promise<void> {
  orphanGuard();
  const [here, there] = Pipe<Msg | null>();
  const child = spawn(SELF, 'pipeSentinelChild', [there, n]);
  const w = new Window();
  let m: Msg | null;
  while ((m = await here.get()) !== null) w.seen(m.id);
  // The value a get() returned counts as processed at the next get() or at finish(): the child's
  // sendAll() waits for that.
  await here.finish();
  await child.join();
  await result(w);
}

// ---- runners --------------------------------------------------------------------------------------

function queueLoop(scenario: 'queue-put-loop' | 'queue-get-loop' | 'queue-iter', producer: string, consumer: string): Runner {
  return {
    system: 'hostbus',
    scenarios: [scenario],
    async run(ctx): Promise<Measurement> {
      const n = loopN(ctx.quick);
      const { seconds, details } = await measure(ctx, `hostbus ${scenario}`, {
        producers: 1,
        consumers: 1,
        kind: 'small',
        n,
        roles: { module: SELF, producer, consumer },
      });
      return { values: { [scenario]: n / seconds }, details };
    },
  };
}

export const loopRunners: Runner[] = [
  queueLoop('queue-put-loop', 'putLoopProducer', 'bulkConsumer'),
  queueLoop('queue-get-loop', 'sentinelProducer', 'getLoopConsumer'),
  queueLoop('queue-iter', 'bulkProducer', 'iterConsumer'),
  {
    system: 'hostbus',
    scenarios: ['pipe-get-loop'],
    run(ctx): Promise<Measurement> {
      const n = loopN(ctx.quick);
      const what = 'hostbus pipe-get-loop';
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const parent = g.start(SELF, 'pipeGetParent', [n], 'parent');
        const r = await parent.next('result');
        await g.joinWorkers();
        checkCount(what, r as never, n, idSumTo(n));
        const seconds = ((r.lastNs as number) - (r.firstNs as number)) / 1e9;
        return { values: { 'pipe-get-loop': n / seconds }, details: { n, seconds, parentPeakRssMiB: MiB(r.peakRssKiB as number), parentCpuS: r.cpuSeconds as number } };
      });
    },
  },
];
