/**
 * The authkeys of this process's connections, by the address a handle's descriptor names, so
 * that `spawn()` can give a child the key of the hub its handles are on, through the child's
 * environment, never its command line or its arguments.
 */
const byAddress = new Map<string, Buffer>();

/** Notes that connections to `address` use `key`. */
export function rememberAuthkey(address: string, key: Buffer): void {
  byAddress.set(address, key);
}

/** The key of the connections to `address`, if any used one. */
export function authkeyOf(address: string): Buffer | undefined {
  return byAddress.get(address);
}

/** The variable by which `spawn()` gives a child the keys of its handles' hubs: JSON, address to key in hex. */
export const CHILD_AUTHKEYS = 'HOSTBUS_CHILD_AUTHKEYS';

/** The key `spawn()` gave this process for the hub at `address`, if any (from {@link CHILD_AUTHKEYS}). */
export function childAuthkey(address: string, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const text = env[CHILD_AUTHKEYS];
  if (!text) return undefined;
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    return undefined;
  }
  const hex = typeof keys === 'object' && keys !== null ? (keys as Record<string, unknown>)[address] : undefined;
  return typeof hex === 'string' && /^(?:[0-9a-f]{2})+$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}
