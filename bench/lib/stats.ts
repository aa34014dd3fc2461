// Medians, spreads and the printed table.

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

const mib = (kib: number) => kib / 1024;

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
