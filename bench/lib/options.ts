// The three NDJSON framing options: how each one's producer writes and its consumer reads.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ndjson from 'ndjson';
import { LineDecoder } from '../../src/transport/line-decoder.js';
import { SocketWire } from '../../src/transport/socket-wire.js';
import { message, type Msg, type Tally } from './message.js';

export const OPTIONS = ['ndjson-package', 'line-per-write', 'hostbus-wire'] as const;
export type Option = (typeof OPTIONS)[number];

export interface Framing {
  /** Writes messages 0..n-1 to `socket` and ends it; resolves once everything is written. */
  produce(socket: Socket, n: number): Promise<void>;
  /**
   * Starts decoding `socket` into `tally` synchronously (so that the caller can then hook the
   * socket's first 'data' event); resolves when the stream has ended.
   */
  consume(socket: Socket, tally: Tally): Promise<void>;
}

/** hostbus-wire producer: lines handed to the wire per scheduler turn. */
const WIRE_BATCH = 1000;
/**
 * hostbus-wire producer bound, 1 MiB: before each batch it stops producing while more than this
 * is written but not yet handed to the kernel, and resumes on 'drain'. That counts the socket's
 * writableLength and also the lines still queued inside the SocketWire (which holds them while
 * the socket is blocked, where writableLength does not see them). Checked per batch, so it can
 * overshoot by one batch (~60 KB).
 */
export const WIRE_BOUND_BYTES = 1024 * 1024;

function* messages(n: number): Generator<Msg> {
  for (let i = 0; i < n; i++) yield message(i);
}

function ended(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve());
    stream.once('error', reject);
  });
}

export const FRAMINGS: Record<Option, Framing> = {
  'ndjson-package': {
    async produce(socket, n) {
      await pipeline(Readable.from(messages(n)), ndjson.stringify(), socket);
    },
    consume(socket, tally) {
      const parser = socket.pipe(ndjson.parse());
      parser.on('data', (msg: Msg) => tally.seen(msg));
      socket.once('error', (err) => parser.destroy(err));
      return ended(parser);
    },
  },

  'line-per-write': {
    async produce(socket, n) {
      for (let i = 0; i < n; i++) {
        if (!socket.write(JSON.stringify(message(i)) + '\n')) await once(socket, 'drain');
      }
      socket.end();
    },
    consume(socket, tally) {
      const decoder = new LineDecoder((line) => tally.seen(JSON.parse(line) as Msg));
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      return ended(socket).then(() => {
        if (decoder.buffered > 0) throw new Error(`${decoder.buffered} bytes of an unfinished line at the end`);
      });
    },
  },

  'hostbus-wire': {
    async produce(socket, n) {
      const wire = new SocketWire(socket);
      // Started so that the wire reads the consumer's end of the stream and closes.
      const closed = new Promise<void>((resolve, reject) =>
        wire.start({ line: () => undefined, fault: reject, closed: (err) => (err ? reject(err) : resolve()) }),
      );
      closed.catch(() => undefined); // awaited below; a socket error also rejects the 'drain' wait
      let handed = 0; // bytes given to wire.write, newlines included (the messages are ASCII)
      // socket.bytesWritten counts what was passed to socket.write, its own buffer included.
      const unsent = () => handed - socket.bytesWritten + socket.writableLength;
      for (let i = 0; i < n; ) {
        while (unsent() > WIRE_BOUND_BYTES) await once(socket, 'drain');
        for (const stop = Math.min(n, i + WIRE_BATCH); i < stop; i++) {
          const line = JSON.stringify(message(i));
          handed += line.length + 1;
          wire.write(line);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      wire.end();
      await closed;
    },
    consume(socket, tally) {
      const wire = new SocketWire(socket);
      return new Promise((resolve, reject) =>
        wire.start({
          line: (line) => tally.seen(JSON.parse(line) as Msg),
          fault: reject,
          closed: (err) => (err ? reject(err) : resolve()),
        }),
      );
    },
  },
};
