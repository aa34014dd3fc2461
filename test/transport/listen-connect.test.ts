import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { perTestDir } from '../helpers.js';
import { AddressInUseError, InvalidArgumentError, NoHubError } from '../../src/errors.js';
import { currentEnv, ensurePrivateDir, type Address, type AddressEnv } from '../../src/transport/address.js';
import { connectSocket } from '../../src/transport/connect.js';
import { listen, type Listener } from '../../src/transport/listen.js';

const t = perTestDir();

/** Resolves with the first line `stream` yields (without the newline). */
function readLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = () => {
      stream.off('data', onData).off('end', onEnd).off('error', reject);
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) {
        done();
        resolve(buf.slice(0, i));
      }
    };
    const onEnd = () => {
      done();
      reject(new Error(`stream ended before a line: ${JSON.stringify(buf)}`));
    };
    stream.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/** Listens with an echo server (one line in, `echo:<line>` out); cleans up after the test. */
async function serve(spec: string | Address, env?: AddressEnv): Promise<Listener> {
  const accepted = new Set<Socket>();
  const listener = await listen(spec, (socket) => {
    accepted.add(socket);
    socket.on('close', () => accepted.delete(socket));
    readLine(socket).then((line) => socket.write(`echo:${line}\n`), () => socket.destroy());
  }, env ? { env } : {});
  t.defer(async () => {
    for (const socket of accepted) socket.destroy();
    await listener.close();
  });
  return listener;
}

