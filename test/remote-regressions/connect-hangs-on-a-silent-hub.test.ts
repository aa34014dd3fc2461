/**
 * Defect (connect() semantics change): connect() now awaits the hub's hello (bus.ready), and the
 * client's session has no handshake deadline (Bus passes no helloTimeoutMs; keepalive is off by
 * default on a Unix socket). A hub that accepts and never says hello, or a hub that sends its
 * challenge and never its proof, leaves connect() pending forever: before this feature connect()
 * resolved once the socket was up. (On tcp:// the default keepalive ends it only after ~60 s,
 * with a misleading "stopped answering keepalive pings".) A client-side deadline, as the hub's
 * helloTimeoutMs, should reject it with a typed error.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { connect } from '../../src/channels/bus.js';
import { HostbusError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';
import { within } from './helpers.js';

let server: Server | undefined;
const sockets: Socket[] = [];
let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await tmp?.cleanup();
  tmp = undefined;
});

async function silentHub(first?: string): Promise<string> {
  tmp = await tempDir();
  const path = tmp.sock('silent');
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    if (first) s.write(first + '\n');
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

it('connect() to a hub that never says hello rejects with a typed error in bounded time', async () => {
  const path = await silentHub();
  const outcome = await within(connect(path), 10_000);
  expect(outcome).not.toBe('pending');
  if (outcome !== 'pending') {
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error).toBeInstanceOf(HostbusError);
      expect((outcome.error as HostbusError).code).toBe('ERR_TIMEOUT');
      expect((outcome.error as Error).message).toMatch(/did not finish its handshake within 5000 ms/);
    }
  }
}, 20_000);

it('connect() with a key to a hub that challenges and never proves itself rejects with a typed error in bounded time', async () => {
  const path = await silentHub(JSON.stringify({ t: 'auth', digest: 'sha256', challenge: Buffer.alloc(40, 1).toString('base64') }));
  // The deadline is the same with a key; a short one here, so that the suite does not wait 5 s twice.
  const outcome = await within(connect(path, { authkey: 'k', helloTimeoutMs: 300 }), 10_000);
  expect(outcome).not.toBe('pending');
  if (outcome !== 'pending') {
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(HostbusError);
  }
}, 20_000);
