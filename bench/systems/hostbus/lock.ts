// lock-uncontended, lock-handoff: a lock held by the hub (issue 13), the hub in its own process.
//
// lock-uncontended: one worker, alone on the lock, in a loop of
// `t0 = hrtime; const h = await lock.acquire(); await h.release(); t1 = hrtime` (two sequential
// request/answer round trips to the hub: nothing is pipelined). In the same loop, on the same
// connection and the same lock channel, right after each pair, it times one `await lock.locked()`:
// the cheapest request/answer round trip to the hub that the public API offers (the session's
// ping/pong frames are sent by its keepalive only, and their answer is not observable from the
// API). 1,000 warm-up iterations, then N timed ones; p50 and p99 (nearest rank) in µs of both.
//
// lock-handoff: two workers contend for one lock, each `for (N) { h = await lock.acquire();
// await h.release() }`. They start together (the runner says "go" to both once both are ready);
// the window runs from the earliest first grant (its acquire resolved) to the latest last release
// (resolved), across both. Figure: total acquires (2N) / window. The hub's fencing tokens (one
// counter per hub process, one lock here) give the order of the grants: the tokens of both
// workers must be 2N distinct consecutive integers, and the number of times the holder changed
// is counted from them (FIFO: a release hands the lock to the waiting worker).
import type { Hold, Lock } from 'hostbus';
import type { Measurement, RunContext, Runner } from '../../lib/runner.js';
import { percentiles } from '../../lib/stats.js';
import { deadline, Group, hear, orphanGuard, tell } from './proc.js';

const SELF = import.meta.url;
const WARMUP = 1_000;

const trips = (ctx: RunContext) => (ctx.quick ? 3_000 : 20_000);
/** Iterations of each of the two contenders. */
const perWorker = (ctx: RunContext) => (ctx.quick ? 3_000 : 20_000);

function checkHold(what: string, h: Hold, last: number): void {
  if (h.abandoned) throw new Error(`${what}: token ${h.token} came abandoned`);
  if (!(h.token > last)) throw new Error(`${what}: token ${h.token} after ${last}: tokens must grow`);
}

// ---- workers ----------------------------------------------------------------------------------

export async function uncontended(lock: Lock, warmup: number, n: number): Promise<void> {
  orphanGuard();
  const pair = new Float64Array(n);
  const ping = new Float64Array(n);
  let last = 0;
  let first = 0;
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    const h = await lock.acquire();
    await h.release();
    const t1 = process.hrtime.bigint();
    const busy = await lock.locked();
    const t2 = process.hrtime.bigint();
    checkHold('lock-uncontended', h, last);
    if (busy) throw new Error(`lock-uncontended: locked() is true after release (pair ${i})`);
    if (i === 0) first = h.token;
    last = h.token;
    if (i >= warmup) {
      pair[i - warmup] = Number(t1 - t0) / 1e3;
      ping[i - warmup] = Number(t2 - t1) / 1e3;
    }
  }
  // Alone on the lock: every grant was this worker's, one token each.
  if (last - first !== warmup + n - 1) throw new Error(`lock-uncontended: tokens ${first}..${last} for ${warmup + n} acquires`);
  await tell({ bench: 'result', pair: percentiles(pair), ping: percentiles(ping) });
}

export async function contender(lock: Lock, n: number): Promise<void> {
  orphanGuard();
  const go = hear('go');
  await tell({ bench: 'ready' });
  await go;
  await lock.locked(); // opens the lock's channel (it closes after 100 ms idle), outside the window
  const tokens = new Array<number>(n);
  let firstNs = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const h = await lock.acquire();
    if (i === 0) firstNs = Number(process.hrtime.bigint());
    checkHold('lock-handoff', h, last);
    last = tokens[i] = h.token;
    await h.release();
  }
  const lastNs = Number(process.hrtime.bigint());
  await tell({ bench: 'result', count: n, firstNs, lastNs, tokens });
}

// ---- runners ----------------------------------------------------------------------------------

/** From the tokens of each worker: checks that they are one run of consecutive grants, and counts the holder's changes. */
function grants(what: string, perWorkerTokens: number[][]): { switches: number; longestRun: number; firstSwitch: number } {
  const all: [number, number][] = [];
  perWorkerTokens.forEach((ts, w) => ts.forEach((t) => all.push([t, w])));
  all.sort((a, b) => a[0] - b[0]);
  let switches = 0;
  let run = 0;
  let longestRun = 0;
  let firstSwitch = 0;
  for (let i = 0; i < all.length; i++) {
    if (i > 0 && all[i]![0] !== all[i - 1]![0] + 1) throw new Error(`${what}: token ${all[i]![0]} after ${all[i - 1]![0]}: grants missing or given twice`);
    if (i > 0 && all[i]![1] !== all[i - 1]![1]) {
      if (switches === 0) firstSwitch = i;
      switches++;
      run = 0;
    }
    longestRun = Math.max(longestRun, ++run);
  }
  return { switches, longestRun, firstSwitch };
}

export const lockRunners: Runner[] = [
  {
    system: 'hostbus',
    scenarios: ['lock-uncontended', 'lock-uncontended-p99'],
    run(ctx): Promise<Measurement> {
      const n = trips(ctx);
      return new Group('hostbus lock-uncontended', ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const worker = g.start(SELF, 'uncontended', [hub.bus.lock('bench'), WARMUP, n], 'worker');
        const r = await worker.next('result');
        await g.joinWorkers();
        await hub.stop();
        const pair = r.pair as ReturnType<typeof percentiles>;
        const ping = r.ping as ReturnType<typeof percentiles>;
        return {
          values: { 'lock-uncontended': pair.p50, 'lock-uncontended-p99': pair.p99 },
          details: {
            n,
            warmup: WARMUP,
            p99Us: pair.p99,
            meanUs: pair.mean,
            maxUs: pair.max,
            pingP50Us: ping.p50,
            pingP99Us: ping.p99,
            pingMeanUs: ping.mean,
            pairOverPingP50: pair.p50 / ping.p50,
            pairOverPingP99: pair.p99 / ping.p99,
          },
        };
      });
    },
  },
  {
    system: 'hostbus',
    scenarios: ['lock-handoff'],
    run(ctx): Promise<Measurement> {
      const n = perWorker(ctx);
      return new Group('hostbus lock-handoff', ctx.tmp, deadline(ctx.quick)).run(async (g) => {
        const hub = await g.hub();
        const lock = hub.bus.lock('bench');
        const workers = [0, 1].map((w) => g.start(SELF, 'contender', [lock, n], `contender ${w}`));
        for (const w of workers) await w.next('ready');
        for (const w of workers) w.send({ bench: 'go' });
        const results = await Promise.all(workers.map((w) => w.next('result')));
        await g.joinWorkers();
        const hubStats = await hub.stop();
        const tokens = results.map((r) => r.tokens as number[]);
        for (const [w, ts] of tokens.entries()) {
          if (ts.length !== n || results[w]!.count !== n) throw new Error(`hostbus lock-handoff: contender ${w} acquired ${ts.length} times, expected ${n}`);
        }
        const { switches, longestRun, firstSwitch } = grants('hostbus lock-handoff', tokens);
        const seconds = (Math.max(...results.map((r) => r.lastNs as number)) - Math.min(...results.map((r) => r.firstNs as number))) / 1e9;
        return {
          values: { 'lock-handoff': (2 * n) / seconds },
          details: { n: 2 * n, seconds, switches, switchShare: switches / (2 * n - 1), longestRun, firstSwitch, hubCpuS: hubStats.cpuSeconds },
        };
      });
    },
  },
];
