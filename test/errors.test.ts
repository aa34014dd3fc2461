import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { errorCodes, errorFromWire, errorToWire, HostbusError, RemoteError } from '../src/errors.js';

type ErrorClass = (new (message: string, options?: { cause?: unknown }) => HostbusError) & { readonly code: string };

/** Every error class exported by src/errors.ts but the base class, found by reflection. */
const classes: Array<[string, ErrorClass]> = Object.entries(errors)
  .filter(([, v]) => typeof v === 'function' && v !== HostbusError && (v as { prototype?: unknown }).prototype instanceof HostbusError)
  .map(([name, v]) => [name, v as ErrorClass]);

const expectedNames = [
  'ProtocolError', 'FrameTooLargeError', 'CreditOverrunError', 'ConnectionLostError', 'SlowPeerError', 'PeerGoneError',
  'ClosedError', 'TimeoutError', 'EndedError', 'BufferOverflowError', 'AuthError', 'VersionError',
  'AddressInUseError', 'AddressTooLongError', 'NoHubError', 'InvalidArgumentError', 'OptionsMismatchError',
  'PipeBusyError', 'UnsupportedError', 'ChildProcessError', 'RemoteError', 'LimitError', 'HubBusyError',
  'ShutDownError', 'TaskDoneError', 'NotOwnerError', 'BarrierBrokenError',
  'NotFoundError', 'RevisionMismatchError', 'StaleFenceError', 'HistoryGoneError',
];

