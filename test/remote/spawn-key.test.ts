/**
 * A child started by spawn() with handles of a hub behind an authkey gets the key through its
 * environment (HOSTBUS_CHILD_AUTHKEYS, by the hub's address), never on its command line, and
 * connects with it over TCP.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { connect, Hub, spawn } from 'hostbus';

const fixtures = fileURLToPath(new URL('../../.build/test/fixtures/remote-workers.js', import.meta.url));

it('a child gets the key of its handles in its environment, not its command line, and uses it over tcp://', async () => {
  const key = 'child-key-7f3a';
  const hub = await Hub.listen('tcp://127.0.0.1:0', { authkey: key });
  const a = hub.address!;
  const bus = await connect(`tcp://127.0.0.1:${a.kind === 'tcp' ? a.port : 0}`, { authkey: key });
  try {
    const out = bus.queue<{ argv: string[]; keys: string | undefined; text: boolean }>('report');
    const child = spawn(fixtures, 'reportKey', [out], { env: { ...process.env, HOSTBUS_AUTHKEY: undefined } });
    const got = await out.get();
    await child.join();
    // The key, for the address of this hub only.
    expect(JSON.parse(got.keys!)).toEqual({ [`tcp://127.0.0.1:${a.kind === 'tcp' ? a.port : 0}`]: Buffer.from(key).toString('hex') });
    expect(got.text).toBe(false);
    expect(got.argv.join(' ')).not.toContain(key);
    expect(got.argv.join(' ')).not.toContain(Buffer.from(key).toString('hex'));
    expect(hub.stats().authFailures).toBe(0);
  } finally {
    await bus.close();
    await hub.close();
  }
}, 30_000);
