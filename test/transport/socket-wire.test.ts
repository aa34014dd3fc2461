import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { perTestDir } from '../helpers.js';
import { ConnectionLostError, FrameTooLargeError } from '../../src/errors.js';
import { DEFAULT_MAX_LINE } from '../../src/transport/line-decoder.js';
import { SocketWire, WRITE_CHARS, type SocketWireOptions } from '../../src/transport/socket-wire.js';
import type { WireSink } from '../../src/transport/wire.js';

const t = perTestDir();

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A SocketWire on the accepting end of a real Unix socket, and the raw connecting end. */
async function socketPair(options?: SocketWireOptions): Promise<{ wire: SocketWire; wireSocket: Socket; raw: Socket }> {
  const server: Server = createServer();
  server.listen(join(t.dir, 'wire.sock'));
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const raw = connect(join(t.dir, 'wire.sock'));
  await once(raw, 'connect');
  const [wireSocket] = await accepted;
  const wire = new SocketWire(wireSocket, options);
  t.defer(async () => {
    raw.destroy();
    wireSocket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { wire, wireSocket, raw };
}

/** A sink that records what the wire reports, with promises for the events. */
function recorder() {
  const lines: string[] = [];
  const faults: Error[] = [];
  const closes: Array<Error | undefined> = [];
  let onFault!: (err: Error) => void;
  let onClosed!: (err: Error | undefined) => void;
  const fault = new Promise<Error>((resolve) => (onFault = resolve));
  const closed = new Promise<Error | undefined>((resolve) => (onClosed = resolve));
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const sink: WireSink = {
    line(text) {
      lines.push(text);
      for (const w of waiters) if (lines.length >= w.n) w.resolve();
    },
    fault(err) {
      faults.push(err);
      onFault(err);
    },
    closed(err) {
      closes.push(err);
      onClosed(err);
    },
  };
  /** Resolves once `n` lines arrived (or rejects when the wire closes first). */
  const linesArrived = (n: number) =>
    new Promise<void>((resolve, reject) => {
      if (lines.length >= n) return resolve();
      waiters.push({ n, resolve });
      void closed.then(() => lines.length < n && reject(new Error(`closed after ${lines.length} of ${n} lines`)));
    });
  return { sink, lines, faults, closes, fault, closed, linesArrived };
}

/** Reads everything `socket` receives until it ends; lines are split on '\n'. */
function readAll(socket: Socket): { text: () => string; ended: Promise<string> } {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(socket, 'end').then(() => Buffer.concat(chunks).toString('utf8'));
  return { text: () => Buffer.concat(chunks).toString('utf8'), ended };
}

describe('SocketWire: reading', () => {
  it('delivers lines written in one turn, in order', async () => {
    const { wire, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    raw.write('one\n');
    raw.write('two\r\n');
    raw.write('thr');
    raw.write('ee\n\n');
    raw.write('{"c":1,"d":"é🎉"}\nlast\n');
    await rec.linesArrived(5);
    expect(rec.lines).toEqual(['one', 'two', 'three', '{"c":1,"d":"é🎉"}', 'last']);
    expect(rec.faults).toEqual([]);
    expect(rec.closes).toEqual([]);
  });

  it('keeps lines that arrive before start until start', async () => {
    const { wire, raw } = await socketPair();
    await new Promise<void>((resolve) => raw.write('early-1\nearly-2\n', () => resolve()));
    const rec = recorder();
    wire.start(rec.sink);
    raw.write('late\n');
    await rec.linesArrived(3);
    expect(rec.lines).toEqual(['early-1', 'early-2', 'late']);
  });

  it('delivers many lines written in many small pieces, multi-byte characters split', async () => {
    const { wire, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    const expected = Array.from({ length: 2000 }, (_, i) => `${i}:héllo 🎉`);
    const data = Buffer.from(expected.join('\n') + '\n');
    for (let at = 0; at < data.length; at += 7) raw.write(data.subarray(at, at + 7));
    await rec.linesArrived(expected.length);
    expect(rec.lines).toEqual(expected);
  });

  it('faults with FrameTooLargeError on a 2 MiB line before it has all arrived, holding at most maxLine', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    expect(wire.maxLine).toBe(DEFAULT_MAX_LINE);
    const rec = recorder();
    wire.start(rec.sink);
    // Bytes the wire's socket has handed out: lets the writer wait for each piece to be read.
    let received = 0;
    let receivedAtFault = -1;
    void rec.fault.then(() => (receivedAtFault = received));
    const progress: Array<() => void> = [];
    wireSocket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      for (const p of progress.splice(0)) p();
    });
    const decoder = (wire as unknown as { decoder: { buffered: number } }).decoder;

    const PIECE = 64 * 1024;
    const TOTAL = 2 * 1024 * 1024;
    const piece = Buffer.alloc(PIECE, 0x61); // 'a', never a newline
    let sent = 0;
    let faulted = false;
    void rec.fault.then(() => (faulted = true));
    while (sent < TOTAL && !faulted) {
      raw.write(piece);
      sent += PIECE;
      // Wait until the wire read this piece, or faulted.
      await Promise.race([
        rec.fault,
        new Promise<void>((resolve) => {
          const check = () => (received >= sent ? resolve() : progress.push(check));
          check();
        }),
      ]);
      expect(decoder.buffered).toBeLessThanOrEqual(wire.maxLine);
    }
    const err = await rec.fault;
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect((err as FrameTooLargeError).code).toBe('ERR_FRAME_TOO_LARGE');
    expect(sent).toBeLessThan(TOTAL); // the fault came before the last piece was sent
    expect(sent).toBeGreaterThan(wire.maxLine); // ...and not before the limit was passed
    expect(receivedAtFault).toBeGreaterThan(wire.maxLine);
    expect(receivedAtFault).toBeLessThanOrEqual(wire.maxLine + PIECE);
    expect(decoder.buffered).toBe(0); // what was held is released
    expect(rec.lines).toEqual([]);
    expect(rec.faults).toHaveLength(1);
    // The wire stops reading.
    expect(wireSocket.isPaused()).toBe(true);
    expect(wireSocket.listenerCount('data')).toBe(0);
  });

  it('faults on an oversized line between good ones, after delivering the lines before it', async () => {
    const { wire, raw } = await socketPair({ maxLine: 32 });
    const rec = recorder();
    wire.start(rec.sink);
    raw.write('first\n');
    await rec.linesArrived(1);
    raw.write('x'.repeat(33) + '\nafter\n');
    const err = await rec.fault;
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(rec.lines).toEqual(['first']);
    // Nothing more is delivered, even when the peer keeps writing.
    await new Promise<void>((resolve) => raw.write('more\n', () => resolve()));
    await turn();
    expect(rec.lines).toEqual(['first']);
    expect(rec.faults).toHaveLength(1);
  });

  it('after a fault, the owner can still send its last words and end (as Session.fail does)', async () => {
    const { wire, raw } = await socketPair({ maxLine: 32 });
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    raw.write('y'.repeat(100));
    await rec.fault;
    wire.write('{"t":"error"}');
    wire.end();
    expect(await peer.ended).toBe('{"t":"error"}\n');
  });

  // After a fault the wire closes on end() even while the peer still has unread input (else a
  // hub would keep every such connection open). The 5 s race only bounds a failure; it is not
  // used for synchronisation.
  it('closes after a fault and end(), even with unread input from the peer', async () => {
    const { wire, raw } = await socketPair({ maxLine: 1024 });
    const rec = recorder();
    wire.start(rec.sink);
    raw.resume(); // the peer reads what the wire sends, and sees its end
    raw.write(Buffer.alloc(4 * 1024 * 1024, 0x79)); // 4 MiB, no newline
    raw.on('error', () => {});
    await rec.fault;
    wire.end();
    const outcome = await Promise.race([
      rec.closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 5000, 'still open')),
    ]);
    expect(outcome).toBe('closed');
    expect(rec.closes).toHaveLength(1);
  }, 15_000);
});

