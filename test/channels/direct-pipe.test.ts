/**
 * Named pipes over real sockets: the two ends meet through the hub, then talk over a connection
 * of their own. Proven by what only a direct link can do (values still flow after the hub is
 * gone), and by how each way of failing to meet is reported.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/channels/bus.js';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { privateDir } from '../../src/transport/address.js';
import { RawClient } from '../raw-client.js';
import { rejection, transports, until, type TestBed } from '../transports.js';

const unix = transports.find((t) => t.name === 'unix socket')!;
const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

describe('direct named pipes', () => {
  let t: TestBed;
  let raws: RawClient[];

  beforeEach(async () => {
    t = await unix.setup();
    raws = [];
  });

  afterEach(async () => {
    for (const r of raws) r.socket.destroy();
    await Promise.all(raws.map((r) => r.closed));
    await t.teardown({ destroy: true });
  });

  const pipeStats = () => t.hub.stats().resources.find((r) => r.kind === 'pipe');
  const raw = async () => {
    const address = t.hub.address!;
    if (address.kind === 'tcp') throw new Error('the unix test bed listens on a socket path');
    const r = await RawClient.open(address.path);
    raws.push(r);
    r.write(HELLO);
    return r;
  };

  it('the ends talk directly once paired: values still flow after the hub has closed', async () => {
    const [busA, busB] = [await t.bus(), await t.bus()];
    const a = busA.pipe<string>('direct');
    const b = busB.pipe<string>('direct');
    const got = firstValueFrom(b.recv().pipe(toArray()));
    await a.send('before');
    expect(pipeStats()).toMatchObject({ ends: 2, paired: true, direct: true });

    await t.hub.close();
    await a.send('after'); // resolves once b has processed it: no hub in between any more
    await a.end();
    expect(await got).toEqual(['before', 'after']);
  });

  it('the name stays taken while the direct pair lives, and is free once both have left', async () => {
    const [busA, busB] = [await t.bus(), await t.bus()];
    const a = busA.pipe<string>('held');
    const b = busB.pipe<string>('held');
    await Promise.all([a.send('x'), firstValueFrom(b.recv())]);
    expect(pipeStats()).toMatchObject({ ends: 2, direct: true });
    await Promise.all([a.end(), b.end()]);
    await until(() => pipeStats() === undefined, 'the hub to free the name');
  });

  it('with { direct: false } on one end the hub relays, and the pair still works', async () => {
    const [busA, busB] = [await t.bus(), await t.bus()];
    const a = busA.pipe<number>('relayed', { direct: false });
    const b = busB.pipe<number>('relayed');
    const got = firstValueFrom(b.recv().pipe(toArray()));
    await a.sendAll([1, 2, 3]);
    expect(pipeStats()).toMatchObject({ ends: 2, paired: true, direct: false });
    await a.end();
    expect(await got).toEqual([1, 2, 3]);
  });

  it('an end told to connect to an address nobody listens at falls back to the hub, which relays the pair', async () => {
    const r = await raw();
    r.write(`{"t":"open","c":1,"k":"pipe","n":"nowhere","r":"end","o":{"direct":"/nonexistent/hostbus-test.sock"}}\n`);
    await until(() => pipeStats()?.ends === 1, 'the raw end at the hub');
    const bus = await t.bus();
    const end = bus.pipe<string>('nowhere');
    const got = firstValueFrom(end.recv());
    // The bus's end could not connect: its credit comes through the hub, which relays from then on.
    await r.line((f) => f.t === 'credit' && f.c === 1);
    r.write('{"c":1,"d":"relayed"}\n{"t":"credit","c":1,"n":1}\n');
    expect(await got).toBe('relayed');
    await end.send('back');
    expect(await r.line((f) => f.c === 1 && f.d !== undefined)).toMatchObject({ d: 'back' });
    expect(pipeStats()).toMatchObject({ ends: 2, paired: true, direct: false });
  });

  it('two buses whose direct link cannot be made talk through the hub instead', async () => {
    const busA = await t.bus();
    const a = busA.pipe<number>('fallback');
    const got = firstValueFrom(a.recv().pipe(toArray()));
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    // The first end's listener exists now: remove its socket file, so that nobody can connect.
    const files = (await readdir(privateDir())).filter((f) => f.startsWith(`d-${process.pid}-`));
    expect(files).toHaveLength(1);
    await unlink(join(privateDir(), files[0]!));
    const busB = await t.bus();
    const b = busB.pipe<number>('fallback');
    await b.sendAll([1, 2, 3]);
    await b.end();
    expect(await got).toEqual([1, 2, 3]);
    expect(pipeStats()).toMatchObject({ ends: 2, direct: false });
    await a.send(4);
    expect(await b.get()).toBe(4);
  });

  it('an end told to accept fails with ERR_PEER_GONE when its peer neither connects nor falls back', async () => {
    const bus = await t.bus({ directTimeoutMs: 100 });
    const end = bus.pipe<string>('silent');
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    const r = await raw();
    r.write('{"t":"open","c":1,"k":"pipe","n":"silent","r":"end","o":{"direct":"x"}}\n');
    const opened = await r.line((f) => f.t === 'opened');
    expect(opened).toMatchObject({ i: { paired: true, direct: { connect: expect.any(String), token: expect.any(String) } } });
    const err = await rejection(firstValueFrom(end.recv()));
    expect(err.code).toBe('ERR_PEER_GONE');
    expect(err.message).toContain('did not connect within 100 ms (directTimeoutMs)');
  });

  it('an end that falls back after the other left gets ERR_PEER_GONE from the hub', async () => {
    const [first, second] = [await raw(), await raw()];
    first.write('{"t":"open","c":1,"k":"pipe","n":"left","r":"end","o":{"direct":"x"}}\n');
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    second.write('{"t":"open","c":1,"k":"pipe","n":"left","r":"end","o":{"direct":"y"}}\n');
    await Promise.all([first.line((f) => f.t === 'opened'), second.line((f) => f.t === 'opened')]);
    first.write('{"t":"close","c":1}\n');
    await until(() => pipeStats()?.ends === 1, 'the first end to leave');
    second.write('{"t":"credit","c":1,"n":1}\n');
    expect(await second.line((f) => f.t === 'error' && f.c === 1)).toMatchObject({ e: { code: 'ERR_PEER_GONE' } });
  });

  it('the peer with the hub\'s token gets the channel; a second connection with the same token gets none', async () => {
    // An unknown token may be a peer that came before the hub's word: it is refused once
    // directTimeoutMs has passed.
    const bus = await t.bus({ directTimeoutMs: 100 });
    const end = bus.pipe<string>('guarded');
    const got = firstValueFrom(end.recv()); // a reader, so that the end grants credit
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    const r = await raw();
    r.write('{"t":"open","c":1,"k":"pipe","n":"guarded","r":"end","o":{"direct":"x"}}\n');
    const { i } = await r.line((f) => f.t === 'opened') as { i: { direct: { connect: string; token: string } } };

    const peerClient = await RawClient.open(i.direct.connect);
    raws.push(peerClient);
    peerClient.write(HELLO + `{"t":"open","c":1,"k":"pipe","n":"${i.direct.token}","r":"end"}\n`);
    await peerClient.line((f) => f.t === 'credit' && f.c === 1);
    peerClient.write('{"c":1,"d":"through the direct link"}\n');
    expect(await got).toBe('through the direct link');

    const strangerClient = await RawClient.open(i.direct.connect);
    raws.push(strangerClient);
    // The token was used up by the peer: a second connection with it gets no channel.
    strangerClient.write(HELLO + `{"t":"open","c":1,"k":"pipe","n":"${i.direct.token}","r":"end"}\n`);
    const refused = await strangerClient.line((f) => f.t === 'error');
    expect(refused).toMatchObject({ c: 1, e: { code: 'ERR_PROTOCOL' } });
  });

  it('closing the bus fails an end still waiting for its peer with ERR_CLOSED', async () => {
    const bus: Bus = await t.bus();
    const end = bus.pipe<string>('waiting');
    await until(() => pipeStats()?.ends === 1, 'the first end at the hub');
    const r = await raw();
    r.write('{"t":"open","c":1,"k":"pipe","n":"waiting","r":"end","o":{"direct":"x"}}\n');
    await r.line((f) => f.t === 'opened');
    const got = rejection(firstValueFrom(end.recv()));
    await bus.close();
    expect((await got).code).toBe('ERR_CLOSED');
  });

});
