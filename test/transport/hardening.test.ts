// Hardening of listen/connect found by a security review: the socket file is never reachable
// with looser permissions than 0600, a listen backlog that can be chosen, a full backlog reported
// as ERR_HUB_BUSY (not ERR_NO_HUB), and NUL bytes refused in addresses.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { perTestDir } from '../helpers.js';
import {
  AddressInUseError, AddressTooLongError, HubBusyError, InvalidArgumentError, NoHubError,
} from '../../src/errors.js';
import type { Address } from '../../src/transport/address.js';
import { connectSocket } from '../../src/transport/connect.js';
import { listen, type Listener, type ListenOptions } from '../../src/transport/listen.js';

const t = perTestDir();
const posixOnly = describe.skipIf(process.platform === 'win32');
const linuxOnly = describe.skipIf(process.platform !== 'linux');

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (err: Error) => err);
}

/** Resolves with the first line `stream` yields (without the newline). */
function firstLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const i = buf.indexOf('\n');
      if (i < 0) return;
      stream.off('data', onData).off('end', onEnd);
      resolve(buf.slice(0, i));
    };
    const onEnd = () => reject(new Error(`stream ended before a line: ${JSON.stringify(buf)}`));
    stream.on('data', onData).once('end', onEnd);
  });
}

/** Listens with a server that owns (and destroys at the end of the test) what it accepts. */
async function serve(path: string | Address, options: ListenOptions = {}): Promise<{ listener: Listener; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const listener = await listen(path, (socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  }, options);
  t.defer(async () => {
    for (const socket of accepted) socket.destroy();
    await listener.close();
  });
  return { listener, accepted };
}

/** Runs `fn` with the given umask, restoring the previous one after it. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(previous);
  }
}

/**
 * A child process that lstat()s `target` in a tight loop (and the other entries of `dir` every
 * few rounds) until the file `stop` exists. It prints `seen <mode>` when `target` appears and
 * `gone` when it disappears, then at the end a report: for each appearance of `target` the modes
 * seen during it, and every other entry of `dir` seen, as "name kind:mode".
 */
const WATCHER = String.raw`
const fs = require('node:fs');
const [dir, target, stop] = process.argv.slice(1);
const describe = (st) => (st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : 'file') + ':' + (st.mode & 0o7777).toString(8);
const say = (line) => fs.writeSync(1, line + '\n');
const appearances = [];
const others = {};
let current;
let rounds = 0;
say('ready');
for (;;) {
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!st) {
    if (current) say('gone');
    current = undefined;
  } else {
    const key = describe(st);
    if (!current) {
      appearances.push(current = {});
      say('seen ' + key);
    }
    current[key] = (current[key] || 0) + 1;
  }
  if ((++rounds & 7) !== 0) continue;
  for (const name of fs.readdirSync(dir)) {
    if (dir + '/' + name === target) continue;
    const s = fs.lstatSync(dir + '/' + name, { throwIfNoEntry: false });
    if (s) others[name.replace(/^\.hb-.{6}$/, '.hb-XXXXXX') + ' ' + describe(s)] = true;
  }
  if (fs.existsSync(stop)) break;
}
say(JSON.stringify({ rounds, appearances, others: Object.keys(others) }));
`;

interface Watched { rounds: number; appearances: Array<Record<string, number>>; others: string[] }

