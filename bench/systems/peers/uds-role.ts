// The processes of the Unix-socket peers (uds-ndjson-ceiling, uds-raw), forked by uds.ts:
//
//   consumer <kind> <socket> <n>       listens, reads one connection, times first chunk → nth message
//   producer <kind> <socket> <n>       connects, writes n messages in batched writes, ends
//   echo <socket>                      listens; every line read is parsed and written back
//   requester <socket> <n> <warmup>    connects; one line out, waits for the echo; times each trip
//
// kinds: ndjson-small, ndjson-4k (the ceiling: JSON.stringify per message, many lines per write,
// a tiny split-on-newline decoder and JSON.parse per line), raw-small, raw-4k (fixed-size records,
// no framing or JSON, the consumer counts bytes) and raw-slow (raw-small with a consumer that
// pauses 1 ms every 1,000 records and a producer that ignores backpressure).
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { big, BIG_BYTES, Counter, message, pause1ms, report, roleMain, SLOW_EVERY, trips } from './common.js';

/** ndjson-small: lines per write (~28 KB of ~56-byte lines). */
const LINES_PER_WRITE = 512;
/** ndjson-4k and raw-4k: 4 KiB messages per write (64 KiB). */
const BIG_PER_WRITE = 16;
/** raw: bytes of one small record. */
const RECORD = 50;
/** raw-small and raw-slow: records per write (50 KB). */
const RECORDS_PER_WRITE = 1000;

const isRaw = (k: string) => k.startsWith('raw-');
const recordBytes = (k: string) => (k === 'raw-4k' ? BIG_BYTES : RECORD);

async function accept(path: string): Promise<Socket> {
  const server = createServer();
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  server.listen(path);
  await once(server, 'listening');
  await report({ type: 'ready' });
  const [socket] = await accepted;
  server.close(); // also removes the socket file
  return socket;
}

async function dial(path: string): Promise<Socket> {
  const socket = connect(path);
  await once(socket, 'connect');
  return socket;
}

/** Calls `onLine` for every complete line of a utf8-decoded stream; returns what is left over. */
function lines(socket: Socket, onLine: (line: string) => void): () => string {
  socket.setEncoding('utf8');
  let tail = '';
  socket.on('data', (s: string) => {
    const parts = (tail + s).split('\n');
    tail = parts.pop()!;
    for (let i = 0; i < parts.length; i++) onLine(parts[i]!);
  });
  return () => tail;
}

function ended(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
}

const maxRssKiB = () => process.resourceUsage().maxRSS;

async function consumer(kind: string, path: string, n: number): Promise<void> {
  const socket = await accept(path);
  const end = ended(socket);
  if (!isRaw(kind)) {
    const counter = new Counter(n);
    socket.once('data', () => counter.first()); // before the decoder's listener: added first
    const leftover = lines(socket, (line) => counter.seen((JSON.parse(line) as { id: number }).id));
    await end;
    if (leftover() !== '') throw new Error(`${leftover().length} bytes of an unfinished line at the end`);
    await report({ type: 'result', ...counter.result(), consumerMaxRssKiB: maxRssKiB() });
    return;
  }
  const size = recordBytes(kind);
  const total = n * size;
  const slow = kind === 'raw-slow';
  const pauseStep = SLOW_EVERY * size;
  let nextPause = pauseStep;
  let bytes = 0;
  let start = 0n;
  let stop = 0n;
  socket.on('data', (chunk: Buffer) => {
    if (start === 0n) start = process.hrtime.bigint();
    bytes += chunk.length;
    if (bytes >= total && stop === 0n) stop = process.hrtime.bigint();
    // The slow consumer: 1 ms every 1,000 records, blocking the thread (see pause1ms).
    for (; slow && bytes >= nextPause && nextPause < total; nextPause += pauseStep) pause1ms();
  });
  await end;
  const got = bytes / size;
  await report({
    type: 'result',
    count: Number.isInteger(got) ? got : -1,
    bytes,
    elapsedMs: Number(stop - start) / 1e6,
    consumerMaxRssKiB: maxRssKiB(),
  });
}

async function producer(kind: string, path: string, n: number): Promise<void> {
  const socket = await dial(path);
  socket.resume(); // nothing comes back but the consumer's end of stream, which must be read
  const closed = once(socket, 'close');
  let waits = 0;
  if (!isRaw(kind)) {
    const make = kind === 'ndjson-4k' ? big : message;
    const per = kind === 'ndjson-4k' ? BIG_PER_WRITE : LINES_PER_WRITE;
    for (let i = 0; i < n; ) {
      let chunk = '';
      for (const stop = Math.min(n, i + per); i < stop; i++) chunk += JSON.stringify(make(i)) + '\n';
      if (!socket.write(chunk)) {
        waits++;
        await once(socket, 'drain');
      }
    }
  } else {
    const size = recordBytes(kind);
    const per = kind === 'raw-4k' ? BIG_PER_WRITE : RECORDS_PER_WRITE;
    const template = Buffer.alloc(per * size, 'r');
    for (let k = 1; k <= per; k++) template[k * size - 1] = 0x0a; // readable with `od`, not framing
    // raw-slow: NO backpressure. Every write is queued, however far behind the consumer is: this
    // is what an unbounded writer costs. Each batch is a fresh buffer, as real data would be.
    const heedBackpressure = kind !== 'raw-slow';
    for (let i = 0; i < n; ) {
      const k = Math.min(per, n - i);
      const buf = Buffer.allocUnsafe(k * size);
      template.copy(buf, 0, 0, k * size);
      for (let j = 0; j < k; j++, i++) buf.writeUInt32LE(i, j * size);
      if (!socket.write(buf) && heedBackpressure) {
        waits++;
        await once(socket, 'drain');
      }
    }
  }
  socket.end();
  await closed;
  await report({ type: 'done', producerMaxRssKiB: maxRssKiB(), backpressureWaits: waits });
}

async function echo(path: string): Promise<void> {
  const socket = await accept(path);
  const end = ended(socket);
  lines(socket, (line) => socket.write(JSON.stringify(JSON.parse(line)) + '\n'));
  await end;
}

async function requester(path: string, n: number, warmup: number): Promise<void> {
  const socket = await dial(path);
  let reply: ((line: string) => void) | undefined;
  lines(socket, (line) => reply!(line));
  const closed = once(socket, 'close');
  const samples: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const line = JSON.stringify(message(i)) + '\n';
    const t0 = process.hrtime.bigint();
    const back = new Promise<string>((resolve) => (reply = resolve));
    socket.write(line);
    const m = JSON.parse(await back) as { id: number };
    const t1 = process.hrtime.bigint();
    if (m.id !== i) throw new Error(`round trip ${i} came back as ${m.id}`);
    if (i >= warmup) samples.push(Number(t1 - t0) / 1e3);
  }
  socket.end();
  await closed;
  await report({ type: 'result', ...trips(samples) });
}

const [role, ...args] = process.argv.slice(2);
const name = `uds ${role} (${args.join(' ')})`;
const [a, b, c] = args as [string, string, string];
if (role === 'consumer') roleMain(name, () => consumer(a, b, Number(c)));
else if (role === 'producer') roleMain(name, () => producer(a, b, Number(c)));
else if (role === 'echo') roleMain(name, () => echo(a));
else if (role === 'requester') roleMain(name, () => requester(a, Number(b), Number(c)));
else {
  console.error('usage: uds-role.js consumer|producer <kind> <socket> <n> | echo <socket> | requester <socket> <n> <warmup>');
  process.exit(1);
}
