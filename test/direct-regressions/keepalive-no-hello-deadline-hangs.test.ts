/**
 * Keepalive now starts only once the handshake is done (Session.shake), on the premise that the
 * handshake has a deadline of its own. The client's session has one only when
 * `options.helloTimeoutMs !== undefined` (Bus.sessionOn), and connect() puts its default first:
 * `{ helloTimeoutMs: CONNECT_HELLO_TIMEOUT_MS, ...options }`, so `{ helloTimeoutMs: undefined }`
 * (a caller passing its own optional setting through; BusOptions allows it) removes the deadline.
 * Before, such a client's keepalive still dropped a peer that never spoke after three silent
 * intervals; now connect() to a tcp:// address that accepts and never answers waits forever.
 * Fixed: connect() takes an undefined helloTimeoutMs as not given (the default 5 s applies).
 */
import { expect, it } from 'vitest';
import { connect } from '../../src/channels/bus.js';
import { silentServer, within } from './helpers.js';

it('connect() with keepalive and helloTimeoutMs: undefined still gives up on a hub that never speaks', async () => {
  const silent = await silentServer();
  const attempt = connect(silent.address, { keepaliveMs: 20, helloTimeoutMs: undefined });
  attempt.then((bus) => bus.close(), () => undefined);
  try {
    await silent.accepted();
    // The default deadline (5 s) applies: `undefined` is "not given".
    const outcome = await within(attempt, 10_000);
    expect(outcome, 'connect() to a tcp:// address that never answers').not.toBe('pending');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_TIMEOUT' } });
  } finally {
    await silent.close(); // ends the attempt, if it still waits
    await attempt.catch(() => undefined);
  }
});
