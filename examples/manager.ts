// Python's Manager example, line for line: a dict and a list changed by a child.
//
//   from multiprocessing import Process, Manager
//
//   def f(d, l):
//       d[1] = '1'
//       d['2'] = 2
//       d[0.25] = None
//       l.reverse()
//
//   if __name__ == '__main__':
//       with Manager() as manager:
//           d = manager.dict()
//           l = manager.list(range(10))
//
//           p = Process(target=f, args=(d, l))
//           p.start()
//           p.join()
//
//           print(d)
//           print(l)
//
// Python prints {1: '1', '2': 2, 0.25: None} and [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]. A dict's keys
// here are strings, as JSON's are: d[1] is d.set('1', ...) and d[0.25] is d.set('0.25', ...), so
// this prints {'1': '1', '2': 2, '0.25': None}. None is null. The dict keeps its keys in the order
// first set, as Python's does: entries() gives them in that order.
import { isMain, spawn, start, type SharedDict, type SharedList } from 'hostbus';

export async function f(d: SharedDict<string | number | null>, l: SharedList<number>): Promise<void> {
  await d.set('1', '1');
  await d.set('2', 2);
  await d.set('0.25', null);
  await l.reverse();
}

/** Python's repr of what this dict and list hold: strings in quotes, null as None. */
const repr = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === null ? 'None' : String(v));

if (isMain(import.meta.url)) {
  await using manager = await start();
  const d = manager.dict<string | number | null>('d');
  const l = manager.list('l', [...Array(10).keys()]);

  const p = spawn(import.meta.url, f, [d, l]);
  await p.join();

  console.log(`{${(await d.entries()).map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ')}}`);
  console.log(`[${(await l.toArray()).map(repr).join(', ')}]`);
}
