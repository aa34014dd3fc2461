// spawn(module, fn, args): the arguments are checked against fn's parameters, and the child runs
// fn only if the module exports that very function under its name.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, spawn, start, type Queue } from 'hostbus';
import { perTestDir, workers } from '../helpers.js';

// The compiled module the child imports too: the same functions, of the same source text (the
// .ts file as this test runner transforms it would be another text).
const fixtures = (await import(workers)) as typeof import('../fixtures/workers.js');

/** Not exported from the fixture module: a function of this file. */
async function sendNumbers(queue: Queue<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await queue.send(i);
}

describe('typed spawn', () => {
  const tmp = perTestDir();

  async function started() {
    const previous = process.env['XDG_RUNTIME_DIR'];
    process.env['XDG_RUNTIME_DIR'] = tmp.dir;
    try {
      return await start();
    } finally {
      if (previous === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = previous;
    }
  }

  it('runs the exported function itself, with arguments of its parameter types', async () => {
    await using bus = await started();
    const queue = bus.queue<number>('numbers');
    const child = spawn(workers, fixtures.sendNumbers, [queue, 3]);
    const got = [await queue.get(), await queue.get(), await queue.get()];
    expect(got).toEqual([0, 1, 2]);
    expect(await child.join()).toBe(0);
  });

  it('a function the module does not export under its name: join() rejects with ERR_INVALID_ARGUMENT, and nothing ran', async () => {
    await using bus = await started();
    const queue = bus.queue<number>('numbers');
    // Same name as the fixture's export, but another function (this file's own).
    const child = spawn(workers, sendNumbers, [queue, 1], { stdio: 'pipe' });
    const err = await child.join().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(/exports another function under that name: export the function from that module under the name 'sendNumbers'/);

    const missing = spawn(workers, async function notThere(): Promise<void> {}, [], { stdio: 'pipe' });
    await expect(missing.join()).rejects.toThrow(/does not export it: export the function .* under the name 'notThere'/);
    expect(bus.hub.stats().resources.find((r) => r.name === 'numbers')?.['queued'] ?? 0).toBe(0);
  });

  it('an anonymous function is refused at once', () => {
    expect(() => spawn(workers, (() => () => undefined)(), [])).toThrow(InvalidArgumentError);
  });

  it('checks the arguments against the parameters at compile time', () => {
    const typeOnly = (q: Queue<number>, s: Queue<string>) => {
      // @ts-expect-error: a string where the function takes a number
      spawn(workers, fixtures.sendNumbers, [q, 'three']);
      // @ts-expect-error: a Queue<string> where the function takes a Queue<number>
      spawn(workers, fixtures.sendNumbers, [s, 3]);
      // @ts-expect-error: a missing argument
      spawn(workers, fixtures.sendNumbers, [q]);
      spawn(workers, 'sendNumbers', [s, 'anything goes by name']); // the string form is unchecked
    };
    expect(typeof typeOnly).toBe('function');
  });
});
