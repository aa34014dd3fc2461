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
//
// rtt-hub-tcp (issue 15): rtt-hub with the hub on tcp://127.0.0.1:0 behind an authkey made for
// the run (`Group.hub({ tcp: true })`); the echo and the client get the tcp:// address and the key
// as arguments and `connect(address, { authkey })`. The two ends meet through the hub over TCP
// and then, being of one user on one host, talk over the private socket the first of them offers
// (docs/remote.md, *Pipes*), the key proven on it as on the hub's connection. Checked besides
// each reply: the hub refused no connection. Before it runs, `unavailable()` makes a few round trips the same way in the bench's
// own process: should the TCP sockets of hostbus lose TCP_NODELAY (src/transport sets it), each
// round trip would wait for a delayed ACK (~40 ms on Linux), 21,000 of them about 15 minutes, over
// the deadline; the runner is then skipped with that figure as the reason.
import { connect, formatAddress, Hub, Pipe, spawn, type PipeEnd } from 'hostbus';
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

/** The options of a worker's `connect()`: the hub's authkey, when it has one. */
const keyed = (authkey: string | null | undefined) => (authkey == null ? {} : { authkey }); // null: JSON's undefined

export async function hubEcho(address: string, authkey?: string | null, relay = false): Promise<void> {
  orphanGuard();
  const bus = await connect(address, keyed(authkey));
  const end = bus.pipe<number>('rtt', relay ? { direct: false } : {});
  await tell({ bench: 'ready' });
  await echoUntilEnd(end);
  await end.end();
  await bus.close();
}

export async function hubClient(address: string, n: number, authkey?: string | null, relay = false): Promise<void> {
  orphanGuard();
  const bus = await connect(address, keyed(authkey));
  const us = await roundTrips(bus.pipe<number>('rtt', relay ? { direct: false } : {}), WARMUP, n);
  await bus.close();
  await tell({ bench: 'result', ...percentiles(us) });
}

// ---- runners ----------------------------------------------------------------------------------

const count = (ctx: RunContext) => (ctx.quick ? 3_000 : 20_000);

/** rtt-hub (the hub on a Unix socket) or, with `tcp`, rtt-hub-tcp (on tcp://127.0.0.1, behind an authkey). */
function hubRoundTrips(ctx: RunContext, tcp: boolean): Promise<Measurement> {
  const n = count(ctx);
  const what = tcp ? 'hostbus rtt-hub-tcp' : 'hostbus rtt-hub';
  return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
    const hub = await g.hub(tcp ? { tcp: true } : {});
    const echo = g.start(SELF, 'hubEcho', tcp ? [hub.address, hub.authkey] : [hub.address], 'echo');
    await echo.next('ready');
    const client = g.start(SELF, 'hubClient', tcp ? [hub.address, n, hub.authkey] : [hub.address, n], 'client');
    const r = await client.next('result');
    await g.joinWorkers();
    const hubStats = await hub.stop();
    if (tcp && hubStats.authFailures !== 0) throw new Error(`${what}: the hub refused ${hubStats.authFailures} connection(s) for the authkey`);
    // p99Us: the p99 scenario's figure again, so that it is printed when only the p50 scenario was selected.
    const details = { n, warmup: WARMUP, meanUs: r.mean as number, maxUs: r.max as number, p99Us: r.p99 as number };
    return tcp
      ? { values: { 'rtt-hub-tcp': r.p50 as number, 'rtt-hub-tcp-p99': r.p99 as number }, details: { ...details, authFailures: hubStats.authFailures } }
      : { values: { 'rtt-hub': r.p50 as number, 'rtt-hub-p99': r.p99 as number }, details };
  });
}

/** A p50 round trip over this (ms) is the delayed-ACK stall, not a figure to wait 15 minutes for. */
const STALL_MS = 20;

/**
 * The stall check of rtt-hub-tcp: a hub on tcp://127.0.0.1:0 with a key, in this process, two
 * connections and the pipe between them, 5 warm-up and 10 timed round trips as `roundTrips`
 * makes them; a reason to skip when their p50 is over STALL_MS.
 */
async function tcpStall(): Promise<string | undefined> {
  const authkey = 'stall-check';
  const hub = await Hub.listen('tcp://127.0.0.1:0', { authkey });
  try {
    const address = formatAddress(hub.address!);
    const [a, b] = await Promise.all([connect(address, { authkey }), connect(address, { authkey })]);
    try {
      const far = b.pipe<number>('stall');
      const echoed = echoUntilEnd(far).then(() => far.end());
      const us = await roundTrips(a.pipe<number>('stall'), 5, 10);
      await echoed;
      const p50Ms = percentiles(us).p50 / 1e3;
      if (p50Ms <= STALL_MS) return undefined;
      return `over tcp:// a pipe round trip took ${p50Ms.toFixed(1)} ms (p50 of 10), the delayed-ACK stall of sockets without TCP_NODELAY (src/transport sets it: has that changed?): ` +
        `the run (21,000 round trips; 4,000 with --quick) would take ${Math.round((21_000 * p50Ms) / 1e3)} s (${Math.round((4_000 * p50Ms) / 1e3)} s), over its deadline of 300 s (45 s): see docs/benchmarks.md, issue 15`;
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
  } finally {
    await hub.close();
  }
}

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
    run: (ctx) => hubRoundTrips(ctx, false),
  },
  {
    system: 'hostbus',
    scenarios: ['rtt-hub-tcp', 'rtt-hub-tcp-p99'],
    run: (ctx) => hubRoundTrips(ctx, true),
    unavailable: tcpStall,
  },
  {
    // rtt-hub-relay: rtt-hub on the Unix socket with the pipe relayed by the hub ({ direct: false }),
    // the path of a pair whose ends cannot reach each other (and of tcp:// before direct links).
    system: 'hostbus',
    scenarios: ['rtt-hub-relay'],
    run(ctx): Promise<Measurement> {
      const n = count(ctx);
      return new Group('hostbus rtt-hub-relay', ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const echo = g.start(SELF, 'hubEcho', [hub.address, null, true], 'echo');
        await echo.next('ready');
        const client = g.start(SELF, 'hubClient', [hub.address, n, null, true], 'client');
        const r = await client.next('result');
        await g.joinWorkers();
        await hub.stop();
        return { values: { 'rtt-hub-relay': r.p50 as number }, details: { n, warmup: WARMUP, meanUs: r.mean as number, maxUs: r.max as number, p99Us: r.p99 as number } };
      });
    },
  },
];
