// What a Manager's dict cannot do: be watched. A watcher process sees every change two writer
// processes make to one dict, each change once, in the order the hub applied them.
//
// watch() begins with a snapshot of the dict (here empty), then each change with its revision: 1,
// 2, 3... The watcher sets an event once it has the snapshot, and the parent starts the writers
// only then, so that the watcher misses none of their changes. The two writers run at once: how
// their sets interleave varies from run to run, but each writer's sets come in its own order, and
// the revisions count up by one.
import { take } from 'rxjs';
import { isMain, spawn, start, type Event, type SharedDict } from 'hostbus';

const KEYS = 3; // each writer sets KEYS keys

export async function watcher(d: SharedDict<number>, ready: Event): Promise<void> {
  let signalled: Promise<void> | undefined;
  await d.watch().pipe(take(1 + 2 * KEYS)).forEach((change) => {
    if (change.op === 'snapshot') {
      console.log('snapshot:', change.value);
      signalled = ready.set(); // watching: the writers may start
    } else {
      console.log(`rev ${change.revision}: ${change.op} ${change.path?.join('.')} = ${change.value}`);
    }
  });
  await signalled;
}

export async function writer(d: SharedDict<number>, who: string): Promise<void> {
  for (let i = 1; i <= KEYS; i++) await d.set(`${who}${i}`, i);
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const d = mp.dict<number>('scores');
  const ready = mp.event('ready');

  const watching = spawn(import.meta.url, watcher, [d, ready]);
  await ready.wait();
  const writers = ['a', 'b'].map((who) => spawn(import.meta.url, writer, [d, who]));
  for (const w of writers) await w.join();
  await watching.join();

  // The order of the keys depends on which writer came first: print them sorted.
  const entries = (await d.entries()).sort(([x], [y]) => (x < y ? -1 : 1));
  console.log('final:', Object.fromEntries(entries));
}
