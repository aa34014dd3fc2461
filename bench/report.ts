// What `npm run bench` makes of its measurements: medians and spreads per scenario and system,
// the tables printed on stdout, and bench/results/latest.json (whose shape other tools read).
import { BULK_OF, SCENARIOS, UNIX_OF, type Runner, type ScenarioId, type SystemId } from './lib/runner.js';
import { median, spread } from './lib/stats.js';

/** One run of one runner in one round. */
export interface Sample {
  round: number;
  runner: Runner;
  values: Partial<Record<ScenarioId, number>>;
  details: Record<string, number>;
  wallMs: number;
}

/** One system in one scenario, over the rounds. */
export interface Cell {
  median: number;
  min: number;
  max: number;
  /** The figure of each round, in round order. */
  rounds: number[];
  /** Median over rounds of each detail of the runner that measured it. */
  details: Record<string, number>;
}

export interface ScenarioSummary {
  id: ScenarioId;
  unit: string;
  higherIsBetter: boolean;
  about: string;
  cells: Map<SystemId, Cell>;
}

/** A runner skipped because `unavailable()` gave a reason. */
export interface Skipped {
  system: SystemId;
  scenarios: ScenarioId[];
  reason: string;
}

/** The shape of bench/results/latest.json: `scenarios[]` with `results` (medians) is the contract. */
export interface LatestJson {
  scenarios: {
    id: ScenarioId;
    unit: string;
    higher_is_better: boolean;
    results: Partial<Record<SystemId, number>>;
    about: string;
    spread: Partial<Record<SystemId, { min: number; max: number; rounds: number[] }>>;
    /** How many times better hostbus is than each peer (>1: hostbus better), whatever the direction. */
    hostbus_advantage: Partial<Record<SystemId, number>>;
    details: Partial<Record<SystemId, Record<string, number>>>;
    /**
     * One-at-a-time scenarios only, when the run also measured hostbus's bulk form: hostbus's
     * figure here over its figure there (the same direction: <1 means the loop is slower).
     */
    hostbus_vs_bulk?: { scenario: ScenarioId; ratio: number };
    /**
     * The tcp:// scenarios only (`UNIX_OF`), when the run also measured the Unix-socket scenario:
     * hostbus's figure here over its figure there, as they are (not turned by direction: for µs
     * >1 means TCP is slower, for msg/s <1 does), with issue 15's target if it sets one.
     */
    hostbus_vs_unix?: { scenario: ScenarioId; ratio: number; target?: { atLeast?: number; atMost?: number }; met?: boolean };
  }[];
  date: string;
  quick: boolean;
  rounds: number;
  machine: Record<string, string | number>;
  skipped: Skipped[];
}

export const HOSTBUS: SystemId = 'hostbus';

