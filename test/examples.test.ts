// Every example is a real program: run it as users would (node on the compiled file, importing
// 'hostbus' by name) and check what it prints.
import { execFile, spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const run = promisify(execFile);

async function example(name: string, args: string[] = []): Promise<string> {
  const tmp = await tempDir();
  try {
    const file = fileURLToPath(new URL(`../.build/examples/${name}.js`, import.meta.url));
    // Bare hub names resolve into XDG_RUNTIME_DIR/hostbus: a private folder per run.
    const { stdout } = await run(process.execPath, [file, ...args], {
      env: { ...process.env, XDG_RUNTIME_DIR: tmp.dir },
      timeout: 60_000,
    });
    return stdout;
  } finally {
    await tmp.cleanup();
  }
}

const lines = (...xs: string[]) => xs.map((x) => x + '\n').join('');

describe('examples', () => {
  it('quick-start (the README): Received 0 to 4 from a child', async () => {
    expect(await example('quick-start')).toBe(lines('Received 0', 'Received 1', 'Received 2', 'Received 3', 'Received 4'));
  });

  it('start: await using start(), a typed spawn of a producer with a queue', async () => {
    expect(await example('start')).toBe(lines('Got job 1', 'Got job 2', 'Got job 3', 'Done'));
  });

  it('global-variable: a global does not cross processes, the bus does', async () => {
    expect(await example('global-variable')).toBe(lines(
      'child: counter = 1',
      'parent: counter = 0',
      'parent: received 1 over the bus',
    ));
  });

  it('queue: Received 0 to 4, then the end of the stream', async () => {
    expect(await example('queue')).toBe(lines(
      'Received 0', 'Received 1', 'Received 2', 'Received 3', 'Received 4', 'Queue ended',
    ));
  });

  it('pipe: a direct pipe to a child, then a named pipe between two children', async () => {
    const out = await example('pipe');
    expect(out).toBe(lines(
      ...[0, 1, 2, 3, 4].map((i) => `direct pipe: received ${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `named pipe: received ${i}`),
    ));
  });

  it("child-to-parent: [42, null, 'hello'] over a queue and over a pipe", async () => {
    expect(await example('child-to-parent')).toBe(lines(
      "queue: [ 42, null, 'hello' ]",
      "pipe: [ 42, null, 'hello' ]",
    ));
  });

  it('demo: producers and consumers in separate processes, every item counted once', async () => {
    const out = await example('demo', ['--items', '20000']);
    expect(out).toMatch(/^hostbus demo: 3 producers → queue 'work' → 2 consumers/);
    expect(out).toMatch(/done: 60000 items produced, 60000 consumed, each exactly once/);
  });

  it("process-hello: Python's Process(target=f, args=('bob',)), start, join", async () => {
    expect(await example('process-hello')).toBe(lines('hello bob'));
  });

  it("pipe-parent-child: Python's Pipe() example, the child sends [42, None, 'hello'] and closes", async () => {
    expect(await example('pipe-parent-child')).toBe(lines("[ 42, null, 'hello' ]"));
  });

  it("worker-pool: Python's task and done queues with 4 workers, results sorted", async () => {
    expect(await example('worker-pool')).toBe(lines(
      'Results (sorted):',
      ...[...Array(20).keys()].map((i) => `\t mul(${i}, 7) = ${i * 7}`),
      ...[...Array(10).keys()].map((i) => `\t plus(${i}, 8) = ${i + 8}`),
    ));
  });

  it("joinable-queue: the queue docs' join()/task_done() example with worker processes", async () => {
    const out = (await example('joinable-queue')).split('\n');
    expect(out.pop()).toBe('');
    // Two workers: the order of their lines may vary; each item's two lines come in order, and
    // 'All work completed' after all of them.
    expect(out.pop()).toBe('All work completed');
    const expected = [...Array(30).keys()].flatMap((i) => [`Working on ${i}`, `Finished ${i}`]);
    expect([...out].sort()).toEqual([...expected].sort());
    for (let i = 0; i < 30; i++) expect(out.indexOf(`Working on ${i}`)).toBeLessThan(out.indexOf(`Finished ${i}`));
  });

  it('pipe-two-children: both ends of one Pipe() to two children, a None sentinel at the end', async () => {
    expect(await example('pipe-two-children')).toBe(lines('0', '1', '2', '3', '4'));
  });

  it("queue-shutdown: Python 3.13's shutdown(), the consumer takes what is left, then ShutDownError", async () => {
    expect(await example('queue-shutdown')).toBe(lines(
      'got 0', 'got 1', 'got 2', 'got 3', 'got 4', 'queue was shut down',
    ));
  });

  it("lock: Python's Lock example, ten processes print 'hello world i' under one lock", async () => {
    const out = (await example('lock')).split('\n').filter(Boolean);
    // In the order the children got the lock, as in Python: each line whole, each i once.
    expect(out.sort()).toEqual([...Array(10).keys()].map((i) => `hello world ${i}`).sort());
  });

  it('lock-abandoned: a holder killed with SIGKILL; the next hold is abandoned, with a larger token', async () => {
    expect(await example('lock-abandoned')).toBe(lines(
      'child holds the lock (token 1)',
      'child killed while holding the lock',
      'parent holds the lock (token 2), abandoned: true',
    ));
  });

  it("value-array: Python's Value('d') and Array('i', range(10)), a child sets the value and negates the items", async () => {
    expect(await example('value-array')).toBe(lines('3.1415927', '[0, -1, -2, -3, -4, -5, -6, -7, -8, -9]'));
  });

  it('value-writer-reader: a writer child fills a Value and an Array, then a reader child prints them', async () => {
    expect(await example('value-writer-reader')).toBe(lines('Value: 5', 'Array: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]'));
  });

  it("manager: Python's Manager example, a child sets three keys of a dict (as strings) and reverses a list", async () => {
    expect(await example('manager')).toBe(lines("{'1': '1', '2': 2, '0.25': None}", '[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]'));
  });

  it('watch-dict: a watcher sees the snapshot, then each set of two writers at once, in revision order', async () => {
    const out = (await example('watch-dict')).split('\n');
    expect(out.pop()).toBe('');
    expect(out.shift()).toBe('snapshot: {}');
    expect(out.pop()).toBe('final: { a1: 1, a2: 2, a3: 3, b1: 1, b2: 2, b3: 3 }');
    // How the two writers' sets interleave varies: the revisions count 1 to 6, one line each, and
    // each writer's sets come in its own order.
    expect(out.map((l) => /^rev (\d+): /.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    const sets = out.map((l) => l.replace(/^rev \d+: /, ''));
    expect(sets.filter((s) => s.startsWith('set a'))).toEqual(['set a1 = 1', 'set a2 = 2', 'set a3 = 3']);
    expect(sets.filter((s) => s.startsWith('set b'))).toEqual(['set b1 = 1', 'set b2 = 2', 'set b3 = 3']);
  });

  it("remote manager: a server serves a queue on TCP with the key 'abracadabra'; one client puts 'hello', another gets it; a wrong key is refused while the others go on", async () => {
    const file = (name: string) => fileURLToPath(new URL(`../.build/examples/${name}.js`, import.meta.url));
    const server = spawnChild(process.execPath, [file('remote-server'), 'tcp://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      server.stdout.setEncoding('utf8');
      const address = await new Promise<string>((resolve, reject) => {
        server.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /serving on (tcp:\/\/\S+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.once('exit', (code) => reject(new Error(`the server exited with ${code} before serving: ${out}`)));
      });
      expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const runClient = async (name: string) => (await run(process.execPath, [file(name), address], { timeout: 60_000 })).stdout;
      expect(await runClient('remote-wrong-key')).toBe(lines('refused: ERR_AUTH'));
      expect(await runClient('remote-put')).toBe('');
      expect(await runClient('remote-wrong-key')).toBe(lines('refused: ERR_AUTH'));
      expect(await runClient('remote-get')).toBe(lines('hello'));
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      expect(out).toBe(lines(`serving on ${address}`, 'stopped'));
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
  });
});
