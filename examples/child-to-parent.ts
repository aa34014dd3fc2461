// A child sends [42, null, 'hello'] to its parent, over a queue and over a pipe.
import { connect, Hub, isMain, Pipe, spawn, type PipeEnd, type Queue } from 'hostbus';

type Message = [number, null, string];

export async function overQueue(queue: Queue<Message>): Promise<void> {
  await queue.send([42, null, 'hello']);
}

export async function overPipe(end: PipeEnd<Message>): Promise<void> {
  await end.send([42, null, 'hello']);
  await end.end();
}

async function main(): Promise<void> {
  const hub = await Hub.listen(`example-child-${process.pid}`);
  const bus = await connect(hub.address!);
  const queue = bus.queue<Message>('messages');
  const viaQueue = spawn(import.meta.url, 'overQueue', [queue]);
  console.log('queue:', await queue.get());
  await viaQueue.join();

  const [here, there] = Pipe<Message>();
  const viaPipe = spawn(import.meta.url, 'overPipe', [there]);
  for await (const message of here) console.log('pipe:', message);
  await viaPipe.join();

  await bus.close();
  await hub.close();
}

if (isMain(import.meta.url)) await main();