async function roundTrip(spec: string | Address, env?: AddressEnv): Promise<void> {
  const socket = await connectSocket(spec, env ? { env } : {});
  t.defer(() => socket.destroy());
  expect(socket.listenerCount('error')).toBe(0);
  expect(socket.listenerCount('connect')).toBe(0);
  socket.write('hello\n');
  expect(await readLine(socket)).toBe('echo:hello');
  socket.destroy();
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (err: Error) => err);
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe.skipIf(process.platform === 'win32')('listen and connect over Unix sockets', () => {
  it('round-trips a line each way', async () => {
    const path = join(t.dir, 'rt.sock');
    const listener = await serve(path);
    expect(listener.address).toEqual({ kind: 'unix', path });
    await roundTrip(path);
  });

  it('makes the socket file 0600 and removes it on close', async () => {
    const path = join(t.dir, 'mode.sock');
    const listener = await serve(path);
    expect((await lstat(path)).isSocket()).toBe(true);
    expect(await mode(path)).toBe(0o600);
    await listener.close();
    expect(existsSync(path)).toBe(false);
    await listener.close(); // idempotent
  });

  it('close() stops accepting at once and resolves once open connections end', async () => {
    const path = join(t.dir, 'close.sock');
    const accepted: Socket[] = [];
    const listener = await listen(path, (socket) => {
      accepted.push(socket);
      socket.write('hi\n');
    });
    t.defer(async () => {
      for (const socket of accepted) socket.destroy();
      await listener.close();
    });
    const client = await connectSocket(path);
    t.defer(() => client.destroy());
    expect(await readLine(client)).toBe('hi'); // the server has accepted it
    let done = false;
    const closed = listener.close().then(() => { done = true; });
    expect(existsSync(path)).toBe(false);
    expect(await rejection(connectSocket(path))).toBeInstanceOf(NoHubError);
    expect(done).toBe(false); // still waiting for the open connection
    const clientClosed = once(client, 'close');
    for (const socket of accepted) socket.destroy();
    await closed;
    await clientClosed;
  });

  it('replaces a stale socket file left by a killed process', async () => {
    const path = join(t.dir, 'stale.sock');
    const code = "require('node:net').createServer().listen(process.argv[1], () => console.log('ready'))";
    const child = spawn(process.execPath, ['-e', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    t.defer(() => child.kill('SIGKILL'));
    expect(await readLine(child.stdout)).toBe('ready');
    child.kill('SIGKILL');
    await exited;
    expect((await lstat(path)).isSocket()).toBe(true);
    expect(await rejection(connectSocket(path))).toBeInstanceOf(NoHubError);

    await serve(path);
    await roundTrip(path);
  });

  it('refuses an address a live listener holds, which keeps working', async () => {
    const path = join(t.dir, 'live.sock');
    await serve(path);
    const err = await rejection(listen(path, (socket) => socket.destroy()));
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err.code).toBe('ERR_ADDRESS_IN_USE');
    expect(err.message).toContain(`a hub is already listening at ${path}: stop it`);
    await roundTrip(path);
  });

  it('refuses, and leaves alone, a regular file at the path', async () => {
    const path = join(t.dir, 'file.sock');
    await writeFile(path, 'keep me');
    const err = await rejection(listen(path, (socket) => socket.destroy()));
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err.message).toContain('not a socket');
    expect(await readFile(path, 'utf8')).toBe('keep me');
  });

  it('reports NoHubError when nobody listens', async () => {
    const path = join(t.dir, 'nobody.sock');
    const err = await rejection(connectSocket(path));
    expect(err).toBeInstanceOf(NoHubError);
    expect(err.code).toBe('ERR_NO_HUB');
    expect(err.message).toContain(`no hub is listening at ${path}`);
    expect(err.message).toContain(`hostbus serve ${path}`);
    expect((err.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('puts a bare name in $XDG_RUNTIME_DIR/hostbus, made with mode 0700', async () => {
    const env: AddressEnv = { ...currentEnv(), env: { XDG_RUNTIME_DIR: t.dir } };
    const listener = await serve('demo', env);
    const path = join(t.dir, 'hostbus', 'demo.sock');
    expect(listener.address).toEqual({ kind: 'unix', path });
    expect(await mode(join(t.dir, 'hostbus'))).toBe(0o700);
    expect(await mode(path)).toBe(0o600);
    await roundTrip('demo', env);
  });

  it('rejects bad connect options before connecting', async () => {
    const path = join(t.dir, 'x.sock');
    expect(await rejection(connectSocket(path, { timeoutMs: 0 }))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(connectSocket('tcp://127.0.0.1:0'))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejection(connectSocket('./relative.sock'))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe.skipIf(process.platform === 'win32')('ensurePrivateDir', () => {
  it('makes missing parents and tightens an existing folder to 0700', async () => {
    const deep = join(t.dir, 'a', 'b');
    await ensurePrivateDir(deep);
    expect(await mode(deep)).toBe(0o700);
    const loose = join(t.dir, 'loose');
    await mkdir(loose);
    await chmod(loose, 0o755);
    await ensurePrivateDir(loose);
    expect(await mode(loose)).toBe(0o700);
  });

  it('refuses a path that is not a directory', async () => {
    const file = join(t.dir, 'file');
    await writeFile(file, '');
    const link = join(t.dir, 'link');
    await mkdir(join(t.dir, 'real'));
    await symlink(join(t.dir, 'real'), link);
    for (const path of [file, link]) {
      const err = await rejection(ensurePrivateDir(path));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain(`${path} is not a directory: remove it`);
    }
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a folder another user owns (needs root)', async () => {
    const theirs = join(t.dir, 'theirs');
    await mkdir(theirs, { mode: 0o755 });
    await chown(theirs, 4242, 4242);
    const err = await rejection(ensurePrivateDir(theirs));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toContain('belongs to uid 4242');
    expect(await mode(theirs)).toBe(0o755);
  });
});

describe('listen and connect over TCP', () => {
  it('listens on port 0, reports the real port and round-trips', async () => {
    const listener = await serve('tcp://127.0.0.1:0');
    const address = listener.address;
    expect(address.kind).toBe('tcp');
    if (address.kind !== 'tcp') return;
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    await roundTrip(address);
    await roundTrip(`tcp://127.0.0.1:${address.port}`);
    expect(await rejection(listen(address, (socket) => socket.destroy()))).toBeInstanceOf(AddressInUseError);
  });
});
