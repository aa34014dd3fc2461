import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { recvNdjson, sendNdjson } from '../../src/channels/streams.js';
import { memoryHub } from '../../src/testing.js';

const collect = async (stream: NodeJS.ReadableStream): Promise<string> => {
  let out = '';
  for await (const chunk of stream) out += chunk;
  return out;
};

describe('Node streams', () => {
  it('NDJSON in from a byte stream, through a queue, and out as NDJSON', async () => {
    const { connect } = memoryHub();
    const bus = connect();
    const queue = bus.queue<unknown>('lines');
    // null, 0 and false are values like any other (the `ndjson` package's parser ends its stream at
    // a null line); the last line has no newline.
    const input = Readable.from(['{"a":1}\n{"b":', '[2,3]}\r\n', '"text"\nnull\n0\nfal', 'se\n\n7']);
    await sendNdjson(input, queue);
    const output = new PassThrough();
    const text = collect(output);
    await recvNdjson(queue, output);
    output.end();
    expect(await text).toBe('{"a":1}\n{"b":[2,3]}\n"text"\nnull\n0\nfalse\n7\n');
    await bus.close();
  });

  it('a line that is not JSON rejects', async () => {
    const { connect } = memoryHub();
    const bus = connect();
    await expect(sendNdjson(Readable.from(['{"ok":1}\n', 'not json\n']), bus.queue('bad'))).rejects.toMatchObject({ code: 'ERR_PROTOCOL' });
    bus.destroy();
  });

  it('pipeline into writable() waits for credit instead of buffering without bound', async () => {
    const { connect, hub } = memoryHub();
    const bus = connect();
    const queue = bus.queue<number>('slow', { maxsize: 10 });
    const n = 5_000;
    let maxHeld = 0;
    const done = pipeline(Readable.from(Array.from({ length: n }, (_, i) => i)), queue.writable());
    const got: number[] = [];
    for await (const x of queue) {
      const s = hub.stats().resources.find((r) => r.name === 'slow');
      if (s) maxHeld = Math.max(maxHeld, (s.queued as number) + (s.inflight as number));
      got.push(x);
    }
    await done;
    expect(got).toEqual([...Array(n).keys()]);
    expect(maxHeld).toBeLessThanOrEqual(10);
    await bus.close();
  });
});
