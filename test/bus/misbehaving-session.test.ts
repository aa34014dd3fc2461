/**
 * A client that breaks the protocol, over a real Unix socket: the hub answers with one
 * session-level `error` frame carrying the right code, closes that connection, and every other
 * session (a well-behaved Bus connected before the bad one) goes on working.
 *
 * The bad client is a raw `net.Socket` that writes bytes; the hub's answer is read line by line.
 * Everything is awaited on events (lines, `close`, acks, deliveries): no sleeps, no retries.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplaySubject, filter, firstValueFrom, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from '../raw-client.js';
import { Hub } from '../../src/bus/hub.js';
import { connect, type Bus } from '../../src/channels/bus.js';
import type { Queue } from '../../src/channels/queue.js';

const MAX_LINE = 4096;

type Parsed = Record<string, unknown> & { t?: string };

let dir: string;
let sockPath: string;
let hub: Hub | undefined;
let cleanups: (() => unknown)[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostbus-misbehave-'));
  sockPath = join(dir, 'hub.sock');
  cleanups = [];
  hub = undefined;
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  if (hub) await hub.close();
  const leftover = existsSync(sockPath);
  await rm(dir, { recursive: true, force: true });
  expect(leftover, 'the socket file is removed by hub.close()').toBe(false);
});

/** A hub with maxLine 4096 and a well-behaved client with a live consumer on queue `q`. */
async function setup(): Promise<{ hub: Hub; good: Good }> {
  hub = await Hub.listen(sockPath, { maxLine: MAX_LINE });
  const bus = await connect(sockPath);
  const queue = bus.queue<string>('q');
  const received = new ReplaySubject<string>();
  let consumerError: unknown;
  const sub = queue.recv().subscribe({
    next: (v) => received.next(v),
    error: (err) => { consumerError = err; },
  });
  const good: Good = {
    bus, queue, received, sub,
    get error() { return consumerError; },
    async roundTrip(value: string) {
      // Resolves once the hub has the item (it acked it) ...
      await queue.send(value);
      // ... and once the consumer, on its own channel of the same connection, got it.
      return firstValueFrom(received.pipe(filter((v) => v === value)));
    },
  };
  cleanups.push(async () => {
    sub.unsubscribe();
    await bus.close();
  });
  // A full round trip: the hub has accepted this session and serves its channels.
  expect(await good.roundTrip('before')).toBe('before');
  expect(hub.stats().sessions).toBe(1);
  return { hub, good };
}

interface Good {
  bus: Bus;
  queue: Queue<string>;
  received: ReplaySubject<string>;
  sub: Subscription;
  readonly error: unknown;
  roundTrip(value: string): Promise<string>;
}

/** Connects a raw client and reads the hub's hello (so the hub has made its session). */
async function rawClient(hubNow: Hub, sessions = 2): Promise<RawClient> {
  const raw = await RawClient.open(sockPath);
  cleanups.push(() => raw.socket.destroy());
  const hello = JSON.parse(await raw.next()) as Parsed;
  expect(hello).toEqual({ t: 'hello', v: 1, role: 'hub', max: MAX_LINE, checked: true });
  expect(hubNow.stats().sessions).toBe(sessions);
  return raw;
}

const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

/** Reads frames until a credit frame for `channel`, checking that none of them is an error. */
async function untilCredit(raw: RawClient, channel: number): Promise<number> {
  for (;;) {
    const f = JSON.parse(await raw.next()) as Parsed;
    expect(f.t).not.toBe('error');
    if (f.t === 'credit' && f.c === channel) return f.n as number;
  }
}

