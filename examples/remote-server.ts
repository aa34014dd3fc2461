// Python's remote manager, the server: a queue served on a TCP port, behind the key 'abracadabra'.
//
//   from multiprocessing.managers import BaseManager
//   from queue import Queue
//   queue = Queue()
//   class QueueManager(BaseManager): pass
//   QueueManager.register('get_queue', callable=lambda: queue)
//   m = QueueManager(address=('', 50000), authkey=b'abracadabra')
//   s = m.get_server()
//   s.serve_forever()
//
// A hub needs no registration: a queue is made by the first client that opens its name. Every
// client must prove it has the key before anything else; one that does not is refused, and the
// hub goes on serving the others. The address is the first argument (default port 50000 on every
// interface: tcp://0.0.0.0:50000; `tcp://127.0.0.1:0` picks a free port on loopback). The key
// proves who may connect; it does not encrypt: see docs/remote.md.
import { Hub } from 'hostbus';

const hub = await Hub.listen(process.argv[2] ?? 'tcp://0.0.0.0:50000', { authkey: 'abracadabra' });
const a = hub.address!;
console.log(`serving on tcp://${a.kind === 'tcp' ? `${a.host}:${a.port}` : a.path}`);

// serve_forever(), until SIGINT or SIGTERM.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void hub.close().then(() => console.log('stopped')));
}
