/**
 * Remote hubs: `tcp://` behind an authkey. Over real TCP on loopback (port 0, so no fixed port).
 * The right key works for every kind; a wrong key, no key, a replayed answer, a truncated or
 * garbage handshake, an oversized line and every other frame before the key is proven are
 * refused with ERR_AUTH (or the handshake deadline), counted in `hub.stats().authFailures`, while
 * a client with the key goes on.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect, type Bus } from '../../src/channels/bus.js';
import { AuthError, InvalidArgumentError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';
import { RawClient } from '../raw-client.js';
import { rejection, until } from '../transports.js';

const KEY = 'abracadabra';
let hub: Hub | undefined;
const buses: Bus[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await hub?.close();
  hub = undefined;
});

async function tcpHub(options: Parameters<typeof Hub.listen>[1] = {}): Promise<{ hub: Hub; url: string; port: number }> {
  hub = await Hub.listen('tcp://127.0.0.1:0', { authkey: KEY, ...options });
  const a = hub.address!;
  if (a.kind !== 'tcp') throw new Error('not tcp');
  return { hub, url: `tcp://127.0.0.1:${a.port}`, port: a.port };
}

async function client(url: string, authkey: string | Uint8Array | undefined = KEY): Promise<Bus> {
  const b = await connect(url, authkey === undefined ? {} : { authkey });
  buses.push(b);
  return b;
}

async function raw(port: number): Promise<RawClient> {
  const r = await RawClient.open({ host: '127.0.0.1', port });
  raws.push(r);
  return r;
}

const mac = (side: string, challenge: Buffer, key = KEY) =>
  createHmac('sha256', key).update(`hostbus-auth-1 sha256 ${side} `).update(challenge).digest('base64');

describe('tcp:// with an authkey', () => {
  it('listening on tcp:// without an authkey is refused, naming the option', async () => {
    const err = await rejection(Hub.listen('tcp://127.0.0.1:0'));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/needs an authkey.*authkey: '\.\.\.'.*HOSTBUS_AUTHKEY/);
  });

  it('the right key works for every kind: queue, pipe through the hub, lock, event, value, dict', async () => {
    const { url } = await tcpHub();
    const [a, b] = await Promise.all([client(url), client(url, Buffer.from(KEY))]);
    await a.queue<string>('q').put('hello');
    expect(await b.queue<string>('q').get()).toBe('hello');
    const [pa, pb] = [a.pipe<number>('p'), b.pipe<number>('p')];
    await pa.send(1);
    expect(await pb.get()).toBe(1);
    const hold = await a.lock('l').acquire();
    expect(await b.lock('l').locked()).toBe(true);
    await hold.release();
    await b.event('e').set();
    expect(await a.event('e').wait()).toBe(true);
    await a.value('v', 1).add(2);
    expect(await b.value('v').get()).toBe(3);
    await b.dict('d').set(['x', 'y'], 1);
    expect(await a.dict('d').get(['x', 'y'])).toBe(1);
    pa.close();
    pb.close();
    expect(hub!.stats().authFailures).toBe(0);
  });

  it('a wrong key and no key are refused with AuthError, counted, and the hub goes on serving', async () => {
    const { url } = await tcpHub();
    const good = await client(url);
    const wrong = await rejection(connect(url, { authkey: 'abracadabrb' }));
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong.message).toMatch(/the authkey did not match/);
    const none = await rejection(connect(url));
    expect(none).toBeInstanceOf(AuthError);
    expect(none.message).toMatch(/asks for an authkey/);
    await until(() => hub!.stats().authFailures === 2, 'two failures counted');
    await good.queue<number>('still').put(1);
    expect(await good.queue<number>('still').get()).toBe(1);
  });

  it('a client with a key refuses a hub that does not ask for it', async () => {
    const tmp = await tempDir();
    try {
      hub = await Hub.listen(tmp.sock('plain'));
      const err = await rejection(connect(tmp.sock('plain'), { authkey: KEY }));
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).toMatch(/did not ask for the authkey/);
      await hub.close();
      hub = undefined;
    } finally {
      expect(await tmp.cleanup()).toEqual([]);
    }
  });

  it('an authkey on a Unix socket is optional and works the same', async () => {
    const tmp = await tempDir();
    try {
      hub = await Hub.listen(tmp.sock('keyed'), { authkey: KEY });
      const a = await client(tmp.sock('keyed'));
      await a.value('n', 0).add(1);
      expect(await rejection(connect(tmp.sock('keyed'), { authkey: 'nope' }))).toBeInstanceOf(AuthError);
      await Promise.all(buses.splice(0).map((b) => b.close()));
      await hub.close();
      hub = undefined;
    } finally {
      expect(await tmp.cleanup()).toEqual([]);
    }
  });

  it('by hand: the challenge, the answer, the hub\'s proof, then hello; a replayed answer to another challenge is refused', async () => {
    const { port } = await tcpHub();
    const r = await raw(port);
    const c = JSON.parse(await r.next()) as { t: string; digest: string; challenge: string };
    expect(c).toMatchObject({ t: 'auth', digest: 'sha256' });
    expect(Buffer.from(c.challenge, 'base64')).toHaveLength(40);
    const mine = Buffer.alloc(40, 7);
    const answer = JSON.stringify({ t: 'auth', digest: 'sha256', response: mac('client', Buffer.from(c.challenge, 'base64')), challenge: mine.toString('base64') });
    r.write(answer + '\n');
    const proof = JSON.parse(await r.next()) as { t: string; response: string };
    expect(proof).toEqual({ t: 'auth', response: mac('hub', mine) });
    expect(JSON.parse(await r.next())).toMatchObject({ t: 'hello', role: 'hub' });
    r.write('{"t":"hello","v":1,"role":"client"}\n{"t":"open","c":1,"k":"value","n":"by-hand","r":"use","o":{"init":1}}\n');
    expect(await r.line((f) => f.t === 'opened')).toMatchObject({ c: 1 });
    // Another connection gets another challenge: the same answer does not fit it.
    const replay = await raw(port);
    const c2 = JSON.parse(await replay.next()) as { challenge: string };
    expect(c2.challenge).not.toBe(c.challenge);
    replay.write(answer + '\n');
    const refused = await replay.line((f) => f.t === 'error');
    expect(refused.e).toMatchObject({ code: 'ERR_AUTH' });
    expect(String((refused.e as { message: string }).message)).toMatch(/the authkey did not match/);
    await replay.closed;
    expect(replay.lines.filter((l) => !l.includes('"t":"error"'))).toHaveLength(1); // the challenge alone
  });

  it('every frame kind sent before the key is proven gets ERR_AUTH and nothing else', async () => {
    const { port } = await tcpHub();
    const frames = [
      '{"t":"hello","v":1,"role":"client"}', '{"t":"open","c":1,"k":"queue","n":"q","r":"put"}', '{"c":1,"d":1}',
      '{"c":1,"h":{"id":1,"op":"get"},"d":null}', '{"t":"credit","c":1,"n":1}', '{"t":"ack","c":1,"r":[[1,1]]}',
      '{"t":"end","c":1}', '{"t":"close","c":1}', '{"t":"closed","c":1}', '{"t":"error","c":1,"e":{"name":"E","message":"m","code":"ERR_X"}}',
      '{"t":"opened","c":1}', '{"t":"ping","n":1}', '{"t":"pong","n":1}', '{"t":"auth"}', 'not json', '{"t":"auth","digest":"sha1","response":"AA==","challenge":"AA=="}',
    ];
    // A line longer than the handshake's (1,024 bytes) is refused by the wire before it is read,
    // even one that never ends: the hub holds at most that much of it.
    const long = [`{"t":"auth","digest":"sha256","response":"${'A'.repeat(2000)}"}`, `{"c":1,"d":"${'x'.repeat(100_000)}`];
    for (const line of [...frames, ...long]) {
      const r = await raw(port);
      await r.next(); // the challenge
      r.write(frames.includes(line) ? line + '\n' : line);
      const refused = await r.line((f) => f.t === 'error');
      expect(refused.e, line.slice(0, 80)).toMatchObject({ code: 'ERR_AUTH', message: expect.stringMatching(/the authkey did not match/) });
      await r.closed;
      expect(r.lines.map((l) => (JSON.parse(l) as { t: string }).t), line.slice(0, 80)).toEqual(['auth', 'error']);
    }
    expect(hub!.stats()).toMatchObject({ authFailures: frames.length + long.length, resources: [] });
  });

  it('a truncated handshake is dropped at the deadline; 1,000 connections that never authenticate stay bounded while a keyed client moves messages', async () => {
    const { url, port } = await tcpHub({ helloTimeoutMs: 300, maxPendingConnections: 64 });
    const good = await client(url);
    const q = good.queue<number>('work');
    const truncated = await raw(port);
    await truncated.next();
    truncated.write('{"t":"auth","digest":"sha256","resp');
    const dropped = await truncated.line((f) => f.t === 'error');
    expect(dropped.e).toMatchObject({ code: 'ERR_LIMIT' });
    let moved = 0;
    const mover = (async () => {
      for (let i = 0; i < 500; i++) {
        await q.put(i);
        expect(await q.get()).toBe(i);
        moved++;
      }
    })();
    const before = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => raw(port)));
      expect(hub!.stats().pending).toBeLessThanOrEqual(64);
    }
    await mover;
    expect(moved).toBe(500);
    const grew = process.memoryUsage().heapUsed - before;
    expect(grew, `heap grew ${Math.round(grew / 1e6)} MB`).toBeLessThan(64 * 1024 * 1024);
    await until(() => hub!.stats().pending === 0, 'every pending connection dropped by the deadline or refused', 10_000);
    expect(hub!.stats().limits.maxPendingConnections).toBeGreaterThan(0);
    await q.put(-1);
    expect(await q.get()).toBe(-1);
  }, 30_000);

  it('an IPv6 literal works: tcp://[::1]:PORT', async () => {
    hub = await Hub.listen('tcp://[::1]:0', { authkey: KEY });
    const a = hub.address!;
    expect(a).toMatchObject({ kind: 'tcp', host: '::1' });
    const b = await client(`tcp://[::1]:${a.kind === 'tcp' ? a.port : 0}`);
    expect(await b.value('six', 6).get()).toBe(6);
  });
});
