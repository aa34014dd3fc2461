import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { LineDecoder } from '../transport/line-decoder.js';
import { decodeValue, encodeValue } from './json.js';
import type { Sender } from './sender.js';

/**
 * A Writable (object mode) onto a sender: each `write` calls back once the value is queued within
 * the sender's bound, so `pipeline()` slows the source to the pace of the bus; ending the stream
 * ends the channel and finishes once everything was acknowledged. Node object streams cannot
 * carry `null` (they fail with ERR_STREAM_NULL_VALUES): send `null` with `send()`/`sendAll()`.
 * @internal
 */
export function writableOf(sender: Sender, end: () => Promise<void>): Writable {
  return new Writable({
    objectMode: true,
    highWaterMark: 64,
    write(value: unknown, _encoding, callback) {
      sender.pushWhenRoom(value).then(() => callback(), callback);
    },
    final(callback) {
      end().then(() => callback(), callback);
    },
  });
}

/** A Readable (object mode) pulling one value at a time from a channel (no `null` values, as above). */
export function readableOf<T>(source: AsyncIterable<T>): Readable {
  return Readable.from(source, { objectMode: true });
}

const LINE_HINT = 'each line of the input must be one JSON value';

/**
 * Reads NDJSON bytes from `input` (such as `process.stdin`) and sends each value, `null`
 * included, into `target` (a queue or a pipe end), then ends it. Lines go through the same
 * decoder and size limit as the socket path (default 1 MiB). Resolves once every value was
 * acknowledged; rejects on a line that is not JSON or is too long.
 */
export async function sendNdjson(
  input: AsyncIterable<Uint8Array | string>,
  target: { sendAll(values: AsyncIterable<unknown>): Promise<void>; end(): Promise<void> },
  options: { maxLine?: number } = {},
): Promise<void> {
  async function* values(): AsyncGenerator<unknown> {
    let lines: string[] = [];
    const decoder = new LineDecoder((line) => lines.push(line), options.maxLine);
    for await (const chunk of input) {
      decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      const batch = lines;
      lines = [];
      for (const line of batch) yield decodeValue(line, 'a line of the NDJSON input', LINE_HINT);
    }
    decoder.push(Buffer.from('\n')); // a last line without its newline
    for (const line of lines) yield decodeValue(line, 'a line of the NDJSON input', LINE_HINT);
  }
  await target.sendAll(values());
  await target.end();
}

/**
 * Writes every value of `source` (a queue, a pipe end, any async iterable) to `output` as NDJSON,
 * one line each, waiting for `drain` whenever `output.write` returns false. Resolves at the end
 * of `source`; does not end `output`.
 */
export async function recvNdjson(source: AsyncIterable<unknown>, output: NodeJS.WritableStream): Promise<void> {
  for await (const value of source) {
    if (!output.write(encodeValue(value) + '\n')) await once(output as unknown as Writable, 'drain');
  }
}
