// The processes of the child_process IPC peers (child-process-json, child-process-advanced).
//
//   parent <json|advanced> <small|4k|slow|rtt> <n> [warmup]
//       forked by the runner: forks this file as `child` with that serialization, then either
//       sends it n messages with process.send-style backpressure (send() returning false: wait for
//       that message's callback) and relays the child's result, or times n round trips.
//   child <json|advanced> <mode> <n>
//       receives (small, 4k, slow: the consumer, timed here, first message to last) or echoes (rtt).
//
// A dedicated parent process, not the harness, so that its peak RSS (the producer's) means
// something and nothing of the harness weighs on the figures.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { big, Counter, message, pause1ms, report, roleMain, SLOW_EVERY, trips } from './common.js';

const SELF = fileURLToPath(import.meta.url);
const [role, serialization, mode, count, warmupArg] = process.argv.slice(2);
const n = Number(count);

type Out = { type: string; [k: string]: unknown };

async function parent(): Promise<void> {
  if (serialization !== 'json' && serialization !== 'advanced') throw new Error(`bad serialization ${serialization}`);
  const child = fork(SELF, ['child', serialization, mode!, String(n)], { serialization, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const inbox: Out[] = [];
  let wake: (() => void) | undefined;
  let exited: string | undefined;
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  child.on('message', (m) => {
    inbox.push(m as Out);
    wake?.();
  });
  const exit = new Promise<void>((resolve, reject) =>
    child.once('exit', (code, signal) => {
      exited = signal ?? `code ${code}`;
      wake?.();
      if (code === 0) resolve();
      else reject(new Error(`child exited with ${exited}`));
    }),
  );
  exit.catch(() => undefined);
  const next = async (): Promise<Out> => {
    for (;;) {
      const m = inbox.shift();
      if (m) return m;
      if (exited !== undefined) throw new Error(`child exited with ${exited} before replying`);
      await changed();
    }
  };

  if ((await next()).type !== 'ready') throw new Error('child did not start');

  if (mode === 'rtt') {
    const warmup = Number(warmupArg);
    const samples: number[] = [];
    for (let i = 0; i < warmup + n; i++) {
      const msg = message(i);
      const t0 = process.hrtime.bigint();
      child.send(msg);
      const back = (await next()) as unknown as { id: number };
      const t1 = process.hrtime.bigint();
      if (back.id !== i) throw new Error(`round trip ${i} came back as ${back.id}`);
      if (i >= warmup) samples.push(Number(t1 - t0) / 1e3);
    }
    child.disconnect(); // the child's end of input: it exits
    await exit;
    await report({ type: 'result', ...trips(samples) });
    return;
  }

  // Backpressure: send() returns false once the channel's write queue is over its threshold;
  // writes complete in order, so waiting for that message's callback is counting callbacks.
  let written = 0;
  let want = 0;
  const onWritten = (err: Error | null) => {
    if (err) throw err;
    if (++written >= want) wake?.();
  };
  const make = mode === '4k' ? big : message;
  let waits = 0;
  for (let i = 0; i < n; i++) {
    if (!child.send(make(i), undefined, {}, onWritten)) {
      want = i + 1;
      waits++;
      while (written < want) {
        if (exited !== undefined) throw new Error(`child exited with ${exited} while sending`);
        await changed();
      }
    }
  }
  const result = await next();
  if (result.type !== 'result') throw new Error(`unexpected ${JSON.stringify(result)}`);
  await exit;
  await report({ ...result, producerMaxRssKiB: process.resourceUsage().maxRSS, backpressureWaits: waits });
}

async function child(): Promise<void> {
  if (mode === 'rtt') {
    process.on('message', (m) => process.send!(m));
    process.removeAllListeners('disconnect');
    await report({ type: 'ready' });
    await new Promise<void>((resolve) => process.once('disconnect', resolve));
    return;
  }
  const counter = new Counter(n);
  const slow = mode === 'slow';
  const done = new Promise<void>((resolve) =>
    process.on('message', (m) => {
      counter.first();
      if (counter.seen((m as { id: number }).id)) resolve();
      // The slow consumer: 1 ms every 1,000 messages, blocking (see pause1ms).
      else if (slow && counter.count % SLOW_EVERY === 0) pause1ms();
    }),
  );
  await report({ type: 'ready' });
  await done;
  await report({ type: 'result', ...counter.result(), consumerMaxRssKiB: process.resourceUsage().maxRSS });
}

if (role === 'parent') roleMain(`child-process parent (${serialization}, ${mode})`, parent);
else if (role === 'child') roleMain(`child-process child (${serialization}, ${mode})`, child);
else {
  console.error(`usage: ${SELF} parent|child <json|advanced> <mode> <n> [warmup]`);
  process.exit(1);
}
