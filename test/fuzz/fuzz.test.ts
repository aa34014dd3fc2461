/**
 * The fuzz suite: sequences of valid, mutated and hostile frames across several raw sessions,
 * against a real hub over a Unix socket (in a child process) and over the in-memory transport;
 * after each sequence the invariants of harness.ts are checked (the hub is alive, a well-behaved
 * client still moves messages, the hub stays within its bounds, every misbehaving session got a
 * typed error, the hub's output is valid protocol).
 *
 * By default a bounded number of sequences per variant (the file takes about 30 s on 2 cores).
 * Environment:
 * - `HOSTBUS_FUZZ_MS=600000`: run each variant for that long, and print how many sequences it tried;
 * - `HOSTBUS_FUZZ_SEED=<n>` (and `HOSTBUS_FUZZ_PATH=<path>`, both printed by fast-check on a
 *   failure): replay a seed, or exactly the shrunk counterexample;
 * - `HOSTBUS_FUZZ_TARGET=socket|memory`: one variant only; `HOSTBUS_FUZZ_VERBOSE=1`: a line per sequence;
 * - `HOSTBUS_FUZZ_SURVEY=1`: do not stop at the first failure: collect every distinct one (by
 *   its kind and cause), shrink each on its own, and print them all (for as long as
 *   HOSTBUS_FUZZ_MS, default 2 minutes per variant).
 *
 * The socket variant runs the built package (dist/): `npm test` builds it first; on its own,
 * `npm run build && npx vitest run test/fuzz`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { describe as describeScenario, memoryTarget, runScenario, socketTarget, type Outcome, type Target, type Violation } from './harness.js';
import { scenario, type Scenario } from './scenarios.js';

const env = process.env;
const LONG_MS = Number(env.HOSTBUS_FUZZ_MS ?? 0) || 0;
const SEED = env.HOSTBUS_FUZZ_SEED === undefined || env.HOSTBUS_FUZZ_SEED === '' ? undefined : Number(env.HOSTBUS_FUZZ_SEED);
const PATH = env.HOSTBUS_FUZZ_PATH || undefined;
const SURVEY = env.HOSTBUS_FUZZ_SURVEY === '1';
const ONLY = env.HOSTBUS_FUZZ_TARGET;
const VERBOSE = env.HOSTBUS_FUZZ_VERBOSE === '1';

interface Variant {
  name: string;
  key: string;
  make(dir: string): Promise<Target>;
  /** Sequences in the default (bounded) run. */
  runs: number;
}

const all: Variant[] = [
  { name: 'a hub in a child process, over a Unix socket', key: 'socket', make: (dir) => socketTarget(dir), runs: 30 },
  { name: 'a hub in this process, over the in-memory transport', key: 'memory', make: async () => memoryTarget(), runs: 60 },
];
const variants = all.filter((v) => !ONLY || v.key === ONLY);

/** The property fails with this error: the violations, and the scenario's exact lines. */
class FuzzFailure extends Error {
  constructor(readonly violations: Violation[], sc: Scenario) {
    super(
      `${violations.length} invariant(s) broken:\n` +
        violations.map((v) => `- [${v.kind}] ${v.detail}`).join('\n') +
        `\n\nThe sequence (exact bytes, long runs shortened):\n${describeScenario(sc)}\n`,
    );
    this.name = 'FuzzFailure';
  }
}

/** Runs in flight: an interrupted fast-check leaves its last run going, which must end before the hub is disposed. */
const inFlight = new Set<Promise<Outcome>>();

