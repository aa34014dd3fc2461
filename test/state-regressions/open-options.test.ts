/**
 * docs/protocol.md: "`length`: an array only. [...] Any other option is ERR_INVALID_ARGUMENT."
 * state-resource.ts has one OPTION_KEYS for every kind, with `length` in it, and only `type` and
 * `from` are refused per kind: a value, dict or list opened with `length` is accepted and the
 * option silently ignored (even beside `init`), and the error message of a bad option does not
 * list `length` for arrays, where it is valid.
 */
import { describe, expect, it } from 'vitest';
import { stateBed } from './helpers.js';

const bed = stateBed();

describe('options of an open', () => {
  it.each(['value', 'dict', 'list'])('a %s opened with length (an array-only option) is ERR_INVALID_ARGUMENT', async (k) => {
    await bed.listen();
    const init = k === 'dict' ? {} : k === 'list' ? [] : 0;
    const { reply } = await bed.open({ c: 1, k, n: 'x', r: 'use', o: { init, length: 3 } });
    expect(reply.t, `${k} with length: ${JSON.stringify(reply)}`).toBe('error');
    expect((reply.e as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it("an array's refusal of an unknown option names length among its options", async () => {
    await bed.listen();
    const { reply } = await bed.open({ c: 1, k: 'array', n: 'a', r: 'use', o: { size: 3 } });
    expect((reply.e as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
    expect((reply.e as { message: string }).message).toMatch(/length/);
  });
});
