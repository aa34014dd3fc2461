// pipe-small: a Pipe() between a parent and the child it spawned (a direct socketpair, no hub).
//
// Processes: the runner starts the parent; the parent makes `Pipe()` and spawns the child with
// one end. The child: `end.sendAll(generator)` then `end.end()`. The parent: `recv()`, counting
// messages and summing ids until the child's end; its window runs from its first message to its
// last.
import { Pipe, spawn, type PipeEnd } from 'hostbus';
import type { Measurement, Runner } from '../../lib/runner.js';
import { small, type Msg } from './messages.js';
import { checkCount, cpuSeconds, deadline, Group, idSumTo, MiB, orphanGuard, peakRssKiB, tell, Window } from './proc.js';

const SELF = import.meta.url;

export async function pipeChild(end: PipeEnd<Msg>, n: number): Promise<void> {
  orphanGuard();
  await end.sendAll(small(0, n));
  await end.end();
}

export async function pipeParent(n: number): Promise<void> {
  orphanGuard();
  const [here, there] = Pipe<Msg>();
  const child = spawn(SELF, 'pipeChild', [there, n]);
  const w = new Window();
  await here.recv().forEach((m) => w.seen(m.id));
  await child.join();
  await tell({ bench: 'result', ...w.report(), peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() });
}

export const pipeRunners: Runner[] = [
  {
    system: 'hostbus',
    scenarios: ['pipe-small'],
    run(ctx): Promise<Measurement> {
      const n = ctx.quick ? 50_000 : 1_000_000;
      const what = 'hostbus pipe-small';
      return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const parent = g.start(SELF, 'pipeParent', [n], 'parent');
        const r = await parent.next('result');
        await g.joinWorkers();
        checkCount(what, r as never, n, idSumTo(n));
        const seconds = ((r.lastNs as number) - (r.firstNs as number)) / 1e9;
        return { values: { 'pipe-small': n / seconds }, details: { n, seconds, parentPeakRssMiB: MiB(r.peakRssKiB as number), parentCpuS: r.cpuSeconds as number } };
      });
    },
  },
];
