/**
 * The fuzz suite's model of one hostile connection: given the lines the hub read from it (in
 * order, each with how many of the hub's lines the client had received when it wrote it) and the
 * lines the hub wrote to it, {@link judge} says what the hub had to do. It is written from
 * docs/protocol.md, not from src/bus/frames.ts; harness.ts's doc comment states the rules.
 *
 * Three outcomes per line:
 * - fine: a valid frame in the session's state;
 * - a fault: the hub must fail the session with one of `codes` (a definite protocol violation);
 * - either: the protocol does not say, or it depends on timing the client cannot see (data sent
 *   while credit may have been on its way): the hub may accept the line or fail the session,
 *   with any typed code. The model then goes on as if the hub accepted it.
 */
import { errorCodes } from '../../src/errors.js';

export interface SentLine {
  /** Bytes of the line, newline excluded (a trailing `\r` included). */
  bytes: number;
  /** The line as the hub decodes it (UTF-8, invalid bytes replaced), without the newline. */
  text: string;
  /** Lines of the hub this connection had received when the line's last byte was written. */
  at: number;
  /** Over maxLine: the hub must stop reading here. */
  tooLarge?: boolean;
}

export interface Judgement {
  /**
   * The first line the hub must answer with a session error, and the codes it may use;
   * `late` when it is a fault only given what the hub wrote after it (credit, data), which a
   * client may not have read yet.
   */
  fault?: { index: number; codes: readonly string[]; why: string; late?: boolean };
  /** Index of a session `error` the client sent (the session is over by its own word). */
  clientError?: number;
  /** A hello the hub accepts was read (before any fault). */
  hello: boolean;
  /** Lines the hub may accept or refuse, before the fault (their index and why). */
  either: { index: number; why: string }[];
  /** Opens the hub must refuse with a channel error (or a session error), not answer `opened`. */
  mustRefuse: { c: number; index: number; why: string; codes?: readonly string[] }[];
  /** Lines read up to the fault (or all). */
  read: number;
}

export interface Limits {
  maxLine: number;
  maxChannels: number;
}

const P = ['ERR_PROTOCOL'] as const;
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Check = { bad: string } | { odd: string } | undefined;

/** A short description of any parsed value (never recursing: values may be nested 30,000 deep). */
function brief(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return String(v);
}

/** `c`: a positive integer (docs/protocol.md); one past 2^53 is not exact: either. */
function channel(f: Record<string, unknown>): Check {
  const c = f.c;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) return { bad: `"c" is ${brief(c)}, not a positive integer` };
  if (!Number.isSafeInteger(c)) return { odd: `"c" ${c} is past 2^53` };
  return undefined;
}

/** A count (`v`, `max`, ping `n`): the protocol does not bound it; a non-number is a type error. */
function count(f: Record<string, unknown>, key: string, optional = false): Check {
  const v = f[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number') return { bad: `"${key}" is ${brief(v)}, not a number` };
  if (!Number.isSafeInteger(v) || v < 0) return { odd: `"${key}" is ${v}` };
  return undefined;
}

function str(f: Record<string, unknown>, key: string): Check {
  return typeof f[key] === 'string' ? undefined : { bad: `"${key}" is ${brief(f[key])}, not a string` };
}

function wireError(e: unknown): Check {
  if (!isPlainObject(e) || typeof e.message !== 'string' || typeof e.code !== 'string') {
    return { bad: `"e" is not {name, message, code}` };
  }
  if (e.name !== undefined && typeof e.name !== 'string') return { odd: '"e.name" is not a string' };
  return undefined;
}

function first(...checks: Check[]): Check {
  let odd: Check;
  for (const c of checks) {
    if (c && 'bad' in c) return c;
    odd ??= c;
  }
  return odd;
}

/** Field checks of a parsed frame of type `t`. */
function fields(t: string, f: Record<string, unknown>): Check {
  switch (t) {
    case 'hello': {
      const role = f.role;
      return first(
        count(f, 'v'), str(f, 'role'), count(f, 'max', true),
        typeof role === 'string' && !['client', 'hub', 'peer'].includes(role) ? { odd: `role ${brief(role)}` } : undefined,
      );
    }
    case 'open':
      return first(channel(f), str(f, 'k'), str(f, 'n'), str(f, 'r'),
        f.o !== undefined && !isPlainObject(f.o) ? { bad: '"o" is not an object' } : undefined);
    case 'data':
      return channel(f);
    case 'credit': {
      const n = f.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return first(channel(f), { bad: `credit "n" is ${brief(n)}, not at least 1` });
      return channel(f); // past 2^30 outstanding is a fault of its own (see judge)
    }
    case 'ack': {
      const r = f.r;
      if (!Array.isArray(r)) return first(channel(f), { bad: '"r" is not a list' });
      let odd: Check;
      for (const x of r) {
        if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== 'number' || typeof x[1] !== 'number') {
          return first(channel(f), { bad: `ack range ${brief(x)} is not [from, to]` });
        }
        if (!Number.isSafeInteger(x[0]) || !Number.isSafeInteger(x[1]) || x[0] < 1 || x[1] < x[0]) odd ??= { odd: `ack range ${brief(x)}` };
      }
      return first(channel(f), odd);
    }
    case 'end':
      return first(channel(f), f.e === undefined ? undefined : wireError(f.e));
    case 'close':
    case 'closed':
    case 'opened':
      return channel(f);
    case 'error':
      return first(f.c === undefined ? undefined : channel(f), wireError(f.e));
    case 'ping':
    case 'pong':
      return count(f, 'n');
    default:
      return { bad: `unknown frame type ${JSON.stringify(t)}` };
  }
}

