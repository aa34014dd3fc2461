// A Value and an Array shared by two children in turn: a writer fills them, then a reader prints
// them. In Python:
//
//   from multiprocessing import Process, Value, Array
//
//   def writer(num, arr):
//       num.value = 5
//       for i in range(len(arr)):
//           arr[i] = 2 * i
//
//   def reader(num, arr):
//       print('Value:', num.value)
//       print('Array:', arr[:])
//
//   if __name__ == '__main__':
//       num = Value('i', 0)
//       arr = Array('i', 10)
//
//       w = Process(target=writer, args=(num, arr))
//       w.start()
//       w.join()
//
//       r = Process(target=reader, args=(num, arr))
//       r.start()
//       r.join()
//
// Array('i', 10) is ten zeros, as mp.array('arr', 10, { type: 'i' }) is. What the writer set is in
// the hub, not in the writer: it is still there when the reader starts after the writer exited.
import { isMain, spawn, start, type SharedArray, type Value } from 'hostbus';

export async function writer(num: Value<number>, arr: SharedArray<number>): Promise<void> {
  await num.set(5);
  const len = await arr.length();
  for (let i = 0; i < len; i++) await arr.set(i, 2 * i);
}

export async function reader(num: Value<number>, arr: SharedArray<number>): Promise<void> {
  console.log('Value:', await num.get());
  // Printed as Python prints a list, [0, 2, ...] (console.log of an array prints [ 0, 2, ... ]).
  console.log(`Array: [${(await arr.toArray()).join(', ')}]`);
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const num = mp.value('num', 0, { type: 'i' });
  const arr = mp.array('arr', 10, { type: 'i' });

  const w = spawn(import.meta.url, writer, [num, arr]);
  await w.join();

  const r = spawn(import.meta.url, reader, [num, arr]);
  await r.join();
}
