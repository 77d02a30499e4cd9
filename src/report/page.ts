/**
 * The HTML of a report: one self-contained page (inline CSS, inline SVG, a few lines of inline script
 * to sort tables; no network, no external fonts), readable on a screen and on paper. Builders here
 * take already-rendered SVG and a run model and return HTML strings; report.ts assembles them.
 */
import type { ObjectiveName } from '../search/run-format.js';
import { OBJECTIVE_METRIC } from '../search/run-format.js';
import {
  escapeHtml,
  formatBytes,
  formatDate,
  formatDurationLong,
  formatFixed,
  formatInt,
  formatMetric,
  formatSignificant,
  metricOfObjective,
} from './format.js';
import type { RunReportModel, ReportSolution } from './model.js';
import { FONT_STACK } from './plots.js';
import type { SectionCell } from './sections.js';

const BITS_CLASSES = [2, 4, 8, 16, 32];

const CSS = `
:root { --fg: #1a202c; --muted: #5a6472; --line: #e2e8f0; --bg: #f6f7f9; --card: #fff; --accent: #2b6cb0; --warn: #c05621; --warn-bg: #fffaf0; --bad: #c53030; --bad-bg: #fff5f5; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.5 ${FONT_STACK}; color: var(--fg); background: var(--bg); }
main { max-width: 1320px; margin: 0 auto; padding: 28px 28px 48px; }
header.page h1 { font-size: 24px; line-height: 1.25; margin: 0 0 4px; font-weight: 650; letter-spacing: -0.01em; }
header.page .sub { margin: 0; }
.sub { color: var(--muted); margin: 0 0 8px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.banner { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 10px 14px; margin: 16px 0 0; border-radius: 4px; }
.banner.failed { border-color: var(--bad); background: var(--bad-bg); }
section { margin-top: 30px; }
h2 { font-size: 17px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); font-weight: 650; }
h3 { font-size: 15px; margin: 18px 0 8px; font-weight: 650; }
p.lead { color: var(--muted); margin: -4px 0 12px; max-width: 78ch; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; margin-top: 18px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile .k { color: var(--muted); font-size: 12px; }
.tile .v { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .d { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
dl.meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(330px, 100%), 1fr)); gap: 0 28px; margin: 0; }
dl.meta > div { display: flex; gap: 10px; padding: 5px 0; border-bottom: 1px dashed var(--line); min-width: 0; }
dl.meta dt { color: var(--muted); flex: 0 0 108px; }
dl.meta dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace; background: #edf2f7; padding: 1px 4px; border-radius: 3px; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(450px, 100%), 1fr)); gap: 16px; }
figure.plot { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
svg.plot { display: block; width: 100%; height: auto; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 9px; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: #f1f4f8; font-weight: 600; color: #2d3748; position: sticky; top: 0; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th:hover { background: #e6ebf2; }
th[aria-sort]::after { color: var(--accent); }
th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: 9px; }
th[aria-sort="descending"]::after { content: " \\25BC"; font-size: 9px; }
th.text, td.text { text-align: left; }
td.bits { text-align: center; padding: 3px 3px; }
tbody tr:hover td { background: #f7fafc; }
.chip { display: inline-block; min-width: 21px; padding: 0 3px; border-radius: 3px; font: 11px/17px ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace; text-align: center; }
.chip + .chip { margin-left: 1px; }
.b2 { background: #2c5282; color: #fff; }
.b4 { background: #4f86c6; color: #fff; }
.b8 { background: #a9c8ea; color: #1a202c; }
.b16 { background: #dde9f6; color: #1a202c; }
.b32 { background: #f1f3f5; color: #4a5568; }
.bx { background: #fed7d7; color: #742a2a; }
.legend { color: var(--muted); font-size: 12px; margin: 0 0 8px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; background: #e2e8f0; color: #2d3748; }
.tag.beacon { background: #bee3f8; color: #2a4365; }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(560px, 100%), 1fr)); gap: 28px; }
.runs .plots { grid-template-columns: 1fr; }
.run-col > h2 { border-bottom: 2px solid var(--accent); }
ul.notes { color: var(--muted); padding-left: 20px; margin: 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
@media (max-width: 640px) { main { padding: 16px 12px 32px; } dl.meta dt { flex-basis: 88px; } }
@media print {
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  .plots { grid-template-columns: 1fr 1fr; }
  .runs { grid-template-columns: 1fr 1fr; }
  figure.plot, .tile, tr, .banner { break-inside: avoid; }
  section { break-inside: auto; }
  th { position: static; }
  .table-wrap { overflow: visible; border: none; }
  table.sortable th { cursor: auto; }
}
`;

