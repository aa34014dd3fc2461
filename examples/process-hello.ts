// Python's first multiprocessing example, line for line:
//
//   from multiprocessing import Process
//
//   def f(name):
//       print('hello', name)
//
//   if __name__ == '__main__':
//       p = Process(target=f, args=('bob',))
//       p.start()
//       p.join()
//
// spawn() is Process(...) and start() in one call; join() rejects if f throws or the child dies.
// No hub is needed: the argument is plain JSON.
import { isMain, spawn } from 'hostbus';

export function f(name: string): void {
  console.log('hello', name);
}

if (isMain(import.meta.url)) {
  const p = spawn(import.meta.url, f, ['bob']);
  await p.join();
}
