// The README's quick start (test/docs.test.ts checks the two are the same).
import { connect, Hub, isMain, spawn, type Queue } from 'hostbus';

export async function producer(queue: Queue<number>): Promise<void> {
  for (let i = 0; i < 5; i++) await queue.put(i);    // resolves once the hub has room for it
  await queue.end();                                   // in-band end of stream, once the hub has all
}

if (isMain(import.meta.url)) {
  const hub = await Hub.listen('demo');   // a Unix socket in a private per-user folder
  const bus = await connect('demo');
  const queue = bus.queue<number>('items', { maxsize: 1000 });

  const child = spawn(import.meta.url, 'producer', [queue]);   // the queue goes by reference
  await queue.recv().forEach((item) => console.log(`Received ${item}`));
  await child.join();

  await bus.close();
  await hub.close();
}
