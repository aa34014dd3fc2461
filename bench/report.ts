// What `npm run bench` makes of its measurements: medians and spreads per scenario and system,
// the tables printed on stdout, and bench/results/latest.json (whose shape other tools read).
import { BULK_OF, SCENARIOS, type Runner, type ScenarioId, type SystemId } from './lib/runner.js';
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
      };
    }),
    date: new Date().toISOString(),
    quick: meta.quick,
    rounds: meta.rounds,
    machine: meta.machine,
    skipped: meta.skipped,
  };
}