/** The lines of `stream`, one `next()` at a time; fails if none comes within `ms`. */
function lines(stream: Readable, ms = 5_000): { next(): Promise<string> } {
  const queued: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (buf + chunk.toString('utf8')).split('\n');
    buf = parts.pop()!;
    for (const line of parts) {
      if (waiting) {
        const deliver = waiting;
        waiting = undefined;
        deliver(line);
      } else {
        queued.push(line);
      }
    }
  });
  return {
    next: () => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the watcher said nothing for ${ms} ms`)), ms);
      waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    })),
  };
}

/**
 * Starts the watcher. `appeared()` resolves with the mode it saw first when `target` appeared,
 * `vanished()` once it saw it gone; `stop()` ends it and resolves with its report.
 */
async function watch(dir: string, target: string): Promise<{ appeared(): Promise<string>; vanished(): Promise<void>; stop(): Promise<Watched> }> {
  const stopFile = join(t.dir, 'stop-watching');
  const child = spawn(process.execPath, ['-e', WATCHER, dir, target, stopFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  t.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const said = lines(child.stdout);
  const expectLine = async (pattern: RegExp) => {
    const line = await said.next();
    expect(line).toMatch(pattern);
    return line;
  };
  await expectLine(/^ready$/);
  return {
    appeared: async () => (await expectLine(/^seen /)).slice(5),
    vanished: async () => void await expectLine(/^gone$/),
    async stop() {
      await writeFile(stopFile, '');
      const report = await said.next();
      const [code] = await exited;
      expect(code).toBe(0);
      return JSON.parse(report) as Watched;
    },
  };
}

posixOnly('the socket file is never reachable with looser permissions than 0600', () => {
  it('with umask 000 in a world-writable folder, over 200 listen/close cycles', async () => {
    const shared = join(t.dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777); // like /tmp
    const path = join(shared, 'x.sock');
    const watcher = await watch(shared, path);
    // In lock step with the watcher: it must see each socket appear and vanish, which proves it
    // was polling all along (and could have caught a looser mode). With the old code (bind, then
    // chmod) it saw mode 0777 in about 15-30% of the cycles.
    const CYCLES = 200;
    const first: string[] = [];
    await withUmask(0, async () => {
      for (let i = 0; i < CYCLES; i++) {
        const listener = await listen(path, (socket) => socket.destroy());
        first.push(await watcher.appeared());
        await listener.close();
        await watcher.vanished();
      }
    });
    const seen = await watcher.stop();
    expect(seen.appearances).toHaveLength(CYCLES);
    const looser = seen.appearances.filter((modes) => Object.keys(modes).some((m) => m !== 'socket:600'));
    expect({ cycles: CYCLES, looser: looser.length, firstSeen: [...new Set(first)] })
      .toEqual({ cycles: CYCLES, looser: 0, firstSeen: ['socket:600'] });
    // Besides the socket, only the private staging folders (0700) ever appear in the folder.
    for (const other of seen.others) expect(other).toBe('.hb-XXXXXX dir:700');
    expect(await readdir(shared)).toEqual([]);
  }, 20_000);

  it('a socket moved into place accepts connections there and close() removes it', async () => {
    const path = join(t.dir, 'moved.sock');
    const { listener, accepted } = await withUmask(0, () => serve(path));
    expect((await lstat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(t.dir)).toEqual(['moved.sock']); // no staging folder left behind
    const client = await connectSocket(path);
    t.defer(() => client.destroy());
    await expect.poll(() => accepted.length).toBe(1);
    accepted[0]!.write('hi\n');
    expect(await firstLine(client)).toBe('hi');
    const closing = listener.close();
    expect(existsSync(path)).toBe(false); // removed before close() returns
    expect(await rejection(connectSocket(path))).toBeInstanceOf(NoHubError);
    client.destroy();
    for (const socket of accepted) socket.destroy();
    await closing;
  });

  it('leaves no staging folder behind when the address is taken, and replaces a stale socket', async () => {
    const live = join(t.dir, 'live.sock');
    await serve(live);
    const err = await rejection(listen(live, (socket) => socket.destroy()));
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err.message).toContain(`a hub is already listening at ${live}`);

    const file = join(t.dir, 'file.sock');
    await writeFile(file, 'keep me');
    expect(await rejection(listen(file, (socket) => socket.destroy()))).toBeInstanceOf(AddressInUseError);

    // A stale socket: its server is gone (killed before it could remove the file).
    const stale = join(t.dir, 'stale.sock');
    const code = "require('node:net').createServer().listen(process.argv[1], () => console.log('ready'))";
    const child = spawn(process.execPath, ['-e', code, stale], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    t.defer(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    expect(await firstLine(child.stdout)).toBe('ready');
    child.kill('SIGKILL');
    await exited;
    expect(await rejection(connectSocket(stale))).toBeInstanceOf(NoHubError);
    await serve(stale);
    expect((await lstat(stale)).mode & 0o777).toBe(0o600);
    (await connectSocket(stale)).destroy();

    expect((await readdir(t.dir)).sort()).toEqual(['file.sock', 'live.sock', 'stale.sock']);
  });

  it('refuses, with how much shorter the folder must be, a path whose staging name would be too long', async () => {
    if (process.platform !== 'linux') return; // the figures below are Linux's 107-byte limit
    const folder = join(t.dir, 'd'.repeat(100 - t.dir.length - 1)); // 100 bytes
    const path = join(folder, 'a.sock'); // 107 bytes: fits the limit itself
    const err = await rejection(listen(path, (socket) => socket.destroy()));
    expect(err).toBeInstanceOf(AddressTooLongError);
    expect(err.code).toBe('ERR_ADDRESS_TOO_LONG');
    expect(err.message).toContain(`${folder}/.hb-XXXXXX/s`);
    expect(err.message).toContain('113 bytes, over the 107-byte limit');
    expect(err.message).toContain('a folder at least 6 bytes shorter');
    expect(existsSync(folder)).toBe(false);
  });
});

describe('NUL bytes in addresses', () => {
  it('listen and connect reject (not throw) with InvalidArgumentError', async () => {
    const specs: Array<string | Address> = [
      join(t.dir, 'a\0b.sock'), 'de\0mo', { kind: 'unix', path: join(t.dir, 'x\0.sock') }, 'tcp://127.0.0.1\0:5000',
    ];
    for (const spec of specs) {
      for (const attempt of [() => listen(spec, (socket) => socket.destroy()), () => connectSocket(spec)]) {
        const err = await rejection(attempt());
        expect(err, JSON.stringify(spec)).toBeInstanceOf(InvalidArgumentError);
        expect(err.message).toContain('NUL');
      }
    }
    expect(await readdir(t.dir)).toEqual([]);
  });
});

describe('the listen backlog', () => {
  it('must be a positive integer', async () => {
    for (const backlog of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '8' as unknown as number]) {
      const err = await rejection(listen(join(t.dir, 'b.sock'), (socket) => socket.destroy(), { backlog }));
      expect(err, String(backlog)).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain('backlog');
    }
    expect(await readdir(t.dir)).toEqual([]);
  });

  it('is also taken for TCP', async () => {
    const { listener } = await serve('tcp://127.0.0.1:0', { backlog: 4 });
    const address = listener.address;
    (await connectSocket(address)).destroy();
  });
});

linuxOnly('a hub whose queue of pending connections is full', () => {
  // A Unix socket connect() completes or fails in the call itself, so connects made in one
  // synchronous stretch reach the hub before its event loop can accept any of them: with
  // backlog 1, Linux queues backlog + 1 = 2 connections and refuses the rest with EAGAIN.
  it('gives HubBusyError (ERR_HUB_BUSY), not NoHubError, and accepts again once it has caught up', async () => {
    const path = join(t.dir, 'busy.sock');
    const { accepted } = await serve(path, { backlog: 1 });
    const attempts = Array.from({ length: 6 }, () => connectSocket(path).then((s) => s, (err: Error) => err));
    const results = await Promise.all(attempts);
    const sockets = results.filter((r): r is Socket => !(r instanceof Error));
    for (const socket of sockets) t.defer(() => socket.destroy());
    const errors = results.filter((r): r is Error & { code?: string } => r instanceof Error);

    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.length).toBeLessThanOrEqual(2);
    expect(results.slice(0, sockets.length)).toEqual(sockets); // the first ones got in
    expect(errors).toHaveLength(results.length - sockets.length);
    for (const err of errors) {
      expect(err).toBeInstanceOf(HubBusyError);
      expect(err.code).toBe('ERR_HUB_BUSY');
      expect(err.message).toContain(`the hub at ${path} is alive but busy`);
      expect(err.message).toMatch(/try again shortly.*larger backlog/);
      expect((err.cause as { code?: string }).code).toBe('EAGAIN');
    }
    // Once the hub has accepted what was queued, there is room again.
    await expect.poll(() => accepted.length).toBe(sockets.length);
    const late = await connectSocket(path);
    late.destroy();
  });

  it('a raw server with backlog 1 that is not yet accepting gives the same', async () => {
    // Connects made before the server's 'listening' callback: nothing has been accepted yet.
    const path = join(t.dir, 'raw.sock');
    const server = createServer((socket) => socket.destroy());
    server.listen({ path, backlog: 1 });
    t.defer(() => new Promise((resolve) => server.close(resolve)));
    const results = await Promise.all(Array.from({ length: 4 }, () => connectSocket(path).then((s) => {
      s.destroy();
      return 'connected';
    }, (err: Error & { code?: string }) => err.code)));
    expect(results.slice(2)).toEqual(['ERR_HUB_BUSY', 'ERR_HUB_BUSY']);
  });

  it('with the default backlog (511, within somaxconn), 64 connects at once all get in', async () => {
    const path = join(t.dir, 'roomy.sock');
    await serve(path);
    const sockets = await Promise.all(Array.from({ length: 64 }, () => connectSocket(path)));
    for (const socket of sockets) socket.destroy();
  });
});
