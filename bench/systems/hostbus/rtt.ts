// rtt-child, rtt-hub: sequential request/reply over a pipe, p50 and p99.
//
// rtt-child: the runner starts a parent; the parent makes `Pipe()` and spawns the echo child with
// one end (a direct socketpair). rtt-hub: the runner starts a hub process and two workers, which
// each `connect()` to it and open `bus.pipe('rtt')`: the client and the echo, meeting through the
// hub, then talking over a socket of their own (a named pipe goes direct by default).
//
// The echo: `end.recv().subscribe({ next: (v) => end.next(v) })`: the reply goes out from inside
// `next`, with no promise, and the request counts as processed when `next` returns. The measuring
// side keeps one `recv()` subscription whose `next` hands the reply to the waiting round trip;
// each round trip is `t0 = hrtime; await end.send(i); await reply; t1 = hrtime` (`send` resolves
// when the echo has processed the request), the reply checked to be `i`. 1,000 warm-up round
// trips, then N timed ones; p50 and p99 (nearest rank) in µs.
import { connect, Pipe, spawn, type PipeEnd } from 'hostbus';
import type { Measurement, RunContext, Runner } from '../../lib/runner.js';
import { percentiles } from '../../lib/stats.js';
import { deadline, Group, orphanGuard, tell } from './proc.js';

const SELF = import.meta.url;
const WARMUP = 1_000;

// ---- workers ----------------------------------------------------------------------------------

/** Answers every value with itself until the other end ends its direction. */
function echoUntilEnd(end: PipeEnd<number>): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    end.recv().subscribe({ next: (v) => end.next(v), error: reject, complete: () => resolve() }),
  );
}

/** `warmup` then `n` sequential round trips; the end's own direction is ended afterwards. */
async function roundTrips(end: PipeEnd<number>, warmup: number, n: number): Promise<Float64Array> {
  let waiting: { resolve: (v: number) => void; reject: (err: Error) => void } | undefined;
  let over: Error | undefined;
  const stop = (err: Error) => {
    over = err;
    waiting?.reject(err);
    waiting = undefined;
  };
  const replies = new Promise<void>((resolve, reject) =>
    end.recv().subscribe({
      next: (v) => {
        const w = waiting;
        waiting = undefined;
        if (w) w.resolve(v);
        else stop(new Error(`a reply (${v}) came with no request waiting`));
      },
      error: (err: Error) => {
        stop(err);
        reject(err);
      },
      complete: () => {
        stop(new Error('the echo ended its direction early'));
        resolve();
      },
    }),
  );
  replies.catch(() => undefined);
  const us = new Float64Array(n);
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    const reply = new Promise<number>((resolve, reject) => {
      if (over) reject(over);
      else waiting = { resolve, reject };
    });
    await end.send(i);
    const v = await reply;
    const t1 = process.hrtime.bigint();
    if (v !== i) throw new Error(`round trip ${i}: the reply was ${v}`);
    if (i >= warmup) us[i - warmup] = Number(t1 - t0) / 1e3;
  }
  await end.end();
  await replies; // the echo ends its direction once ours has ended
  return us;
}

export async function echoChild(end: PipeEnd<number>): Promise<void> {
  orphanGuard();
  await echoUntilEnd(end); // then spawn's child side ends this direction and exits
}

export async function rttParent(n: number): Promise<void> {
  orphanGuard();
  const [here, there] = Pipe<number>();
  const child = spawn(SELF, 'echoChild', [there]);
  const us = await roundTrips(here, WARMUP, n);
  await child.join();
  await tell({ bench: 'result', ...percentiles(us) });
}

export async function hubEcho(address: string): Promise<void> {
  orphanGuard();
  const bus = await connect(address);
  const end = bus.pipe<number>('rtt');
  await tell({ bench: 'ready' });
  await echoUntilEnd(end);
  await end.end();
  await bus.close();
}

export async function hubClient(address: string, n: number): Promise<void> {
  orphanGuard();
  const bus = await connect(address);
  const us = await roundTrips(bus.pipe<number>('rtt'), WARMUP, n);
  await bus.close();
  await tell({ bench: 'result', ...percentiles(us) });
}

// ---- runners ----------------------------------------------------------------------------------

const count = (ctx: RunContext) => (ctx.quick ? 3_000 : 20_000);

export const rttRunners: Runner[] = [
  {
    system: 'hostbus',
    scenarios: ['rtt-child', 'rtt-child-p99'],
    run(ctx): Promise<Measurement> {
      const n = count(ctx);
      return new Group('hostbus rtt-child', ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const parent = g.start(SELF, 'rttParent', [n], 'parent');
        const r = await parent.next('result');
        await g.joinWorkers();
        return {
          values: { 'rtt-child': r.p50 as number, 'rtt-child-p99': r.p99 as number },
          details: { n, warmup: WARMUP, meanUs: r.mean as number, maxUs: r.max as number },
        };
      });
    },
  },
  {
    system: 'hostbus',
    scenarios: ['rtt-hub', 'rtt-hub-p99'],
    run(ctx): Promise<Measurement> {
      const n = count(ctx);
      return new Group('hostbus rtt-hub', ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const echo = g.start(SELF, 'hubEcho', [hub.address], 'echo');
        await echo.next('ready');
        const client = g.start(SELF, 'hubClient', [hub.address, n], 'client');
        const r = await client.next('result');
        await g.joinWorkers();
        await hub.stop();
        return {
          values: { 'rtt-hub': r.p50 as number, 'rtt-hub-p99': r.p99 as number },
          details: { n, warmup: WARMUP, meanUs: r.mean as number, maxUs: r.max as number },
        };
      });
    },
  },
];
