/**
 * Named pipes of a `tcp://` hub: direct between the two ends where they can reach each other,
 * with the hub's key proven on the direct link as on the hub's, and relayed by the hub where
 * they cannot. Over real TCP (port 0 everywhere).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect, type Bus } from '../../src/channels/bus.js';
import { privateDir, resolveAddress } from '../../src/transport/address.js';
import { tempDir } from '../helpers.js';
import { authenticated as proven, KEY } from '../direct-regressions/helpers.js';
import { RawClient } from '../raw-client.js';
import { until } from '../transports.js';

let hub: Hub | undefined;
const buses: Bus[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  const left = raws.splice(0);
  for (const r of left) r.socket.destroy();
  await Promise.all(left.map((r) => r.closed));
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await hub?.close();
  hub = undefined;
});

/** A hub on `host` (port 0) with KEY: its URL as a client names it, and its port. */
async function tcpHub(host = '127.0.0.1', listenHost = host): Promise<{ url: string; port: number }> {
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  hub = await Hub.listen(`tcp://${bracket(listenHost)}:0`, { authkey: KEY });
  const a = hub.address!;
  if (a.kind !== 'tcp') throw new Error('not tcp');
  return { url: `tcp://${bracket(host)}:${a.port}`, port: a.port };
}

async function client(url: string): Promise<Bus> {
  const b = await connect(url, { authkey: KEY });
  buses.push(b);
  return b;
}

/** Connects to a hub or a direct listener at `host:port` and proves KEY by hand, as the protocol says; then says hello. */
async function authenticated(host: string, port: number): Promise<RawClient> {
  const r = await proven({ host, port });
  raws.push(r);
  return r;
}

const pipeStats = () => hub!.stats().resources.find((r) => r.kind === 'pipe');

/**
 * Opens the pipe `name` as its second end by hand, on a connection to the hub at `host:port`
 * that proved the key: the hub's `opened`, which says where the first end listens (its offer, in
 * the order to try) and the token.
 */
async function secondEnd(host: string, port: number, name: string): Promise<{ r: RawClient; offer: string[]; token: string }> {
  const r = await authenticated(host, port);
  r.write(`{"t":"open","c":1,"k":"pipe","n":"${name}","r":"end","o":{"direct":"tcp://127.0.0.1:1"}}\n`);
  const { i } = await r.line((f) => f.t === 'opened') as { i: { direct: { connect: string | string[]; token: string } } };
  return { r, offer: [i.direct.connect].flat(), token: i.direct.token };
}

/** The host and port of the `tcp://` address in `offer`. */
function tcpOf(offer: string[]): { host: string; port: number } {
  const found = offer.map((a) => resolveAddress(a)).find((a) => a.kind === 'tcp');
  if (found?.kind !== 'tcp') throw new Error(`no tcp:// address in ${JSON.stringify(offer)}`);
  return found;
}

