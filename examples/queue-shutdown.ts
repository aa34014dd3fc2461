// Python 3.13's queue.Queue.shutdown() (multiprocessing.Queue has none), across processes:
//
//   def producer(q):                 # q: a queue.Queue shared with a consumer thread
//       for i in range(5):
//           q.put(i)
//       q.shutdown()
//
//   def consumer(q):
//       while True:
//           try:
//               item = q.get()
//           except queue.ShutDown:
//               break
//           print(f'got {item}')
//       print('queue was shut down')
//
// After shutdown() a put raises; get() returns what is left, then raises ShutDown (here a
// ShutDownError, code ERR_SHUTDOWN). shutdown({ immediate: true }) would drop what is left.
import { isMain, ShutDownError, spawn, start, type Queue } from 'hostbus';

export async function producer(q: Queue<number>): Promise<void> {
  for (let i = 0; i < 5; i++) await q.put(i);
  await q.shutdown();
}

export async function consumer(q: Queue<number>): Promise<void> {
  while (true) {
    let item: number;
    try {
      item = await q.get();
    } catch (err) {
      if (err instanceof ShutDownError) break;   // or: (err as { code?: string }).code === 'ERR_SHUTDOWN'
      throw err;
    }
    console.log(`got ${item}`);
  }
  console.log('queue was shut down');
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const q = mp.queue<number>('items');
  const p = spawn(import.meta.url, producer, [q]);
  const c = spawn(import.meta.url, consumer, [q]);
  await p.join();
  await c.join();
}
