// A handle's channel owns its port and its parts, and fails as a whole.
import { describe, expect, it } from 'vitest';
import { Port, type PortHost } from '../../src/bus/port.js';
import { ClientChannel } from '../../src/channels/client-channel.js';
import { Inbound } from '../../src/channels/inbound.js';
import { Requester } from '../../src/channels/requester.js';
import { Sender } from '../../src/channels/sender.js';
import { PeerGoneError } from '../../src/errors.js';
import { rejection } from '../transports.js';

/** A host that counts what is written to it, and writes nowhere. */
function host(): PortHost & { written: number } {
  const h = {
    written: 0, id: 0, peer: undefined, onEnd: () => () => {}, maxLine: 1 << 20,
    write: () => void h.written++, fail: () => {}, canWrite: () => true, markDirty: () => {}, release: () => {},
  };
  return h;
}

describe('ClientChannel', () => {
  it('gives its port one handler made of its parts, and when the channel goes every part fails with one error', async () => {
    const sender = new Sender('s');
    const inbound = new Inbound<unknown>('i');
    const requester = new Requester('r');
    const gone: (Error | undefined)[] = [];
    const channel = new ClientChannel({ sender, inbound, requester, reason: (err) => err ?? new PeerGoneError('gone'), gone: (err) => gone.push(err) });
    const port = new Port(1, host());
    channel.attach(port);
    expect(port.handler).toBe(channel.handler);
    const sent = sender.send(1);
    const asked = requester.request('op');
    const received = new Promise((resolve, reject) => inbound.values(false).subscribe({ error: reject, complete: () => resolve(undefined) }));
    port.onGone(undefined, false);
    for (const p of [sent, asked, received]) expect(await rejection(p)).toMatchObject({ code: 'ERR_PEER_GONE', message: 'gone' });
    expect(gone).toEqual([expect.objectContaining({ code: 'ERR_PEER_GONE' })]);
  });

  it('routes credit to both the sender and the requester', () => {
    const sender = new Sender('s');
    const requester = new Requester('r');
    const h = host();
    const port = new Port(1, h);
    new ClientChannel({ sender, requester }).attach(port);
    void sender.send(1);
    void requester.request('op');
    const before = h.written;
    port.onCredit(2);
    expect(h.written - before).toBe(2);
    expect(port.sent).toBe(2);
  });
});
