// A sender with plenty of credit and a peer that does not read: the values wait in the sender
// (bounded by maxBuffer), not as encoded frames in the socket wire; they go out as the peer reads.
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { perTestDir } from '../helpers.js';
import type { Port } from '../../src/bus/port.js';
import { Session } from '../../src/bus/session.js';
import { Sender } from '../../src/channels/sender.js';
import { SocketWire, WRITE_AHEAD } from '../../src/transport/socket-wire.js';

const t = perTestDir();

/** A Session over a real Unix socket; `peer` is the raw other end, paused (it reads nothing yet). */
async function sessionWithIdlePeer(): Promise<{ session: Session; peer: Socket }> {
  const server = createServer();
  server.listen(join(t.dir, 'ahead.sock'));
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const socket = connect(join(t.dir, 'ahead.sock'));
  await once(socket, 'connect');
  const [peer] = await accepted;
  peer.pause();
  const session = new Session(new SocketWire(socket), { role: 'client' });
  t.defer(async () => {
    session.close(true);
    peer.destroy();
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { session, peer };
}

describe('a sender and a full socket', () => {
  it('queues at most WRITE_AHEAD in the wire, holds the rest, and sends all in order as the peer reads', async () => {
    const { session, peer } = await sessionWithIdlePeer();
    const N = 2_000;
    const value = (i: number) => ({ i, pad: 'p'.repeat(4000) });
    const sender = new Sender('test pipe');
    let credited!: () => void;
    const credit = new Promise<void>((resolve) => (credited = resolve));
    const port: Port = session.open('pipe', 'p', 'end', undefined, {
      ...sender.handler,
      credit: (n) => {
        sender.handler.credit(n);
        credited();
      },
    });
    peer.write('{"t":"hello","v":1,"role":"hub"}\n' + `{"t":"credit","c":${port.id},"n":${N}}\n`);
    await credit;
    sender.bind(port);

    // Credit for all N, but the frames that go into the wire in one turn stop at WRITE_AHEAD.
    for (let i = 0; i < N; i++) sender.push(value(i));
    const frameChars = `{"c":${port.id},"d":${JSON.stringify(value(N))}}`.length + 64;
    expect(port.sent).toBe(Math.ceil(WRITE_AHEAD / frameChars));
    expect(port.credit).toBe(N - port.sent);

    // The peer reads: every value arrives, once, in order, and the sender ends after the last.
    const seen: number[] = [];
    let buf = '';
    peer.setEncoding('utf8');
    peer.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith(`{"c":${port.id},"d":`)) continue;
        seen.push((JSON.parse(line) as { d: { i: number } }).d.i);
        if (seen.length === N) peer.write(`{"t":"ack","c":${port.id},"r":[[1,${N}]]}\n`);
      }
    });
    const ended = sender.end();
    peer.resume();
    await ended;
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));
  });
});

/** Calls `onFrame(channel, payload)` for each data frame the raw peer reads, once it resumes. */
function readDataFrames(peer: Socket, onFrame: (c: number, d: unknown) => void): void {
  let buf = '';
  peer.setEncoding('utf8');
  peer.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const frame = JSON.parse(buf.slice(0, nl)) as { c?: number; d?: unknown; t?: string };
      buf = buf.slice(nl + 1);
      if (frame.t === undefined && frame.c !== undefined) onFrame(frame.c, frame.d);
    }
  });
}

/** Resumes the raw peer; resolves with the `i` of each data frame it read once the connection ends. */
async function readUntilEnd(peer: Socket): Promise<number[]> {
  const seen: number[] = [];
  readDataFrames(peer, (_c, d) => seen.push((d as { i: number }).i));
  const ended = once(peer, 'end');
  peer.resume();
  await ended;
  return seen;
}

