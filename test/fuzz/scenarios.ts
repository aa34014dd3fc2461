/**
 * Sequences of actions across hostile sessions, for the fuzz suite: random lines (valid, mutated,
 * junk) and the hostile patterns that amplify (frames.ts makes the lines). A scenario is plain
 * data, so that fast-check prints and shrinks it; harness.ts runs it.
 *
 * Sessions are numbered; session `s`'s first step connects it (`connect`, with its hello or none),
 * and after a `close` the next `connect` of `s` is a new connection. Data volume is capped per
 * scenario ({@link BUDGET}) so that what hostile producers leave in queues stays under half of
 * the hub's maxQueuedChars: the well-behaved client must never be short of room because of it.
 */
import fc from 'fast-check';
import {
  MAX_LINE, ack, ackRanges, anyLine, channelError, channelId, close, credit, creditN, data, end, hello, helloFrame,
  materialize, mutatedLine, name, obj, openPipe, openQueue, payload, ping, queueOptions, validLine, wireError,
  type Line, type Obj, type Val,
} from './frames.js';

export type Step =
  /** Connects session `s` (again, if it was closed) and writes `hello` first, if any. */
  | { s: number; op: 'connect'; hello: Line | null }
  /** Writes lines; `split`: fractions of the bytes where the writes are cut (each cut is a separate write, a turn apart). */
  | { s: number; op: 'write'; lines: Line[]; split?: number[] }
  /** Waits until the hub has sent `n` (default 1) of these on channel `c`, or the channel or session failed (1 s at most: a wait, not a check). */
  | { s: number; op: 'wait'; for: 'credit' | 'opened' | 'data'; c: number; n?: number }
  /**
   * Acks the data frames received so far on `c`, one range `[k,k]` each, in acks of at most 4,000
   * ranges: ascending (ranges that touch), in reverse, the odd ones then the even ones (ranges that
   * do not touch within an ack), or only the odd ones.
   */
  | { s: number; op: 'ack'; c: number; order?: 'rev' | 'odd-even' | 'odd' }
  /** Sends as many data frames `{"c":c,"d":"xx…"}` of `size` characters as the hub granted credit on `c`, at most `max`. */
  | { s: number; op: 'flood'; c: number; max: number; size: number }
  /** Stops reading the socket (until the checks at the end). */
  | { s: number; op: 'pause' }
  | { s: number; op: 'resume' }
  /** Closes the connection: `end` (FIN) or `destroy` (reset). */
  | { s: number; op: 'close'; how: 'end' | 'destroy' };

export interface Scenario {
  steps: Step[];
}

/** Most bytes hostile sessions write in one scenario (items left in queues are at most this). */
export const BUDGET = 2 * 1024 * 1024 - 64 * 1024;

const line = (v: Obj | Val, extra: Partial<Line> = {}): Line => ({ v, ...extra });

/** Connect with a valid hello (mostly), a mutated one, or none. */
const connectStep = (s: number): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 24, arbitrary: helloFrame.map((h): Step => ({ s, op: 'connect', hello: line(h) })) },
    { weight: 3, arbitrary: mutatedLine().map((l): Step => ({ s, op: 'connect', hello: l })) },
    { weight: 1, arbitrary: fc.constant<Step>({ s, op: 'connect', hello: null }) },
  );

const valid = (s: number): Step => ({ s, op: 'connect', hello: line(hello()) });

/** Random lines on one session, from a small pool of channel ids so that they meet open channels. */
function soup(s: number): fc.Arbitrary<Step[]> {
  const ids = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: channelId });
  return fc.tuple(fc.array(anyLine(ids), { minLength: 1, maxLength: 8 }), fc.option(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }), { nil: undefined }))
    .map(([lines, split]): Step[] => [split && split.length > 0 ? { s, op: 'write', lines, split } : { s, op: 'write', lines }]);
}

