/**
 * The hub parses a request's payload (JSON.parse, which takes any depth) and then JSON-encodes
 * and compares what it got (jsonChars in state-args.ts, digest in state-resource.ts), which
 * recurse: a value nested a few thousand levels deep, far within a frame, makes them throw
 * V8's RangeError. It reaches the peer as an untyped ERR_REMOTE "Maximum call stack size
 * exceeded", which says nothing of what to do, and no bound on nesting is documented or settable.
 */
import { describe, expect, it } from 'vitest';
import { answer, nested, reqText, stateBed } from './helpers.js';

const bed = stateBed();

/** The error is one of hostbus's typed ones, and not the stack's. */
function expectTyped(e: { name: string; code: string; message: string } | undefined): void {
  expect(e, 'the request was accepted').toBeDefined();
  expect(e!.code, `${e!.name}: ${e!.message}`).not.toBe('ERR_REMOTE');
  expect(e!.name).not.toBe('RangeError');
  expect(['ERR_INVALID_ARGUMENT', 'ERR_LIMIT']).toContain(e!.code);
}

describe('values nested deeper than the stack', () => {
  it('a write of a value nested 100,000 deep is refused with a typed error, not a RangeError', async () => {
    await bed.listen();
    const { client } = await bed.open({ c: 1, k: 'list', n: 'l', r: 'use' });
    client.write(reqText(1, 1, 'append', `{"value":${nested(100_000)}}`));
    expectTyped((await answer(client, 1, 1)).e);
    client.write(reqText(1, 2, 'len', 'null'));
    expect((await answer(client, 1, 2)).d).toEqual({ revision: 0, value: 0 });
  });

  it('a dict set through a path with a value nested 100,000 deep is refused with a typed error', async () => {
    await bed.listen();
    const { client } = await bed.open({ c: 1, k: 'dict', n: 'd', r: 'use' });
    client.write(reqText(1, 1, 'set', `{"path":["a","b"],"value":${nested(100_000)}}`));
    expectTyped((await answer(client, 1, 1)).e);
  });

  it('an open whose init is nested 100,000 deep is refused with a typed error', async () => {
    await bed.listen();
    const c = await bed.raw();
    c.write(`{"t":"open","c":1,"k":"value","n":"v","r":"use","o":{"init":${nested(100_000)}}}\n`);
    const f = await c.line((f) => f.c === 1 && (f.t === 'opened' || f.t === 'error'));
    expect(f.t).toBe('error');
    expectTyped(f.e as { name: string; code: string; message: string });
  });
});
