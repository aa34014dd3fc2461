import { AuthError, ProtocolError, VersionError } from '../errors.js';
import { PROTOCOL_VERSION, encodeControl, parseFrame, preview } from './frames.js';

/** What a connection's handshake learned of the peer. */
export interface PeerInfo {
  /** The peer's role (`client`, `hub`, `peer`), at most 64 characters. */
  role: string;
  /** The name it gave itself, if any, at most 256 characters. */
  name?: string;
  /** The largest line it takes, if it said. */
  max?: number;
  /** It vouched that every payload it sends is one JSON value. */
  checked: boolean;
}

/**
 * The first step of a connection, before any channel: what each side must say first (its
 * `hello`; an authentication, on connections that need one). A session runs it before anything
 * else: what it writes goes out at once (the peer waits for nothing), and until it is done every
 * line from the peer goes to it, none to the channels.
 */
export interface Handshake {
  /** The longest line the peer may send until the handshake is done (default: the wire's maxLine). */
  readonly maxLine?: number;
  /** The error the session fails with when the wire refuses a line of the peer before the handshake is done (default: the wire's). */
  refuse?(err: Error): Error;
  /** True while this side must write nothing at all (not even the error it fails with): it waits for the peer to speak first. */
  quiet?(): boolean;
  /** Writes what this side says first. */
  begin(write: (line: string) => void): void;
  /** A line from the peer: the peer once the handshake is done, undefined while it goes on. Throws a HostbusError to refuse the peer. */
  receive(line: string): PeerInfo | undefined;
}

/** The `hello` exchange of this protocol version: each side says `hello` first, without waiting for the other's. */
export function helloHandshake(role: string, maxLine: number): Handshake {
  return {
    begin(write) {
      // hostbus vouches for its payloads: each is JSON.stringify's output, or was checked on receipt.
      write(encodeControl({ t: 'hello', v: PROTOCOL_VERSION, role, max: maxLine, checked: true }));
    },
    receive(line) {
      if (line.startsWith('{"t":"auth"')) {
        throw new AuthError('authentication failed: the hub asks for an authkey: connect with the authkey option (or set HOSTBUS_AUTHKEY)');
      }
      const f = parseFrame(line);
      if (f.t !== 'hello') throw new ProtocolError(`the first frame must be hello, got: ${preview(line)}`);
      if (f.v !== PROTOCOL_VERSION) {
        throw new VersionError(`peer speaks protocol version ${f.v}, this side speaks ${PROTOCOL_VERSION}: upgrade the older side`);
      }
      const peer: PeerInfo = { role: f.role.slice(0, 64), checked: f.checked === true };
      if (f.name !== undefined) peer.name = f.name.slice(0, 256);
      if (f.max !== undefined) peer.max = f.max;
      return peer;
    },
  };
}