/** How a pattern ends for one side. */
const finish = fc.oneof(
  fc.constantFrom('none', 'end', 'close', 'disconnect', 'reset'),
  wireError.map((e) => ({ endWith: e })),
  wireError.map((e) => ({ failWith: e })),
);

function finishSteps(s: number, c: number, f: string | { endWith: Obj } | { failWith: Obj }): Step[] {
  if (typeof f === 'object') {
    return 'endWith' in f ? [{ s, op: 'write', lines: [line(end(c, f.endWith))] }] : [{ s, op: 'write', lines: [line(channelError(c, f.failWith))] }];
  }
  switch (f) {
    case 'end': return [{ s, op: 'write', lines: [line(end(c))] }];
    case 'close': return [{ s, op: 'write', lines: [line(close(c))] }];
    case 'disconnect': return [{ s, op: 'close', how: 'end' }];
    case 'reset': return [{ s, op: 'close', how: 'destroy' }];
    default: return [];
  }
}

/** A producer and a consumer (on the same session or two) on one queue; acks, maybe tens of thousands of ranges. */
function queuePattern(sp: number, sc: number): fc.Arbitrary<Step[]> {
  return fc.record({
    n: name, cp: channelId, cc: channelId, o: queueOptions,
    items: fc.array(fc.tuple(payload, fc.boolean()), { minLength: 1, maxLength: 8 }),
    grant: creditN, consumers: fc.integer({ min: 1, max: 3 }),
    ackMode: fc.constantFrom('each', 'rev', 'odd-even', 'odd', 'none', 'ranges'), ranges: ackRanges,
    endP: finish, endC: finish,
  }).map(({ n, cp, cc, o, items, grant, consumers, ackMode, ranges, endP, endC }): Step[] => {
    const steps: Step[] = [
      { s: sp, op: 'write', lines: [line(openQueue(cp, n, 'put', o))] },
      { s: sp, op: 'wait', for: 'credit', c: cp },
      { s: sp, op: 'write', lines: items.map(([d, re]) => line(data(cp, d, re))) },
    ];
    for (let k = 0; k < consumers; k++) {
      const c = cc + k;
      steps.push({ s: sc, op: 'write', lines: [line(openQueue(c, n, 'get')), line(credit(c, grant))] });
    }
    steps.push({ s: sc, op: 'wait', for: 'data', c: cc, n: Math.min(items.length, grant) });
    if (ackMode === 'each') steps.push({ s: sc, op: 'ack', c: cc });
    if (ackMode === 'rev' || ackMode === 'odd-even' || ackMode === 'odd') steps.push({ s: sc, op: 'ack', c: cc, order: ackMode });
    if (ackMode === 'ranges') steps.push({ s: sc, op: 'write', lines: [line(ack(cc, ranges))] });
    return [...steps, ...finishSteps(sp, cp, endP), ...finishSteps(sc, cc, endC)];
  });
}

/**
 * Two ends of a relayed pipe on two sessions: credit (2^53-1 twice overflows a relayed sum),
 * data or a flood while the receiver does not read, acks (tens of thousands of ranges, relayed),
 * and an end or error whose message fills the line.
 */
