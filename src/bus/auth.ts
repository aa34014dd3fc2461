import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError, InvalidArgumentError, errorFromWire, type WireError } from '../errors.js';
import type { Handshake, PeerInfo } from './handshake.js';

/** The one digest this version speaks; it is named in every challenge and inside every HMAC. */
export const AUTH_DIGEST = 'sha256';
/** Random bytes in each challenge (Python's are 40 since 3.12). */
export const CHALLENGE_BYTES = 40;
/** Longest line either side takes before authentication is done. */
export const MAX_AUTH_LINE = 1024;

/** An authkey as given (a string, UTF-8, or bytes), as bytes; InvalidArgumentError when empty or of another type. */
export function authkeyBytes(key: string | Uint8Array): Buffer {
  if (typeof key === 'string' ? key.length === 0 : !(key instanceof Uint8Array) || key.length === 0) {
    throw new InvalidArgumentError('an authkey is a non-empty string or a non-empty Uint8Array (Buffer)');
  }
  // A lone surrogate has no UTF-8: two such keys would become the same bytes.
  if (typeof key === 'string' && /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) {
    throw new InvalidArgumentError('an authkey string must be well-formed Unicode (it has a lone surrogate): give the key as bytes instead');
  }
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
}

/** The key from the environment: `HOSTBUS_AUTHKEY_HEX` (bytes, in hex) or else `HOSTBUS_AUTHKEY` (a string); undefined when neither is set. */
export function authkeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const hex = env.HOSTBUS_AUTHKEY_HEX;
  if (hex !== undefined && hex !== '') {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new InvalidArgumentError('HOSTBUS_AUTHKEY_HEX must be the key\'s bytes in hexadecimal: an even number of 0-9 and a-f');
    return Buffer.from(hex, 'hex');
  }
  const text = env.HOSTBUS_AUTHKEY;
  return text === undefined || text === '' ? undefined : Buffer.from(text, 'utf8');
}

/** HMAC-SHA256 with `key` of the message that names the protocol, the digest, who answers, and the challenge. */
function proof(key: Buffer, side: 'client' | 'hub', challenge: Buffer): Buffer {
  return createHmac(AUTH_DIGEST, key).update(`hostbus-auth-1 ${AUTH_DIGEST} ${side} `).update(challenge).digest();
}

/** The hub refuses every connection that did not prove the key with this one message: a guesser learns nothing of why. */
const MISMATCH = 'authentication failed: the authkey did not match. Give both sides the same key (the authkey option, or HOSTBUS_AUTHKEY)';

/**
 * An `auth` frame of the peer, read with JSON.parse. From a hub, a session `error` (the hub at a
 * limit, past its deadline) is that error, as it said it; anything else is an AuthError with
 * `otherwise`.
 */
function authFrame(line: string, otherwise: string, fromHub = false): Record<string, unknown> {
  if (line.length > MAX_AUTH_LINE) throw new AuthError(otherwise);
  let f: unknown;
  try {
    f = JSON.parse(line);
  } catch {
    f = undefined;
  }
  const t = typeof f === 'object' && f !== null ? (f as { t?: unknown }).t : undefined;
  if (fromHub && t === 'error' && (f as { c?: unknown }).c === undefined) throw errorFromWire((f as { e?: WireError }).e);
  if (t !== 'auth') throw new AuthError(otherwise);
  return f as Record<string, unknown>;
}

/** `v` as the bytes of a base64 field, when it has exactly `n` of them (at least `n` with `atLeast`); else undefined. */
function bytesField(v: unknown, n: number, atLeast = false): Buffer | undefined {
  if (typeof v !== 'string' || v.length > 4 * Math.ceil(MAX_AUTH_LINE / 3) || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined;
  const b = Buffer.from(v, 'base64');
  return b.length === n || (atLeast && b.length > n) ? b : undefined;
}

/**
 * The hub's side of authentication, before `inner` (the hello): the hub sends a challenge, the
 * client answers it with the HMAC of the key and sends a challenge of its own, the hub checks the
 * answer (in constant time), answers the client's challenge, and only then says hello. Any other
 * frame, a wrong answer, a line over {@link MAX_AUTH_LINE} bytes (refused by the wire as it
 * arrives, before it is held whole): AuthError, with one message whatever the cause (the session
 * fails with ERR_AUTH and closes).
 */
export function hubAuth(key: Buffer, inner: Handshake): Handshake {
  const challenge = randomBytes(CHALLENGE_BYTES);
  let write: (line: string) => void = () => undefined;
  let proven = false;
  return {
    maxLine: MAX_AUTH_LINE,
    refuse: () => new AuthError(MISMATCH),
    begin(w) {
      write = w;
      w(JSON.stringify({ t: 'auth', digest: AUTH_DIGEST, challenge: challenge.toString('base64') }));
    },
    receive(line): PeerInfo | undefined {
      if (proven) return inner.receive(line);
      const f = authFrame(line, MISMATCH);
      const response = bytesField(f.response, 32);
      const theirs = bytesField(f.challenge, 32, true);
      if (f.digest !== AUTH_DIGEST || !response || !theirs || !timingSafeEqual(response, proof(key, 'client', challenge))) throw new AuthError(MISMATCH);
      proven = true;
      write(JSON.stringify({ t: 'auth', response: proof(key, 'hub', theirs).toString('base64') }));
      inner.begin(write);
      return undefined;
    },
  };
}

/**
 * The client's side: it waits for the hub's challenge (writing nothing before it, not even the
 * error it fails with), answers it with a challenge of its own, checks the hub's answer, and only
 * then says hello (`inner`). A hub that says hello without a
 * challenge, or whose answer is wrong, is refused with AuthError: a client with a key accepts
 * only a hub that proves it has the same key.
 */
export function clientAuth(key: Buffer, inner: Handshake): Handshake {
  const challenge = randomBytes(CHALLENGE_BYTES);
  let write: (line: string) => void = () => undefined;
  let state: 'challenged' | 'answered' | 'proven' = 'challenged';
  return {
    maxLine: MAX_AUTH_LINE,
    // Until the peer has challenged, it may not be a hostbus peer at all: nothing goes to it.
    quiet: () => state === 'challenged',
    begin(w) {
      write = w;
    },
    receive(line): PeerInfo | undefined {
      if (state === 'proven') return inner.receive(line);
      if (state === 'challenged') {
        const f = authFrame(line, 'authentication failed: the hub did not ask for the authkey (it has none, or it is not the hub meant): connect without an authkey only to a hub you trust without one', true);
        const theirs = bytesField(f.challenge, 32, true);
        if (f.digest !== AUTH_DIGEST || !theirs) throw new AuthError(`authentication failed: the hub's challenge is not a ${AUTH_DIGEST} challenge of this protocol version: upgrade the older side`);
        state = 'answered';
        write(JSON.stringify({ t: 'auth', digest: AUTH_DIGEST, response: proof(key, 'client', theirs).toString('base64'), challenge: challenge.toString('base64') }));
        return undefined;
      }
      const f = authFrame(line, MISMATCH, true);
      const response = bytesField(f.response, 32);
      if (!response || !timingSafeEqual(response, proof(key, 'hub', challenge))) throw new AuthError(MISMATCH);
      state = 'proven';
      inner.begin(write);
      return undefined;
    },
  };
}
