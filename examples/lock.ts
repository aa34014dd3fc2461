// Python's Lock example, line for line: ten processes print under one lock.
//
//   from multiprocessing import Process, Lock
//
//   def f(l, i):
//       l.acquire()
//       try:
//           print('hello world', i)
//       finally:
//           l.release()
//
//   if __name__ == '__main__':
//       lock = Lock()
//       for num in range(10):
//           Process(target=f, args=(lock, num)).start()
//
// The lock lives in the hub that start() made; each child holds it through its own connection.
// Python's children are joined at exit; here the parent joins them, so the hub outlives them.
import { isMain, spawn, start, type Lock } from 'hostbus';

export async function f(l: Lock, i: number): Promise<void> {
  await l.acquire();
  try {
    console.log('hello world', i);
  } finally {
    await l.release();
  }
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const lock = mp.lock('print');
  const children = [];
  for (let num = 0; num < 10; num++) children.push(spawn(import.meta.url, f, [lock, num]));
  for (const p of children) await p.join();
}
