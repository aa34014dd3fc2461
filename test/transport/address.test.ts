import { describe, expect, it } from 'vitest';
import { AddressTooLongError, InvalidArgumentError } from '../../src/errors.js';
import {
  currentEnv, formatAddress, privateDir, resolveAddress, type Address, type AddressEnv,
} from '../../src/transport/address.js';

const fake = (platform: NodeJS.Platform, over: Partial<AddressEnv> = {}): AddressEnv => ({
  platform, env: {}, tmpdir: platform === 'win32' ? 'C:\\Temp' : '/tmp', uid: 1000, ...over,
});
const linux = fake('linux');
const linuxXdg = fake('linux', { env: { XDG_RUNTIME_DIR: '/run/user/1000' } });
const darwin = fake('darwin', { tmpdir: '/var/folders/xy/T', uid: 501 });
const freebsd = fake('freebsd');
const win = fake('win32', { uid: undefined });

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('privateDir', () => {
  it('uses $XDG_RUNTIME_DIR/hostbus when set and absolute', () => {
    expect(privateDir(linuxXdg)).toBe('/run/user/1000/hostbus');
    expect(privateDir(fake('linux', { env: { XDG_RUNTIME_DIR: '/run/user/1000/' } }))).toBe('/run/user/1000/hostbus');
  });
  it('falls back to <tmpdir>/hostbus-<uid>', () => {
    expect(privateDir(linux)).toBe('/tmp/hostbus-1000');
    expect(privateDir(fake('linux', { env: { XDG_RUNTIME_DIR: 'relative/dir' } }))).toBe('/tmp/hostbus-1000');
    expect(privateDir(fake('linux', { env: { XDG_RUNTIME_DIR: '' } }))).toBe('/tmp/hostbus-1000');
    expect(privateDir(darwin)).toBe('/var/folders/xy/T/hostbus-501');
  });
  it('defaults to the current environment', () => {
    expect(privateDir()).toBe(privateDir(currentEnv()));
  });
});

