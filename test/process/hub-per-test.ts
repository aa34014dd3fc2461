// For suites about processes: a hub on a socket in a fresh folder, and a bus connected to it, per test.
import { afterEach, beforeEach, expect } from 'vitest';
import { connect, Hub, type Bus } from 'hostbus';
import { tempDir } from '../helpers.js';

/**
 * Registers, in the calling suite, a hub listening in a fresh temporary folder and a bus
 * connected to it, made before each test; after it both are closed, and no socket file may be left.
 */
export function hubPerTest(): { readonly hub: Hub; readonly bus: Bus; readonly tmp: Awaited<ReturnType<typeof tempDir>> } {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let hub: Hub;
  let bus: Bus;
  beforeEach(async () => {
    tmp = await tempDir();
    hub = await Hub.listen(tmp.sock('hub'));
    bus = await connect(hub.address!);
  });
  afterEach(async () => {
    await bus.close();
    await hub.close();
    expect(await tmp.cleanup()).toEqual([]);
  });
  return {
    get hub() { return hub; },
    get bus() { return bus; },
    get tmp() { return tmp; },
  };
}
