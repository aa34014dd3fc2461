/**
 * Requests on a channel, one mechanism for every kind: a `Requester` on the client, a `Responder`
 * in the hub's resource. Answers come back in order, many are in flight, and a request whose
 * channel or session dies rejects with a typed error. Over memory and a Unix socket.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Responder, type Reply } from '../../src/bus/responder.js';
import type { Kind } from '../../src/bus/kinds.js';
import type { Channel } from '../../src/bus/resources/resource.js';
import { Hub } from '../../src/bus/hub.js';
import type { Bus } from '../../src/channels/bus.js';
import { connect } from '../../src/channels/bus.js';
import { Requester } from '../../src/channels/requester.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { memoryHub } from '../../src/testing.js';
import { tempDir } from '../helpers.js';
import { rejection } from '../transports.js';
import { RawClient } from '../raw-client.js';

/** Answers kept back by `hold`, to be given later (out of order). */
const held: Reply[] = [];
const channels: Channel[] = [];

/** A kind answering `add` (the sum of its arguments), `fail` (ERR_INVALID_ARGUMENT), `hold` (answered later, by the test), `big`. */
const calc: Kind = {
  name: 'calc',
  create: (name) => ({
    kind: 'calc', name, idle: false, stats: () => ({}),
    attach(channel) {
      channels.push(channel);
      const responder = new Responder(channel, (op, args, reply) => {
        if (op === 'add') return reply.ok((args as number[]).reduce((a, b) => a + b, 0));
        if (op === 'fail') return reply.fail(new InvalidArgumentError('no such thing: ask for something else'));
        if (op === 'hold') return void held.push(reply);
        if (op === 'big') return reply.ok('x'.repeat(2_000_000));
        if (op === 'fill') return reply.ok('x'.repeat(args as number));
        if (op === 'boom') throw new Error('é\u0000'.repeat(1000));
        throw new InvalidArgumentError(`calc has no operation ${op}`);
      });
      channel.handler = { ...responder.handler, closed: () => {} };
      channel.opened();
      responder.start();
    },
  }),
};

const setups = {
  memory: async () => {
    const mh = memoryHub({ kinds: [calc] });
    return { hub: mh.hub, bus: async () => mh.connect(), after: async () => {} };
  },
  'unix socket': async () => {
    const tmp = await tempDir();
    const hub = await Hub.listen(tmp.sock('hub'), { kinds: [calc] });
    return { hub, bus: () => connect(tmp.sock('hub')), after: async () => { expect(await tmp.cleanup()).toEqual([]); } };
  },
};

