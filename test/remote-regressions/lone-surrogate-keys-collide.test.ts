/**
 * Defect (minor): authkeyBytes (src/bus/auth.ts) turns a string key into UTF-8 with
 * Buffer.from(key, 'utf8'), which maps every lone surrogate to the same U+FFFD bytes: two
 * different string keys ('k\uD800' and 'k\uDFFF') are one key, so a hub accepts a client whose
 * key differs from its own. A key that is not well-formed Unicode should be refused
 * (ERR_INVALID_ARGUMENT), or at least not match another.
 */
import { expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect } from '../../src/channels/bus.js';
import { AuthError, InvalidArgumentError } from '../../src/errors.js';

it('a hub keyed with one lone-surrogate string does not accept a client with another', async () => {
  let hub: Hub;
  try {
    hub = await Hub.listen('tcp://127.0.0.1:0', { authkey: 'k\uD800' });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError); // refusing such a key is a fix too
    return;
  }
  try {
    const a = hub.address!;
    const outcome = await connect(`tcp://127.0.0.1:${a.kind === 'tcp' ? a.port : 0}`, { authkey: 'k\uDFFF' })
      .then(async (b) => (await b.close(), 'accepted a different key'), (err: unknown) => err);
    expect(outcome instanceof AuthError || outcome instanceof InvalidArgumentError, String(outcome)).toBe(true);
  } finally {
    await hub.close();
  }
});