function property(target: Target, counter: { runs: number }, only?: (v: Violation) => boolean) {
  return fc.asyncProperty(scenario(), async (sc) => {
    // One run at a time on a target: an interrupted check may leave its last run going.
    await Promise.allSettled([...inFlight]);
    const began = Date.now();
    const run = runScenario(target, sc);
    inFlight.add(run);
    let out: Outcome;
    try {
      out = await run;
    } finally {
      inFlight.delete(run);
    }
    counter.runs++;
    if (VERBOSE) console.log(`run ${counter.runs}: ${Date.now() - began} ms, ${sc.steps.length} steps, ${JSON.stringify(out.notes)}, ${out.violations.map((v) => v.key).join('; ')}`);
    const broken = only ? out.violations.filter(only) : out.violations;
    if (broken.length > 0) throw new FuzzFailure(broken, sc);
  });
}

async function withTarget(v: Variant, body: (t: Target) => Promise<void>): Promise<void> {
  const tmp = await tempDir();
  let target: Target | undefined;
  try {
    target = await v.make(tmp.dir);
    await body(target);
  } finally {
    if (VERBOSE) console.log(`waiting for ${inFlight.size} run(s) in flight`);
    await Promise.allSettled([...inFlight]);
    if (VERBOSE) console.log('disposing');
    await target?.dispose();
    if (VERBOSE) console.log('disposed');
    const left = await tmp.cleanup();
    expect(left, `socket files left in ${tmp.dir}`).toEqual([]);
  }
}

const seedOf = () => SEED ?? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;

describe.each(variants)('fuzz: $name', (v) => {
  const limit = LONG_MS > 0 ? LONG_MS : 60_000;

  it.skipIf(SURVEY)('hostile sequences leave the hub alive, bounded and answering with typed errors', async () => {
    await withTarget(v, async (target) => {
      const counter = { runs: 0 };
      const seed = seedOf();
      const started = Date.now();
      try {
        await fc.assert(property(target, counter), {
          seed,
          ...(PATH ? { path: PATH } : {}),
          numRuns: LONG_MS > 0 ? Number.MAX_SAFE_INTEGER : v.runs,
          plugins: [fc.interruptAfterTimeLimit(limit)],
        });
      } finally {
        console.log(`hostbus fuzz (${v.key}): ${counter.runs} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}`);
      }
    });
  }, limit + 120_000);

  it.runIf(SURVEY)('survey: every distinct failure, each shrunk on its own', async () => {
    await withTarget(v, async (target) => {
      const deadline = Date.now() + (LONG_MS || 120_000);
      const found = new Map<string, { seed: number; path?: string; text: string }>();
      const counter = { runs: 0 };
      while (Date.now() < deadline) {
        const seed = seedOf() + counter.runs;
        const r = await fc.check(property(target, counter), {
          seed, numRuns: 10_000, endOnFailure: true, plugins: [fc.interruptAfterTimeLimit(Math.max(1, deadline - Date.now()))],
        });
        await Promise.allSettled([...inFlight]);
        if (!r.failed || r.interrupted || !(r.errorInstance instanceof FuzzFailure)) break;
        for (const key of new Set(r.errorInstance.violations.map((x) => x.key))) {
          if (found.has(key)) continue;
          const s = await fc.check(property(target, counter, (x) => x.key === key), {
            seed, path: r.counterexamplePath ?? undefined, plugins: [fc.interruptAfterTimeLimit(90_000)],
          });
          const err = s.errorInstance instanceof Error ? s.errorInstance.message : `did not fail again on replay; the first time:\n${r.errorInstance.message}`;
          found.set(key, { seed, ...(s.counterexamplePath ? { path: s.counterexamplePath } : {}), text: `${s.numShrinks} shrinks\n${err}` });
          console.log(`\n=== ${key}  (HOSTBUS_FUZZ_SEED=${seed} HOSTBUS_FUZZ_PATH=${s.counterexamplePath ?? ''})\n${found.get(key)!.text}`);
        }
      }
      console.log(`\nhostbus fuzz survey (${v.key}): ${counter.runs} sequences, ${found.size} distinct failures:\n${[...found.keys()].map((k) => `- ${k}`).join('\n')}`);
    });
  }, (LONG_MS || 120_000) + 600_000);
});
