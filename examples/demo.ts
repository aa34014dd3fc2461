// `npm start`: three producer processes and two consumer processes share one queue on a hub in
// this process. Live counts are printed while they run; at the end every item is checked to have
// been consumed exactly once.
//
//   node .build/examples/demo.js [--items N]     (N items per producer, default 200000)
import { connect, Hub, isMain, spawn, type Queue } from 'hostbus';

const PRODUCERS = 3;
const CONSUMERS = 2;

type Progress = { who: string; count: number };
type Seen = { consumer: number; ids: number[] };

export async function producer(work: Queue<number>, progress: Queue<Progress>, p: number, items: number): Promise<void> {
  function* ids(): Generator<number> {
    for (let i = 0; i < items; i++) {
      if ((i + 1) % 5000 === 0) void progress.send({ who: `p${p}`, count: i + 1 });
      yield p * items + i;
    }
  }
  // sendAll pulls ids only as the hub grants credit: the producer never runs ahead of the queue.
  await work.sendAll(ids());
  await work.end();
  await progress.send({ who: `p${p}`, count: items });
}

export async function consumer(work: Queue<number>, progress: Queue<Progress>, seen: Queue<Seen>, c: number): Promise<void> {
  let count = 0;
  let ids: number[] = [];
  await work.recv().forEach((id) => {
    ids.push(id);
    if (++count % 5000 === 0) {
      void progress.send({ who: `c${c}`, count });
      void seen.send({ consumer: c, ids });
      ids = [];
    }
  });
  await seen.send({ consumer: c, ids });
  await progress.send({ who: `c${c}`, count });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--items');
  const items = at > 0 ? Number(process.argv[at + 1]) : 200_000;
  const total = items * PRODUCERS;

  const hub = await Hub.listen(`demo-${process.pid}`);
  const bus = await connect(hub.address!);
  const work = bus.queue<number>('work', { producers: PRODUCERS, maxsize: 10_000 });
  const progress = bus.queue<Progress>('progress');
  const seenQueue = bus.queue<Seen>('seen');
  console.log(`hostbus demo: ${PRODUCERS} producers → queue 'work' → ${CONSUMERS} consumers, ${items} items each`);

  const counts = new Map<string, number>();
  const progressSub = progress.recv().subscribe(({ who, count }) => counts.set(who, count));
  const seen = new Uint8Array(total);
  let duplicates = 0;
  const seenSub = seenQueue.recv().subscribe(({ ids }) => {
    for (const id of ids) if (seen[id]!++ !== 0) duplicates++;
  });

  const sum = (prefix: string) => [...counts].filter(([w]) => w.startsWith(prefix)).reduce((s, [, n]) => s + n, 0);
  const started = Date.now();
  const line = () => {
    const q = hub.stats().resources.find((r) => r.name === 'work');
    const produced = sum('p');
    const per = [...Array(CONSUMERS).keys()].map((c) => `c${c}=${counts.get(`c${c}`) ?? 0}`).join(' ');
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${secs}s  produced ${produced}  consumed ${per}  in hub: queued ${q?.queued ?? 0} unacked ${q?.inflight ?? 0}`);
  };
  const ticker = setInterval(line, 250);

  const children = [
    ...[...Array(CONSUMERS).keys()].map((c) => spawn(import.meta.url, 'consumer', [work, progress, seenQueue, c])),
    ...[...Array(PRODUCERS).keys()].map((p) => spawn(import.meta.url, 'producer', [work, progress, p, items])),
  ];
  await Promise.all(children.map((child) => child.join()));
  clearInterval(ticker);

  // Children finished: everything they sent has reached the hub; take in what is still on its
  // way here (final counts and ids), for at most 10 s.
  const deadline = Date.now() + 10_000;
  while ((sum('p') < total || sum('c') < total || seen.includes(0)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  line();
  progressSub.unsubscribe();
  seenSub.unsubscribe();
  const consumed = sum('c');
  const missing = seen.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  const secs = (Date.now() - started) / 1000;
  const verdict = missing === 0 && duplicates === 0 ? 'each exactly once' : `${missing} missing, ${duplicates} duplicated`;
  console.log(`done: ${total} items produced, ${consumed} consumed, ${verdict}, in ${secs.toFixed(2)} s (${Math.round(total / secs)} items/s)`);

  await bus.close();
  await hub.close();
  if (missing || duplicates) process.exitCode = 1;
}

if (isMain(import.meta.url)) await main();