describe('named pipes over tcp://', () => {
  it('go direct over loopback: values still flow after the hub has closed', async () => {
    const { url } = await tcpHub();
    const [busA, busB] = [await client(url), await client(url)];
    const a = busA.pipe<string>('direct');
    const b = busB.pipe<string>('direct');
    const got = firstValueFrom(b.recv().pipe(toArray()));
    await a.send('before');
    expect(pipeStats()).toMatchObject({ ends: 2, paired: true, direct: true });
    await hub!.close();
    hub = undefined;
    await a.send('after'); // resolves once b has processed it: no hub in between any more
    await a.end();
    expect(await got).toEqual(['before', 'after']);
  });

  it('go direct over IPv6 loopback too', async () => {
    const { url } = await tcpHub('::1');
    const [busA, busB] = [await client(url), await client(url)];
    const [a, b] = [busA.pipe<number>('six'), busB.pipe<number>('six')];
    await a.send(6);
    expect(await b.get()).toBe(6);
    expect(pipeStats()).toMatchObject({ direct: true });
  });

  it('an end offers its private socket first, then a TCP port on loopback; a stranger without the key is refused at either', async () => {
    const { port } = await tcpHub();
    const busA = await client(`tcp://127.0.0.1:${port}`);
    const a = busA.pipe<string>('guarded');
    const got = firstValueFrom(a.recv()); // a reader, so that the end grants credit
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    const { r: b, offer, token } = await secondEnd('127.0.0.1', port, 'guarded');
    expect(offer).toHaveLength(2);
    expect(offer[0]).not.toMatch(/^tcp:/);
    expect(tcpOf(offer).host).toBe('127.0.0.1');

    // A stranger at either listener is challenged first, and whatever it sends without the key
    // (here, the open that would take the pipe) ends its connection with ERR_AUTH.
    for (const at of [offer[0]!, tcpOf(offer)] as const) {
      const stranger = await RawClient.open(typeof at === 'string' ? at : { host: at.host, port: at.port });
      raws.push(stranger);
      expect(await stranger.line((f) => f.t === 'auth')).toMatchObject({ digest: 'sha256' });
      stranger.write(`{"t":"hello","v":1,"role":"peer"}\n{"t":"open","c":1,"k":"pipe","n":"${token}","r":"end"}\n`);
      expect(await stranger.line((f) => f.t === 'error')).toMatchObject({ e: { code: 'ERR_AUTH' } });
      await stranger.closed;
    }

    // The second end falls back to the hub: its credit there makes the hub relay, and the first
    // end takes its hub channel.
    b.write('{"t":"credit","c":1,"n":4}\n');
    await b.line((f) => f.t === 'credit' && f.c === 1);
    b.write('{"c":1,"d":"relayed"}\n');
    expect(await got).toBe('relayed');
    await a.send('back');
    expect(await b.line((f) => f.c === 1 && f.d !== undefined)).toMatchObject({ d: 'back' });
    expect(pipeStats()).toMatchObject({ ends: 2, paired: true, direct: false });
  });

  it('the TCP link proves the key both ways, as the hub does, before its channel opens', async () => {
    const { port } = await tcpHub();
    const busA = await client(`tcp://127.0.0.1:${port}`);
    const a = busA.pipe<string>('proven');
    const got = firstValueFrom(a.recv());
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    const { offer, token } = await secondEnd('127.0.0.1', port, 'proven');
    const at = tcpOf(offer);
    const peer = await authenticated(at.host, at.port);
    peer.write(`{"t":"open","c":1,"k":"pipe","n":"${token}","r":"end"}\n`);
    await peer.line((f) => f.t === 'credit' && f.c === 1);
    peer.write('{"c":1,"d":"through the direct link"}\n');
    expect(await got).toBe('through the direct link');
    expect(pipeStats()).toMatchObject({ direct: true });
  });

  it('on a Unix hub with a key, the direct link proves the key too', async () => {
    const tmp = await tempDir();
    try {
      hub = await Hub.listen(tmp.sock('keyed'), { authkey: KEY });
      const [busA, busB] = [await client(tmp.sock('keyed')), await client(tmp.sock('keyed'))];
      const a = busA.pipe<string>('keyed');
      const got = firstValueFrom(a.recv());
      await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
      const b = busB.pipe<string>('keyed');
      await b.send('direct');
      expect(await got).toBe('direct');
      expect(pipeStats()).toMatchObject({ ends: 2, direct: true });
      // A direct listener of a bus with a key challenges whoever connects.
      const file = (await readdir(privateDir())).find((f) => f.startsWith(`d-${process.pid}-`));
      const stranger = await RawClient.open(join(privateDir(), file!));
      raws.push(stranger);
      expect(await stranger.line((f) => f.t === 'auth')).toMatchObject({ digest: 'sha256' });
      stranger.socket.destroy();
      await Promise.all(buses.splice(0).map((x) => x.close()));
      await hub.close();
      hub = undefined;
    } finally {
      expect(await tmp.cleanup()).toEqual([]);
    }
  });

  const external = Object.values(networkInterfaces()).flat().find((n) => n && n.family === 'IPv4' && !n.internal)?.address;

  it.skipIf(!external)('over a network offer only the private socket by default, and a TCP port too with { direct: true }', async () => {
    const { url, port } = await tcpHub(external!, '0.0.0.0');
    const [busA, busB] = [await client(url), await client(url)];
    // Two buses of one host pair directly by default, over the private socket.
    const [a, b] = [busA.pipe<number>('local'), busB.pipe<number>('local')];
    await a.send(1);
    expect(await b.get()).toBe(1);
    expect(pipeStats()).toMatchObject({ ends: 2, direct: true });
    a.close();
    b.close();
    await until(() => pipeStats() === undefined, 'the name to be free');

    busA.pipe<number>('default');
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    expect((await secondEnd(external!, port, 'default')).offer).toEqual([expect.not.stringMatching(/^tcp:/)]);

    const c = busA.pipe<number>('opted', { direct: true });
    const got = firstValueFrom(c.recv());
    await until(() => hub!.stats().resources.some((r) => r.name === 'opted'), 'the opted end at the hub');
    const { offer, token } = await secondEnd(external!, port, 'opted');
    const at = tcpOf(offer);
    expect(at.host).toBe(external);
    const peer = await authenticated(at.host, at.port);
    peer.write(`{"t":"open","c":1,"k":"pipe","n":"${token}","r":"end"}\n`);
    await peer.line((f) => f.t === 'credit' && f.c === 1);
    peer.write('{"c":1,"d":2}\n');
    expect(await got).toBe(2);
  });
});