/** Opens a pipe channel with a Sender on `session`, and has the raw peer grant it `n` credit. */
async function creditedSender(session: Session, peer: Socket, name: string, n: number): Promise<{ sender: Sender; port: Port }> {
  const sender = new Sender(`pipe '${name}'`);
  let credited!: () => void;
  const credit = new Promise<void>((resolve) => (credited = resolve));
  const port = session.open('pipe', name, 'end', undefined, {
    ...sender.handler,
    credit: (k) => {
      sender.handler.credit(k);
      credited();
    },
    closed: (err) => sender.fail(err ?? new Error('closed')),
  });
  peer.write(`{"t":"credit","c":${port.id},"n":${n}}\n`);
  await credit;
  sender.bind(port);
  return { sender, port };
}

describe('senders sharing a full socket, and closing', () => {
  it('a sender that stalled behind a bulk sender goes next, not after all of its values', async () => {
    const { session, peer } = await sessionWithIdlePeer();
    peer.write('{"t":"hello","v":1,"role":"hub"}\n');
    const N = 2_000;
    const value = (i: number) => ({ i, pad: 'p'.repeat(4000) });
    const bulk = await creditedSender(session, peer, 'bulk', N);
    const small = await creditedSender(session, peer, 'small', 1);
    for (let i = 0; i < N; i++) bulk.sender.push(value(i));
    small.sender.push('hi'); // the wire is full: it waits behind the bulk sender
    expect(small.port.sent).toBe(0);

    const perTurn = Math.ceil(WRITE_AHEAD / (`{"c":${bulk.port.id},"d":${JSON.stringify(value(N))}}`.length + 64));
    let bulkSeen = 0;
    let bulkBeforeSmall = -1;
    let allSeen!: () => void;
    const done = new Promise<void>((resolve) => (allSeen = resolve));
    readDataFrames(peer, (c) => {
      if (c === bulk.port.id) bulkSeen++;
      else if (c === small.port.id) bulkBeforeSmall = bulkSeen;
      if (bulkSeen === N && bulkBeforeSmall >= 0) allSeen();
    });
    peer.resume();
    await done;
    // What the wire held when both stalled, then at most one more turn of the bulk sender.
    expect(bulkBeforeSmall).toBeGreaterThanOrEqual(perTurn);
    expect(bulkBeforeSmall).toBeLessThanOrEqual(2 * perTurn);
  });

  it('a graceful close writes the values a sender held back for the full socket, then ends', async () => {
    const { session, peer } = await sessionWithIdlePeer();
    peer.write('{"t":"hello","v":1,"role":"hub"}\n');
    const N = 500;
    const { sender, port } = await creditedSender(session, peer, 'p', N);
    for (let i = 0; i < N; i++) sender.push({ i, pad: 'p'.repeat(4000) });
    expect(port.sent).toBeLessThan(N); // the rest wait in the sender
    session.close();
    expect(await readUntilEnd(peer)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('a graceful close writes what was held at the close, then ends, though the source goes on', async () => {
    const { session, peer } = await sessionWithIdlePeer();
    peer.write('{"t":"hello","v":1,"role":"hub"}\n');
    const { sender, port } = await creditedSender(session, peer, 'p', 1_000_000);
    let pulled = 0;
    function* forever() {
      for (;;) yield { i: pulled++, pad: 'p'.repeat(4000) };
    }
    const sending = sender.sendAll(forever()).then(() => 'resolved', (err: { code?: string }) => err.code);
    expect(port.sent).toBeGreaterThan(0);
    expect(port.sent).toBeLessThan(pulled); // the wire is full: the rest wait in the sender
    const pulledAtClose = pulled;
    session.close();
    // Every value the sender held; the last one pulled was still in sendAll's hands, waiting for room.
    expect(await readUntilEnd(peer)).toEqual(Array.from({ length: pulledAtClose - 1 }, (_, i) => i));
    // What came after the close waited in the sender, and fails with the connection.
    peer.end();
    expect(await sending).toBe('ERR_CLOSED');
  });
});