/** Click (or Enter on) a header to sort by it; again to reverse. Empty cells stay last. */
const SORT_SCRIPT = `
(function () {
  function key(cell) {
    var v = cell.getAttribute('data-v');
    if (v === null) v = cell.textContent.trim();
    if (v === '' || v === '\\u2014') return null;
    var n = Number(v);
    return isNaN(n) ? v.toLowerCase() : n;
  }
  function sortBy(th) {
    var table = th.closest('table');
    var col = th.cellIndex;
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('table.sortable th').forEach(function (th) {
    th.tabIndex = 0;
    th.title = 'sort by ' + th.textContent.trim();
    th.addEventListener('click', function () { sortBy(th); });
    th.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(th); }
    });
  });
})();
`;

export function htmlPage(opts: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mohaq">
<title>${escapeHtml(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${opts.body}
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// Pieces of a run

export function bannerHtml(m: RunReportModel): string {
  if (!m.state.banner) return '';
  const failed = m.state.state === 'failed';
  let extra = '';
  if (m.run.checkpoint && m.state.state === 'interrupted') extra = ` It can be resumed from its checkpoint (generation ${m.run.checkpoint.generation}).`;
  if (m.run.status.updatedAt) extra += ` Last update: ${formatDate(m.run.status.updatedAt)}.`;
  return `<div class="banner${failed ? ' failed' : ''}" role="status">${escapeHtml(m.state.banner)}${escapeHtml(extra)}</div>`;
}

function objectiveText(o: ObjectiveName): string {
  const { sense } = OBJECTIVE_METRIC[o];
  return `${o} (${sense === 'min' ? 'min' : 'max'})`;
}

function row(label: string, valueHtml: string): string {
  return `<div><dt>${escapeHtml(label)}</dt><dd>${valueHtml}</dd></div>`;
}

/** Model, data, platform, objectives, constraints, search settings, state and timing. */
export function metadataHtml(m: RunReportModel, reportVersion: string): string {
  const { config, status } = m.run;
  const e = escapeHtml;
  const constraints = [
    config.constraints.maxMemoryBytes !== undefined ? `memory ≤ ${formatBytes(config.constraints.maxMemoryBytes)}` : null,
    config.constraints.maxError !== undefined ? `PER ≤ ${formatFixed(config.constraints.maxError, 2)} %` : null,
  ].filter((c) => c !== null);
  const s = config.search;
  const rows = [
    row('model', `<b>${e(config.model.name)}</b> · ${formatInt(config.model.parameters)} parameters · ${formatBytes(config.model.fp32Bytes)} fp32 · <code>${e(config.model.path)}</code>`),
    row('data', `${e(config.data.split)} · ${formatInt(config.data.utterances)} utterances · ${formatInt(config.data.frames)} frames · <code>${e(config.data.path)}</code>`),
    row('platform', `<b>${e(config.platform.name)}</b>${config.platform.description ? ` · ${e(config.platform.description)}` : ''}`),
    row('objectives', e(config.objectives.map(objectiveText).join(', '))),
    row('constraints', constraints.length ? e(constraints.join(', ')) : 'none'),
    row('genes', `${config.genes.length} over ${config.matrices.length} matrices (${e(config.matrices.join(', '))})`),
    row('search', `${e(s.algorithm)} · population ${s.populationSize} · ${s.offspringSize} offspring/generation · ${s.workers} worker${s.workers === 1 ? '' : 's'}`),
    row('seed', String(s.seed)),
    row('generations', `${status.generation} of ${status.generations}`),
    row('evaluations', `${formatInt(status.evaluations)}${m.evaluations.length ? ` (${formatInt(m.evaluations.filter((r) => r.cacheHit).length)} from the cache)` : ''}`),
  ];
  if (config.beacons) {
    const b = config.beacons;
    const used = new Set(m.evaluations.map((r) => r.beacon).filter((id) => id !== undefined));
    rows.push(row('beacons', `${e(b.mode)} · distance ≤ ${b.distance} · up to ${b.maxBeacons} · ${b.epochs} QAT epochs · ${used.size} used`));
  }
  if (config.delta) rows.push(row('delta', `thresholds for ${Object.keys(config.delta.thresholds).length} inputs`));
  rows.push(
    row('state', `<b>${e(status.state)}</b>${status.message ? ` · ${e(status.message)}` : ''}`),
    row('started', e(formatDate(status.startedAt))),
    row(status.finishedAt ? 'finished' : 'last update', e(formatDate(status.finishedAt ?? status.updatedAt))),
    row('duration', e(formatDurationLong(status.seconds))),
    row('mohaq', `${e(config.mohaqVersion)} (search)${reportVersion !== config.mohaqVersion ? ` · ${e(reportVersion)} (report)` : ''}`),
  );
  if (config.command) rows.push(row('command', `<code>${e(config.command)}</code>`));
  rows.push(row('run directory', `<code>${e(m.run.dir)}</code>`));
  return `<dl class="meta">${rows.join('')}</dl>`;
}

function tile(key: string, value: string, detail = ''): string {
  return `<div class="tile"><div class="k">${escapeHtml(key)}</div><div class="v">${escapeHtml(value)}</div>${detail ? `<div class="d">${escapeHtml(detail)}</div>` : ''}</div>`;
}

/** The headline figures of a front. */
export function tilesHtml(m: RunReportModel): string {
  const d = m.displays;
  const tiles = [tile('front solutions', formatInt(m.front.length), m.state.finished ? 'final Pareto front' : 'so far')];
  if (m.front.length > 0) {
    const best = m.front.reduce((a, b) => (b.error < a.error ? b : a));
    const fastest = m.front.reduce((a, b) => (b.speedup > a.speedup ? b : a));
    const smallest = m.front.reduce((a, b) => (b.compression > a.compression ? b : a));
    tiles.push(
      tile('lowest PER', formatMetric(d.error, best.error), `at ${formatMetric(d.speedup, best.speedup)} speedup`),
      tile('highest speedup', formatMetric(d.speedup, fastest.speedup), `at ${formatMetric(d.error, fastest.error)} PER`),
      tile('highest compression', formatMetric(d.compression, smallest.compression), `${formatBytes(smallest.memoryBytes)} at ${formatMetric(d.error, smallest.error)} PER`),
    );
    if (m.objectives.includes('energy')) {
      const frugal = m.front.reduce((a, b) => (b.energy < a.energy ? b : a));
      tiles.push(tile('lowest energy', formatMetric(d.energy, frugal.energy), `at ${formatMetric(d.error, frugal.error)} PER`));
    }
  }
  const fp32 = m.references.find((r) => r.name === 'fp32');
  if (fp32) tiles.push(tile('fp32 PER', formatMetric(d.error, fp32.error), `${formatBytes(fp32.memoryBytes)}`));
  if (m.run.front) tiles.push(tile('hypervolume', formatSignificant(m.run.front.hypervolume), 'normalised objective space'));
  return `<div class="tiles">${tiles.join('')}</div>`;
}

export function figureHtml(svg: string): string {
  return `<figure class="plot">${svg}</figure>`;
}

function chip(bits: number, text = String(bits)): string {
  const cls = BITS_CLASSES.includes(bits) ? `b${bits}` : 'bx';
  return `<span class="chip ${cls}">${escapeHtml(text)}</span>`;
}

export function bitsLegendHtml(shared: boolean): string {
  return `<p class="legend">bits ${BITS_CLASSES.map((b) => chip(b)).join('')} <span>${shared ? 'one precision per matrix (weights and activations share it)' : 'each matrix cell: weights | activations'}</span></p>`;
}

interface Column {
  title: string;
  text?: boolean;
  cell: (s: ReportSolution) => { html: string; sortValue: string | number | null };
}

/**
 * The front as a sortable table: id, per-matrix bits, size, compression, speedup, energy, PER and,
 * when used, base PER, beacon and eliminated operations. Rows start sorted by PER.
 */
export function frontTableHtml(m: RunReportModel, id: string): string {
  const d = m.displays;
  const matrices = m.run.config.matrices;
  const shared = m.run.config.genes.length > 0 && m.run.config.genes.every((g) => g.target === 'wa' || g.target === 'delta');
  const beacons = m.inferenceFront !== null;
  const delta = m.front.some((s) => s.eliminatedOps !== undefined);
  const num = (v: number | undefined, html: string) => ({ html, sortValue: v === undefined || !Number.isFinite(v) ? null : v });
  const columns: Column[] = [
    { title: '#', cell: (s) => num(s.id, String(s.id)) },
    ...matrices.map(
      (name): Column => ({
        title: name,
        cell: (s) => {
          const b = s.perMatrix?.[name];
          if (!b) return { html: '—', sortValue: null };
          return { html: shared && b.w === b.a ? chip(b.w) : chip(b.w) + chip(b.a), sortValue: b.w * 100 + b.a };
        },
      }),
    ),
    { title: 'size (KiB)', cell: (s) => num(s.memoryBytes, formatFixed(s.memoryBytes / 1024, 1)) },
    { title: 'compression', cell: (s) => num(s.compression, `${formatFixed(s.compression, 2)}x`) },
    { title: 'speedup', cell: (s) => num(s.speedup, `${formatFixed(s.speedup, 2)}x`) },
    { title: d.energy.title, cell: (s) => num(s.energy, formatSignificant(s.energy / d.energy.divisor)) },
    { title: 'PER (%)', cell: (s) => num(s.error, formatFixed(s.error, 2)) },
  ];
  if (beacons) {
    columns.push(
      { title: 'base PER (%)', cell: (s) => num(s.baseError, s.baseError === undefined ? '—' : formatFixed(s.baseError, 2)) },
      {
        title: 'beacon',
        text: true,
        cell: (s) => (s.fromBeacon && s.beacon ? { html: `<span class="tag beacon">${escapeHtml(s.beacon)}</span>`, sortValue: s.beacon } : { html: '—', sortValue: null }),
      },
    );
  }
  if (delta) columns.push({ title: 'eliminated ops', cell: (s) => num(s.eliminatedOps, s.eliminatedOps === undefined ? '—' : `${formatFixed(100 * s.eliminatedOps, 1)} %`) });

  const perIndex = columns.findIndex((c) => c.title === 'PER (%)');
  const head = columns
    .map((c, i) => `<th scope="col"${c.text ? ' class="text"' : ''}${i === perIndex ? ' aria-sort="ascending"' : ''}>${escapeHtml(c.title)}</th>`)
    .join('');
  const body = m.front
    .map((s) => {
      const cells = columns.map((c, i) => {
        const { html, sortValue } = c.cell(s);
        const cls = i >= 1 && i <= matrices.length ? ' class="bits"' : c.text ? ' class="text"' : '';
        return `<td${cls}${sortValue === null ? ' data-v=""' : ` data-v="${escapeHtml(String(sortValue))}"`}>${html}</td>`;
      });
      return `<tr data-id="${s.id}" title="${escapeHtml(s.bits)}">${cells.join('')}</tr>`;
    })
    .join('\n');
  const empty = m.front.length === 0 ? `<tr><td class="text" colspan="${columns.length}">No feasible solution yet.</td></tr>` : '';
  return `${bitsLegendHtml(shared)}<div class="table-wrap"><table class="sortable front" id="${escapeHtml(id)}"><thead><tr>${head}</tr></thead><tbody>${body}${empty}</tbody></table></div>`;
}

/** fp32, all-16, all-8, all-4 (whatever the run recorded). */
export function referenceTableHtml(m: RunReportModel): string {
  if (m.references.length === 0) return '';
  const d = m.displays;
  const rows = m.references
    .map(
      (r) =>
        `<tr><td class="text"><b>${escapeHtml(r.name)}</b></td><td class="text"><code>${escapeHtml(r.bits)}</code></td>` +
        `<td data-v="${r.memoryBytes}">${formatFixed(r.memoryBytes / 1024, 1)}</td><td data-v="${r.compression}">${formatFixed(r.compression, 2)}x</td>` +
        `<td data-v="${r.speedup}">${formatFixed(r.speedup, 2)}x</td><td data-v="${r.energy}">${formatSignificant(r.energy / d.energy.divisor)}</td>` +
        `<td data-v="${r.error}">${formatFixed(r.error, 2)}</td><td class="text">${r.feasible ? 'yes' : 'no'}</td></tr>`,
    )
    .join('');
  return `<div class="table-wrap"><table class="sortable references"><thead><tr><th class="text">reference</th><th class="text">bits</th><th>size (KiB)</th><th>compression</th><th>speedup</th><th>${escapeHtml(d.energy.title)}</th><th>PER (%)</th><th class="text">feasible</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function notesHtml(problems: readonly string[]): string {
  if (problems.length === 0) return '';
  return `<section class="notes-section"><h2>Notes</h2><ul class="notes">${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></section>`;
}

function cellHtml(v: SectionCell): { html: string; data: string } {
  if (v === null) return { html: '—', data: '' };
  if (typeof v === 'number') return { html: escapeHtml(formatSignificant(v)), data: String(v) };
  return { html: escapeHtml(String(v)), data: escapeHtml(String(v)) };
}

/** A generic table of an extra section (sortable like the others). */
export function sectionTableHtml(table: { columns: string[]; rows: SectionCell[][] }): string {
  const textCols = table.columns.map((_, i) => table.rows.some((r) => typeof r[i] === 'string'));
  const head = table.columns.map((c, i) => `<th${textCols[i] ? ' class="text"' : ''}>${escapeHtml(c)}</th>`).join('');
  const body = table.rows
    .map((r) => `<tr>${r.map((v, i) => {
      const c = cellHtml(v);
      return `<td${textCols[i] ? ' class="text"' : ''} data-v="${c.data}">${c.html}</td>`;
    }).join('')}</tr>`)
    .join('');
  return `<div class="table-wrap"><table class="sortable section-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export function objectivesSentence(objectives: readonly ObjectiveName[]): string {
  return objectives.map((o) => `${OBJECTIVE_METRIC[o].sense === 'min' ? 'lower' : 'higher'} ${metricOfObjective(o) === 'error' ? 'PER' : o}`).join(', ');
}
