// bench/results/latest.svg: hostbus against its peers, one group of horizontal bars per scenario,
// each bar relative to the best system of its scenario (longer is better, whatever the unit's
// direction), labelled with the figure. Hand-written SVG, no dependencies.
//
// `npm run bench` writes it; to redraw it from a latest.json:
//   node .build/bench/chart.js [bench/results/latest.json] [bench/results/latest.svg]
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SystemId } from './lib/runner.js';
import { fmt, HOSTBUS, type LatestJson } from './report.js';

const WIDTH = 1060;
const LEFT = 16;
const LABEL_W = 190;
const BAR_X = LEFT + LABEL_W;
const BAR_MAX = 400;
const ROW = 19;
const BAR_H = 13;
const HEAD = 22;
const GAP = 14;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderSvg(latest: LatestJson): string {
  const parts: string[] = [];
  let y = 28;
  const mode = latest.quick ? 'quick run (--quick): a smoke test, not a measurement' : `median of ${latest.rounds} round(s)`;
  parts.push(`<text x="${LEFT}" y="${y}" font-size="17" font-weight="600">hostbus and its peers, scenario by scenario</text>`);
  y += 20;
  const machine = [latest.machine.cpu, latest.machine.nproc ? `${latest.machine.nproc} cores` : '', latest.machine.node].filter(Boolean).join(', ');
  parts.push(`<text x="${LEFT}" y="${y}" font-size="12" fill="#4b5563">${esc(`${latest.date.slice(0, 10)} · ${mode} · ${machine}`)}</text>`);
  y += 16;
  parts.push(`<text x="${LEFT}" y="${y}" font-size="12" fill="#4b5563">Bar length: relative to the best system of each scenario (the longest bar is the best; for µs and MiB, lower figures make longer bars). hostbus in blue.</text>`);
  y += 20;

  for (const s of latest.scenarios) {
    const systems = (Object.keys(s.results) as SystemId[]).sort((a, b) => (a === HOSTBUS ? -1 : b === HOSTBUS ? 1 : 0));
    if (systems.length === 0) continue;
    const values = systems.map((k) => s.results[k]!);
    const best = s.higher_is_better ? Math.max(...values) : Math.min(...values);
    y += HEAD - 6;
    const direction = s.higher_is_better ? 'higher is better' : 'lower is better';
    parts.push(`<text x="${LEFT}" y="${y}" font-size="13" font-weight="600">${esc(s.id)}<tspan dx="10" font-weight="400" fill="#4b5563">${esc(`${s.unit}, ${direction} · ${s.about}`)}</tspan></text>`);
    y += 8;
    for (const system of systems) {
      const v = s.results[system]!;
      const rel = v > 0 && best > 0 ? (s.higher_is_better ? v / best : best / v) : 0;
      const w = Math.max(1, Math.round(rel * BAR_MAX));
      const mine = system === HOSTBUS;
      const fill = mine ? '#2563eb' : '#9ca3af';
      const spread = s.spread?.[system];
      const range = spread && spread.min !== spread.max ? `(${fmt(spread.min, s.unit)}–${fmt(spread.max, s.unit)})` : '';
      const adv = mine ? undefined : s.hostbus_advantage?.[system];
      const note = adv === undefined ? '' : `${range ? ' · ' : ''}${adv >= 1 ? `hostbus ${adv.toFixed(2)}× better` : `${(1 / adv).toFixed(2)}× better than hostbus`}`;
      parts.push(`<text x="${BAR_X - 8}" y="${y + BAR_H - 2}" font-size="12" text-anchor="end"${mine ? ' font-weight="600"' : ''}>${esc(system)}</text>`);
      parts.push(`<rect x="${BAR_X}" y="${y}" width="${w}" height="${BAR_H}" rx="2" fill="${fill}"><title>${esc(`${system}: ${fmt(v, s.unit)} ${s.unit}${range}`)}</title></rect>`);
      parts.push(`<text x="${BAR_X + w + 6}" y="${y + BAR_H - 2}" font-size="11.5"><tspan${mine ? ' font-weight="600"' : ''}>${esc(`${fmt(v, s.unit)} ${s.unit}`)}</tspan><tspan dx="4" fill="#6b7280">${esc(range + note)}</tspan></text>`);
      y += ROW;
    }
    y += GAP - (ROW - BAR_H);
  }
  if (latest.skipped.length > 0) {
    y += 14;
    const list = latest.skipped.map((k) => `${k.system} (${k.scenarios.join(', ')}): ${k.reason}`).join('; ');
    parts.push(`<text x="${LEFT}" y="${y}" font-size="11" fill="#6b7280">${esc(`Skipped: ${list}`)}</text>`);
  }
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} fill="#111827">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function main(argv: string[]): void {
  const results = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  const input = argv[0] ?? `${results}latest.json`;
  const output = argv[1] ?? input.replace(/\.json$/, '') + '.svg';
  writeFileSync(output, renderSvg(JSON.parse(readFileSync(input, 'utf8')) as LatestJson));
  console.log(`wrote ${output}`);
}

const started = process.argv[1];
if (started && realpathSync(started) === realpathSync(fileURLToPath(import.meta.url))) main(process.argv.slice(2));
