import { FrameTooLargeError, LimitError, ProtocolError, errorToWire, type WireError } from '../errors.js';
import { Deque } from './deque.js';
import { MAX_ERROR_MESSAGE } from './frames.js';
import type { Channel } from './resources/resource.js';

/** Requests one channel may have unanswered at once: the credit a responder grants. */
export const REQUEST_WINDOW = 1024;

/** How a resource answers one request: once, now or later. */
export interface Reply {
  /** Answers with `value` (JSON). */
  ok(value: unknown): void;
  /** Answers with an error, which the requester's promise rejects with (same class and code). */
  fail(err: unknown): void;
}

interface Slot {
  id: number;
  /** The answer's frame, once given: payload and header as JSON text. */
  answer?: [string, string];
  /** The request's credit went back when it was left waiting, not when it is answered. */
  lent?: boolean;
  /** Characters of its answer counted in the budget while it waits for the requester's credit. */
  held?: number;
  sent?: boolean;
}

/** Where a responder counts the answers that wait for the requester's credit (the hub's `maxQueuedChars`). */
export interface AnswerBudget {
  hold(chars: number): boolean;
  unhold(chars: number): void;
}

/** `{"id":N,"op":"NAME"}` as hostbus writes it (NAME with no escapes), read without JSON.parse; undefined for any other form. */
const REQUEST_HEADER = /^\{"id":(0|[1-9]\d{0,14}),"op":"([^"\\\x00-\x1f]{1,64})"\}$/;

function requestHeader(header: string): { id: number; op: string } | undefined {
  const m = REQUEST_HEADER.exec(header);
  return m ? { id: Number(m[1]), op: m[2]! } : undefined;
}

/**
 * The hub's side of requests on one channel: each data frame whose header is
 * `{"id":N,"op":NAME}` is a request, handed to `serve` with its arguments (the payload) and its id;
 * answers go back as data frames with the header `{"re":N}` (or `{"re":N,"e":ERROR}`, payload
 * `null`): in the order the requests came, whatever the order they are given in, or, when
 * `ordered` is false, as soon as each is given (a lock's waiting `acquire` holds up no other
 * answer). Many may be in flight: the
 * requester may have {@link REQUEST_WINDOW} unanswered, and credit for one more comes back with
 * each answer sent. Answers wait here for the requester's credit, so at most that many wait;
 * with a `budget`, the characters of those that wait are counted in it, and an answer past it is
 * replaced by an ERR_LIMIT answer (call `dispose()` when the channel goes). A request frame
 * without that header fails the channel with ERR_PROTOCOL.
 */
export class Responder {
  private readonly slots = new Deque<Slot>();

  constructor(
    private readonly channel: Channel,
    private readonly serve: (op: string, args: unknown, reply: Reply, id: number) => void,
    private readonly ordered = true,
    private readonly budget?: AnswerBudget,
  ) {}

  /** Port handler parts for the resource's `attach`: `data` and `credit`. */
  readonly handler = {
    data: (payload: string, seq: number, header?: string) => this.request(payload, seq, header),
    credit: () => this.flush(),
  };

  /** Grants the requester its window: call once the channel is `opened`. */
  start(): void {
    this.channel.grant(REQUEST_WINDOW);
  }

