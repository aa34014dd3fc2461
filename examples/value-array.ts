// Python's shared memory example (Value and Array), line for line:
//
//   from multiprocessing import Process, Value, Array
//
//   def f(n, a):
//       n.value = 3.1415927
//       for i in range(len(a)):
//           a[i] = -a[i]
//
//   if __name__ == '__main__':
//       num = Value('d', 0.0)
//       arr = Array('i', range(10))
//
//       p = Process(target=f, args=(num, arr))
//       p.start()
//       p.join()
//
//       print(num.value)
//       print(arr[:])
//
// The value and the array live in the hub that start() made, under a name; the child reaches them
// through its own connection. Their typecodes are Python's: the hub refuses a value that is not
// of that type (an 'i' refuses 3.5). Every read and write is a round trip, so it is awaited.
import { isMain, spawn, start, type SharedArray, type Value } from 'hostbus';

export async function f(n: Value<number>, a: SharedArray<number>): Promise<void> {
  await n.set(3.1415927);
  const len = await a.length();
  for (let i = 0; i < len; i++) await a.set(i, -(await a.get(i)));
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const num = mp.value('num', 0.0, { type: 'd' });
  const arr = mp.array('arr', [...Array(10).keys()], { type: 'i' });

  const p = spawn(import.meta.url, f, [num, arr]);
  await p.join();

  console.log(await num.get());
  // Printed as Python prints a list, [0, -1, ...] (console.log of an array prints [ 0, -1, ... ]).
  console.log(`[${(await arr.toArray()).join(', ')}]`);
}
