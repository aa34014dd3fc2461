// connect-unix, connect-auth-tcp (issue 15): what `await connect(address)` costs, p50 and p99.
//
// Processes: the hub (hub.ts) and one worker, started by the runner. connect-unix: the hub on a
// Unix socket in the run's folder, without a key; the worker times `await connect(path)` (the
// socket's connect, then the hello both ways: `connect()` resolves once the hub said hello).
// connect-auth-tcp: the hub on tcp://127.0.0.1:0 behind an authkey made for the run
// (`Group.hub({ tcp: true })`); the worker gets the address and the key as arguments and times
// `await connect(address, { authkey })`: the TCP connect, the hub's challenge, the worker's
// answer with its own challenge, the hub's check and answer, the worker's check, then hello.
// Each connect: `t0 = hrtime; bus = await connect(...); t1 = hrtime`, the bus checked to be open,
// then `await bus.close()` before the next (outside the timing). WARMUP connects, then N timed;
// p50 and p99 (nearest rank) in µs.
//
// Checked besides: after the loop the worker makes one more connect that must fail with ERR_AUTH,
// so that the figure is known to be of the path it names. On tcp:// it gives a wrong key (the hub
// must refuse it, and count exactly that one refusal in `authFailures`); on the Unix socket it
// gives a key to the keyless hub (the worker must refuse the hub, which never challenged it, and
// the hub counts no refusal).
import { connect } from 'hostbus';
import type { Measurement, RunContext, Runner } from '../../lib/runner.js';
import { percentiles } from '../../lib/stats.js';
import { deadline, Group, orphanGuard, tell } from './proc.js';

const SELF = import.meta.url;

// ---- worker -----------------------------------------------------------------------------------

export async function connectLoop(address: string, authkey: string | null, warmup: number, n: number): Promise<void> {
  orphanGuard();
  const options = authkey === null ? {} : { authkey };
  const us = new Float64Array(n);
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    const bus = await connect(address, options);
    const t1 = process.hrtime.bigint();
    if (bus.closed) throw new Error(`connect ${i}: the bus was closed when connect() resolved`);
    await bus.close();
    if (i >= warmup) us[i - warmup] = Number(t1 - t0) / 1e3;
  }
  // The probe: a connect that must fail with ERR_AUTH (see above).
  const probe = authkey === null ? { authkey: 'a key this hub does not ask for' } : { authkey: `not ${authkey}` };
  let refused: string | undefined;
  try {
    const bus = await connect(address, probe);
    await bus.close();
  } catch (err) {
    refused = (err as { code?: string }).code ?? String(err);
  }
  if (refused !== 'ERR_AUTH') throw new Error(`the probe connect with ${authkey === null ? 'a key to the keyless hub' : 'a wrong key'} ${refused === undefined ? 'succeeded' : `failed with ${refused}`}, not with ERR_AUTH`);
  await tell({ bench: 'result', connects: warmup + n, ...percentiles(us) });
}

// ---- runners ----------------------------------------------------------------------------------

const WARMUP = (quick: boolean) => (quick ? 20 : 50);
const N = (quick: boolean) => (quick ? 100 : 500);

function connects(ctx: RunContext, tcp: boolean): Promise<Measurement> {
  const n = N(ctx.quick);
  const warmup = WARMUP(ctx.quick);
  const what = tcp ? 'hostbus connect-auth-tcp' : 'hostbus connect-unix';
  return new Group(what, ctx.tmp, deadline(ctx.quick)).run(async (g) => {
    const hub = await g.hub(tcp ? { tcp: true } : {});
    const worker = g.start(SELF, 'connectLoop', [hub.address, hub.authkey ?? null, warmup, n], 'worker');
    const r = await worker.next('result');
    await g.joinWorkers();
    const hubStats = await hub.stop();
    if (r.connects !== warmup + n) throw new Error(`${what}: the worker made ${String(r.connects)} connects, expected ${warmup + n}`);
    const expectedFailures = tcp ? 1 : 0; // the wrong key of the probe; none on the keyless hub
    if (hubStats.authFailures !== expectedFailures) {
      throw new Error(`${what}: the hub refused ${hubStats.authFailures} connection(s) for the authkey, expected ${expectedFailures} (the probe's)`);
    }
    // p99Us: the p99 scenario's figure again, so that it is printed when only the p50 scenario was selected.
    const details = { n, warmup, meanUs: r.mean as number, maxUs: r.max as number, p99Us: r.p99 as number, authFailures: hubStats.authFailures };
    return tcp
      ? { values: { 'connect-auth-tcp': r.p50 as number, 'connect-auth-tcp-p99': r.p99 as number }, details }
      : { values: { 'connect-unix': r.p50 as number, 'connect-unix-p99': r.p99 as number }, details };
  });
}

export const connectRunners: Runner[] = [
  { system: 'hostbus', scenarios: ['connect-unix', 'connect-unix-p99'], run: (ctx) => connects(ctx, false) },
  { system: 'hostbus', scenarios: ['connect-auth-tcp', 'connect-auth-tcp-p99'], run: (ctx) => connects(ctx, true) },
];
