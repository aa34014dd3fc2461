/**
 * Chaos: producers and consumers of one queue, in child processes, killed with SIGKILL at random
 * while items flow; then the records they left are checked against what a queue promises.
 *
 * Set-up. The hub runs in the test process, on a socket in a fresh temporary folder. Queue
 * `chaos` (maxsize 1,000, producers 1). While the chaos lasts (HOSTBUS_CHAOS_MS, default 8 s),
 * 3 producers and 3 consumers run at all times: every child that is killed (and every producer
 * that finished its items) is replaced at once by a new one with a new id. Producers send
 * `{p, i}` (p its id, i = 0, 1, 2...) with `send` or `sendAll`; consumers use `recv()`,
 * `recvWithAck()` (asynchronous processing, late acks) or `for await`, with a prefetch of 1 to 16,
 * so that a killed consumer holds unacknowledged items. Every 40 to 400 ms one child is killed
 * (a producer or a consumer), or, one time in twelve, every consumer at once. Each child writes
 * a record file (test/fixtures/chaos-workers.ts lists the lines): producers `T` (about to send)
 * and `S` (acknowledged by the hub); consumers `G` (delivered), `D` (processed), `A` (ack() is
 * called) and `C k` (the first k acks of this consumer have reached the hub: proved by a beacon
 * sent on the same connection after them, see `chaosConsumer`).
 *
 * End. Killing stops, and the test waits for every killed child to exit (a killed consumer is
 * still replaced meanwhile, so that 3 consumers are left: a kill just before the end would
 * otherwise leave the queue full and nobody to drain it). The producers still alive finish their
 * items (none calls `end()`); then a last producer, never killed, sends 200 items and ends the
 * queue (the one end it needs), so that the end cannot be lost with a killed producer. The
 * consumers alive drain the queue and complete (a consumer completes once the queue has ended
 * and every item was acknowledged).
 *
 * Checked, from the records and the exit of every child (a consumer is "killed" when it died of
 * our SIGKILL, "live" when its function returned; H(x) is the set of consumers with a `G` of x):
 *  1. Every child either returned or died of a SIGKILL this test sent; consumers return only
 *     after the last producer started (the queue does not end early).
 *  2. No phantom: every delivered item was attempted (`T`) by its producer.
 *  3. No consumer is given the same item twice.
 *  4. A live consumer processed and acknowledged everything it was given (`G` ⇒ `D` ⇒ `A`).
 *  5. None lost: every item whose send was acknowledged (`S`) was processed (`D`) by a consumer
 *     that may have had its ack taken by the hub: a live one, or a killed one with an `A` for it.
 *     Items whose send had not resolved when their producer was killed are neither lost nor
 *     required.
 *  6. Every duplicate explained, the exact form: the hub removes an item only on an ack, and
 *     gives it back only when its holder's connection goes, so of all the deliveries of x exactly
 *     one had its ack taken and every other went to a consumer that died holding x
 *     unacknowledged. Hence at most one member of H(x) is not "killed without a confirmed ack of
 *     x" (in particular no item is confirmed twice, and a live consumer's item was given to no
 *     other consumer that confirmed it or lived); and when there is one, it is live or has an `A`.
 *     So every processing (`D`) of an item but one is by a consumer that was SIGKILLed while it
 *     held that item unacknowledged at the hub.
 *  7. The hub held at most `maxsize` items (queued + unacknowledged), sampled at each beacon;
 *     at the end it holds none.
 *  8. Every child has exited, and no socket file is left (test/setup/no-leaks.ts checks handles).
 *
 * The seed (printed, with the figures) fixes every random choice of the test and of its children;
 * HOSTBUS_CHAOS_SEED=<seed> replays those choices (not the timing of the processes).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type Process } from 'hostbus';
import { hubPerTest } from '../process/hub-per-test.js';
import { prng, type ChaosItem, type ConsumerMode } from '../fixtures/chaos-workers.js';

const chaosWorkers = fileURLToPath(new URL('../../.build/test/fixtures/chaos-workers.js', import.meta.url));

const MAXSIZE = 1_000;
const PRODUCERS = 3;
const CONSUMERS = 3;
const CHAOS_MS = Number(process.env.HOSTBUS_CHAOS_MS ?? 8_000);
const CLOSER_ITEMS = 200;
/** Bound of the end phase (producers finishing, the closer, the drain): beyond it, a hang. */
const END_MS = 45_000;

type Kind = 'producer' | 'consumer' | 'closer';

