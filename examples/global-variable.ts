// A global variable does not cross processes; a queue on the bus does.
// (Python: a child's `global counter; counter += 1` leaves the parent's counter at 0.)
import { connect, Hub, isMain, spawn, type Queue } from 'hostbus';

let counter = 0;

export async function work(results: Queue<number>): Promise<void> {
  counter += 1;
  console.log(`child: counter = ${counter}`);
  await results.send(counter);
}

async function main(): Promise<void> {
  const hub = await Hub.listen(`example-global-${process.pid}`);
  const bus = await connect(hub.address!);
  const results = bus.queue<number>('results');

  await spawn(import.meta.url, 'work', [results]).join();
  console.log(`parent: counter = ${counter}`);
  console.log(`parent: received ${await results.get()} over the bus`);

  await bus.close();
  await hub.close();
}

if (isMain(import.meta.url)) await main();