const CANONICAL = /^\{"c":([1-9]\d{0,8}),"d":([\s\S]+)\}$/;
/** A data frame as the hub writes it, whatever the length of its id. */
const HUB_DATA = /^\{"c":([1-9]\d*),"d":([\s\S]+)\}$/;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Characters (code points) of a string, as docs/protocol.md counts a name. */
const chars = (s: string) => [...s].length;

interface Channel {
  refused: boolean;
  /** Data frames the client sent on it. */
  sent: number;
  /** Credit the client granted on it. */
  granted: number;
  /** A queue consumer: its acks must name frames in flight, each once. */
  consumer: boolean;
  acked: Set<number>;
}

/** Most credit outstanding on one direction of a channel (docs/protocol.md, Limits). */
export const MAX_CREDIT = 2 ** 30;

/** What the hub had to do with the lines of one connection. */
export function judge(lines: readonly SentLine[], received: readonly string[], limits: Limits): Judgement {
  // The hub's side, from what it wrote: credit granted and channels it failed or closed, by line.
  const credits = new Map<number, [number, number][]>();
  const gone = new Map<number, number>();
  const dataAt = new Map<number, number[]>();
  received.forEach((line, i) => {
    const m = HUB_DATA.exec(line);
    if (m) {
      const c = Number(m[1]);
      let list = dataAt.get(c);
      if (!list) dataAt.set(c, (list = []));
      list.push(i);
      return;
    }
    let f: unknown;
    try {
      f = JSON.parse(line);
    } catch {
      return;
    }
    if (!isPlainObject(f) || typeof f.c !== 'number') return;
    if (f.t === 'credit' && typeof f.n === 'number') {
      let list = credits.get(f.c);
      if (!list) credits.set(f.c, (list = []));
      list.push([i, f.n]);
    } else if ((f.t === 'error' || f.t === 'close') && !gone.has(f.c)) {
      gone.set(f.c, i);
    }
  });
  const creditBefore = (c: number, at: number) => (credits.get(c) ?? []).reduce((s, [i, n]) => (i < at ? s + n : s), 0);
  const creditTotal = (c: number) => (credits.get(c) ?? []).reduce((s, [, n]) => s + n, 0);
  /** Data frames the hub had sent on `c` when the client wrote a line (at least), and in all. */
  const dataBefore = (c: number, at: number) => (dataAt.get(c) ?? []).filter((i) => i < at).length;
  const dataTotal = (c: number) => (dataAt.get(c) ?? []).length;

  const out: Judgement = { hello: false, either: [], mustRefuse: [], read: 0 };
  let vouched = false;
  const channels = new Map<number, Channel>();
  const used = new Set<number>();
  const unsure = new Set<number>();
  const either = (index: number, why: string) => void out.either.push({ index, why });

  for (let i = 0; i < lines.length; i++) {
    out.read = i + 1;
    const line = lines[i]!;
    const fault = (codes: readonly string[], why: string, late = false): Judgement => {
      out.fault = late ? { index: i, codes, why, late } : { index: i, codes, why };
      return out;
    };
    if (line.tooLarge) return fault(['ERR_FRAME_TOO_LARGE'], `a line of more than ${limits.maxLine} bytes (a trailing \\r not counted)`);
    let text = line.text;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text === '') continue;

    const known = (c: number): Channel | Judgement | undefined => {
      const ch = channels.get(c);
      if (ch) return ch;
      if (unsure.has(c)) {
        either(i, `channel ${c} may be open (an earlier line about it was either)`);
        return undefined;
      }
      return fault(P, `a frame for channel ${c}, which is not open`);
    };
    const onData = (c: number, payloadBytes: number): Judgement | undefined => {
      const ch = known(c);
      if (!ch || !('sent' in ch)) return ch as Judgement | undefined;
      if (ch.refused) return undefined; // the hub failed it at its open: dropped
      ch.sent++;
      const goneAt = gone.get(c);
      if (goneAt !== undefined && goneAt < line.at) return undefined; // the hub closed it: dropped
      const overBound = payloadBytes > limits.maxLine - 32;
      if (ch.sent <= creditBefore(c, line.at)) {
        if (!overBound) return undefined;
        if (goneAt === undefined) return fault(['ERR_FRAME_TOO_LARGE', 'ERR_PROTOCOL'], `a payload of ${payloadBytes} bytes (over maxLine - 32)`, true);
        either(i, `a payload of ${payloadBytes} bytes on a channel the hub closed meanwhile`);
        return undefined;
      }
      if (goneAt === undefined && ch.sent > creditTotal(c)) return fault(['ERR_CREDIT_OVERRUN'], `data frame ${ch.sent} on channel ${c}, beyond the ${creditTotal(c)} credit the hub ever granted`, true);
      either(i, `data frame ${ch.sent} on channel ${c} while only ${creditBefore(c, line.at)} credit had arrived`);
      return undefined;
    };

    if (out.hello) {
      const m = CANONICAL.exec(text);
      // The canonical spelling: the hub reads the header only, and checks the rest unless vouched;
      // a line whose rest is not one JSON value goes to the full parser, below (docs/protocol.md,
      // "What the fast path reads").
      if (m && (vouched || isJson(m[2]!))) {
        const r = onData(Number(m[1]), Buffer.byteLength(m[2]!));
        if (r) return r;
        continue;
      }
    }
    let f: unknown;
    try {
      f = JSON.parse(text);
    } catch {
      return fault(P, 'not JSON');
    }
    if (!isPlainObject(f)) return fault(P, 'JSON, but not an object');
    const t = f.t === undefined && hasOwn(f, 'd') ? 'data' : f.t;
    if (typeof t !== 'string') return fault(P, `unknown frame type ${brief(t)}`);
    if (t === 'data' && hasOwn(f, 't')) return fault(P, 'unknown frame type "data"');
    const check = fields(t, f);
    if (check && 'bad' in check) {
      if (t === 'hello' && !out.hello) return fault(['ERR_PROTOCOL', 'ERR_VERSION'], check.bad);
      return fault(P, check.bad);
    }
    if (check) {
      either(i, check.odd);
      if (typeof f.c === 'number' && !Number.isSafeInteger(f.c)) unsure.add(f.c);
    }

    if (!out.hello) {
      if (t !== 'hello') return fault(P, `a ${t} frame before hello`);
      if (f.v !== 1) return fault(['ERR_VERSION', 'ERR_PROTOCOL'], `hello with version ${brief(f.v)}`);
      out.hello = true;
      vouched = f.checked === true;
      continue;
    }
    const c = f.c as number;
    switch (t) {
      case 'hello':
        return fault(P, 'a second hello');
      case 'data': {
        let bytes: number;
        try {
          bytes = Buffer.byteLength(JSON.stringify(f.d));
        } catch {
          bytes = Buffer.byteLength(text);
        }
        const r = onData(c, bytes);
        if (r) return r;
        break;
      }
      case 'credit':
      case 'ack': {
        const r = known(c);
        if (r && !('sent' in r)) return r;
        if (!r || r.refused) break;
        const goneAt = gone.get(c);
        if (goneAt !== undefined && goneAt < line.at) break; // the hub closed it: dropped
        const certain = goneAt === undefined && !unsure.has(c);
        if (t === 'credit') {
          r.granted += f.n as number;
          // Outstanding when the hub read it: granted - data the hub had sent, which is between
          // what had arrived when the line was written and what arrived in all.
          const most = r.granted - dataBefore(c, line.at);
          const least = r.granted - dataTotal(c);
          if (least > MAX_CREDIT && certain) return fault(P, `credit taking channel ${c} to ${least} or more outstanding, past 2^30`, least - (f.n as number) > 0);
          if (most > MAX_CREDIT) either(i, `credit that may take channel ${c} past 2^30 outstanding`);
          break;
        }
        const ranges = f.r as [number, number][];
        if (check) break; // odd ranges: either already
        if (ranges.length === 0) {
          either(i, 'an ack of no range');
          break;
        }
        const total = dataTotal(c);
        const before = dataBefore(c, line.at);
        for (const [from, to] of ranges) {
          if (to > total) {
            if (certain) return fault(P, `an ack of [${from},${to}] on channel ${c}, which carried ${total} data frames from the hub`, true);
            either(i, `an ack past the frames sent on channel ${c}`);
            continue;
          }
          if (to > before) either(i, `an ack of frames on channel ${c} that may not have been sent when it was written`);
          if (!r.consumer) continue;
          for (let seq = from; seq <= to; seq++) {
            if (r.acked.has(seq)) {
              if (certain) return fault(P, `frame ${seq} of queue consumer ${c} acknowledged twice`, true);
              either(i, `frame ${seq} of channel ${c} acknowledged again`);
            }
            r.acked.add(seq);
          }
        }
        break;
      }
      case 'end':
      case 'opened': {
        const r = known(c);
        if (r && !('sent' in r)) return r;
        break;
      }
      case 'close':
      case 'closed':
      case 'error': {
        if (t === 'error' && f.c === undefined) {
          out.clientError = i;
          return out;
        }
        const r = known(c);
        if (r && !('sent' in r)) return r;
        if (t === 'closed' && r) either(i, `closed for channel ${c}, which the hub may not have closed`);
        channels.delete(c);
        break;
      }
      case 'open': {
        if (channels.has(c)) return fault(P, `open of channel ${c}, which is open`);
        if (used.has(c)) {
          either(i, `channel id ${c} used again on this connection`);
          unsure.add(c);
        }
        used.add(c);
        const live = [...channels.entries()].filter(([id, ch]) => !ch.refused && !gone.has(id) && !unsure.has(id)).length;
        const refuse = refusal(f, live, limits, (why) => either(i, why));
        channels.set(c, { refused: refuse !== undefined, sent: 0, granted: 0, consumer: f.k === 'queue' && f.r === 'get', acked: new Set() });
        if (refuse && !unsure.has(c)) out.mustRefuse.push({ c, index: i, ...refuse });
        break;
      }
      case 'ping':
      case 'pong':
        break;
    }
  }
  return out;
}

