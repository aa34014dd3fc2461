// Shared helpers of the direct-pipe regression tests (test/direct-regressions/*.test.ts).
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { RawClient } from '../raw-client.js';

export const KEY = 'abracadabra';

/**
 * A listener that accepts connections and never writes a byte: a direct address that takes the
 * connection and never finishes the handshake. Records what each connection sent.
 */
export interface Silent {
  /** `path` for a Unix socket, else `tcp://127.0.0.1:PORT`. */
  readonly address: string;
  readonly sockets: Socket[];
  /** Everything received, per connection. */
  readonly received: string[];
  /** The next connection (or one already accepted and not taken yet). */
  accepted(): Promise<Socket>;
  close(): Promise<void>;
}

export async function silentServer(path?: string): Promise<Silent> {
  const sockets: Socket[] = [];
  const received: string[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  const server: Server = createServer((socket) => {
    const i = sockets.push(socket) - 1;
    received[i] = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received[i] += d));
    socket.on('error', () => undefined);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => (path ? server.listen(path, resolve) : server.listen(0, '127.0.0.1', resolve)));
  const address = path ?? `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    sockets,
    received,
    async accepted() {
      while (taken >= sockets.length) await new Promise<void>((resolve) => waiters.push(resolve));
      return sockets[taken++]!;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves when `socket` has closed. */
export function closedOf(socket: Socket): Promise<void> {
  return socket.destroyed && socket.closed ? Promise.resolve() : once(socket, 'close').then(() => undefined);
}

const mac = (side: string, challenge: Buffer, key = KEY) =>
  createHmac('sha256', key).update(`hostbus-auth-1 sha256 ${side} `).update(challenge).digest('base64');

/** A raw connection to a keyed hub (TCP `{host, port}` or a path) that proved KEY and said hello. */
export async function authenticated(at: string | { host: string; port: number }): Promise<RawClient> {
  const r = await RawClient.open(at);
  const challenge = Buffer.from((await r.line((f) => f.t === 'auth' && f.challenge !== undefined)).challenge as string, 'base64');
  const mine = Buffer.alloc(32, 7);
  r.write(JSON.stringify({ t: 'auth', digest: 'sha256', response: mac('client', challenge), challenge: mine.toString('base64') }) + '\n');
  const answer = await r.line((f) => f.t === 'auth' && f.response !== undefined);
  if (answer.response !== mac('hub', mine)) throw new Error('the hub did not prove the key');
  r.write('{"t":"hello","v":1,"role":"client"}\n');
  await r.line((f) => f.t === 'hello');
  return r;
}

/** A raw connection to a keyless hub at `path` that said hello. */
export async function plain(path: string): Promise<RawClient> {
  const r = await RawClient.open(path);
  r.write('{"t":"hello","v":1,"role":"client"}\n');
  await r.line((f) => f.t === 'hello');
  return r;
}

/** `p`'s outcome within `ms`: 'pending' if it had not settled by then. */
export { within } from '../remote-regressions/helpers.js';

/** A Unix proxy to `target` that can hold back what goes from the hub to the client. */
export async function proxy(path: string, target: string): Promise<{ hold(): void; release(): void; close(): Promise<void> }> {
  const pairs: Socket[] = [];
  let held = false;
  const queued: Array<() => void> = [];
  const server: Server = createServer((client) => {
    const upstream = netConnect({ path: target });
    pairs.push(client, upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => (held ? queued.push(() => client.write(d)) : client.write(d)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    hold: () => void (held = true),
    release: () => {
      held = false;
      for (const w of queued.splice(0)) w();
    },
    close: async () => {
      for (const s of pairs) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