describe.each(Object.keys(setups) as (keyof typeof setups)[])('requests over %s', (transport) => {
  let hub: Hub;
  let buses: Bus[];
  let after: () => Promise<void>;
  let open: () => Promise<Bus>;
  beforeEach(async () => {
    held.length = 0;
    channels.length = 0;
    const s = await setups[transport]();
    hub = s.hub;
    buses = [];
    after = s.after;
    open = async () => {
      const b = await s.bus();
      buses.push(b);
      return b;
    };
  });
  afterEach(async () => {
    for (const b of buses) b.destroy();
    await hub.close();
    await after();
  });

  async function requester(): Promise<Requester> {
    const bus = await open();
    const r = new Requester("calc 'c'");
    r.bind(bus.open('calc', 'c', 'use', undefined, r.handler));
    return r;
  }

  it('10,000 requests pipelined from one client resolve in order', async () => {
    const r = await requester();
    const order: number[] = [];
    const all = Array.from({ length: 10_000 }, (_, i) => r.request<number>('add', [i, 1]).then((v) => { order.push(v); return v; }));
    expect(r.inFlight).toBe(10_000);
    const values = await Promise.all(all);
    expect(values).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(order).toEqual(values);
  });

  it('answers given out of order go back in the order of the requests', async () => {
    const r = await requester();
    const first = r.request<string>('hold');
    const second = r.request<string>('hold');
    const third = r.request<number>('add', [2, 3]);
    const settled: string[] = [];
    for (const [name, p] of [['first', first], ['second', second], ['third', third]] as const) void p.then(() => settled.push(name));
    while (held.length < 2) await new Promise((resolve) => setImmediate(resolve));
    held[1]!.ok('b');
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual([]);
    held[0]!.ok('a');
    expect(await Promise.all([first, second, third])).toEqual(['a', 'b', 5]);
    expect(settled).toEqual(['first', 'second', 'third']);
  });

  it('an error answer rejects that request alone, with its class and code', async () => {
    const r = await requester();
    const bad = r.request('fail');
    const good = r.request<number>('add', [1]);
    expect(await rejection(bad)).toMatchObject({ name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT', message: 'no such thing: ask for something else' });
    expect(await good).toBe(1);
    expect(await rejection(r.request('nope'))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/no operation nope/) });
    expect(await rejection(r.request('big'))).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE' });
    expect(await r.request('add', [2])).toBe(2);
  });

  it('requests in flight when the channel fails reject with that error', async () => {
    const r = await requester();
    const waiting = [r.request('hold'), r.request('add', [1])];
    while (held.length < 1) await new Promise((resolve) => setImmediate(resolve));
    channels[0]!.fail(new InvalidArgumentError('the resource is gone'));
    for (const p of waiting) expect(await rejection(p)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'the resource is gone' });
    expect(await rejection(r.request('add', [1]))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('requests in flight when the session dies reject with ERR_CONNECTION_LOST', async () => {
    const r = await requester();
    const waiting = r.request('hold');
    while (held.length < 1) await new Promise((resolve) => setImmediate(resolve));
    await hub.close();
    expect(await rejection(waiting)).toMatchObject({ code: 'ERR_CONNECTION_LOST' });
  });
});

describe('requests at the edge of a frame', () => {
  const maxLine = 4096;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let hub: Hub;
  let bus: Bus;
  beforeEach(async () => {
    held.length = 0;
    tmp = await tempDir();
    hub = await Hub.listen(tmp.sock('hub'), { kinds: [calc], maxLine });
    bus = await connect(tmp.sock('hub'), { maxLine });
  });
  afterEach(async () => {
    bus.destroy();
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  });

  function requester(): Requester {
    const r = new Requester("calc 'c'");
    r.bind(bus.open('calc', 'c', 'use', undefined, r.handler));
    return r;
  }

  it('a request whose arguments and header do not fit one frame rejects alone; the connection and the order go on', async () => {
    // Used to throw out of the credit handler (failing the connection) or leave its entry behind (ERR_PROTOCOL after).
    const r = requester();
    const early = r.request('add', 'x'.repeat(maxLine - 40));
    expect(await rejection(early)).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE' });
    expect(await rejection(r.request('o'.repeat(65)))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await r.request('add', [1, 2])).toBe(3);
    expect(r.inFlight).toBe(0);
    expect(bus.closed).toBe(false);
  });

  it('an error answer whose message escapes to more than the line holds is cut to fit; the channel goes on', async () => {
    const r = requester();
    const err = await rejection(r.request('boom'));
    expect(err.code).toBe('ERR_REMOTE');
    expect(await r.request('add', [4])).toBe(4);
  });

  it('an answer that fits for a small id but not for the id a peer chose becomes ERR_FRAME_TOO_LARGE for that request alone', async () => {
    // A peer chose id 2^53 - 1: the answer's header no longer fit, and the answer threw into the resource.
    const raw = await RawClient.open(tmp.sock('hub'));
    try {
      raw.write('{"t":"hello","v":1,"role":"client"}\n{"t":"open","c":1,"k":"calc","n":"c","r":"use"}\n{"t":"credit","c":1,"n":10}\n');
      await raw.line((f) => f.t === 'credit');
      raw.write(`{"c":1,"h":{"id":9007199254740991,"op":"fill"},"d":${maxLine - 32 - 2 - 10}}\n{"c":1,"h":{"id":9007199254740992,"op":"add"},"d":[1]}\n`);
      expect(await raw.line((f) => (f.h as { re?: number } | undefined)?.re === 9007199254740991)).toMatchObject({ h: { e: { code: 'ERR_FRAME_TOO_LARGE' } } });
      expect(await raw.line((f) => f.t === 'error')).toMatchObject({ c: 1, e: { code: 'ERR_PROTOCOL' } }); // 2^53 is no safe id
      expect(await requester().request('add', [5])).toBe(5);
    } finally {
      raw.socket.destroy();
    }
  });
});