describe('resolveAddress on POSIX', () => {
  it('puts a bare name in the private folder, adding .sock once', () => {
    expect(resolveAddress('demo', linuxXdg)).toEqual({ kind: 'unix', path: '/run/user/1000/hostbus/demo.sock' });
    expect(resolveAddress('jobs.sock', linuxXdg)).toEqual({ kind: 'unix', path: '/run/user/1000/hostbus/jobs.sock' });
    expect(resolveAddress('my_app-1.2', linux)).toEqual({ kind: 'unix', path: '/tmp/hostbus-1000/my_app-1.2.sock' });
    expect(resolveAddress('demo', darwin)).toEqual({ kind: 'unix', path: '/var/folders/xy/T/hostbus-501/demo.sock' });
    expect(resolveAddress('demo', freebsd)).toEqual({ kind: 'unix', path: '/tmp/hostbus-1000/demo.sock' });
  });
  it('keeps an absolute path as it is', () => {
    expect(resolveAddress('/var/run/x.sock', linux)).toEqual({ kind: 'unix', path: '/var/run/x.sock' });
    expect(resolveAddress('/var/run/x', darwin)).toEqual({ kind: 'unix', path: '/var/run/x' });
  });
  it('rejects relative paths and pipe names', () => {
    for (const spec of ['./x.sock', 'run/x.sock', '../x']) {
      const err = thrown(() => resolveAddress(spec, linux));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
      expect(err.message).toMatch(/absolute path.*bare name/);
    }
    expect(thrown(() => resolveAddress('\\\\.\\pipe\\x', linux)).message).toMatch(/Windows named pipe/);
  });
  it('rejects invalid bare names', () => {
    for (const spec of ['', 'de mo', 'a:b', 'é', 'a*', '.', '..']) {
      const err = thrown(() => resolveAddress(spec, linux));
      expect(err, spec).toBeInstanceOf(InvalidArgumentError);
      expect(err.code).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('resolveAddress on win32', () => {
  it('maps a bare name to \\\\.\\pipe\\hostbus-<name>', () => {
    expect(resolveAddress('demo', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\hostbus-demo' });
    expect(resolveAddress('jobs.sock', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\hostbus-jobs.sock' });
  });
  it('keeps pipe names', () => {
    expect(resolveAddress('\\\\.\\pipe\\mine', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\mine' });
    expect(resolveAddress('\\\\?\\pipe\\mine', win)).toEqual({ kind: 'pipe', path: '\\\\?\\pipe\\mine' });
  });
  it('maps an absolute path to a pipe name without : or \\', () => {
    expect(resolveAddress('C:\\run\\jobs', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\C/run/jobs' });
    expect(resolveAddress('C:/run//jobs\\', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\C/run/jobs' });
    expect(resolveAddress('\\\\srv\\share\\hub', win)).toEqual({ kind: 'pipe', path: '\\\\.\\pipe\\//srv/share/hub' });
  });
  it('rejects relative paths and bad names', () => {
    for (const spec of ['run\\jobs', '.\\x', 'C:x', 'a b']) {
      expect(thrown(() => resolveAddress(spec, win)), spec).toBeInstanceOf(InvalidArgumentError);
    }
  });
  it('limits pipe names to 256 characters', () => {
    const ok = `\\\\.\\pipe\\${'a'.repeat(256 - 9)}`;
    expect(resolveAddress(ok, win)).toEqual({ kind: 'pipe', path: ok });
    expect(thrown(() => resolveAddress(`${ok}a`, win))).toBeInstanceOf(AddressTooLongError);
  });
});

describe('tcp addresses', () => {
  it('parses host and port on every platform', () => {
    for (const env of [linux, darwin, win]) {
      expect(resolveAddress('tcp://127.0.0.1:5000', env)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5000 });
    }
    expect(resolveAddress('tcp://localhost:1', linux)).toEqual({ kind: 'tcp', host: 'localhost', port: 1 });
    expect(resolveAddress('TCP://h:65535', linux)).toEqual({ kind: 'tcp', host: 'h', port: 65535 });
    expect(resolveAddress('tcp://[::1]:5000', linux)).toEqual({ kind: 'tcp', host: '::1', port: 5000 });
    expect(resolveAddress('tcp://127.0.0.1:0', linux)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  });
  it('rejects bad hosts and ports', () => {
    const bad = ['tcp://h:65536', 'tcp://h:-1', 'tcp://h:1.5', 'tcp://h:', 'tcp://h', 'tcp://h:abc',
      'tcp://:5000', 'tcp://[]:5000', 'tcp://::1:5000', 'tcp://h:5000/', 'tcp://h:99999999'];
    for (const spec of bad) {
      const err = thrown(() => resolveAddress(spec, linux));
      expect(err, spec).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain('tcp://host:port');
    }
  });
  it('formats addresses and round-trips them', () => {
    const cases: Address[] = [
      { kind: 'tcp', host: '127.0.0.1', port: 80 }, { kind: 'tcp', host: '::1', port: 5000 },
      { kind: 'unix', path: '/run/x.sock' },
    ];
    expect(cases.map(formatAddress)).toEqual(['tcp://127.0.0.1:80', 'tcp://[::1]:5000', '/run/x.sock']);
    for (const a of cases) expect(resolveAddress(formatAddress(a), linux)).toEqual(a);
  });
});

describe('Address objects', () => {
  it('are validated for the platform', () => {
    expect(resolveAddress({ kind: 'unix', path: '/x.sock' }, linux)).toEqual({ kind: 'unix', path: '/x.sock' });
    expect(thrown(() => resolveAddress({ kind: 'unix', path: 'x.sock' }, linux))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => resolveAddress({ kind: 'pipe', path: '\\\\.\\pipe\\x' }, linux))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => resolveAddress({ kind: 'unix', path: '/x.sock' }, win))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => resolveAddress({ kind: 'tcp', host: 'h', port: 70000 }, linux))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => resolveAddress({ kind: 'tcp', host: 'h', port: 1.5 }, linux))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => resolveAddress({ kind: 'nope' } as unknown as Address, linux))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('Unix socket path length limit (bytes)', () => {
  const path = (bytes: number) => `/${'a'.repeat(bytes - 1)}`;
  const cases: Array<[AddressEnv, number]> = [[linux, 107], [darwin, 103], [freebsd, 103], [fake('openbsd'), 103]];
  for (const [env, limit] of cases) {
    it(`allows ${limit} bytes and refuses ${limit + 1} on ${env.platform}`, () => {
      expect(resolveAddress(path(limit), env)).toEqual({ kind: 'unix', path: path(limit) });
      expect(resolveAddress({ kind: 'unix', path: path(limit) }, env)).toEqual({ kind: 'unix', path: path(limit) });
      for (const spec of [path(limit + 1), { kind: 'unix', path: path(limit + 1) } as const]) {
        const err = thrown(() => resolveAddress(spec, env));
        expect(err).toBeInstanceOf(AddressTooLongError);
        expect(err.code).toBe('ERR_ADDRESS_TOO_LONG');
        expect(err.message).toContain(`is ${limit + 1} bytes`);
        expect(err.message).toContain(`${limit}-byte limit on ${env.platform}`);
        expect(err.message).toMatch(/: use a shorter path/);
      }
    });
  }
  it('counts bytes, not characters', () => {
    const spec = `/${'é'.repeat(53)}a`; // 55 characters, 108 bytes
    expect(thrown(() => resolveAddress(spec, linux)).message).toContain('is 108 bytes');
  });
  it('suggests a shorter name or XDG_RUNTIME_DIR for bare names', () => {
    const env = fake('linux', { env: { XDG_RUNTIME_DIR: `/${'d'.repeat(80)}` } });
    const err = thrown(() => resolveAddress('a-rather-long-bus-name', env));
    expect(err).toBeInstanceOf(AddressTooLongError);
    expect(err.message).toMatch(/use a shorter name, or set XDG_RUNTIME_DIR/);
  });
});

describe('NUL bytes', () => {
  const nul = (err: Error & { code?: string }) => {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.code).toBe('ERR_INVALID_ARGUMENT');
    expect(err.message).toMatch(/NUL byte \(\\0\), and NUL is not allowed in addresses: remove it/);
  };
  it('are refused in every kind of string spec, on every platform', () => {
    const specs = ['\0', 'de\0mo', '/tmp/a\0b.sock', '/tmp/x.sock\0', '\0abstract', 'tcp://127.0.0.1\0:5000',
      'tcp://[::1\0]:5000', '\\\\.\\pipe\\a\0b', 'C:\\run\\a\0b'];
    for (const env of [linux, darwin, win]) {
      for (const spec of specs) nul(thrown(() => resolveAddress(spec, env)));
    }
  });
  it('are refused in Address objects', () => {
    nul(thrown(() => resolveAddress({ kind: 'unix', path: '/tmp/a\0b.sock' }, linux)));
    nul(thrown(() => resolveAddress({ kind: 'pipe', path: '\\\\.\\pipe\\a\0b' }, win)));
    nul(thrown(() => resolveAddress({ kind: 'tcp', host: '127.0.0.1\0', port: 5000 }, linux)));
  });
  it('are shown escaped in the message', () => {
    expect(thrown(() => resolveAddress('/tmp/a\0b.sock', linux)).message).toContain('"/tmp/a\\u0000b.sock"');
  });
  it('a spec that is neither a string nor an object is refused with InvalidArgumentError', () => {
    for (const spec of [null, undefined, 42]) {
      const err = thrown(() => resolveAddress(spec as unknown as Address, linux));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain('give a string such as "demo" or an Address object');
    }
  });
});
