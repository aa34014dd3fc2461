// The hub process of the hostbus runners: a Hub listening on a socket path (or, for the tcp://
// scenarios of issue 15, on tcp://127.0.0.1:0 behind an authkey), nothing else.
import { formatAddress, Hub } from 'hostbus';
import { cpuSeconds, hear, orphanGuard, peakRssKiB, rssKiB, tell } from './proc.js';

/**
 * Listens on `address` (with `options.authkey`, if given), says ready (with its idle RSS and the
 * address it listens at: the port it got, on tcp://); on 'stop', reports its peak RSS, CPU time
 * and the connections it refused for want of the key, and closes.
 */
export async function hubMain(address: string, options: { authkey?: string } = {}): Promise<void> {
  orphanGuard();
  const stop = hear('stop');
  const hub = await Hub.listen(address, options.authkey === undefined ? {} : { authkey: options.authkey });
  const at = hub.address;
  if (!at) throw new Error(`the hub at ${address} has no address once listening`);
  await tell({ bench: 'ready', idleRssKiB: rssKiB(), address: formatAddress(at) });
  await stop;
  const stats = { peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds(), authFailures: hub.stats().authFailures };
  await hub.close();
  await tell({ bench: 'stats', ...stats });
}