/** Why the hub must refuse an `open` with a channel error, if it must. */
function refusal(f: Record<string, unknown>, live: number, limits: Limits, either: (why: string) => void): { why: string; codes?: readonly string[] } | undefined {
  const k = f.k as string;
  const r = f.r as string;
  const n = f.n as string;
  const o = (f.o ?? {}) as Record<string, unknown>;
  const invalid = ['ERR_INVALID_ARGUMENT'] as const;
  if (k !== 'queue' && k !== 'pipe') return { why: `unknown kind ${brief(k)}`, codes: invalid };
  if (n.length === 0) return { why: 'an empty name', codes: invalid };
  if (chars(n) > 256) return { why: `a name of ${chars(n)} characters`, codes: invalid };
  if (n.length > 256) either(`a name of ${chars(n)} characters but ${n.length} UTF-16 units`);
  if (k === 'queue') {
    if (r !== 'put' && r !== 'get') return { why: `queue role ${brief(r)}` };
    for (const key of ['maxsize', 'producers']) {
      const v = o[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return { why: `option ${key} ${brief(v)}` };
      if (!Number.isSafeInteger(v) || v > 1e6) either(`option ${key} ${v}`);
    }
    if (o.maxsize !== undefined || o.producers !== undefined) either('options that may differ from the existing queue\'s');
  } else {
    if (r !== 'end') return { why: `pipe role ${brief(r)}` };
    const d = o.direct;
    if (d !== undefined && typeof d !== 'string') return { why: `option direct ${brief(d)}` };
    if (d !== undefined && (d.length === 0 || d.length > 1024)) either(`option direct of ${d.length} characters`);
  }
  if (live >= limits.maxChannels) return { why: `channel ${live + 1} on a connection (maxChannels ${limits.maxChannels})`, codes: ['ERR_LIMIT'] };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What the hub writes

const typedCodes = new Set(errorCodes);

function hubWireError(e: unknown): string | undefined {
  if (!isPlainObject(e) || typeof e.name !== 'string' || typeof e.message !== 'string' || typeof e.code !== 'string') return 'an error that is not {name, message, code}';
  if (!typedCodes.has(e.code)) return `an error code ${JSON.stringify(e.code)} that is not in errorCodes`;
  if (e.message.length > 1024) return `an error message of ${e.message.length} characters (at most 1,024)`;
  if (e.name.length > 64) return `an error name of ${e.name.length} characters (at most 64)`;
  return undefined;
}

const safeId = (c: unknown) => typeof c === 'number' && Number.isSafeInteger(c) && c >= 1;

/**
 * What is wrong with a line the hub wrote, if anything: it must be one valid frame of
 * docs/protocol.md, at most maxLine bytes, its numbers safe integers, its error codes typed.
 * `payloads`: also check that data payloads are JSON (when no session vouched falsely).
 */
export function hubLineProblem(line: string, maxLine: number, payloads: boolean): string | undefined {
  if (Buffer.byteLength(line) > maxLine) return `a line of ${Buffer.byteLength(line)} bytes, over maxLine`;
  const m = CANONICAL.exec(line);
  if (m) return payloads && !isJson(m[2]!) ? 'a data frame whose payload is not JSON' : undefined;
  let f: unknown;
  try {
    f = JSON.parse(line);
  } catch {
    return 'a line that is not JSON';
  }
  if (!isPlainObject(f)) return 'a line that is not an object';
  switch (f.t) {
    case 'hello':
      return f.v === 1 && f.role === 'hub' && safeId(f.max) ? undefined : 'a bad hello';
    case 'opened':
      return safeId(f.c) && (f.i === undefined || isPlainObject(f.i)) ? undefined : 'a bad opened';
    case 'credit':
      return safeId(f.c) && safeId(f.n) ? undefined : `credit ${brief(f.n)} on channel ${brief(f.c)}: not a safe integer of at least 1`;
    case 'ack':
      if (!safeId(f.c) || !Array.isArray(f.r)) return 'a bad ack';
      for (const r of f.r) {
        if (!Array.isArray(r) || r.length !== 2 || !safeId(r[0]) || !safeId(r[1]) || r[1] < r[0]) return `an ack range ${brief(r)}`;
      }
      return undefined;
    case 'end':
      return !safeId(f.c) ? 'a bad end' : f.e === undefined ? undefined : hubWireError(f.e);
    case 'error':
      return f.c !== undefined && !safeId(f.c) ? 'a bad channel error' : hubWireError(f.e);
    case 'close':
    case 'closed':
      return safeId(f.c) ? undefined : `a bad ${f.t}`;
    case 'ping':
    case 'pong':
      return typeof f.n === 'number' && Number.isSafeInteger(f.n) && f.n >= 0 ? undefined : `a bad ${f.t}`;
    case undefined:
      return 'd' in f && safeId(f.c) ? undefined : 'a frame without a type';
    default:
      return `a frame of unknown type ${brief(f.t)}`;
  }
}