describe('error classes', () => {
  it('are all found (the reflection is not vacuous)', () => {
    expect(classes.map(([n]) => n).sort()).toEqual([...expectedNames].sort());
  });

  it('the base class is an Error with name HostbusError and code ERR_HOSTBUS', () => {
    const err = new HostbusError('base');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('HostbusError');
    expect(err.code).toBe('ERR_HOSTBUS');
    expect(err.message).toBe('base');
  });

  it.each(classes)('%s: instanceof HostbusError and Error, name is the class name, code ERR_*', (name, Cls) => {
    const err = new Cls('something happened');
    expect(err).toBeInstanceOf(Cls);
    expect(err).toBeInstanceOf(HostbusError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(Cls.name).toBe(name);
    expect(err.message).toBe('something happened');
    expect(err.code).toMatch(/^ERR_[A-Z_]+$/);
    expect(err.code).toBe(Cls.code); // the instance code is the static one
    expect(String(err)).toBe(`${name}: something happened`);
    expect(err.stack).toContain('something happened');
  });

  it('have distinct codes, none equal to the base ERR_HOSTBUS', () => {
    const codes = classes.map(([, Cls]) => new Cls('m').code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain('ERR_HOSTBUS');
  });

  it('are not instances of one another', () => {
    for (const [, A] of classes) {
      for (const [, B] of classes) {
        if (A !== B) expect(new A('m')).not.toBeInstanceOf(B);
      }
    }
  });

  it('keep stable codes (changing one breaks the wire protocol)', () => {
    const codes = Object.fromEntries(classes.map(([name, Cls]) => [name, Cls.code]));
    expect(codes).toEqual({
      ProtocolError: 'ERR_PROTOCOL',
      FrameTooLargeError: 'ERR_FRAME_TOO_LARGE',
      CreditOverrunError: 'ERR_CREDIT_OVERRUN',
      ConnectionLostError: 'ERR_CONNECTION_LOST',
      SlowPeerError: 'ERR_SLOW_PEER',
      PeerGoneError: 'ERR_PEER_GONE',
      ClosedError: 'ERR_CLOSED',
      TimeoutError: 'ERR_TIMEOUT',
      EndedError: 'ERR_ENDED',
      BufferOverflowError: 'ERR_BUFFER_OVERFLOW',
      AuthError: 'ERR_AUTH',
      VersionError: 'ERR_VERSION',
      AddressInUseError: 'ERR_ADDRESS_IN_USE',
      AddressTooLongError: 'ERR_ADDRESS_TOO_LONG',
      NoHubError: 'ERR_NO_HUB',
      InvalidArgumentError: 'ERR_INVALID_ARGUMENT',
      OptionsMismatchError: 'ERR_OPTIONS_MISMATCH',
      PipeBusyError: 'ERR_PIPE_BUSY',
      UnsupportedError: 'ERR_UNSUPPORTED',
      ChildProcessError: 'ERR_CHILD_FAILED',
      RemoteError: 'ERR_REMOTE',
      LimitError: 'ERR_LIMIT',
      HubBusyError: 'ERR_HUB_BUSY',
      ShutDownError: 'ERR_SHUTDOWN',
      TaskDoneError: 'ERR_TASK_DONE',
      NotOwnerError: 'ERR_NOT_OWNER',
      BarrierBrokenError: 'ERR_BARRIER_BROKEN',
      NotFoundError: 'ERR_NOT_FOUND',
      RevisionMismatchError: 'ERR_REVISION_MISMATCH',
      StaleFenceError: 'ERR_STALE_FENCE',
      HistoryGoneError: 'ERR_HISTORY_GONE',
    });
  });

  it.each(classes)('%s keeps the cause given on construction', (_, Cls) => {
    const cause = new Error('root');
    expect(new Cls('m', { cause }).cause).toBe(cause);
    expect(new Cls('m', { cause: 'a string' }).cause).toBe('a string');
    expect('cause' in new Cls('m')).toBe(false);
  });
});

describe('errorCodes', () => {
  it('lists every class code exactly once', () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    expect([...errorCodes].sort()).toEqual(classes.map(([, Cls]) => Cls.code).sort());
    for (const code of errorCodes) expect(code).toMatch(/^ERR_/);
  });
});

describe('errorToWire / errorFromWire', () => {
  it.each(classes)('%s round-trips with its class, code and message', (name, Cls) => {
    const original = new Cls('it broke: "quoted" é🎉\nsecond line');
    const wire = errorToWire(original);
    expect(wire).toEqual({ name, message: original.message, code: Cls.code });
    // The wire form survives JSON, as it does in an error frame.
    const back = errorFromWire(JSON.parse(JSON.stringify(wire)));
    expect(back).toBeInstanceOf(Cls);
    expect(back).toBeInstanceOf(HostbusError);
    expect(back.name).toBe(name);
    expect(back.code).toBe(Cls.code);
    expect(back.message).toBe(original.message);
  });

  it('maps a plain Error to ERR_REMOTE, keeping its name and message on the wire', () => {
    expect(errorToWire(new TypeError('x'))).toEqual({ name: 'TypeError', message: 'x', code: 'ERR_REMOTE' });
    expect(errorToWire(new Error('plain'))).toEqual({ name: 'Error', message: 'plain', code: 'ERR_REMOTE' });
  });

  it('maps thrown non-errors to ERR_REMOTE with their string form', () => {
    expect(errorToWire('boom')).toEqual({ name: 'Error', message: 'boom', code: 'ERR_REMOTE' });
    expect(errorToWire(42)).toEqual({ name: 'Error', message: '42', code: 'ERR_REMOTE' });
    expect(errorToWire(undefined)).toEqual({ name: 'Error', message: 'undefined', code: 'ERR_REMOTE' });
    expect(errorToWire(null).code).toBe('ERR_REMOTE');
  });

  it('brings a plain TypeError back as a RemoteError with code ERR_REMOTE and its message', () => {
    const back = errorFromWire(errorToWire(new TypeError('x')));
    expect(back).toBeInstanceOf(RemoteError);
    expect(back.code).toBe('ERR_REMOTE');
    expect(back.message).toContain('x');
  });

  // A plain error of user code keeps its name across the wire, inside the RemoteError's message.
  it('brings a plain TypeError back with "TypeError" in the message', () => {
    const back = errorFromWire(errorToWire(new TypeError('x')));
    expect(back).toBeInstanceOf(RemoteError);
    expect(back.message).toContain('TypeError');
    expect(back.message).toContain('x');
  });

  it('rebuilds an unknown code as a RemoteError that keeps the remote name', () => {
    const back = errorFromWire({ name: 'WeirdError', message: 'm', code: 'ERR_NOPE' });
    expect(back).toBeInstanceOf(RemoteError);
    expect(back.code).toBe('ERR_REMOTE');
    expect(back.message).toContain('WeirdError');
    expect(back.message).toContain('m');
  });

  it('never throws on garbage, always giving a RemoteError', () => {
    const garbage: unknown[] = [
      undefined,
      {},
      { code: 'ERR_NOPE', message: 'm' },
      { code: 5, message: 6, name: 7 },
      { code: 'ERR_PROTOCOL' }, // known code, no message
      { code: '__proto__', message: 'm' },
      { code: 'constructor', message: 'm' },
      { code: 'toString', message: 'm' },
      { message: 'only a message' },
      { name: 'X' },
    ];
    for (const g of garbage) {
      let back: HostbusError | undefined;
      expect(() => { back = errorFromWire(g as Parameters<typeof errorFromWire>[0]); }, JSON.stringify(g)).not.toThrow();
      expect(back).toBeInstanceOf(HostbusError);
      if ((g as { code?: unknown } | undefined)?.code !== 'ERR_PROTOCOL') {
        expect(back, JSON.stringify(g)).toBeInstanceOf(RemoteError);
      }
      expect(typeof back!.message).toBe('string');
    }
    expect(errorFromWire(undefined).message.length).toBeGreaterThan(0);
    expect(errorFromWire({ code: 'ERR_NOPE', message: 'm' }).message).toContain('m');
    expect(errorFromWire({ code: 'ERR_PROTOCOL' })).toBeInstanceOf(errors.ProtocolError);
  });
});
