import { Deque } from '../bus/deque.js';
import type { Port, PortHandler } from '../bus/port.js';
import { BufferOverflowError, ClosedError, InvalidArgumentError, ProtocolError, errorFromWire, type WireError } from '../errors.js';
import { describe } from '../bus/frames.js';
import { encodeValue } from './json.js';

/** Answers a requester takes before it gives credit back (its window for answers). */
const ANSWER_WINDOW = 1024;

/** `{"re":N}`, the header of an answer that is not an error, read without JSON.parse; undefined for any other form. */
function answerHeader(header: string): { re: number } | undefined {
  if (header.length > 22 || !header.startsWith('{"re":') || header.charCodeAt(header.length - 1) !== 125) return undefined;
  const digits = header.slice(6, -1);
  return /^(?:0|[1-9]\d{0,14})$/.test(digits) ? { re: Number(digits) } : undefined;
}

interface Pending {
  id: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * The client's side of requests on one channel (the hub's side is `Responder`): `request(op,
 * args)` sends a data frame with the header `{"id":N,"op":NAME}` and resolves with the answer, or
 * rejects with the error the hub answered (same class and code). Requests go out in the order
 * made, as many as the hub's credit allows without waiting for answers (pipelined); the rest wait
 * here, at most `maxBuffer` of them. Answers come back in order, or, when `ordered` is false, in
 * any order (matched by id). When the channel goes, every
 * request not answered rejects with the reason (ERR_CONNECTION_LOST, ERR_CLOSED...).
 */
export class Requester {
  private port: Port | undefined;
  private nextId = 1;
  /** Requests waiting for the hub's credit, with their promises. */
  private readonly unsent = new Deque<{ json: string; header: string; pending: Pending }>();
  /** Requests sent and not answered, in order (when answers come in order). */
  private readonly pending = new Deque<Pending>();
  /** The same, by id (when they may come in any order). */
  private readonly byId = new Map<number, Pending>();
  private failure: Error | undefined;
  private owed = 0;
  /**
   * Answers received, not acknowledged yet: the acknowledgement goes with the next request (one
   * write, where a reply to an answer comes at once), or after this turn's I/O.
   */
  private unacked: number[] = [];
  private ackLater: NodeJS.Immediate | undefined;

  constructor(private readonly what: string, private readonly maxBuffer = 65_536, private readonly ordered = true) {}

  /** Port handler for the channel this requester uses. */
  readonly handler: PortHandler = {
    credit: () => this.drain(),
    data: (payload, seq, header) => this.answer(payload, seq, header),
    closed: (err) => this.fail(err ?? new ClosedError(`${this.what} was closed`)),
  };

  /** Gives the requester its channel: credit for answers goes out, and what waited follows the hub's credit. */
  bind(port: Port): void {
    this.port = port;
    port.grant(ANSWER_WINDOW);
    this.drain();
  }

  /** Sends one request; resolves with its answer. Rejects, never throws. */
  request<T>(op: string, args: unknown = null): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.call<T>(op, args, (err, value) => (err ? reject(err) : resolve(value as T)));
    });
  }

  /**
   * Sends one request, with no promise: `done` runs once with the error or the answer (at once,
   * for a request refused before it is sent). Returns the request's id (0 when refused).
   */
  call<T>(op: string, args: unknown, done: (err: Error | undefined, value?: T) => void): number {
    const resolve = (value: unknown) => done(undefined, value as T);
    const reject = (err: Error) => done(err);
    if (this.failure) return reject(this.failure), 0;
    if (this.unsent.length >= this.maxBuffer) {
      return reject(new BufferOverflowError(`${this.what}: ${this.maxBuffer} requests wait for the hub's credit: await some first`)), 0;
    }
    if (typeof op !== 'string' || op.length === 0 || op.length > 64) {
      return reject(new InvalidArgumentError(`${this.what}: an operation's name is 1 to 64 characters, got ${typeof op === 'string' ? op.length : typeof op}`)), 0;
    }
    const id = this.nextId;
    const header = `{"id":${id},"op":${JSON.stringify(op)}}`;
    let json: string;
    try {
      json = encodeValue(args);
      // Header and arguments must fit one frame together; checked again when sent, if not bound yet.
      this.port?.checkPayload(json + header);
    } catch (err) {
      return reject(err as Error), 0;
    }
    this.nextId++;
    this.unsent.push({ json, header, pending: { id, resolve, reject } });
    this.drain();
    return id;
  }

  /** Requests sent or waiting, not answered yet. */
  get inFlight(): number {
    return this.pending.length + this.byId.size + this.unsent.length;
  }

  /** Sends what waits, within credit; a request that cannot be framed rejects alone. */
  private drain(): void {
    const port = this.port;
    if (!port || this.failure) return;
    if (this.unacked.length > 0 && this.unsent.length > 0) this.sendAcks();
    while (this.unsent.length > 0 && port.state === 'open' && port.credit > 0) {
      const { json, header, pending } = this.unsent.shift()!;
      try {
        port.checkPayload(json + header);
      } catch (err) {
        pending.reject(err as Error);
        continue;
      }
      port.send(json, header);
      if (this.ordered) this.pending.push(pending);
      else this.byId.set(pending.id, pending);
    }
  }

  private answer(payload: string, seq: number, header: string | undefined): void {
    const port = this.port!;
    let h: { re?: unknown; e?: WireError } | undefined;
    try {
      h = header === undefined ? undefined : (answerHeader(header) ?? (JSON.parse(header) as typeof h));
    } catch {
      h = undefined;
    }
    let head: Pending | undefined;
    if (this.ordered) {
      head = this.pending.peek();
      if (!head || h?.re !== head.id) {
        port.fail(new ProtocolError(`${this.what}: an answer came for ${describe(h?.re)} where ${head ? `request ${head.id}` : 'no request'} was waiting`));
        return;
      }
      this.pending.shift();
    } else {
      head = typeof h?.re === 'number' ? this.byId.get(h.re) : undefined;
      if (!head) {
        port.fail(new ProtocolError(`${this.what}: an answer came for ${describe(h?.re)}, which is no request waiting`));
        return;
      }
      this.byId.delete(head.id);
    }
    this.unacked.push(seq);
    this.ackLater ??= setImmediate(() => this.sendAcks());
    if (++this.owed >= ANSWER_WINDOW / 2) {
      port.grant(this.owed);
      this.owed = 0;
    }
    if (h?.e !== undefined) return head.reject(errorFromWire(h.e));
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      port.fail(new ProtocolError(`${this.what}: an answer is not JSON`));
      return head.reject(new ProtocolError(`${this.what}: the answer to request ${head.id} is not JSON`));
    }
    head.resolve(value);
  }

  /** Acknowledges the answers received so far. */
  private sendAcks(): void {
    clearImmediate(this.ackLater);
    this.ackLater = undefined;
    const seqs = this.unacked;
    this.unacked = [];
    for (const seq of seqs) this.port?.ack(seq);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearImmediate(this.ackLater);
    this.ackLater = undefined;
    this.unacked = [];
    for (let u = this.unsent.shift(); u; u = this.unsent.shift()) u.pending.reject(err);
    for (let p = this.pending.shift(); p; p = this.pending.shift()) p.reject(err);
    const waiting = [...this.byId.values()];
    this.byId.clear();
    for (const p of waiting) p.reject(err);
  }
}
