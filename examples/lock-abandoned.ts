// What Python's Lock cannot do: a holder killed with SIGKILL does not wedge the lock.
//
// A child takes the lock and is killed while it holds it (in Python the next acquire() would
// hang forever). The hub sees the child's connection close and frees the lock; the parent's
// next hold says it was abandoned, and carries a larger fencing token.
import { isMain, spawn, start, type Lock } from 'hostbus';

export async function holder(l: Lock): Promise<void> {
  const hold = await l.acquire();
  console.log(`child holds the lock (token ${hold.token})`);
  process.send?.('holding');
  await new Promise(() => {}); // works on, until killed
}

if (isMain(import.meta.url)) {
  await using mp = await start();
  const lock = mp.lock('state');
  const child = spawn(import.meta.url, holder, [lock]);
  await new Promise((resolve) => child.child.once('message', resolve));
  child.kill('SIGKILL');
  await child.join().catch(() => console.log('child killed while holding the lock'));
  const hold = await lock.acquire({ timeout: 5_000 });
  console.log(`parent holds the lock (token ${hold.token}), abandoned: ${hold.abandoned}`);
  await hold.release();
}
