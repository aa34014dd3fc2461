// Python's Pipe() example, line for line:
//
//   from multiprocessing import Process, Pipe
//
//   def f(conn):
//       conn.send([42, None, 'hello'])
//       conn.close()
//
//   if __name__ == '__main__':
//       parent_conn, child_conn = Pipe()
//       p = Process(target=f, args=(child_conn,))
//       p.start()
//       print(parent_conn.recv())   # prints "[42, None, 'hello']"
//       p.join()
//
// The two processes talk over a direct socketpair: no hub. Python's conn.recv() is get() here.
import { isMain, Pipe, spawn, type PipeEnd } from 'hostbus';

type Message = [number, null, string];

export async function f(conn: PipeEnd<Message>): Promise<void> {
  await conn.send([42, null, 'hello']);
  conn.close();
}

if (isMain(import.meta.url)) {
  const [parentConn, childConn] = Pipe<Message>();
  const p = spawn(import.meta.url, f, [childConn]);
  console.log(await parentConn.get());   // prints "[ 42, null, 'hello' ]"
  await p.join();
}
