/**
 * Hub addresses: what a spec such as `demo`, `/run/x.sock`, `C:\x\y` or `tcp://[::1]:5000`
 * means on each platform. Pure (resolution takes an {@link AddressEnv}, so every platform can be
 * tested anywhere), except {@link ensurePrivateDir}.
 */
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { posix, win32 } from 'node:path';
import { AddressTooLongError, InvalidArgumentError } from '../errors.js';

/** A resolved address: a Unix socket path, a Windows named pipe or a TCP endpoint. */
export type Address =
  | { kind: 'unix'; path: string }
  | { kind: 'pipe'; path: string }
  | { kind: 'tcp'; host: string; port: number };

/** What address resolution depends on; {@link currentEnv} gives the real one. */
export interface AddressEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  tmpdir: string;
  uid: number | undefined;
}

/** The environment of this process: `process.platform`, `process.env`, `os.tmpdir()`, uid. */
export function currentEnv(): AddressEnv {
  return { platform: process.platform, env: process.env, tmpdir: tmpdir(), uid: process.getuid?.() };
}

const NAME = /^[A-Za-z0-9._-]+$/;
const PIPE_PREFIX = /^\\\\[.?]\\pipe\\/i;
const TCP = /^tcp:\/\/(?:\[([^\]]*)\]|([^:/[\]\s]*)):([^/]*)$/i;
/** Windows limits a whole pipe name to 256 characters. */
const PIPE_MAX = 256;

/** Largest Unix socket path in bytes (sun_path minus its NUL): 107 on linux, 103 elsewhere. */
export function unixPathLimit(platform: NodeJS.Platform): number {
  return platform === 'linux' ? 107 : 103;
}

/**
 * The per-user private folder bare names live in. POSIX: `$XDG_RUNTIME_DIR/hostbus` when
 * XDG_RUNTIME_DIR is set and absolute, else `<tmpdir>/hostbus-<uid>`. win32 (where bare names
 * are pipes and need no folder): `<tmpdir>\hostbus`.
 */
export function privateDir(env: AddressEnv = currentEnv()): string {
  if (env.platform === 'win32') return win32.join(env.tmpdir, 'hostbus');
  const xdg = env.env['XDG_RUNTIME_DIR'];
  if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, 'hostbus');
  return posix.join(env.tmpdir, env.uid === undefined ? 'hostbus' : `hostbus-${env.uid}`);
}

/**
 * Resolves a spec to an {@link Address}; throws InvalidArgumentError or AddressTooLongError.
 * - `tcp://host:port` (IPv6 in brackets), every platform. Port 0..65535; 0 means "any free
 *   port" and is only meaningful to `listen`.
 * - POSIX: bare name (`[A-Za-z0-9._-]+`) → `<privateDir>/<name>.sock` (no second `.sock`);
 *   absolute path → as is; relative path → error. Paths over the sun_path limit → error.
 * - win32: bare name → `\\.\pipe\hostbus-<name>`; `\\.\pipe\…` or `\\?\pipe\…` → as is;
 *   absolute path → `\\.\pipe\` + the normalised path with `:` dropped and `\` turned into `/`
 *   (`C:\run\jobs` → `\\.\pipe\C/run/jobs`; pipe names may hold any character but `\`).
 * An Address object is validated for the platform and returned as a copy. No spec, and no path
 * or host of an Address object, may hold a NUL byte (`\0`): InvalidArgumentError.
 */