function pipePattern(sa: number, sb: number): fc.Arbitrary<Step[]> {
  return fc.record({
    n: name, ca: channelId, cb: channelId,
    grants: fc.array(creditN, { minLength: 1, maxLength: 3 }),
    items: fc.array(fc.tuple(payload, fc.boolean()), { maxLength: 6 }),
    flood: fc.option(fc.oneof(
      fc.record({ max: fc.integer({ min: 10, max: 3000 }), size: fc.integer({ min: 1, max: 2000 }) }),
      fc.record({ max: fc.integer({ min: 6000, max: 14_000 }), size: fc.integer({ min: 1, max: 8 }) }),
    ), { nil: undefined }),
    ackOrder: fc.option(fc.constantFrom<'rev' | 'odd-even' | 'odd' | undefined>(undefined, 'rev', 'odd-even', 'odd'), { nil: null }),
    pause: fc.boolean(),
    acks: fc.array(ackRanges, { maxLength: 3 }),
    back: fc.boolean(),
    endA: finish, endB: finish,
  }).map(({ n, ca, cb, grants, items, flood, pause, ackOrder, acks, back, endA, endB }): Step[] => {
    const steps: Step[] = [
      { s: sa, op: 'write', lines: [line(openPipe(ca, n))] },
      { s: sb, op: 'write', lines: [line(openPipe(cb, n))] },
    ];
    if (pause) steps.push({ s: sb, op: 'pause' });
    steps.push({ s: sb, op: 'write', lines: grants.map((g) => line(credit(cb, g))) });
    steps.push({ s: sa, op: 'wait', for: 'credit', c: ca });
    if (items.length > 0) steps.push({ s: sa, op: 'write', lines: items.map(([d, re]) => line(data(ca, d, re))) });
    if (flood) steps.push({ s: sa, op: 'flood', c: ca, ...flood });
    if (!pause && (items.length > 0 || flood)) steps.push({ s: sb, op: 'wait', for: 'data', c: cb, n: items.length + (flood?.max ?? 0) });
    if (ackOrder !== null) steps.push(ackOrder ? { s: sb, op: 'ack', c: cb, order: ackOrder } : { s: sb, op: 'ack', c: cb });
    if (acks.length > 0) steps.push({ s: sb, op: 'write', lines: acks.map((r) => line(ack(cb, r))) });
    if (back) steps.push({ s: sa, op: 'write', lines: [line(credit(ca, 2 ** 53 - 1)), line(credit(ca, 2 ** 53 - 1))] });
    return [...steps, ...finishSteps(sa, ca, endA), ...finishSteps(sb, cb, endB)];
  });
}

/** Many opens on one session (past maxChannels, or maxResources with distinct names). */
function manyOpens(s: number): fc.Arbitrary<Step[]> {
  return fc.record({
    count: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 250, max: 300 })),
    from: fc.constantFrom(1, 1000, 999_999_000),
    kind: fc.constantFrom('get', 'put', 'pipe'),
    distinct: fc.boolean(),
    base: name,
  }).map(({ count, from, kind, distinct, base }): Step[] => {
    const lines: Line[] = [];
    for (let k = 0; k < count; k++) {
      const n = distinct ? `${base}-${s}-${k}` : base;
      lines.push(line(kind === 'pipe' ? openPipe(from + k, n) : openQueue(from + k, n, kind as 'get' | 'put')));
    }
    return [{ s, op: 'write', lines }];
  });
}

/** A consumer that takes deliveries on many channels, then drops the connection (redelivery). */
function consumersThenDisconnect(s: number): fc.Arbitrary<Step[]> {
  return fc.record({ n: name, count: fc.integer({ min: 1, max: 30 }), grant: fc.integer({ min: 1, max: 64 }), how: fc.constantFrom<'end' | 'destroy'>('end', 'destroy') })
    .map(({ n, count, grant, how }): Step[] => {
      const lines: Line[] = [];
      for (let k = 0; k < count; k++) lines.push(line(openQueue(500 + k, n, 'get')), line(credit(500 + k, grant)));
      return [{ s, op: 'write', lines }, { s, op: 'wait', for: 'opened', c: 500 + count - 1 }, { s, op: 'close', how }];
    });
}

/** Pings by the thousand, from a session that may not read. */
function pingFlood(s: number): fc.Arbitrary<Step[]> {
  return fc.record({ count: fc.integer({ min: 1, max: 12_000 }), pause: fc.boolean() }).map(({ count, pause }): Step[] => {
    const lines: Line[] = [];
    for (let k = 0; k < count; k++) lines.push(line(ping(k)));
    return [...(pause ? [{ s, op: 'pause' } as Step] : []), { s, op: 'write', lines }];
  });
}

