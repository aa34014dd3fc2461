/**
 * Defect: a hub at maxConnections or maxPendingConnections (or dropping a slow handshake at
 * helloTimeoutMs) sends its challenge, then a session `error` ERR_LIMIT. A client with the right
 * key answers the challenge and then takes the `error` frame as the hub's (wrong) proof:
 * clientAuth (src/bus/auth.ts, authFrame(line, MISMATCH)) rejects connect() with AuthError
 * "the authkey did not match", telling the user to fix a key that is right, instead of the
 * hub's LimitError "try again shortly" / "raise maxConnections".
 */
import { afterEach, expect, it } from 'vitest';
import type { Hub } from '../../src/bus/hub.js';
import { connect, type Bus } from '../../src/channels/bus.js';
import { LimitError } from '../../src/errors.js';
import type { RawClient } from '../raw-client.js';
import { KEY, raw, tcpHub } from './helpers.js';

let hub: Hub | undefined;
const buses: Bus[] = [];
const raws: RawClient[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await hub?.close();
  hub = undefined;
});

async function failure(p: Promise<Bus>): Promise<Error> {
  try {
    buses.push(await p);
  } catch (err) {
    return err as Error;
  }
  throw new Error('connect() resolved');
}

it('a client with the right key at maxConnections gets LimitError, not "the authkey did not match"', async () => {
  const t = await tcpHub({ maxConnections: 1 });
  hub = t.hub;
  buses.push(await connect(t.url, { authkey: KEY }));
  const err = await failure(connect(t.url, { authkey: KEY }));
  expect(err.message).not.toMatch(/did not match/);
  expect(err).toBeInstanceOf(LimitError);
});

it('a client with the right key at maxPendingConnections gets LimitError, not "the authkey did not match"', async () => {
  const t = await tcpHub({ maxPendingConnections: 1 });
  hub = t.hub;
  const squatter = await raw(t.port);
  raws.push(squatter);
  await squatter.next(); // it holds the one pending slot
  const err = await failure(connect(t.url, { authkey: KEY }));
  expect(err.message).not.toMatch(/did not match/);
  expect(err).toBeInstanceOf(LimitError);
});