export function resolveAddress(spec: string | Address, env: AddressEnv = currentEnv()): Address {
  if (typeof spec !== 'string') return checkAddress(spec, env);
  checkNoNul(spec);
  if (spec === '') {
    throw new InvalidArgumentError('address is empty: give a bare name such as "demo", an absolute socket path, or tcp://host:port');
  }
  if (/^tcp:\/\//i.test(spec)) return parseTcp(spec);
  const bare = !/[/\\]/.test(spec);
  if (env.platform === 'win32') {
    if (PIPE_PREFIX.test(spec)) return pipe(spec);
    if (bare) return pipe(`\\\\.\\pipe\\hostbus-${checkName(spec)}`);
    if (win32.isAbsolute(spec)) {
      const mapped = win32.normalize(spec).replace(/\\+$/, '').replace(/:/g, '').replace(/\\/g, '/');
      return pipe(`\\\\.\\pipe\\${mapped}`);
    }
    throw notAbsolute(spec, 'an absolute path such as C:\\run\\hub, a \\\\.\\pipe\\ name');
  }
  if (bare) {
    const name = checkName(spec);
    const path = posix.join(privateDir(env), name.endsWith('.sock') ? name : `${name}.sock`);
    return unix(path, env, 'use a shorter name, or set XDG_RUNTIME_DIR to a shorter folder');
  }
  if (posix.isAbsolute(spec)) return unix(spec, env, 'use a shorter path, or a bare name');
  if (PIPE_PREFIX.test(spec)) {
    throw new InvalidArgumentError(`"${spec}" is a Windows named pipe, and this is ${env.platform}: use a bare name or an absolute socket path`);
  }
  throw notAbsolute(spec, 'an absolute path such as /run/hub.sock');
}

/** An IP address with an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`) as plain IPv4. */
export function unmapIp(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

/** True for a loopback IP address: 127.0.0.0/8 (IPv4-mapped too) or `::1`. */
export function isLoopbackIp(ip: string): boolean {
  const v4 = unmapIp(ip);
  return /^127\.\d+\.\d+\.\d+$/.test(v4) || ip === '::1';
}

/** A printable form of an address, for messages: the path, or `tcp://host:port`. */
export function formatAddress(a: Address): string {
  if (a.kind !== 'tcp') return a.path;
  return a.host.includes(':') ? `tcp://[${a.host}]:${a.port}` : `tcp://${a.host}:${a.port}`;
}

/**
 * Makes `dir` (and its parents) with mode 0700. POSIX only checks: if `dir` already exists it
 * must be a real directory (not a symlink) owned by this process's uid, else
 * InvalidArgumentError; its mode is then set to 0700. On win32 it only makes the folder.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const notDir = () => new InvalidArgumentError(`${dir} is not a directory: remove it, or set XDG_RUNTIME_DIR to a folder of yours`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? notDir() : err;
  }
  if (process.platform === 'win32') return;
  const st = await lstat(dir);
  if (!st.isDirectory()) throw notDir();
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new InvalidArgumentError(`${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): remove it, or set XDG_RUNTIME_DIR to a folder of yours`);
  }
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/**
 * Throws InvalidArgumentError if `text` holds a NUL byte: the OS would cut a path there (or, on
 * Linux, take a leading NUL for the abstract namespace), and Node's fs refuses it with a TypeError.
 */
function checkNoNul(text: string, shown = text): void {
  if (text.includes('\0')) {
    throw new InvalidArgumentError(`address ${JSON.stringify(shown)} contains a NUL byte (\\0), and NUL is not allowed in addresses: remove it`);
  }
}

function checkName(name: string): string {
  if (!NAME.test(name) || name === '.' || name === '..') {
    throw new InvalidArgumentError(`invalid address name "${name}": a bare name may hold only letters, digits, '.', '_' and '-'; rename it, or give an absolute path`);
  }
  return name;
}

function notAbsolute(spec: string, absolute: string): InvalidArgumentError {
  return new InvalidArgumentError(`address "${spec}" is a relative path: use ${absolute}, or a bare name such as "demo"`);
}

function unix(path: string, env: AddressEnv, fix: string): Address {
  const bytes = Buffer.byteLength(path);
  const limit = unixPathLimit(env.platform);
  if (bytes > limit) {
    throw new AddressTooLongError(`socket path ${path} is ${bytes} bytes, over the ${limit}-byte limit on ${env.platform}: ${fix}`);
  }
  return { kind: 'unix', path };
}

function pipe(path: string): Address {
  if (path.length > PIPE_MAX) {
    throw new AddressTooLongError(`pipe name ${path} is ${path.length} characters, over the ${PIPE_MAX}-character limit on win32: use a shorter name or path`);
  }
  return { kind: 'pipe', path };
}

function tcpError(spec: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid tcp address "${spec}": write tcp://host:port with a port from 1 to 65535 (0 to listen on any free port) and IPv6 hosts in brackets, e.g. tcp://127.0.0.1:5000 or tcp://[::1]:5000`);
}

function parseTcp(spec: string): Address {
  const m = TCP.exec(spec);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = m?.[3] ?? '';
  if (host === '' || !/^\d{1,5}$/.test(port) || Number(port) > 65535) throw tcpError(spec);
  return { kind: 'tcp', host, port: Number(port) };
}

function checkAddress(a: Address, env: AddressEnv): Address {
  if (a === null || typeof a !== 'object') {
    throw new InvalidArgumentError(`address is ${String(a)}: give a string such as "demo" or an Address object such as { kind: 'unix', path: '/run/hub.sock' }`);
  }
  const kind = (a as { kind?: unknown }).kind;
  if (a.kind === 'tcp') {
    if (typeof a.host === 'string') checkNoNul(a.host, `tcp://${a.host}:${String(a.port)}`);
    if (typeof a.host !== 'string' || a.host === '' || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
      throw tcpError(`tcp://${String(a.host)}:${String(a.port)}`);
    }
    return { kind: 'tcp', host: a.host, port: a.port };
  }
  if (a.kind === 'pipe' || a.kind === 'unix') {
    const onWin = env.platform === 'win32';
    if (typeof a.path !== 'string') throw new InvalidArgumentError(`address of kind ${a.kind} has no path: give its path as a string`);
    checkNoNul(a.path);
    if (a.kind === 'pipe' && (!onWin || !PIPE_PREFIX.test(a.path))) {
      throw new InvalidArgumentError(`pipe address "${a.path}" is not a \\\\.\\pipe\\ name on win32 (this is ${env.platform}): use a bare name or resolveAddress()`);
    }
    if (a.kind === 'unix' && (onWin || !posix.isAbsolute(a.path))) {
      throw new InvalidArgumentError(`unix address "${a.path}" is not an absolute path on a POSIX system (this is ${env.platform}): use a bare name or resolveAddress()`);
    }
    return a.kind === 'pipe' ? pipe(a.path) : unix(a.path, env, 'use a shorter path, or a bare name');
  }
  throw new InvalidArgumentError(`unknown address kind ${String(kind)}: use 'unix', 'pipe' or 'tcp', or a string spec`);
}
