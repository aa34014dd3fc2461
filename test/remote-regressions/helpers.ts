// Shared helpers of the remote regression tests (test/remote-regressions/*.test.ts).
import { Hub, type HubOptions } from '../../src/bus/hub.js';
import { RawClient } from '../raw-client.js';

export const KEY = 'abracadabra';

/** A hub on tcp://127.0.0.1:0 with KEY (unless options say otherwise). */
export async function tcpHub(options: HubOptions = {}): Promise<{ hub: Hub; url: string; port: number }> {
  const hub = await Hub.listen('tcp://127.0.0.1:0', { authkey: KEY, ...options });
  const a = hub.address!;
  if (a.kind !== 'tcp') throw new Error('not tcp');
  return { hub, url: `tcp://127.0.0.1:${a.port}`, port: a.port };
}

export function raw(port: number): Promise<RawClient> {
  return RawClient.open({ host: '127.0.0.1', port });
}

/** The session `error` the hub sent `r` (waits for it), as {code, message}. */
export async function sessionError(r: RawClient): Promise<{ code: string; message: string }> {
  const f = await r.line((x) => x.t === 'error' && x.c === undefined);
  return f.e as { code: string; message: string };
}

/** The settled outcome of `p` within `ms`: 'pending' if it had not settled by then. */
export async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
