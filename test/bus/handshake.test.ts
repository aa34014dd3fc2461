/**
 * The handshake runs before the session: until it is done, every line goes to it and none to the
 * channels; then the session starts with what it learned of the peer.
 */
import { describe, expect, it } from 'vitest';
import { helloHandshake, type Handshake } from '../../src/bus/handshake.js';
import { Session } from '../../src/bus/session.js';
import { AuthError } from '../../src/errors.js';
import { memoryWirePair } from '../../src/transport/memory-wire.js';
import type { Wire } from '../../src/transport/wire.js';
import { until } from '../transports.js';

/** A handshake that wants the line `"sesame"` before the peer's hello. */
function sesame(): Handshake {
  const hello = helloHandshake('hub', 1 << 20);
  let passed = false;
  return {
    begin: (write) => hello.begin(write),
    receive(line) {
      if (passed) return hello.receive(line);
      if (line !== '"sesame"') throw new AuthError('say the word first');
      passed = true;
      return undefined;
    },
  };
}

/** Lines the other end of `wire` gets, and how it ended. */
function peerOf(wire: Wire) {
  const lines: string[] = [];
  let closed!: (err?: Error) => void;
  const done = new Promise<Error | undefined>((resolve) => (closed = resolve));
  wire.start({ line: (l) => lines.push(l), fault: () => {}, closed: (err) => closed(err) });
  return { lines, done };
}

describe('handshake', () => {
  it('a session starts only once its handshake is done, with what it learned', async () => {
    const [client, server] = memoryWirePair();
    const opened: string[] = [];
    let ready: unknown;
    new Session(server, {
      role: 'hub', handshake: sesame(),
      onReady: (peer) => (ready = peer),
      accept: (port, open) => { opened.push(open.n); port.opened(); },
    });
    const peer = peerOf(client);
    client.write('"sesame"');
    client.write('{"t":"hello","v":1,"role":"client","name":"me"}');
    client.write('{"t":"open","c":1,"k":"queue","n":"q","r":"get"}');
    await until(() => peer.lines.length === 2, 'the answer to the open');
    client.end();
    await peer.done;
    expect(ready).toEqual({ role: 'client', name: 'me', checked: false });
    expect(opened).toEqual(['q']);
    expect(JSON.parse(peer.lines[0]!)).toMatchObject({ t: 'hello', role: 'hub' });
    expect(peer.lines[1]).toBe('{"t":"opened","c":1}');
  });

  it('a frame before the handshake is done goes to the handshake, which refuses it; no channel opens', async () => {
    const [client, server] = memoryWirePair();
    const opened: string[] = [];
    new Session(server, { role: 'hub', handshake: sesame(), accept: (_port, open) => void opened.push(open.n) });
    const peer = peerOf(client);
    client.write('{"t":"hello","v":1,"role":"client"}');
    client.write('{"t":"open","c":1,"k":"queue","n":"q","r":"get"}');
    await peer.done;
    expect(opened).toEqual([]);
    expect(JSON.parse(peer.lines[1]!)).toMatchObject({ t: 'error', e: { code: 'ERR_AUTH' } });
  });
});
