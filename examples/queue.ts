// Producer and consumer processes sharing a queue; the consumer stops at the end of the stream
// (where Python's consumer stops at a None sentinel).
import { connect, Hub, isMain, spawn, type Queue } from 'hostbus';

export async function producer(queue: Queue<number>): Promise<void> {
  for (let i = 0; i < 5; i++) await queue.send(i);
  await queue.end();
}

export async function consumer(queue: Queue<number>): Promise<void> {
  await queue.recv().forEach((item) => console.log(`Received ${item}`));
  console.log('Queue ended');
}

async function main(): Promise<void> {
  const hub = await Hub.listen(`example-queue-${process.pid}`);
  const bus = await connect(hub.address!);
  const queue = bus.queue<number>('items');

  const consuming = spawn(import.meta.url, 'consumer', [queue]);
  const producing = spawn(import.meta.url, 'producer', [queue]);
  await Promise.all([producing.join(), consuming.join()]);

  await bus.close();
  await hub.close();
}

if (isMain(import.meta.url)) await main();
