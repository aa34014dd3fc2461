// The JoinableQueue example of Python's `queue` docs, with worker processes instead of a thread:
//
//   q = queue.Queue()                    # multiprocessing.JoinableQueue() across processes
//
//   def worker():
//       while True:
//           item = q.get()
//           print(f'Working on {item}')
//           print(f'Finished {item}')
//           q.task_done()
//
//   threading.Thread(target=worker, daemon=True).start()
//   for item in range(30):
//       q.put(item)
//   q.join()
//   print('All work completed')
//
// Python's worker is a daemon thread, killed when the program ends; a process here stops on a
// None sentinel (null) put after join(). With two workers, the order of their lines varies from
// run to run, as it would with two threads in Python; 'All work completed' always comes last.
import { isMain, spawn, start, type JoinableQueue } from 'hostbus';

const NUMBER_OF_WORKERS = 2;

export async function worker(q: JoinableQueue<number | null>): Promise<void> {
  let item: number | null;
  while ((item = await q.get()) !== null) {
    console.log(`Working on ${item}`);
    console.log(`Finished ${item}`);
    await q.taskDone();
  }
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const q = mp.joinableQueue<number | null>('items');

  // Turn on the worker processes.
  const workers = [...Array(NUMBER_OF_WORKERS)].map(() => spawn(import.meta.url, worker, [q]));

  // Send thirty task requests to the workers.
  for (let item = 0; item < 30; item++) await q.put(item);

  // Block until all tasks are done.
  await q.join();
  console.log('All work completed');

  // Stop the workers: one sentinel each.
  for (let i = 0; i < NUMBER_OF_WORKERS; i++) await q.put(null);
  for (const w of workers) await w.join();
}