  private request(payload: string, seq: number, header: string | undefined): void {
    let h: { id?: unknown; op?: unknown } | undefined;
    try {
      h = header === undefined ? undefined : (requestHeader(header) ?? (JSON.parse(header) as typeof h));
    } catch {
      h = undefined;
    }
    const id = h?.id;
    const op = h?.op;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || typeof op !== 'string' || op.length > 64) {
      this.channel.fail(new ProtocolError('a request is a data frame with the header {"id":N,"op":NAME} (N a non-negative integer, NAME at most 64 characters): send that header'));
      return;
    }
    this.channel.ack(seq);
    const slot: Slot = { id };
    if (this.ordered) this.slots.push(slot);
    const reply = new Answer(this, slot, op);
    try {
      this.serve(op, JSON.parse(payload), reply, id);
    } catch (err) {
      reply.fail(err);
    }
    if (!reply.answered && !this.ordered && this.slots.length < REQUEST_WINDOW) {
      slot.lent = true;
      this.channel.grant(1);
    }
  }

  /** @internal Takes the answer of `slot` (once), and sends what is ready. */
  settle(slot: Slot, op: string, frame: [string, string]): void {
    slot.answer = frame;
    if (!this.ordered) this.slots.push(slot);
    this.flush();
    if (this.budget && !slot.sent) this.count(slot, op);
  }

  /** @internal The answer frame of a result: its payload and header, or an error header if they do not fit a frame. */
  result(slot: Slot, op: string, value: unknown): [string, string] {
    const json = JSON.stringify(value ?? null);
    const header = `{"re":${slot.id}}`;
    // Header and payload together must fit a frame, whatever id the requester chose.
    if (this.fits(json, header)) return [json, header];
    return ['null', this.errorHeader(slot.id, new FrameTooLargeError(`the answer to ${op} is too large for one frame: ask for less at a time`))];
  }

  /** @internal The answer frame of a failure. */
  failure(slot: Slot, err: unknown): [string, string] {
    return ['null', this.errorHeader(slot.id, err)];
  }

  /** Counts the answer of `slot`, which waits for credit, in the budget; past it, answers ERR_LIMIT instead. */
  private count(slot: Slot, op: string): void {
    const [payload, header] = slot.answer!;
    const chars = payload.length + header.length;
    if (this.budget!.hold(chars)) {
      slot.held = chars;
      return;
    }
    slot.answer = ['null', this.errorHeader(slot.id, new LimitError(`the answer to ${op} waits for credit the requester does not grant, and the hub holds maxQueuedChars already: take the answers (grant credit), or ask for less at a time`))];
  }

  /** Gives back what the answers still waiting had counted: call once the channel is gone. */
  dispose(): void {
    for (let slot = this.slots.shift(); slot; slot = this.slots.shift()) {
      if (slot.held) this.budget?.unhold(slot.held);
    }
  }

  /** True when a payload and its header fit one frame of this channel. */
  private fits(payload: string, header = ''): boolean {
    try {
      this.channel.checkPayload(payload + header);
      return true;
    } catch (err) {
      if (err instanceof FrameTooLargeError) return false;
      throw err;
    }
  }

  /** The header of an error answer, its message cut to 1,024 characters, then to what the frame has room for. */
  private errorHeader(id: number, err: unknown): string {
    const e: WireError = errorToWire(err);
    const header = (message: string) => JSON.stringify({ re: id, e: { name: e.name.slice(0, 64), message, code: e.code.slice(0, 64) } });
    const full = header(e.message.length > MAX_ERROR_MESSAGE ? e.message.slice(0, MAX_ERROR_MESSAGE - 3) + '...' : e.message);
    if (this.fits('null', full)) return full;
    const short = header(e.message.slice(0, 61) + '...');
    return this.fits('null', short) ? short : header('');
  }

  /**
   * Sends the answers at the head that are ready, within the requester's credit. Never throws
   * into whoever gave an answer: a frame that cannot be written fails this channel alone.
   */
  private flush(): void {
    try {
      for (let slot = this.slots.peek(); slot?.answer; slot = this.slots.peek()) {
        if (this.channel.trySend(slot.answer[0], slot.answer[1]) === 0) return;
        this.slots.shift();
        slot.sent = true;
        if (slot.held) this.budget?.unhold(slot.held);
        if (!slot.lent) this.channel.grant(1);
      }
    } catch (err) {
      this.channel.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The reply to one request: its first answer counts, later ones are ignored. */
class Answer implements Reply {
  answered = false;

  constructor(private readonly responder: Responder, private readonly slot: Slot, private readonly op: string) {}

  ok(value: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.responder.settle(this.slot, this.op, this.responder.result(this.slot, this.op, value));
  }

  fail(err: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.responder.settle(this.slot, this.op, this.responder.failure(this.slot, err));
  }
}
