/**
 * Defect: spawn() puts the key of a keyed hub's handles in the child's HOSTBUS_AUTHKEY_HEX
 * (src/process/spawn.ts childEnv), and the child connects to every hub of its arguments with
 * plain connect(address) (src/process/decode-args.ts), which takes that variable as the key of
 * every connection. A child given a handle of a keyed tcp:// hub and one of a keyless Unix hub
 * (which the parent uses without a key) therefore offers the key to the keyless hub, refuses it
 * ("the hub did not ask for the authkey") and dies. The key belongs to the handles of its hub
 * only (e.g. per-address keys in the child's environment, or a key only for the addresses that
 * had one).
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { connect, Hub, spawn } from 'hostbus';
import { tempDir } from '../helpers.js';

const fixture = fileURLToPath(new URL('../../.build/test/remote-regressions/fixtures/two-hubs.js', import.meta.url));

it('a child with handles of a keyed tcp hub and of a keyless Unix hub uses both', async () => {
  const tmp = await tempDir();
  const keyed = await Hub.listen('tcp://127.0.0.1:0', { authkey: 'only-for-tcp' });
  const plain = await Hub.listen(tmp.sock('plain'));
  const a = keyed.address!;
  const kb = await connect(`tcp://127.0.0.1:${a.kind === 'tcp' ? a.port : 0}`, { authkey: 'only-for-tcp' });
  const pb = await connect(tmp.sock('plain'));
  try {
    const env = { ...process.env, HOSTBUS_AUTHKEY: undefined, HOSTBUS_AUTHKEY_HEX: undefined };
    const child = spawn(fixture, 'putBoth', [kb.queue<number>('k'), pb.queue<number>('p'), 7], { env, stdio: 'pipe' });
    let stderr = '';
    child.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const joined = await child.join().then(() => 'ok', (err: Error) => err.message);
    expect({ joined, stderr }).toEqual({ joined: 'ok', stderr: '' });
    expect(await kb.queue<number>('k').get()).toBe(7);
    expect(await pb.queue<number>('p').get()).toBe(7);
  } finally {
    await kb.close();
    await pb.close();
    await keyed.close();
    await plain.close();
    await tmp.cleanup();
  }
}, 30_000);
