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
