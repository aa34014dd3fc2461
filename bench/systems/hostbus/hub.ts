// The hub process of the hostbus runners: a Hub listening on a socket path, nothing else.
import { Hub } from 'hostbus';
import { cpuSeconds, hear, orphanGuard, peakRssKiB, rssKiB, tell } from './proc.js';

/** Listens on `address`, says ready (with its idle RSS); on 'stop', reports its peak RSS and CPU time, and closes. */
export async function hubMain(address: string): Promise<void> {
  orphanGuard();
  const stop = hear('stop');
  const hub = await Hub.listen(address);
  await tell({ bench: 'ready', idleRssKiB: rssKiB() });
  await stop;
  const stats = { peakRssKiB: peakRssKiB(), cpuSeconds: cpuSeconds() };
  await hub.close();
  await tell({ bench: 'stats', ...stats });
}
