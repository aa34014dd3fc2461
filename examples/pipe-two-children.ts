// One Pipe() between two children, as a Python user writes it:
//
//   def producer(tx):
//       for i in range(5):
//           tx.send(i)
//       tx.send(None)
//
//   def consumer(rx):
//       while (item := rx.recv()) is not None:
//           print(item)
//
//   if __name__ == '__main__':
//       tx, rx = Pipe()
//       p = Process(target=producer, args=(tx,))
//       c = Process(target=consumer, args=(rx,))
//       p.start(); c.start()
//       p.join(); c.join()
//
// The two children talk to each other directly, over the socketpair made for the first one: no
// frame passes through the parent, and there is no hub.
import { isMain, Pipe, spawn, type PipeEnd } from 'hostbus';

export async function producer(tx: PipeEnd<number | null>): Promise<void> {
  for (let i = 0; i < 5; i++) await tx.send(i);
  await tx.send(null);
}

export async function consumer(rx: PipeEnd<number | null>): Promise<void> {
  let item: number | null;
  while ((item = await rx.get()) !== null) console.log(item);
}

if (isMain(import.meta.url)) {
  const [tx, rx] = Pipe<number | null>();
  const p = spawn(import.meta.url, producer, [tx]);
  const c = spawn(import.meta.url, consumer, [rx]);
  await p.join();
  await c.join();
}