interface Case {
  name: string;
  /** Send a valid hello first (default true). */
  hello?: boolean;
  /** Frames that are fine, sent (and answered) before the bad bytes. */
  before?: (raw: RawClient) => Promise<void>;
  bad: string | Buffer;
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'garbage bytes',
    bad: Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from(' garbage\n')]),
    code: 'ERR_PROTOCOL',
    message: /invalid JSON/,
  },
  {
    name: 'a line that is not valid JSON',
    bad: '{"t":"open","c":1,"k":\n',
    code: 'ERR_PROTOCOL',
    message: /invalid JSON/,
  },
  {
    name: 'a JSON line that is not an object',
    bad: '[1,2,3]\n',
    code: 'ERR_PROTOCOL',
    message: /must be a JSON object/,
  },
  {
    name: 'a line over maxLine, with no newline ever',
    // 10 KiB and no newline: the hub must answer before any newline comes.
    bad: '{"c":1,"d":"' + 'x'.repeat(10 * 1024),
    code: 'ERR_FRAME_TOO_LARGE',
    message: /maxLine/,
  },
  {
    name: 'an unknown frame type',
    bad: '{"t":"bogus"}\n',
    code: 'ERR_PROTOCOL',
    message: /unknown frame type "bogus"/,
  },
  {
    name: 'a first frame that is not hello',
    hello: false,
    bad: '{"t":"open","c":1,"k":"queue","n":"x","r":"get"}\n',
    code: 'ERR_PROTOCOL',
    message: /first frame must be hello/,
  },
  {
    name: 'a second hello',
    bad: HELLO,
    code: 'ERR_PROTOCOL',
    message: /hello sent twice/,
  },
  {
    name: 'a wrong protocol version',
    hello: false,
    bad: '{"t":"hello","v":99,"role":"client"}\n',
    code: 'ERR_VERSION',
    message: /version 99/,
  },
  {
    name: 'a data frame for an unknown channel',
    bad: '{"c":7,"d":1}\n',
    code: 'ERR_PROTOCOL',
    message: /unknown channel 7/,
  },
  {
    name: 'a data frame for an unknown channel (slow path, spaces)',
    bad: '{ "c": 7, "d": [1] }\n',
    code: 'ERR_PROTOCOL',
    message: /unknown channel 7/,
  },
  {
    name: 'a credit overrun',
    before: async (raw) => {
      raw.write('{"t":"open","c":1,"k":"queue","n":"overrun","r":"put","o":{"maxsize":2}}\n');
      const n = await untilCredit(raw, 1);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(2);
    },
    bad: [1, 2, 3, 4, 5].map((i) => `{"c":1,"d":${i}}\n`).join(''),
    code: 'ERR_CREDIT_OVERRUN',
    message: /beyond the credit granted/,
  },
  {
    name: 'invalid JSON inside a data payload from a peer that does not vouch for its payloads',
    before: async (raw) => {
      raw.write('{"t":"open","c":1,"k":"queue","n":"jobs","r":"put"}\n');
      expect(await untilCredit(raw, 1)).toBeGreaterThanOrEqual(1);
    },
    bad: '{"c":1,"d":nonsense}\n',
    code: 'ERR_PROTOCOL',
    message: /invalid JSON in frame/,
  },
  {
    name: 'a payload that would smuggle a key into the relayed frame',
    before: async (raw) => {
      raw.write('{"t":"open","c":1,"k":"queue","n":"jobs","r":"put"}\n');
      expect(await untilCredit(raw, 1)).toBeGreaterThanOrEqual(1);
    },
    bad: '{"c":1,"d":1},"t":"end"}\n',
    code: 'ERR_PROTOCOL',
    message: /invalid JSON in frame/,
  },
];