interface Child {
  id: number;
  kind: Kind;
  mode: string;
  file: string;
  proc: Process;
  killSent: boolean;
  /** 'ok' (returned), 'killed' (by our SIGKILL), or what else happened. */
  outcome?: string;
  settled: Promise<void>;
}

const seedOf = (): number => {
  const env = process.env.HOSTBUS_CHAOS_SEED;
  if (env === undefined || env === '') return Math.floor(Math.random() * 2 ** 32);
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`HOSTBUS_CHAOS_SEED must be a non-negative integer, got '${env}'`);
  return n;
};

const lines = (file: string): string[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // killed before it opened its record
  }
  const all = text.split('\n');
  all.pop(); // after the last newline: empty, or a line cut by the kill (not a record)
  return all;
};

describe('chaos', () => {
  const t = hubPerTest();

  it('SIGKILLed producers and consumers lose no acknowledged item, and every duplicate was held by a killed consumer', async () => {
    const seed = seedOf();
    const tag = `seed ${seed} (replay: HOSTBUS_CHAOS_SEED=${seed})`;
    const started = Date.now();
    console.log(`chaos: ${tag}`);
    // Separate streams, so that what is drawn for spawns does not shift what is drawn for kills.
    const master = prng(seed);
    const spawnRnd = prng(Math.floor(master() * 2 ** 32));
    const killRnd = prng(Math.floor(master() * 2 ** 32));

    const queue = t.bus.queue<ChaosItem>('chaos', { maxsize: MAXSIZE, producers: 1 });
    const beacons = t.bus.queue<number>('beacons', { maxsize: 100_000 });
    /** Violations by check, a few examples of each. */
    const violations = new Map<string, { count: number; examples: string[] }>();
    const violate = (check: string, what: string) => {
      let v = violations.get(check);
      if (!v) violations.set(check, (v = { count: 0, examples: [] }));
      if (++v.count <= 5) v.examples.push(what);
    };
    let maxHeld = 0;
    let beaconCount = 0;
    const sample = () => {
      const s = t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === 'chaos');
      if (s) maxHeld = Math.max(maxHeld, (s.queued as number) + (s.inflight as number));
    };
    const beaconSub = beacons.recv().subscribe(() => {
      beaconCount++;
      sample();
    });

    const children: Child[] = [];
    const live = new Set<Child>();
    /** Kills go on, and producers that are gone are replaced. */
    let chaos = true;
    /** Consumers that are gone are replaced: past the chaos, until every killed child has exited. */
    let replaceConsumers = true;
    let closing = false;
    let nextId = 1;

    const start = (kind: Kind): Child => {
      const id = nextId++;
      const file = join(t.tmp.dir, `${kind}-${id}.log`);
      const childSeed = Math.floor(spawnRnd() * 2 ** 32);
      let proc: Process;
      let mode: string;
      if (kind === 'consumer') {
        // manual is drawn twice as often: its late acks are what killed consumers hold processed.
        const modes: ConsumerMode[] = ['auto', 'manual', 'manual', 'iter'];
        const m = modes[Math.floor(spawnRnd() * modes.length)]!;
        const prefetch = m === 'iter' ? 1 : 1 + Math.floor(spawnRnd() * 16);
        mode = `${m}/${prefetch}`;
        proc = spawn(chaosWorkers, 'chaosConsumer', [queue, beacons, file, id, childSeed, m, prefetch]);
      } else {
        const count = kind === 'closer' ? CLOSER_ITEMS : 100 + Math.floor(spawnRnd() * 1_900);
        mode = `${count} items`;
        proc = spawn(chaosWorkers, 'chaosProducer', [queue, file, id, count, childSeed, kind === 'closer']);
      }
      const child: Child = { id, kind, mode, file, proc, killSent: false, settled: Promise.resolve() };
      child.settled = proc.join().then(
        () => {
          child.outcome = 'ok';
          if (kind === 'consumer' && !closing) violate('1 exits', `consumer ${id} completed before the queue could have ended`);
        },
        (err: Error) => {
          child.outcome = child.killSent && /killed by SIGKILL/.test(err.message) ? 'killed' : err.message;
        },
      ).then(() => {
        live.delete(child);
        if (child.outcome !== 'ok' && child.outcome !== 'killed') violate('1 exits', `${kind} ${id} (${mode}): ${child.outcome}`);
        if (kind === 'consumer' ? replaceConsumers : kind === 'producer' && chaos) start(kind);
      });
      children.push(child);
      live.add(child);
      return child;
    };
    const kill = (child: Child) => {
      child.killSent = true;
      child.proc.kill('SIGKILL');
    };
    const describeLive = () => [...live].map((c) => `${c.kind} ${c.id} (${c.mode})`).join(', ');

    let bursts = 0;
    try {
      for (let k = 0; k < CONSUMERS; k++) start('consumer');
      for (let k = 0; k < PRODUCERS; k++) start('producer');

      // The chaos: random delays between kills (they are the chaos, not a synchronisation).
      const deadline = Date.now() + CHAOS_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 40 + Math.floor(killRnd() * 360)));
        const r = killRnd();
        const pick = killRnd();
        const alive = [...live].filter((c) => !c.killSent);
        if (r < 1 / 12) {
          bursts++;
          for (const c of alive.filter((x) => x.kind === 'consumer')) kill(c);
        } else {
          const kind = r < 0.5 ? 'producer' : 'consumer';
          const pool = alive.filter((c) => c.kind === kind);
          if (pool.length > 0) kill(pool[Math.floor(pick * pool.length)]!);
        }
      }
      chaos = false;
      // A consumer killed last must still be replaced, or the queue would be left with none.
      await Promise.all(children.filter((c) => c.killSent).map((c) => c.settled));
      replaceConsumers = false;

      // The end: every event awaited, within a bound that makes a hang a failure, not a stall.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const s = t.hub.stats().resources.find((x) => x.name === 'chaos');
          reject(new Error(`${tag}: hang: the end phase did not finish within ${END_MS} ms; hub: ${JSON.stringify(s)}; alive: ${describeLive()}`));
        }, END_MS);
      });
      try {
        const ending = (async () => {
          await Promise.all([...live].filter((c) => c.kind === 'producer').map((c) => c.settled));
          closing = true;
          await start('closer').settled;
          await Promise.all([...live].map((c) => c.settled));
        })();
        await Promise.race([ending, hang]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      chaos = false;
      replaceConsumers = false;
      for (const c of live) kill(c);
      await Promise.all(children.map((c) => c.settled));
      beaconSub.unsubscribe();
    }
    const runMs = Date.now() - started;

    // ---- the records ----
    type ItemKey = string;
    const key = (p: number | string, i: number | string): ItemKey => `${p}:${i}`;
    const attempted = new Set<ItemKey>();
    const acknowledged = new Set<ItemKey>();
    interface Seen {
      done: boolean;
      acking: boolean;
      confirmed: boolean;
    }
    /** Per item, per consumer: what its record says. */
    const seen = new Map<ItemKey, Map<Child, Seen>>();
    const killed = { producer: 0, consumer: 0 };
    let heldAtKill = 0;
    let cutLines = 0;

    for (const c of children) {
      if (c.outcome === 'killed') killed[c.kind === 'consumer' ? 'consumer' : 'producer']++;
      const recs = lines(c.file);
      if (c.kind !== 'consumer') {
        let ended = false;
        for (const line of recs) {
          const [t, a, b] = line.split(' ');
          if (t === 'E') ended = true;
          else if (t === 'T' || t === 'S') {
            for (let i = Number(a); i < Number(b); i++) (t === 'T' ? attempted : acknowledged).add(key(c.id, i));
          } else cutLines++;
        }
        if (c.kind === 'closer' && !ended) violate('1 exits', `the closer ${c.id} has no record of its end`);
        continue;
      }
      const acks: Seen[] = [];
      let confirmedCount = 0;
      for (const line of recs) {
        const [t, p, i] = line.split(' ');
        if (t === 'C') {
          confirmedCount = Math.max(confirmedCount, Number(p));
          continue;
        }
        if (t !== 'G' && t !== 'D' && t !== 'A') {
          cutLines++;
          continue;
        }
        const k = key(p!, i!);
        let per = seen.get(k);
        if (!per) seen.set(k, (per = new Map()));
        let s = per.get(c);
        if (t === 'G') {
          if (s) violate('3 given twice', `consumer ${c.id} (${c.mode}) was given ${k} twice`);
          else per.set(c, (s = { done: false, acking: false, confirmed: false }));
        } else if (!s) {
          violate('records', `consumer ${c.id} (${c.mode}) has ${t} ${k} without a G`);
        } else if (t === 'D') s.done = true;
        else {
          s.acking = true;
          acks.push(s);
        }
      }
      for (let n = 0; n < Math.min(confirmedCount, acks.length); n++) acks[n]!.confirmed = true;
      if (confirmedCount > acks.length) violate('records', `consumer ${c.id} confirmed ${confirmedCount} acks of ${acks.length}`);
      if (c.outcome === 'killed') {
        for (const per of seen.values()) {
          const s = per.get(c);
          if (s && !s.confirmed) heldAtKill++;
        }
      }
    }

    let processings = 0;
    let duplicates = 0;
    let redelivered = 0;
    for (const [k, per] of seen) {
      // 2. No phantom.
      if (!attempted.has(k)) violate('2 phantom', `${k} was delivered but never sent`);
      const holders = [...per.entries()];
      const dones = holders.filter(([, s]) => s.done).length;
      processings += dones;
      if (dones > 1) duplicates++;
      if (holders.length > 1) redelivered++;
      // 4. A live consumer processed and acknowledged all it was given.
      for (const [c, s] of holders) {
        if (c.outcome === 'ok' && !(s.done && s.acking)) violate('4 live consumer', `live consumer ${c.id} (${c.mode}) was given ${k} but did not process and acknowledge it`);
      }
      // 6. Exactly one delivery had its ack taken; every other one died with x unacknowledged.
      const notExplained = holders.filter(([c, s]) => !(c.outcome === 'killed' && !s.confirmed));
      const who = () => holders.map(([c, s]) => `${c.id}:${c.outcome}${s.done ? '+D' : ''}${s.acking ? '+A' : ''}${s.confirmed ? '+C' : ''}`).join(' ');
      if (notExplained.length > 1) {
        violate('6 unexplained duplicate', `${k}: delivered to ${notExplained.length} consumers that lived or had its ack confirmed: ${who()}`);
      } else if (notExplained.length === 1) {
        const [c, s] = notExplained[0]!;
        if (!(c.outcome === 'ok' || s.acking)) violate('6 unexplained duplicate', `${k}: the consumer that kept it never acknowledged it: ${who()}`);
      } else if (!holders.some(([, s]) => s.acking)) {
        violate('5 lost', `${k}: every consumer given it was killed before acknowledging it, yet it was not delivered again: ${who()}`);
      }
    }
    // 5. None lost.
    for (const k of acknowledged) {
      const per = seen.get(k);
      const kept = per && [...per.entries()].some(([c, s]) => s.done && (c.outcome === 'ok' || s.acking));
      if (!kept) {
        violate('5 lost', `${k}: acknowledged to its producer, never processed by a consumer that could have acknowledged it`);
      }
    }
    // 7. The bound, and nothing left.
    if (maxHeld > MAXSIZE) violate('7 bound', `the hub held ${maxHeld} items of a queue of maxsize ${MAXSIZE}`);
    const left = t.hub.stats().resources.find((r) => r.kind === 'queue' && r.name === 'chaos');
    if (left && ((left.queued as number) > 0 || (left.inflight as number) > 0)) violate('7 bound', `the hub still holds items: ${JSON.stringify(left)}`);
    // 8. Every child exited.
    for (const c of children) {
      if (c.proc.child.exitCode === null && c.proc.child.signalCode === null) violate('8 exited', `${c.kind} ${c.id} has not exited`);
    }

    const figures =
      `chaos ${tag}: ${runMs} ms (chaos ${CHAOS_MS} ms), ${children.length} children, ` +
      `${killed.producer + killed.consumer} kills (${killed.producer} producers, ${killed.consumer} consumers, ${bursts} bursts of all consumers), ` +
      `${acknowledged.size} items acknowledged to producers (${attempted.size} attempted), ${seen.size} delivered, ` +
      `${processings} processings, ${duplicates} duplicates (items processed more than once), ${redelivered} items given to several consumers, ` +
      `${heldAtKill} items held unconfirmed by killed consumers, ${beaconCount} beacons, at most ${maxHeld} items held by the hub` +
      (cutLines > 0 ? `, ${cutLines} unreadable record lines` : '');
    console.log(figures);

    const report = [...violations].map(([check, v]) => `check ${check}: ${v.count} violations, e.g.\n    ${v.examples.join('\n    ')}`);
    expect(report, `${figures}\n${report.join('\n')}`).toEqual([]);
    // The chaos did happen, and items flowed through it.
    expect(killed.producer, figures).toBeGreaterThan(0);
    expect(killed.consumer, figures).toBeGreaterThan(0);
    expect(acknowledged.size, figures).toBeGreaterThan(CLOSER_ITEMS);
  }, 120_000);
});
