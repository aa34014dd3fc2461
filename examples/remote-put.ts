// Python's remote manager, a client that puts 'hello' on the server's queue.
//
//   m = QueueManager(address=('foo.bar.org', 50000), authkey=b'abracadabra')
//   m.connect()
//   queue = m.get_queue()
//   queue.put('hello')
//
// The address is the first argument (default tcp://127.0.0.1:50000).
import { connect } from 'hostbus';

const bus = await connect(process.argv[2] ?? 'tcp://127.0.0.1:50000', { authkey: 'abracadabra' });
const queue = bus.queue<string>('queue');
await queue.put('hello');
await bus.close(); // once the hub has the item
