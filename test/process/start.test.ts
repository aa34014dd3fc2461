// start(): a hub of the program's own that does not keep it alive, and leaves no socket file
// behind when the program exits, forgets to close, or is stopped by a signal.
import { execFile, spawn as spawnNode, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { start, StartedBus } from 'hostbus';
import { perTestDir } from '../helpers.js';

const run = promisify(execFile);
const programs = fileURLToPath(new URL('../../.build/test/fixtures/start-programs.js', import.meta.url));

describe('start()', () => {
  const tmp = perTestDir();
  const env = () => ({ ...process.env, XDG_RUNTIME_DIR: tmp.dir });
  const folder = () => join(tmp.dir, 'hostbus');
  const sockets = async () => (await readdir(folder())).filter((f) => f.endsWith('.sock'));
  /** Runs `body` with this process's private folder in the test's temp dir. */
  async function inTempFolder(body: () => Promise<void>): Promise<void> {
    const previous = process.env['XDG_RUNTIME_DIR'];
    process.env['XDG_RUNTIME_DIR'] = tmp.dir;
    try {
      await body();
    } finally {
      if (previous === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = previous;
    }
  }

  /** Runs a program that prints one line once it is listening, and returns it with that line. */
  async function running(which: string): Promise<{ child: ChildProcess; line: string; ended: Promise<{ code: number | null; signal: string | null; out: string }> }> {
    const child = spawnNode(process.execPath, [programs, which], { env: env(), stdio: ['ignore', 'pipe', 'inherit'] });
    tmp.defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    const ended = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal, out }));
    });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('close', () => reject(new Error(`the program ended before it was listening: ${out}`)));
    });
    return { child, line, ended };
  }

  it('a program that forgets to close exits once its work is done, and its socket file goes at exit', async () => {
    const { stdout } = await run(process.execPath, [programs, 'forgetToClose'], { env: env(), timeout: 20_000 });
    expect(stdout).toBe('got 0,1,2; sockets while running: 1\n');
    expect(await sockets()).toEqual([]);
  });

  it('SIGTERM: the socket file is removed and the program dies by SIGTERM', async () => {
    const { child, line, ended } = await running('waitForSignal');
    expect(line).toMatch(new RegExp(`^listening: h-${child.pid}-[0-9a-f]+\\.sock$`));
    child.kill('SIGTERM');
    const { code, signal } = await ended;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await sockets()).toEqual([]);
  });

  it('SIGINT: the same', async () => {
    const { child, ended } = await running('waitForSignal');
    child.kill('SIGINT');
    expect((await ended).signal).toBe('SIGINT');
    expect(await sockets()).toEqual([]);
  });

  it("a program's own SIGTERM handler decides; the socket file goes when it exits", async () => {
    const { child, ended } = await running('ownHandler');
    child.kill('SIGTERM');
    const { code, out } = await ended;
    expect(code).toBe(7);
    expect(out).toMatch(/own handler; sockets: 1\n/);
    expect(await sockets()).toEqual([]);
  });

  it('SIGKILL leaves the socket file; the next start() in the folder sweeps it', async () => {
    const { child, line, ended } = await running('waitForSignal');
    const name = line.replace('listening: ', '');
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    expect(await sockets()).toEqual([name]);

    await inTempFolder(async () => {
      await using bus = await start();
      const mine = (await sockets());
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(new RegExp(`^h-${process.pid}-`));
      expect(bus).toBeInstanceOf(StartedBus);
    });
    expect(await sockets()).toEqual([]);
  });

  it("the sweep keeps a live process's socket, and what is not a started hub's", async () => {
    await mkdir(folder(), { recursive: true, mode: 0o700 });
    // A live hub of another process would be held by its pid: this process's parent is alive.
    const live = join(folder(), `h-${process.ppid}-abc.sock`);
    const other = join(folder(), 'other.sock');
    const servers = [createServer(), createServer()];
    await Promise.all(servers.map((s, i) => new Promise<void>((resolve) => s.listen(i ? other : live, resolve))));
    tmp.defer(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));
    await inTempFolder(async () => {
      const bus = await start();
      const names = await sockets();
      expect(names).toContain(`h-${process.ppid}-abc.sock`);
      expect(names).toContain("other.sock");
      expect(names.filter((n) => n.startsWith(`h-${process.pid}-`))).toHaveLength(1);
      await bus.close();
    });
    await rm(live, { force: true });
  });

  it('in this process: queues work, and close() closes the bus and then the hub, removing the socket', async () => {
    await inTempFolder(async () => {
      const bus = await start();
      const queue = bus.queue<string>('q');
      await queue.send('hello');
      expect(await queue.get()).toBe('hello');
      expect(await sockets()).toHaveLength(1);
      await bus.close();
      expect(bus.closed).toBe(true);
      expect(await sockets()).toEqual([]);
      expect(process.listenerCount('SIGTERM')).toBe(0);
    });
  });
});
