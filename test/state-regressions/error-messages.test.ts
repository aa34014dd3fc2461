/**
 * "Every error a user can meet is a typed error [...] with a message that says what to do."
 * state-args.ts `indexArg` tells an index out of range of an empty list or array to "use 0 to
 * -1, or -0 to -1"; state-resource.ts builds "a array has no option ..." and "a array's name"
 * from `a ${spec.name}`.
 */
import { describe, expect, it } from 'vitest';
import { ask, stateBed } from './helpers.js';

const bed = stateBed();

describe('error messages of the shared state', () => {
  it('an index into an empty list does not tell the user to use 0 to -1 or -0 to -1', async () => {
    await bed.listen();
    const { client } = await bed.open({ c: 1, k: 'list', n: 'l', r: 'use' });
    const a = await ask(client, 1, 1, 'get', { index: 0 });
    expect(a.e?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(a.e!.message).not.toMatch(/0 to -1|-0 to -1/);
  });

  it('an array\'s errors say "an array", not "a array"', async () => {
    await bed.listen();
    const { reply } = await bed.open({ c: 1, k: 'array', n: 'a', r: 'use', o: { init: [1], size: 3 } });
    expect((reply.e as { message: string }).message).not.toMatch(/\ba array/);
  });
});