describe('SocketWire: writing', () => {
  it('sends lines queued in one turn in one socket write, in order', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    const writes = vi.spyOn(wireSocket, 'write');
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} é`);
    for (const line of lines) wire.write(line);
    expect(writes).not.toHaveBeenCalled(); // batched until the end of the turn
    await turn();
    expect(writes).toHaveBeenCalledTimes(1);
    wire.write('next turn');
    await turn();
    expect(writes).toHaveBeenCalledTimes(2);
    wire.end();
    expect(await peer.ended).toBe(lines.join('\n') + '\nnext turn\n');
  });

  it('splits a large batch into writes of at most WRITE_CHARS characters; a longer line goes alone', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    const writes = vi.spyOn(wireSocket, 'write');
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    const lines = Array.from({ length: 100 }, (_, i) => `${i}:` + 'w'.repeat(3000));
    lines.splice(50, 0, 'long:' + 'L'.repeat(WRITE_CHARS + 10));
    for (const line of lines) wire.write(line);
    await turn();
    const chunks = writes.mock.calls.map((call) => call[0] as string);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.endsWith('\n')).toBe(true);
      if (!chunk.startsWith('long:')) expect(chunk.length).toBeLessThanOrEqual(WRITE_CHARS);
    }
    expect(chunks).toContain(lines[50] + '\n');
    wire.end();
    expect(await peer.ended).toBe(lines.join('\n') + '\n');
  });

  it('throws FrameTooLargeError on a line over maxLine and sends nothing of it', async () => {
    const { wire, raw } = await socketPair({ maxLine: 100 });
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    const ascii = 'a'.repeat(100);
    const wide = 'é'.repeat(50); // 100 bytes, 50 characters
    wire.write(ascii);
    expect(() => wire.write('x'.repeat(101))).toThrow(FrameTooLargeError);
    expect(() => wire.write('é'.repeat(51))).toThrow(FrameTooLargeError); // 102 bytes, 51 characters
    expect(() => wire.write('🎉'.repeat(26))).toThrow(FrameTooLargeError); // 104 bytes
    let caught: unknown;
    try {
      wire.write('z'.repeat(1000));
    } catch (err) {
      caught = err;
    }
    expect((caught as FrameTooLargeError).code).toBe('ERR_FRAME_TOO_LARGE');
    wire.write(wide);
    wire.end();
    expect(await peer.ended).toBe(`${ascii}\n${wide}\n`);
    await rec.closed;
    expect(rec.closes).toEqual([undefined]);
  });

  it('with the peer paused, holds lines back while the socket is full and delivers all once it resumes', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    raw.pause();
    const rec = recorder();
    wire.start(rec.sink);
    let calls = 0;
    let refused = 0;
    const write = wireSocket.write.bind(wireSocket) as (data: string) => boolean;
    (wireSocket as { write: (data: string) => boolean }).write = (data: string) => {
      calls++;
      const ok = write(data);
      if (!ok) refused++;
      return ok;
    };

    const TURNS = 20;
    const PER_TURN = 10_000;
    const TOTAL = TURNS * PER_TURN;
    const filler = 'x'.repeat(100);
    const lineOf = (i: number) => (String(i).padStart(8, '0') + filler).slice(0, 100);
    let n = 0;
    for (let t = 0; t < TURNS; t++) {
      for (let i = 0; i < PER_TURN; i++) wire.write(lineOf(n++));
      await turn();
      await turn();
    }
    // The first batch filled the socket: write() returned false, and later batches waited in
    // the wire instead of piling up in the socket.
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThan(TURNS);
    // At most about one batch sits in the socket's own buffer (a few batches at worst), not all 20 MB.
    expect(wireSocket.writableLength).toBeLessThanOrEqual(3 * PER_TURN * 101);
    expect(wireSocket.writableLength).toBeGreaterThan(0);

    // Resume the peer: count and check every line.
    let tail = '';
    let received = 0;
    let outOfOrder = -1;
    let allReceived!: () => void;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    raw.on('data', (chunk: Buffer) => {
      const parts = (tail + chunk.toString('latin1')).split('\n');
      tail = parts.pop()!;
      for (const part of parts) {
        if (outOfOrder < 0 && part !== lineOf(received)) outOfOrder = received;
        received++;
      }
      if (received >= TOTAL) allReceived();
    });
    const ended = once(raw, 'end');
    raw.resume();
    await done;
    expect(outOfOrder).toBe(-1);
    expect(received).toBe(TOTAL);
    expect(calls).toBeGreaterThan(1); // the drain path flushed the rest
    wire.end();
    await ended;
    expect(received).toBe(TOTAL); // exactly once: nothing more came
    expect(tail).toBe('');
    await rec.closed;
    expect(rec.closes).toEqual([undefined]);
  }, 60_000);
});

describe('SocketWire: maxQueued', () => {
  it('counts what is queued after the socket filled up, not the rest of a batch it could not take', async () => {
    const maxQueued = 1024 * 1024;
    const { wire, raw } = await socketPair({ maxQueued });
    raw.pause();
    const rec = recorder();
    wire.start(rec.sink);
    // One turn of data its writer bounded (as credit bounds the hub's): 3 MiB, over maxQueued.
    const big = 'd'.repeat(60_000);
    const BIG = 50;
    for (let i = 0; i < BIG; i++) wire.write(big);
    await turn();
    expect(wire.writable).toBe(false); // the socket took part of it and is full
    // A control line in a later turn, with the rest of that batch still waiting: no fault.
    wire.write('{"t":"ping","n":1}');
    await turn();
    expect(rec.faults).toEqual([]);
    // Lines queued since the socket filled are what counts: past maxQueued, ERR_SLOW_PEER.
    const line = 'p'.repeat(1000);
    for (let i = 0; i < maxQueued / (line.length + 64) + 1; i++) wire.write(line);
    // The fault comes soon after, not from inside the write that crossed the limit.
    expect(rec.faults).toEqual([]);
    await turn();
    expect(rec.faults.map((e) => (e as { code?: string }).code)).toEqual(['ERR_SLOW_PEER']);
    wire.end(true); // as Session.fail does: cut off once the socket is full
    await rec.closed;
  });
});

describe('SocketWire: ending and closing', () => {
  it('end() flushes the lines queued in the same turn before closing', async () => {
    const { wire, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    wire.write('a');
    wire.write('b');
    wire.write('c');
    wire.end();
    wire.write('after end: dropped'); // ignored, does not throw
    expect(await peer.ended).toBe('a\nb\nc\n');
    expect(await rec.closed).toBeUndefined();
    expect(rec.closes).toHaveLength(1);
  });

  it('end() while the socket is full flushes every queued line, then closes', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    raw.pause();
    const rec = recorder();
    wire.start(rec.sink);
    const writes = vi.spyOn(wireSocket, 'write');
    const ends = vi.spyOn(wireSocket, 'end');
    const lineOf = (i: number) => `${i}:` + 'q'.repeat(200);
    const TOTAL = 30_000;
    for (let i = 0; i < TOTAL / 2; i++) wire.write(lineOf(i));
    await turn(); // 3 MB queued: writes go out until the socket is full and write() returns false
    const written = writes.mock.results.length;
    expect(writes.mock.results.map((r) => r.value)).toEqual([...Array<boolean>(written - 1).fill(true), false]);
    expect(written).toBeLessThan(Math.ceil((TOTAL / 2) * 205 / WRITE_CHARS)); // the rest waits in the wire
    for (let i = TOTAL / 2; i < TOTAL; i++) wire.write(lineOf(i));
    wire.end();
    await turn();
    // Nothing more is written, nor the socket ended, until it drains.
    expect(writes).toHaveBeenCalledTimes(written);
    expect(ends).not.toHaveBeenCalled();
    expect(rec.closes).toEqual([]);
    const peer = readAll(raw);
    raw.resume();
    const text = await peer.ended;
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(TOTAL);
    expect(lines.every((l, i) => l === lineOf(i))).toBe(true);
    expect(await rec.closed).toBeUndefined();
    expect(rec.closes).toHaveLength(1);
  });

  it('calls closed exactly once, without error, when the peer closes', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    raw.end('bye\n');
    expect(await rec.closed).toBeUndefined();
    expect(rec.lines).toEqual(['bye']);
    if (!wireSocket.closed) await once(wireSocket, 'close');
    await turn();
    wire.end();
    wire.destroy();
    wire.write('ignored');
    expect(rec.closes).toEqual([undefined]);
  });

  it('calls closed exactly once with the error given to destroy(), dropping queued lines', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    const peer = readAll(raw);
    wire.write('never sent');
    const reason = new ConnectionLostError('going away');
    wire.destroy(reason);
    expect(rec.closes).toEqual([reason]); // at once
    wire.destroy(new Error('second'));
    wire.end();
    await once(raw, 'close');
    if (!wireSocket.closed) await once(wireSocket, 'close');
    await turn();
    expect(rec.closes).toEqual([reason]);
    expect(peer.text()).toBe('');
  });

  it('calls closed exactly once after end() followed by the socket closing', async () => {
    const { wire, wireSocket, raw } = await socketPair();
    const rec = recorder();
    wire.start(rec.sink);
    raw.resume();
    wire.end();
    wire.end();
    await once(wireSocket, 'close');
    await turn();
    expect(rec.closes).toEqual([undefined]);
  });
});