/** Many connections at once: more than maxConnections or maxPendingConnections; with a hello or not. */
function connectionFlood(first: number): fc.Arbitrary<Step[]> {
  return fc.record({ count: fc.integer({ min: 1, max: 40 }), hello: fc.boolean(), close: fc.boolean() }).map(({ count, hello: h, close: c }): Step[] => {
    const steps: Step[] = [];
    for (let k = 0; k < count; k++) steps.push(h ? valid(first + k) : { s: first + k, op: 'connect', hello: null });
    if (c) for (let k = 0; k < count; k += 2) steps.push({ s: first + k, op: 'close', how: 'destroy' });
    return steps;
  });
}

/** A hello that never ends, or arrives in pieces. */
function slowHello(s: number): fc.Arbitrary<Step[]> {
  return fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }).map((cut): Step[] => [
    { s, op: 'connect', hello: { v: hello(), mut: [{ cut }], eol: 'none' } },
  ]);
}

/** Hostile sessions of a scenario (besides the connection floods'). */
export const SESSIONS = 4;

const session = fc.integer({ min: 0, max: SESSIONS - 1 });

/** Steps written for sessions 0 and 1, given to sessions `a` and `b` (shrinking needs no `chain`). */
const on = (arb: fc.Arbitrary<Step[]>) =>
  fc.tuple(session, session, arb).map(([a, b, steps]) => steps.map((st): Step => (st.s === 0 ? { ...st, s: a } : st.s === 1 ? { ...st, s: b } : st)));

/** One block of a scenario. */
const block: fc.Arbitrary<Step[]> = fc.oneof(
  { weight: 6, arbitrary: on(soup(0)) },
  { weight: 3, arbitrary: on(queuePattern(0, 1)) },
  { weight: 3, arbitrary: on(pipePattern(0, 1)) },
  { weight: 1, arbitrary: on(manyOpens(0)) },
  { weight: 1, arbitrary: on(consumersThenDisconnect(0)) },
  { weight: 1, arbitrary: on(pingFlood(0)) },
  { weight: 1, arbitrary: on(fc.constant<Step[]>([{ s: 0, op: 'close', how: 'destroy' }])) },
  { weight: 1, arbitrary: on(fc.constant<Step[]>([{ s: 0, op: 'pause' }])) },
  { weight: 1, arbitrary: on(connectStep(0).map((c) => [{ s: 0, op: 'close', how: 'end' } as Step, c])) },
  { weight: 1, arbitrary: connectionFlood(10) },
  { weight: 1, arbitrary: slowHello(60) },
  { weight: 1, arbitrary: on(validLine().map((l): Step[] => [{ s: 0, op: 'write', lines: [l] }])) },
);

/** Bytes a step writes at most (floods: their cap). */
export function stepBytes(step: Step): number {
  if (step.op === 'write') return step.lines.reduce((sum, l) => sum + materialize(l).length, 0);
  if (step.op === 'connect') return step.hello ? materialize(step.hello).length : 0;
  if (step.op === 'flood') return step.max * (step.size + 16);
  return 0;
}

/** Drops the steps (other than connects and closes) past the byte budget, in order. */
export function withinBudget(steps: Step[], budget = BUDGET): Step[] {
  let used = 0;
  return steps.filter((step) => {
    if (step.op === 'connect' || step.op === 'close') return true;
    const b = stepBytes(step);
    if (used + b > budget) return false;
    used += b;
    return true;
  });
}

/** A scenario: up to 4 hostile sessions, each connected with its hello, then blocks of actions. */
export function scenario(opts: { maxBlocks?: number } = {}): fc.Arbitrary<Scenario> {
  return fc.tuple(
    fc.tuple(...Array.from({ length: SESSIONS }, (_, s) => connectStep(s))),
    fc.array(block, { minLength: 1, maxLength: opts.maxBlocks ?? 6 }),
  ).map(([connects, blocks]): Scenario => {
    const steps = blocks.flat();
    const used = new Set(steps.map((st) => st.s));
    return { steps: withinBudget([...connects.filter((c) => used.has(c.s)), ...steps]) };
  });
}

export { MAX_LINE };
