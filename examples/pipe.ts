// Pipes: a parent and the child it starts, joined directly (a socketpair, as Python's Pipe());
// then two unrelated children meeting on a named pipe through the hub.
import { connect, formatAddress, Hub, isMain, Pipe, spawn, type PipeEnd } from 'hostbus';

export async function producer(end: PipeEnd<number>): Promise<void> {
  for (let i = 0; i < 5; i++) await end.send(i);
  await end.end();
}

export async function namedProducer(address: string): Promise<void> {
  const bus = await connect(address);
  await producer(bus.pipe<number>('numbers'));
  await bus.close();
}

export async function namedConsumer(address: string): Promise<void> {
  const bus = await connect(address);
  await bus.pipe<number>('numbers').recv().forEach((item) => console.log(`named pipe: received ${item}`));
  await bus.close();
}

async function main(): Promise<void> {
  const [here, there] = Pipe<number>();
  const child = spawn(import.meta.url, 'producer', [there]);
  await here.recv().forEach((item) => console.log(`direct pipe: received ${item}`));
  await child.join();

  const hub = await Hub.listen(`example-pipe-${process.pid}`);
  const address = formatAddress(hub.address!);
  const consuming = spawn(import.meta.url, 'namedConsumer', [address]);
  const producing = spawn(import.meta.url, 'namedProducer', [address]);
  await Promise.all([consuming.join(), producing.join()]);
  await hub.close();
}

if (isMain(import.meta.url)) await main();
