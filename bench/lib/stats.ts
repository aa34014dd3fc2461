// Medians, spreads and quantiles (shared by bench/codec.ts and bench/run.ts), and the codec
// benchmark's printed table.

export interface Row {
  option: string;
  rounds: number;
  medianMsgPerSec: number;
  minMsgPerSec: number;
  maxMsgPerSec: number;
  ratioToNdjsonPackage: number;
  medianMs: number;
  consumerRssMiBMedian: number;
  consumerRssMiBMax: number;
  producerRssMiBMedian: number;
}

export interface Sample {
  round: number;
  option: string;
  elapsedMs: number;
  msgPerSec: number;
  consumerMaxRssKiB: number;
  producerMaxRssKiB: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median, smallest and largest of `xs` (which must not be empty). */
export function spread(xs: number[]): { median: number; min: number; max: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** The `q` quantile (0 < q <= 1) of `xs` by nearest rank: the smallest value with at least q of them at or below it. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

const mib = (kib: number) => kib / 1024;

/** p50 and p99 (nearest rank), mean and max of round-trip times. */
export function percentiles(us: ArrayLike<number>): { p50: number; p99: number; mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < us.length; i++) {
    sum += us[i]!;
    if (us[i]! > max) max = us[i]!;
  }
  return { p50: quantile(us, 0.5), p99: quantile(us, 0.99), mean: sum / us.length, max };
}

export function summarize(samples: Sample[], options: readonly string[], baseline: string): Row[] {
  const rows = options.map((option): Row => {
    const mine = samples.filter((s) => s.option === option);
    const rates = mine.map((s) => s.msgPerSec);
    return {
      option,
      rounds: mine.length,
      medianMsgPerSec: median(rates),
      minMsgPerSec: Math.min(...rates),
      maxMsgPerSec: Math.max(...rates),
      ratioToNdjsonPackage: NaN,
      medianMs: median(mine.map((s) => s.elapsedMs)),
      consumerRssMiBMedian: mib(median(mine.map((s) => s.consumerMaxRssKiB))),
      consumerRssMiBMax: mib(Math.max(...mine.map((s) => s.consumerMaxRssKiB))),
      producerRssMiBMedian: mib(median(mine.map((s) => s.producerMaxRssKiB))),
    };
  });
  const base = rows.find((r) => r.option === baseline)!.medianMsgPerSec;
  for (const r of rows) r.ratioToNdjsonPackage = r.medianMsgPerSec / base;
  return rows;
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');

/** A fixed-width text table, the figures rounded once, here. */
export function table(rows: Row[]): string {
  const head = ['option', 'median msg/s', 'min–max msg/s', 'ratio', 'median ms', 'consumer RSS MiB (median / max)', 'producer RSS MiB (median)'];
  const body = rows.map((r) => [
    r.option,
    int(r.medianMsgPerSec),
    `${int(r.minMsgPerSec)}–${int(r.maxMsgPerSec)}`,
    `${r.ratioToNdjsonPackage.toFixed(2)}×`,
    r.medianMs.toFixed(1),
    `${r.consumerRssMiBMedian.toFixed(1)} / ${r.consumerRssMiBMax.toFixed(1)}`,
    r.producerRssMiBMedian.toFixed(1),
  ]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(width[c]!) : x.padStart(width[c]!))).join('  ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
