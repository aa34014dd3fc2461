/**
 * The direct listener of a bus, hardened: a socket in the private 0700 folder (mode 0600), gone
 * when its bus closes or its process exits, stale ones of killed processes swept; at most
 * `directMaxPending` connections held before they become a pipe's channel, each for at most
 * `directTimeoutMs`. Over real sockets; each test has its own folder, which is both the hub's
 * and (through XDG_RUNTIME_DIR) the private folder's parent.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/bus/hub.js';
import { connect, type Bus, type BusOptions } from '../../src/channels/bus.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { RawClient } from '../raw-client.js';
import { rejection, until } from '../transports.js';

const HELLO = '{"t":"hello","v":1,"role":"client"}\n';
const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;
const mine = (pid: number) => (name: string) => name.startsWith(`d-${pid}-`) && name.endsWith('.sock');

/** Rejects if `promise` has not settled within `ms`: a deadline for a failing test, not a wait. */
function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A socket to a direct listener that sends nothing of its own; tracks what it got and its close. */
interface Idle {
  socket: Socket;
  got: number;
  /** Resolves with the time of its 'close' event. */
  closed: Promise<number>;
  isClosed: boolean;
}

describe('the direct listener', () => {
  let base: string;
  let hubPath: string;
  let hub: Hub;
  let buses: Bus[];
  let sockets: Socket[];
  let saved: string | undefined;
  const privateFolder = () => join(base, 'hostbus');

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'hostbus-test-'));
    saved = process.env['XDG_RUNTIME_DIR'];
    process.env['XDG_RUNTIME_DIR'] = base;
    hubPath = join(base, 'hub.sock');
    hub = await Hub.listen(hubPath);
    buses = [];
    sockets = [];
  });

  afterEach(async () => {
    try {
      for (const s of sockets) s.destroy();
      await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
      await Promise.all(buses.map(async (b) => {
        b.destroy();
        await b.close();
      }));
      await hub.close();
      const left = await readdir(privateFolder()).catch(() => []);
      expect(left.filter(mine(process.pid)), 'direct sockets of this process left behind').toEqual([]);
    } finally {
      if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
      else process.env['XDG_RUNTIME_DIR'] = saved;
      await rm(base, { recursive: true, force: true });
    }
  });

  const bus = async (options: BusOptions = {}) => {
    const b = await connect(hubPath, options);
    buses.push(b);
    return b;
  };
  const pipeStats = (name: string) => hub.stats().resources.find((r) => r.kind === 'pipe' && r.name === name) as
    { ends: number; paired: boolean; direct: boolean } | undefined;
  const directFiles = async () => (await readdir(privateFolder()).catch(() => [] as string[])).filter(mine(process.pid));

  /** Opens pipe `name` on `b` and waits until its end is at the hub (so its listener listens). */
  const firstAtHub = async <T>(b: Bus, name: string) => {
    const end = b.pipe<T>(name);
    await until(() => pipeStats(name)?.ends === 1, `pipe '${name}' at the hub`);
    return end;
  };

  /**
   * The address `b`'s listener offers, as the hub tells it to the second end of a pipe: here a
   * raw client, which never connects (the first end's wait fails in the end, unheard).
   */
  const offered = async (b: Bus, name = 'probe') => {
    const end = await firstAtHub<string>(b, name);
    end.recv().subscribe({ error: () => {} });
    const raw = await RawClient.open(hubPath);
    sockets.push(raw.socket);
    raw.write(HELLO + `{"t":"open","c":1,"k":"pipe","n":"${name}","r":"end","o":{"direct":"x"}}\n`);
    const { i } = await raw.line((f) => f.t === 'opened') as { i: { direct: { connect: string } } };
    return i.direct.connect;
  };

  const idle = (path: string, first?: string): Promise<Idle> => new Promise((resolve, reject) => {
    const socket = netConnect({ path });
    sockets.push(socket);
    const c: Idle = { socket, got: 0, closed: undefined!, isClosed: false };
    c.closed = new Promise((done) => socket.once('close', () => {
      c.isClosed = true;
      done(Date.now());
    }));
    socket.on('data', (chunk: Buffer) => void (c.got += chunk.length));
    socket.once('connect', () => {
      socket.on('error', () => {}); // a reset when the listener cuts it: expected
      if (first !== undefined) socket.write(first);
      resolve(c);
    });
    socket.once('error', reject);
  });

  it('listens at a 0600 socket in the 0700 private folder, offers that path, and removes it on close', async () => {
    const exitHooks = process.listenerCount('exit');
    const b = await bus();
    const end = await firstAtHub<string>(b, 'where');
    const failed = rejection(firstValueFrom(end.recv()));
    const raw = await RawClient.open(hubPath);
    sockets.push(raw.socket);
    raw.write(HELLO + '{"t":"open","c":1,"k":"pipe","n":"where","r":"end","o":{"direct":"x"}}\n');
    const { i } = await raw.line((f) => f.t === 'opened') as { i: { direct: { connect: string } } };
    const path = i.direct.connect;

    expect(dirname(path)).toBe(privateFolder());
    expect(basename(path)).toMatch(new RegExp(`^d-${process.pid}-[0-9a-f]+\\.sock$`));
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(107);
    const st = await lstat(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await stat(privateFolder())).mode & 0o777).toBe(0o700);
    // One exit hook for every open listener of the process, not one each.
    expect(process.listenerCount('exit')).toBe(exitHooks + 1);
    const other = await bus();
    expect(dirname(await offered(other, 'second'))).toBe(privateFolder());
    expect(process.listenerCount('exit')).toBe(exitHooks + 1);

    await b.close();
    expect((await failed).code).toBe('ERR_CLOSED');
    await expect(lstat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await other.close();
    expect(await directFiles()).toEqual([]);
    expect(process.listenerCount('exit')).toBe(exitHooks);
  });

  it('sweeps the socket files left by a killed process when it starts, and keeps those of live pids', async () => {
    await mkdir(privateFolder(), { mode: 0o700 });
    // A child binds three sockets, then is killed: its files stay, with nobody accepting on them.
    const script = `
      const net = require('node:net');
      const dir = process.argv[1];
      const names = ['d-' + process.pid + '-0dead0.sock', 'd-1-0a11fe.sock', 'd-' + process.ppid + '-0a11fe.sock', 'other.sock'];
      let bound = 0;
      for (const n of names) net.createServer().listen(dir + '/' + n, () => {
        if (++bound === names.length) { console.log(process.pid); process.kill(process.pid, 'SIGKILL'); }
      });`;
    const child = spawn(process.execPath, ['-e', script, privateFolder()], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    const [, signal] = await once(child, 'exit') as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    const dead = `d-${Number(out.trim())}-0dead0.sock`;
    const others = ['d-1-0a11fe.sock', `d-${process.pid}-0a11fe.sock`, 'other.sock'];
    expect((await readdir(privateFolder())).sort()).toEqual([dead, ...others].sort());

    const b = await bus();
    const path = await offered(b); // it sweeps before it listens
    const left = await readdir(privateFolder());
    expect(left).not.toContain(dead);
    expect(left.sort()).toEqual([basename(path), ...others].sort());
    await b.close();
    await rm(join(privateFolder(), `d-${process.pid}-0a11fe.sock`));
  });

  it('holds at most directMaxPending idle connections, cutting the oldest, while real direct pipes pair and move values', async () => {
    const maxPending = 20;
    const a = await bus({ directMaxPending: maxPending });
    const other = await bus();
    const path = await offered(a);
    const before = await firstAtHub<number>(a, 'before'); // first at the hub: it accepts
    const peer = other.pipe<number>('before');
    const firstIn = firstValueFrom(before.recv().pipe(take(3), toArray()));
    await peer.send(1);
    expect(pipeStats('before')).toMatchObject({ ends: 2, paired: true, direct: true });

    const strangers = await Promise.all(Array.from({ length: 200 }, () => idle(path)));
    let cut = 0;
    let waiters: Array<() => boolean> = [];
    for (const s of strangers) {
      void s.closed.then(() => {
        cut++;
        waiters = waiters.filter((w) => !w());
      });
    }
    const closedCount = (n: number) => new Promise<void>((resolve) => {
      const reached = () => (cut >= n ? (resolve(), true) : false);
      if (!reached()) waiters.push(reached);
    });
    // 200 accepted: each past the first 20 cut the oldest at once.
    await within(closedCount(200 - maxPending), `${200 - maxPending} connections cut`);
    const held = strangers.filter((s) => !s.isClosed);
    expect(held).toHaveLength(maxPending);
    // Those still open are held by a session: each got its hello.
    await within(until(() => held.every((s) => s.got > 0), 'the hello on every held connection'), 'hellos');

    // A pair made before goes on; a new pair on the same listener meets and moves values.
    await peer.send(2);
    await peer.send(3);
    expect(await firstIn).toEqual([1, 2, 3]);
    const after = a.pipe<string>('after'); // first at the hub: it accepts, on the crowded listener
    await until(() => pipeStats('after')?.ends === 1, "pipe 'after' at the hub");
    const got = firstValueFrom(after.recv());
    await other.pipe<string>('after').send('through');
    expect(await got).toBe('through');
    expect(pipeStats('after')).toMatchObject({ ends: 2, paired: true, direct: true });
    // Its connection was one more: the oldest stranger went.
    await within(closedCount(200 - maxPending + 1), 'one more connection cut');
    expect(strangers.filter((s) => !s.isClosed)).toHaveLength(maxPending - 1);
  });

  it('cuts a connection that has not become a channel after directTimeoutMs', async () => {
    const timeoutMs = 200;
    const a = await bus({ directTimeoutMs: timeoutMs });
    const path = await offered(a);
    const end = await firstAtHub<string>(a, 'slow');
    const start = Date.now();
    const silent = await idle(path);
    const helloOnly = await idle(path, HELLO);
    const unterminated = await idle(path, HELLO + '{"t":"open","c":1,"k":"pipe","n":"');
    const closedAt = await within(Promise.all([silent.closed, helloOnly.closed, unterminated.closed]), 'close of the idle connections');
    for (const t of closedAt) expect(t - start).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(silent.got).toBeGreaterThan(0); // it was accepted (hello), and held until then

    // The listener still serves: the pipe pairs directly.
    const got = firstValueFrom(end.recv());
    await (await bus()).pipe<string>('slow').send('still here');
    expect(await got).toBe('still here');
    expect(pipeStats('slow')).toMatchObject({ direct: true });
  });

  it('removes its socket file when the process exits without closing the bus', async () => {
    const a = await bus();
    const end = await firstAtHub<number>(a, 'exit');
    const got = firstValueFrom(end.recv().pipe(take(2), toArray()));
    const script = `
      const [dist, hub, dir] = process.argv.slice(1);
      const { connect } = await import(dist);
      const { readdirSync } = await import('node:fs');
      const bus = await connect(hub);
      const end = bus.pipe('exit');
      await end.send(-1); // resolves once paired: this end's listener listens by then
      await end.send(readdirSync(dir).filter((f) => f.startsWith('d-' + process.pid + '-')).length);
      await end.flush(); // the other end has both before this process exits
      process.exit(0);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dist, hubPath, privateFolder()], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, XDG_RUNTIME_DIR: base },
    });
    const [code] = await once(child, 'exit') as [number | null];
    expect(code).toBe(0);
    expect(await got).toEqual([-1, 1]); // the child's listener had its file while it ran
    const left = await readdir(privateFolder());
    expect(left.filter(mine(child.pid!))).toEqual([]);
  });

  it('relays through the hub when the private folder is too long for a socket path', async () => {
    const long = join(base, 'x'.repeat(100));
    process.env['XDG_RUNTIME_DIR'] = long;
    const [a, b] = [await bus(), await bus()];
    const got = firstValueFrom(b.pipe<number>('long').recv());
    await a.pipe<number>('long').send(7);
    expect(await got).toBe(7);
    expect(pipeStats('long')).toMatchObject({ ends: 2, paired: true, direct: false });
    await expect(stat(long)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing made there
  });

  it('rejects directMaxPending and directTimeoutMs that are not positive integers: connect() rejects', async () => {
    for (const options of [{ directMaxPending: 0 }, { directMaxPending: 1.5 }, { directTimeoutMs: -1 }, { directTimeoutMs: Number.NaN }, { directTimeoutMs: 2 ** 31 }]) {
      await expect(connect(hubPath, options), JSON.stringify(options)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});
