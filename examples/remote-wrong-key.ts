// A client with the wrong key: the hub refuses it before anything else crosses (Python's
// AuthenticationError: digest received was wrong), and goes on serving the clients with the key.
//
// The address is the first argument (default tcp://127.0.0.1:50000).
import { AuthError, connect } from 'hostbus';

try {
  await connect(process.argv[2] ?? 'tcp://127.0.0.1:50000', { authkey: 'abracadabrb' });
  console.log('connected (not expected)');
} catch (err) {
  if (!(err instanceof AuthError)) throw err;
  console.log(`refused: ${err.code}`);
}
