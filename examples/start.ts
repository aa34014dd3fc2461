// One line to start: a hub of this program's own and a bus to it, closed at the end of the block
// (as Python's `with Manager() as m`), and a typed spawn of a producer with a queue.
import { isMain, spawn, start, type Queue } from 'hostbus';

export async function producer(queue: Queue<string>, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await queue.send(`job ${i}`);
  await queue.end();
}

if (isMain(import.meta.url)) {
  await using bus = await start();   // closes the bus, then the hub, when this block ends
  const jobs = bus.queue<string>('jobs');

  const child = spawn(import.meta.url, producer, [jobs, 3]);   // [Queue<string>, number], checked
  for await (const job of jobs) console.log(`Got ${job}`);
  await child.join();
  console.log('Done');
}
