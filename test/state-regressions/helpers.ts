// Helpers of the regression tests of the shared state kinds (test/state-regressions/).
import { Hub, type HubOptions } from '../../src/bus/hub.js';
import { connect, type Bus, type BusOptions } from '../../src/channels/bus.js';
import { perTestSockets } from '../helpers.js';
import { RawClient } from '../raw-client.js';

export const HELLO = '{"t":"hello","v":1,"role":"client"}\n';

/** A hub on a fresh socket per test, raw clients and buses on it, all cleaned up after the test. */
export function stateBed() {
  const tmp = perTestSockets();
  let hub: Hub;
  return {
    get hub(): Hub {
      return hub;
    },
    async listen(options: HubOptions = {}): Promise<Hub> {
      hub = await Hub.listen(tmp.sock('hub'), options);
      tmp.defer(() => hub.close());
      return hub;
    },
    async bus(options: BusOptions = {}): Promise<Bus> {
      const b = await connect(tmp.sock('hub'), options);
      tmp.defer(() => b.destroy());
      return b;
    },
    /** A raw client after its hello. */
    async raw(paused = false): Promise<RawClient> {
      const c = await RawClient.open(tmp.sock('hub'), paused);
      tmp.defer(() => c.socket.destroy());
      c.write(HELLO);
      return c;
    },
    /** A raw client with channel `open.c` opened (`opened` or `error` received), granting `credit`. */
    async open(open: Record<string, unknown>, credit = 1024): Promise<{ client: RawClient; reply: Record<string, unknown> }> {
      const client = await this.raw();
      client.write(JSON.stringify({ t: 'open', ...open }) + '\n');
      if (credit > 0) client.write(JSON.stringify({ t: 'credit', c: open.c, n: credit }) + '\n');
      const reply = await client.line((f) => (f.t === 'opened' || f.t === 'error') && f.c === open.c);
      return { client, reply };
    },
  };
}

/** A request frame on channel `c`. */
export function req(c: number, id: number, op: string, d: unknown = null): string {
  return JSON.stringify({ c, h: { id, op }, d }) + '\n';
}

/** A request frame whose payload is the JSON text `d`, written as it is (for values too deep to encode). */
export function reqText(c: number, id: number, op: string, d: string): string {
  return `{"c":${c},"h":{"id":${id},"op":"${op}"},"d":${d}}\n`;
}

/** The answer to request `re` on channel `c`: `{ d, e }`, `e` the error when it failed. */
export async function answer(client: RawClient, c: number, re: number): Promise<{ d: unknown; e?: { name: string; code: string; message: string } }> {
  const f = await client.line((f) => f.c === c && (f.h as { re?: number } | undefined)?.re === re);
  const h = f.h as { e?: { name: string; code: string; message: string } };
  return { d: f.d, ...(h.e ? { e: h.e } : {}) };
}

/** Sends request `op` and waits for its answer. */
export async function ask(client: RawClient, c: number, id: number, op: string, d: unknown = null) {
  client.write(req(c, id, op, d));
  return answer(client, c, id);
}

/** The stats of resource `kind`/`name` on `hub`. */
export function stats(hub: Hub, kind: string, name: string): Record<string, unknown> | undefined {
  return hub.stats().resources.find((r) => r.kind === kind && r.name === name);
}

/** JSON text of a list nested `depth` deep around `inner`. */
export function nested(depth: number, inner = '0'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/** Polls `condition` every few ms for up to `ms`. */
export async function eventually(condition: () => boolean, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
  return true;
}