describe('a misbehaving session on a real Unix socket', () => {
  it.each(cases)('$name → $code, the connection closes, other sessions are unharmed', async (c) => {
    const { hub, good } = await setup();
    const raw = await rawClient(hub);
    if (c.hello !== false) raw.write(HELLO);
    await c.before?.(raw);

    raw.write(c.bad);

    // Frames sent before the error (acks of a producer...) are fine; the error must come, with
    // no channel id, as {"t":"error","e":{name,message,code}}.
    let line: string;
    for (;;) {
      line = await raw.next();
      const f = JSON.parse(line) as Parsed;
      if (f.t === 'error') break;
      expect(['ack', 'credit', 'opened']).toContain(f.t);
    }
    expect(line).toMatch(new RegExp(`^\\{"t":"error","e":\\{"name":"\\w+","message":".*","code":"${c.code}"\\}\\}$`));
    const err = (JSON.parse(line) as { e: { name: string; message: string; code: string } }).e;
    expect(err.code).toBe(c.code);
    expect(err.message).toMatch(c.message);

    // Then the hub closes the connection: nothing follows the error.
    await raw.closed;
    expect(raw.unread).toEqual([]);
    expect(raw.partial).toBe('');
    expect(hub.stats().sessions).toBe(1);

    // The well-behaved client was not touched: its live consumer still gets what its producer
    // sends, through the hub, and new channels open fine.
    expect(await good.roundTrip('after')).toBe('after');
    expect(good.error).toBeUndefined();
    const other = good.bus.queue<number>('fresh');
    await other.send(42);
    expect(await other.get()).toBe(42);
    expect(hub.stats().sessions).toBe(1);
  });

  it('a peer that vouches for its payloads and lies: the hub routes the bad one untouched, the consumer drops it with ERR_PROTOCOL, and it is never redelivered', async () => {
    hub = await Hub.listen(sockPath, { maxLine: MAX_LINE });
    const bus = await connect(sockPath);
    cleanups.push(() => bus.close());
    const queue = bus.queue<string>('jobs');
    const raw = await rawClient(hub);
    raw.write('{"t":"hello","v":1,"role":"client","checked":true}\n');
    raw.write('{"t":"open","c":1,"k":"queue","n":"jobs","r":"put"}\n');
    expect(await untilCredit(raw, 1)).toBeGreaterThanOrEqual(2);
    raw.write('{"c":1,"d":nonsense}\n{"c":1,"d":"after"}\n');

    const err = await firstValueFrom(queue.recv()).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PROTOCOL', message: expect.stringMatching(/queue 'jobs' is not valid JSON \("nonsense"\): it was dropped, not redelivered/) });
    // The consumer that failed gave back what it had not processed, at the front of the queue;
    // the bad item, acknowledged, is not among it.
    expect(await firstValueFrom(queue.recv())).toBe('after');
    // The sender is not cut off: the hub does not look inside the payloads of a peer that vouches.
    expect(raw.lines.map((l) => JSON.parse(l) as Parsed).filter((f) => f.t === 'error')).toEqual([]);
  });

  it('a bad session among several: only it is closed', async () => {
    const { hub, good } = await setup();
    const peaceful = await rawClient(hub);
    peaceful.write(HELLO);
    const bad = await rawClient(hub, 3);
    bad.write(HELLO);
    expect(hub.stats().sessions).toBe(3);

    bad.write('{"t":"bogus"}\n');
    expect(JSON.parse(await bad.next())).toMatchObject({ t: 'error', e: { code: 'ERR_PROTOCOL' } });
    await bad.closed;
    expect(hub.stats().sessions).toBe(2);

    // The other raw session still speaks: ping → pong.
    peaceful.write('{"t":"ping","n":7}\n');
    expect(JSON.parse(await peaceful.next())).toEqual({ t: 'pong', n: 7 });
    expect(await good.roundTrip('still')).toBe('still');
    expect(good.error).toBeUndefined();
    expect(hub.stats().sessions).toBe(2);
  });

  it('a refused open is a channel-level error: the session stays open', async () => {
    const { hub, good } = await setup();
    const raw = await rawClient(hub);
    raw.write(HELLO);
    raw.write('{"t":"open","c":1,"k":"nope","n":"x","r":"put"}\n');
    expect(JSON.parse(await raw.next())).toMatchObject({ t: 'error', c: 1, e: { code: 'ERR_INVALID_ARGUMENT' } });
    raw.write('{"t":"ping","n":1}\n');
    expect(JSON.parse(await raw.next())).toEqual({ t: 'pong', n: 1 });
    expect(hub.stats().sessions).toBe(2);
    expect(await good.roundTrip('after')).toBe('after');
  });

  // A refused open must not leave behind a resource made from its options (later opens with other
  // options would be refused with ERR_OPTIONS_MISMATCH).
  it('a refused open (bad role) leaves no queue behind with its options', async () => {
    const { hub, good } = await setup();
    const raw = await rawClient(hub);
    raw.write(HELLO);
    raw.write('{"t":"open","c":1,"k":"queue","n":"x","r":"bogus","o":{"maxsize":5}}\n');
    expect(JSON.parse(await raw.next())).toMatchObject({ t: 'error', c: 1, e: { code: 'ERR_INVALID_ARGUMENT' } });

    // Fails here today: OptionsMismatchError "queue 'x' exists with maxsize=5, not 10".
    const x = good.bus.queue<number>('x', { maxsize: 10 });
    await x.send(1);
    await x.flush();
    expect(hub.stats().resources.find((r) => r.name === 'x')).toMatchObject({ maxsize: 10, queued: 1 });
  });
});