export function mediansOf(samples: Sample[]): Record<string, number> {
  const keys = new Set(samples.flatMap((s) => Object.keys(s.details)));
  const out: Record<string, number> = {};
  for (const k of keys) {
    const xs = samples.map((s) => s.details[k]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (xs.length > 0) out[k] = median(xs);
  }
  return out;
}

/** Per scenario (in SCENARIOS order), per system (in `systems` order): median and spread over rounds. */
export function summarize(samples: Sample[], scenarios: ScenarioId[], systems: SystemId[]): ScenarioSummary[] {
  const out: ScenarioSummary[] = [];
  for (const id of scenarios) {
    const cells = new Map<SystemId, Cell>();
    for (const system of systems) {
      const mine = samples.filter((s) => s.runner.system === system && s.values[id] !== undefined).sort((a, b) => a.round - b.round);
      if (mine.length === 0) continue;
      const rounds = mine.map((s) => s.values[id]!);
      cells.set(system, { ...spread(rounds), rounds, details: mediansOf(mine) });
    }
    if (cells.size === 0) continue;
    const s = SCENARIOS[id];
    out.push({ id, unit: s.unit, higherIsBetter: s.higherIsBetter, about: s.about, cells });
  }
  return out;
}

/** How many times better hostbus is than `peer` in this scenario (>1: hostbus better); undefined if either is missing. */
export function advantage(s: ScenarioSummary, peer: SystemId): number | undefined {
  const h = s.cells.get(HOSTBUS)?.median;
  const p = s.cells.get(peer)?.median;
  if (h === undefined || p === undefined || h <= 0 || p <= 0) return undefined;
  return s.higherIsBetter ? h / p : p / h;
}

/** hostbus's loop figure over its bulk figure of the same run (`BULK_OF`); undefined if either is missing. */
export function vsBulk(s: ScenarioSummary, summaries: ScenarioSummary[]): { scenario: ScenarioId; ratio: number } | undefined {
  const bulk = BULK_OF[s.id];
  const h = s.cells.get(HOSTBUS)?.median;
  const b = summaries.find((x) => x.id === bulk)?.cells.get(HOSTBUS)?.median;
  if (bulk === undefined || h === undefined || b === undefined || h <= 0 || b <= 0) return undefined;
  return { scenario: bulk, ratio: s.higherIsBetter ? h / b : b / h };
}

/**
 * hostbus's tcp:// figure over its Unix-socket figure of the same run (`UNIX_OF`), as they are
 * (tcp / unix, whatever the direction); undefined if either is missing.
 */
export function vsUnix(s: ScenarioSummary, summaries: ScenarioSummary[]): { scenario: ScenarioId; ratio: number; target?: { atLeast?: number; atMost?: number }; met?: boolean } | undefined {
  const of = UNIX_OF[s.id];
  const t = s.cells.get(HOSTBUS)?.median;
  const u = of && summaries.find((x) => x.id === of.scenario)?.cells.get(HOSTBUS)?.median;
  if (of === undefined || t === undefined || u === undefined || t <= 0 || u <= 0) return undefined;
  const ratio = t / u;
  if (!of.target) return { scenario: of.scenario, ratio };
  const { atLeast, atMost } = of.target;
  return { scenario: of.scenario, ratio, target: of.target, met: (atLeast === undefined || ratio >= atLeast) && (atMost === undefined || ratio <= atMost) };
}

// ---- formatting -------------------------------------------------------------------------------

/** Units of counts per second: printed and stored as whole numbers. */
const COUNT_RATES = new Set(['msg/s', 'acq/s', 'ops/s']);

/** A figure as printed: rates as integers with separators, the rest with one decimal (µs under 10: two). */
export function fmt(x: number, unit: string): string {
  if (COUNT_RATES.has(unit)) return Math.round(x).toLocaleString('en-US');
  if (unit === 'µs' && x < 10) return x.toFixed(2);
  return x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** A figure as stored in the JSON: rates as integers, the rest to 0.01. */
export function round(x: number, unit: string): number {
  return COUNT_RATES.has(unit) ? Math.round(x) : Math.round(x * 100) / 100;
}

const ratio = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)}×`);

function grid(head: string[], rows: string[][], leftColumns = 1): string {
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c < leftColumns ? x.padEnd(width[c]!) : x.padStart(width[c]!))).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The stdout report: (1) each hostbus figure and its ratio to every peer; (2) every system's
 * median and min–max; (3) the details of each measurement.
 */
export function tables(summaries: ScenarioSummary[], systems: SystemId[], rounds: number): string {
  const peers = systems.filter((s) => s !== HOSTBUS);
  const out: string[] = [];
  out.push(`hostbus against each peer: median over ${rounds} round(s), min–max over rounds in brackets.`);
  out.push('Peer columns: how many times better hostbus is. For msg/s and MB/s (higher is better) that is');
  out.push('hostbus / peer; for µs and MiB (lower is better) it is peer / hostbus. So >1 always means');
  out.push('hostbus is better, <1 that the peer is; — : no figure.');
  out.push('');
  out.push(grid(
    ['scenario', 'unit', 'hostbus', 'min–max', ...peers],
    summaries.map((s) => {
      const h = s.cells.get(HOSTBUS);
      return [
        s.id,
        s.unit,
        h ? fmt(h.median, s.unit) : '—',
        h ? `${fmt(h.min, s.unit)}–${fmt(h.max, s.unit)}` : '',
        ...peers.map((p) => ratio(advantage(s, p))),
      ];
    }),
    2,
  ));
  out.push('');
  out.push('Every figure: median, min–max over rounds; "hostbus×" as above (>1: hostbus better).');
  out.push('');
  const rows: string[][] = [];
  for (const s of summaries) {
    let first = true;
    for (const system of systems) {
      const c = s.cells.get(system);
      if (!c) continue;
      rows.push([
        first ? s.id : '',
        first ? `${s.unit} (${s.higherIsBetter ? 'higher' : 'lower'} is better)` : '',
        system,
        fmt(c.median, s.unit),
        `${fmt(c.min, s.unit)}–${fmt(c.max, s.unit)}`,
        system === HOSTBUS ? '' : ratio(advantage(s, system)),
      ]);
      first = false;
    }
  }
  out.push(grid(['scenario', 'unit', 'system', 'median', 'min–max', 'hostbus×'], rows, 3));
  return out.join('\n');
}

/**
 * The one-at-a-time scenarios (`BULK_OF`): hostbus's loop beside hostbus's bulk form of the same
 * run, and beside each peer's loop. Empty when the run measured none of them.
 */
export function loopTable(summaries: ScenarioSummary[]): string {
  const rows: string[][] = [];
  for (const s of summaries) {
    const bulk = BULK_OF[s.id];
    const h = s.cells.get(HOSTBUS); // none when hostbus's runner was skipped or not selected
    if (bulk === undefined) continue;
    const b = summaries.find((x) => x.id === bulk)?.cells.get(HOSTBUS);
    const peers = [...s.cells.keys()].filter((p) => p !== HOSTBUS);
    for (const [i, p] of (peers.length > 0 ? peers : [undefined]).entries()) {
      rows.push([
        i === 0 ? s.id : '',
        i === 0 ? (h ? fmt(h.median, s.unit) : '—') : '',
        i === 0 ? bulk : '',
        i === 0 ? (b ? fmt(b.median, s.unit) : '—') : '',
        i === 0 ? ratio(vsBulk(s, summaries)?.ratio) : '',
        p ?? '—',
        p ? fmt(s.cells.get(p)!.median, s.unit) : '—',
        p ? ratio(advantage(s, p)) : '—',
      ]);
    }
  }
  if (rows.length === 0) return '';
  return [
    'One value at a time: hostbus\'s loop against hostbus\'s bulk path of this run (loop / bulk: <1 means',
    'the loop is slower; — : the bulk scenario was not run, add it to --only) and against each peer\'s loop',
    '(hostbus×: >1 means hostbus is better). msg/s, medians.',
    '',
    grid(['scenario', 'hostbus', 'bulk', 'hostbus bulk', 'loop/bulk', 'peer', 'peer loop', 'hostbus×'], rows, 1),
  ].join('\n');
}

/**
 * The tcp:// scenarios of issue 15 (`UNIX_OF`): hostbus's figure over TCP with an authkey beside
 * hostbus's figure of the same scenario over the Unix socket in the same run, the ratio of the
 * medians tcp / unix, the ratio of each round (the two ran next to each other in each round), and
 * the target. Empty when the run measured none of them.
 */
export function unixTable(summaries: ScenarioSummary[]): string {
  const rows: string[][] = [];
  for (const s of summaries) {
    const of = UNIX_OF[s.id];
    const t = s.cells.get(HOSTBUS);
    if (of === undefined || !t) continue;
    const u = summaries.find((x) => x.id === of.scenario)?.cells.get(HOSTBUS);
    const vs = vsUnix(s, summaries);
    const perRound = u && u.rounds.length === t.rounds.length ? t.rounds.map((x, i) => (x / u.rounds[i]!).toFixed(2)).join(' ') : '—';
    const target = of.target?.atLeast !== undefined ? `≥ ${of.target.atLeast.toFixed(2)}` : of.target?.atMost !== undefined ? `≤ ${of.target.atMost.toFixed(2)}` : '';
    rows.push([
      s.id,
      s.unit,
      fmt(t.median, s.unit),
      `${fmt(t.min, s.unit)}–${fmt(t.max, s.unit)}`,
      of.scenario,
      u ? fmt(u.median, s.unit) : '—',
      u ? `${fmt(u.min, s.unit)}–${fmt(u.max, s.unit)}` : '',
      ratio(vs?.ratio),
      perRound,
      target,
      vs?.met === undefined ? '' : vs.met ? 'met' : 'not met',
    ]);
  }
  if (rows.length === 0) return '';
  return [
    'Over TCP with an authkey against the Unix socket of this run (issue 15): hostbus\'s tcp:// figure,',
    'hostbus\'s figure of the same scenario on a Unix socket, and tcp / unix as the figures are (for msg/s',
    '<1 means TCP is slower, for µs >1 does), of the medians and of each round; — : the Unix scenario was',
    'not run, add it to --only.',
    '',
    grid(['scenario', 'unit', 'tcp', 'min–max', 'unix scenario', 'unix', 'min–max', 'tcp/unix', 'per round', 'target', 'met?'], rows, 2),
  ].join('\n');
}

/** Details of each measurement (medians over rounds), one line per runner. */
export function detailLines(samples: Sample[]): string {
  const seen = new Map<Runner, Sample[]>();
  for (const s of samples) seen.set(s.runner, [...(seen.get(s.runner) ?? []), s]);
  const lines: string[] = [];
  for (const [runner, mine] of seen) {
    const d = mediansOf(mine);
    const keys = Object.keys(d);
    if (keys.length === 0) continue;
    const body = keys.map((k) => `${k}=${Number.isInteger(d[k]) ? d[k] : d[k]!.toFixed(2)}`).join(' ');
    lines.push(`${runner.scenarios.join('+')} ${runner.system}: ${body}`);
  }
  return lines.join('\n');
}

export function toJson(
  summaries: ScenarioSummary[],
  meta: { quick: boolean; rounds: number; machine: Record<string, string | number>; skipped: Skipped[] },
): LatestJson {
  return {
    scenarios: summaries.map((s) => {
      const results: Partial<Record<SystemId, number>> = {};
      const spreads: LatestJson['scenarios'][number]['spread'] = {};
      const details: LatestJson['scenarios'][number]['details'] = {};
      const adv: Partial<Record<SystemId, number>> = {};
      for (const [system, c] of s.cells) {
        results[system] = round(c.median, s.unit);
        spreads[system] = { min: round(c.min, s.unit), max: round(c.max, s.unit), rounds: c.rounds.map((x) => round(x, s.unit)) };
        if (Object.keys(c.details).length > 0) {
          details[system] = Object.fromEntries(Object.entries(c.details).map(([k, v]) => [k, Number.isInteger(v) ? v : Number(v.toPrecision(6))]));
        }
        const a = system === HOSTBUS ? undefined : advantage(s, system);
        if (a !== undefined) adv[system] = Math.round(a * 1000) / 1000;
      }
      const vs = vsBulk(s, summaries);
      const vu = vsUnix(s, summaries);
      return {
        id: s.id,
        unit: s.unit,
        higher_is_better: s.higherIsBetter,
        results,
        about: s.about,
        spread: spreads,
        hostbus_advantage: adv,
        details,
        ...(vs ? { hostbus_vs_bulk: { scenario: vs.scenario, ratio: Math.round(vs.ratio * 1000) / 1000 } } : {}),
        ...(vu ? { hostbus_vs_unix: { ...vu, ratio: Math.round(vu.ratio * 1000) / 1000 } } : {}),
      };
    }),
    date: new Date().toISOString(),
    quick: meta.quick,
    rounds: meta.rounds,
    machine: meta.machine,
    skipped: meta.skipped,
  };
}
