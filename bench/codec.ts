// NDJSON framing benchmark: three ways to carry ~50-byte JSON messages over a real Unix domain
// socket between two processes, measured side by side in one run. See docs/codec.md.
//
//   npm run bench              300,000 messages, 5 interleaved rounds (A B C A B C ...)
//   npm run bench -- --quick   50,000 messages, 1 round
//
// This one file is three programs: without a role argument it is the parent, which forks itself
// as `consumer <option> <socket> <n>` (listens, decodes, times) and `producer <option> <socket> <n>`
// (connects, encodes, writes) for every measurement, and gathers their reports over IPC.
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, report, withTimeout } from './lib/child.js';
import { averageLineBytes, Tally } from './lib/message.js';
import { FRAMINGS, OPTIONS, WIRE_BOUND_BYTES, type Option } from './lib/options.js';
import { summarize, table, type Sample } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const BASELINE: Option = 'ndjson-package';
/** A measurement that takes longer than this has failed: both its processes are killed. */
const MEASUREMENT_TIMEOUT_MS = 60_000;

// ---- role processes --------------------------------------------------------------------------

/** Listens on `path`, decodes one connection with `option`, reports time and peak RSS. */
async function consumer(option: Option, path: string, n: number): Promise<void> {
  const server = createServer();
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  server.listen(path);
  await once(server, 'listening');
  await report({ type: 'ready' });
  const [socket] = await accepted;
  server.close();
  const tally = new Tally(n);
  const done = FRAMINGS[option].consume(socket, tally);
  // Hooked after the decoder (attached synchronously above), yet runs before it on the first chunk.
  socket.prependOnceListener('data', () => tally.firstByte());
  await done;
  const elapsedMs = tally.elapsedMs(); // throws unless exactly n messages arrived
  await report({ type: 'result', elapsedMs, count: tally.count, maxRssKiB: process.resourceUsage().maxRSS });
  process.disconnect();
}

/** Connects to `path`, writes n messages with `option`, waits for the close, reports peak RSS. */
async function producer(option: Option, path: string, n: number): Promise<void> {
  const socket = connect(path);
  await once(socket, 'connect');
  socket.resume(); // nothing comes back but the consumer's end of stream, which must be read
  const closed = once(socket, 'close');
  await FRAMINGS[option].produce(socket, n);
  await closed;
  await report({ type: 'done', maxRssKiB: process.resourceUsage().maxRSS });
  process.disconnect();
}

// ---- parent ----------------------------------------------------------------------------------

/** One measurement: a fresh consumer, then a fresh producer, over a fresh socket path. */
async function measure(dir: string, round: number, option: Option, n: number): Promise<Sample> {
  const args = (role: string) => [role, option, join(dir, `${round}-${option}.sock`), String(n)];
  const consumerProc = new Child(SELF, args('consumer'), `consumer (${option}, round ${round})`);
  let producerProc: Child | undefined;
  const run = async (): Promise<Sample> => {
    await consumerProc.next('ready');
    producerProc = new Child(SELF, args('producer'), `producer (${option}, round ${round})`);
    const [c, p] = await Promise.all([consumerProc.next('result'), producerProc.next('done')]);
    await Promise.all([consumerProc.exited, producerProc.exited]);
    return {
      round,
      option,
      elapsedMs: c.elapsedMs,
      msgPerSec: (c.count / c.elapsedMs) * 1000,
      consumerMaxRssKiB: c.maxRssKiB,
      producerMaxRssKiB: p.maxRssKiB,
    };
  };
  try {
    return await withTimeout(run(), MEASUREMENT_TIMEOUT_MS, `${option} round ${round}`);
  } catch (err) {
    consumerProc.kill();
    producerProc?.kill();
    throw err;
  }
}

function machine() {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    uname: `${os.type()} ${os.release()} ${os.machine()}`,
  };
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const n = quick ? 50_000 : 300_000;
  const rounds = quick ? 1 : 5;
  const host = machine();
  console.log(`NDJSON framing over a Unix domain socket, producer and consumer in separate processes`);
  console.log(`${n.toLocaleString('en-US')} messages of ${averageLineBytes(n).toFixed(1)} bytes on average (newline included), ` +
    `${rounds} round(s), options interleaved; hostbus-wire producer bound ${WIRE_BOUND_BYTES / 1024 / 1024} MiB`);
  console.log(`machine: nproc ${host.nproc}, ${host.cpu}, node ${host.node}, ${host.uname}\n`);

  const dir = mkdtempSync(join(os.tmpdir(), 'hostbus-bench-'));
  const samples: Sample[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const option of OPTIONS) {
        const s = await measure(dir, round, option, n);
        samples.push(s);
        console.log(`round ${round}/${rounds}  ${option.padEnd(14)}  ${Math.round(s.msgPerSec).toLocaleString('en-US').padStart(10)} msg/s` +
          `  ${s.elapsedMs.toFixed(1).padStart(8)} ms  consumer RSS ${(s.consumerMaxRssKiB / 1024).toFixed(1)} MiB`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows = summarize(samples, OPTIONS, BASELINE);
  console.log(`\nmedian over ${rounds} round(s), min–max over rounds; ratio = median msg/s / ${BASELINE} median msg/s`);
  console.log(`msg/s at the consumer, from its first byte to its last message; RSS = process.resourceUsage().maxRSS\n`);
  console.log(table(rows));

  const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'codec.json');
  const params = { n, rounds, quick, averageLineBytes: averageLineBytes(n), wireBoundBytes: WIRE_BOUND_BYTES };
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: host, params, summary: rows, samples }, null, 2) + '\n');
  console.log(`\nwrote ${out}`);
}

const [role, option, path, count] = process.argv.slice(2);
const fail = (err: unknown) => {
  console.error(role === 'consumer' || role === 'producer' ? `${role} (${option}):` : 'bench failed:', err);
  process.exit(1);
};
if (role === 'consumer' || role === 'producer') {
  if (!OPTIONS.includes(option as Option) || !path || !count) fail(new Error(`usage: ${role} <option> <socket> <n>`));
  void (role === 'consumer' ? consumer : producer)(option as Option, path!, Number(count)).catch(fail);
} else {
  main(process.argv.slice(2)).catch(fail);
}
