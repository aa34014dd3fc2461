/**
 * Doc mismatch: docs/protocol.md ("always with the same message") and docs/remote.md ("The message
 * is the same whatever the failure") promise one ERR_AUTH message for every refusal before the key
 * is proven. src/bus/auth.ts has three: a non-auth frame (garbage, a hello) gets "this hub asks for
 * an authkey before anything else...", a long line "a line of N characters before...", and a
 * wrong answer the MISMATCH message.
 */
import { afterEach, expect, it } from 'vitest';
import type { Hub } from '../../src/bus/hub.js';
import type { RawClient } from '../raw-client.js';
import { raw, sessionError, tcpHub } from './helpers.js';

let hub: Hub | undefined;
const raws: RawClient[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await hub?.close();
  hub = undefined;
});

it('every refusal before the key is proven carries the same ERR_AUTH message', async () => {
  const t = await tcpHub();
  hub = t.hub;
  const lines = [
    `{"t":"auth","digest":"sha256","response":"${Buffer.alloc(32).toString('base64')}","challenge":"${Buffer.alloc(40).toString('base64')}"}`, // a wrong answer
    'not json',
    '{"t":"hello","v":1,"role":"client"}',
    `{"t":"auth","digest":"sha256","response":"${'A'.repeat(2000)}"}`,
  ];
  const messages: string[] = [];
  for (const line of lines) {
    const r = await raw(t.port);
    raws.push(r);
    await r.next();
    r.write(line + '\n');
    const e = await sessionError(r);
    expect(e.code).toBe('ERR_AUTH');
    messages.push(e.message);
  }
  expect(new Set(messages).size, messages.join('\n')).toBe(1);
});
