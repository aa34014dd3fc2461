import { resolveAddress, type Address } from '../transport/address.js';
import { connectSocket } from '../transport/connect.js';
import { SocketWire, type SocketWireOptions } from '../transport/socket-wire.js';
import type { Wire } from '../transport/wire.js';

/**
 * A new connection to the hub at `address`, as a wire: what a bus calls to get its connection,
 * and can call again for another. Rejects as `connectSocket` does (ERR_NO_HUB, ERR_HUB_BUSY...).
 */
export async function dialHub(address: string | Address, options: SocketWireOptions = {}): Promise<Wire> {
  return new SocketWire(await connectSocket(resolveAddress(address)), options);
}
