/**
 * The report's plots: Vega-Lite specs built from a run model, compiled and rendered to SVG in Node by
 * a headless vega View (renderer 'none' + toSVG, no browser or canvas), then made fit for inlining in
 * one HTML page: point tooltips become SVG <title> elements, ids are made unique per plot.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { MetricName } from '../search/run-format.js';
import type { GenerationRecord } from '../search/run-format.js';
import { escapeHtml, formatFixed, formatInt, formatMetric, formatSignificant, type MetricDisplay } from './format.js';
import { staircase, valueOf, type PlotPair, type RunReportModel, type ReportSolution } from './model.js';

/** System fonts only: the report must not load anything from the network. */
export const FONT_STACK = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";

/** Series colours: greys for what was evaluated, two distinct hues for the fronts, near-black for references. */
export const SERIES = {
  evaluated: { label: 'evaluated', color: '#a9b3bf', shape: 'circle' },
  infeasible: { label: 'evaluated, infeasible', color: '#d9dee4', shape: 'circle' },
  inference: { label: 'inference-only front', color: '#dd6b20', shape: 'square' },
  beacon: { label: 'beacon front', color: '#2b6cb0', shape: 'circle' },
  front: { label: 'Pareto front', color: '#2b6cb0', shape: 'circle' },
} as const;
const REFERENCE_COLOR = '#1a202c';
const LIMIT_COLOR = '#c53030';

export const PLOT_CONFIG = {
  font: FONT_STACK,
  background: 'white',
  padding: 8,
  view: { stroke: '#e2e8f0' },
  axis: {
    labelColor: '#4a5568',
    titleColor: '#2d3748',
    gridColor: '#edf2f7',
    domainColor: '#a0aec0',
    tickColor: '#a0aec0',
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    titlePadding: 8,
  },
  legend: { labelFontSize: 11, labelColor: '#2d3748', orient: 'bottom', direction: 'horizontal', symbolSize: 70, title: null, columnPadding: 14 },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', color: '#1a202c', subtitleColor: '#718096', subtitleFontSize: 11, offset: 10 },
} as const;

const WIDTH = 380;
/** Above this many evaluated points, only the fronts and references carry tooltips. */
const EVALUATED_TOOLTIP_LIMIT = 2000;
const HEIGHT = 260;

export interface PlotSpec {
  /** File-name friendly name (`error-vs-speedup`); also the PNG name. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

// ---------------------------------------------------------------------------------------------
// Specs

function display(d: MetricDisplay, raw: number): number {
  return raw / d.divisor;
}

/** The tooltip of a solution: id, bits and every metric. */
function solutionTip(s: ReportSolution, what: string, m: RunReportModel): string {
  const d = m.displays;
  const parts = [
    `${what} #${s.id}`,
    s.bits,
    `PER ${formatMetric(d.error, s.error)}${s.baseError !== undefined && s.baseError !== s.error ? ` (base ${formatMetric(d.error, s.baseError)})` : ''}`,
    `speedup ${formatMetric(d.speedup, s.speedup)}`,
    `energy ${formatMetric(d.energy, s.energy)}`,
    `memory ${formatMetric(d.memoryBytes, s.memoryBytes)}`,
    `compression ${formatMetric(d.compression, s.compression)}`,
  ];
  if (s.eliminatedOps !== undefined) parts.push(`eliminated ${formatMetric(d.eliminatedOps, s.eliminatedOps)}`);
  if (s.fromBeacon && s.beacon) parts.push(`beacon ${s.beacon}`);
  return parts.join(' · ');
}

function axisSpec(d: MetricDisplay, domain: [number, number] | undefined) {
  return { type: 'quantitative', title: d.title, scale: domain ? { domain, zero: false, nice: false } : { zero: false, nice: true } };
}

/** Domain of the error axis: around the fronts and references, so a few very bad genomes do not flatten the front. */
function focusedDomain(focus: number[], all: number[]): { domain?: [number, number]; hidden: number } {
  const f = focus.filter(Number.isFinite);
  if (f.length === 0) return { hidden: 0 };
  const lo = Math.min(...f, ...all.filter(Number.isFinite));
  const hi = Math.max(...f);
  const pad = Math.max((hi - lo) * 0.08, Math.abs(hi) * 0.01, 1e-9);
  const top = hi + 3 * pad;
  const hidden = all.filter((v) => v > top || !Number.isFinite(v)).length;
  if (hidden === 0) return { hidden: 0 };
  return { domain: [lo - pad, top], hidden };
}

/** One plot of a pair of metrics: evaluated points, the front(s) as staircases + points, references, limits. */
export function paretoPlotSpec(m: RunReportModel, pair: PlotPair): PlotSpec {
  const { x, y } = pair;
  const xy = (s: Pick<ReportSolution, MetricName>) => ({ x: display(x, valueOf(s, x.metric)), y: display(y, valueOf(s, y.metric)) });
  const evaluatedRows = m.evaluations.map((e) => {
    const s: ReportSolution = { ...e, id: e.index, perMatrix: null, fromBeacon: false };
    return { ...xy(s), series: e.feasible ? SERIES.evaluated.label : SERIES.infeasible.label, tip: solutionTip(s, e.feasible ? 'evaluated' : 'infeasible', m) };
  });
  const fronts: Array<{ series: (typeof SERIES)[keyof typeof SERIES]; points: ReportSolution[] }> = [];
  if (m.inferenceFront) fronts.push({ series: SERIES.inference, points: m.inferenceFront });
  fronts.push({ series: m.inferenceFront ? SERIES.beacon : SERIES.front, points: m.front });

  const stepRows: Array<{ x: number; y: number; series: string; order: number }> = [];
  const frontRows: Array<{ x: number; y: number; series: string; tip: string }> = [];
  for (const f of fronts) {
    const { path } = staircase(f.points, x, y);
    path.forEach((p, i) => stepRows.push({ x: display(x, p.x), y: display(y, p.y), series: f.series.label, order: i }));
    for (const s of f.points) frontRows.push({ ...xy(s), series: f.series.label, tip: solutionTip(s, f.series.label, m) });
  }
  const referenceRows = m.references
    .filter((r) => Number.isFinite(valueOf(r, x.metric)) && Number.isFinite(valueOf(r, y.metric)))
    .map((r) => ({
      ...xy(r),
      label: r.name,
      tip: `${r.name} (${r.bits}) · PER ${formatMetric(m.displays.error, r.error)} · speedup ${formatMetric(m.displays.speedup, r.speedup)} · energy ${formatMetric(m.displays.energy, r.energy)} · memory ${formatMetric(m.displays.memoryBytes, r.memoryBytes)}${r.feasible ? '' : ' · infeasible'}`,
    }));

  // the error axis focuses on the fronts; everything else shows all points
  const domains: { x?: [number, number]; y?: [number, number] } = {};
  let hidden = 0;
  for (const axis of ['x', 'y'] as const) {
    const d = pair[axis];
    if (d.metric !== 'error') continue;
    const focus = [...frontRows, ...referenceRows].map((r) => r[axis]).concat(pair.limits.filter((l) => l.axis === axis).map((l) => display(d, l.value)));
    const r = focusedDomain(focus, evaluatedRows.map((e) => e[axis]));
    if (r.domain) {
      domains[axis] = r.domain;
      hidden = r.hidden;
    }
  }

  const present = [SERIES.evaluated, SERIES.infeasible, ...fronts.map((f) => f.series)].filter(
    (s) => evaluatedRows.some((r) => r.series === s.label) || frontRows.some((r) => r.series === s.label),
  );
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain: present.map((s) => s.label), range: present.map((s) => s.color) },
    // four entries in one row are wider than the plot, which would shrink the whole figure
    legend: { symbolType: 'circle', columns: present.length > 3 ? 2 : present.length, labelLimit: 200 },
  };
  const encodeXY = { x: { field: 'x', ...axisSpec(x, domains.x) }, y: { field: 'y', ...axisSpec(y, domains.y) } };
  // points outside a focused domain are left out rather than clipped (resvg cannot rasterise vega's clip groups)
  const inside = (r: { x: number; y: number }) => (['x', 'y'] as const).every((a) => Number.isFinite(r[a]) && (!domains[a] || (r[a] >= domains[a]![0] && r[a] <= domains[a]![1])));

  const layers: unknown[] = [];
  // vega warns about (and resvg chokes on) layers without data: an early or infeasible run has no front
  const shownEvaluated = evaluatedRows.filter(inside);
  if (shownEvaluated.length > 0) {
    // an exhaustive search has thousands of points: their tooltips would make each plot megabytes
    const tips = shownEvaluated.length <= EVALUATED_TOOLTIP_LIMIT;
    layers.push({
      data: { values: tips ? shownEvaluated : shownEvaluated.map(({ x, y, series }) => ({ x, y, series })) },
      mark: { type: 'circle', size: shownEvaluated.length > EVALUATED_TOOLTIP_LIMIT ? 9 : 16, opacity: 0.75, ...(tips ? {} : { aria: false }) },
      encoding: { ...encodeXY, color, ...(tips ? { description: { field: 'tip' } } : {}) },
    });
  }
  if (stepRows.length > 0) {
    layers.push({
      data: { values: stepRows },
      mark: { type: 'line', strokeWidth: 1.75, aria: false },
      encoding: { ...encodeXY, color, order: { field: 'order', type: 'quantitative' } },
    });
  }
  if (frontRows.length > 0) {
    const shown = fronts.filter((f) => f.points.length > 0);
    layers.push({
      data: { values: frontRows },
      mark: { type: 'point', filled: true, size: 44, opacity: 1, stroke: 'white', strokeWidth: 0.8 },
      encoding: {
        ...encodeXY,
        color,
        shape: { field: 'series', type: 'nominal', scale: { domain: shown.map((f) => f.series.label), range: shown.map((f) => f.series.shape) }, legend: null },
        description: { field: 'tip' },
      },
    });
  }
  if (referenceRows.length > 0) {
    layers.push(
      {
        data: { values: referenceRows },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 80, color: REFERENCE_COLOR, opacity: 1 },
        encoding: { ...encodeXY, description: { field: 'tip' } },
      },
    );
    const shownRows = [...shownEvaluated, ...frontRows, ...referenceRows];
    const spans = {
      x: domains.x ?? [Math.min(...shownRows.map((r) => r.x)), Math.max(...shownRows.map((r) => r.x))],
      y: domains.y ?? [Math.min(...shownRows.map((r) => r.y)), Math.max(...shownRows.map((r) => r.y))],
    };
    for (const [k, rows] of placeLabels(referenceRows, spans).entries()) {
      if (rows.length === 0) continue;
      const p = LABEL_PLACES[k]!;
      layers.push({
        data: { values: rows },
        mark: { type: 'text', align: p.align, baseline: p.baseline, dx: p.dx, dy: p.dy, fontSize: 10, fontWeight: 600, color: REFERENCE_COLOR, aria: false },
        encoding: { ...encodeXY, text: { field: 'label' } },
      });
    }
  }
  for (const limit of pair.limits) {
    const d = pair[limit.axis];
    const value = display(d, limit.value);
    const pos = { field: 'v', ...axisSpec(d, domains[limit.axis]) };
    layers.push(
      {
        data: { values: [{ v: value }] },
        mark: { type: 'rule', color: LIMIT_COLOR, strokeDash: [5, 4], strokeWidth: 1.2, opacity: 0.8, aria: false },
        encoding: { [limit.axis]: pos },
      },
      {
        data: { values: [{ v: value, label: limit.label }] },
        mark: limit.axis === 'y'
          ? { type: 'text', align: 'right', baseline: 'bottom', x: 'width', dx: -4, dy: -3, fontSize: 10, color: LIMIT_COLOR, aria: false }
          : { type: 'text', align: 'left', baseline: 'top', y: 0, dx: 4, dy: 4, fontSize: 10, color: LIMIT_COLOR, aria: false },
        encoding: { [limit.axis]: pos, text: { field: 'label' } },
      },
    );
  }

  const better = [y, x].map((d) => `${d.sense === 'min' ? 'lower' : 'higher'} ${d.short}`).join(', ');
  const subtitle = [`better: ${better}`];
  if (hidden > 0) subtitle.push(`${hidden} evaluated point${hidden === 1 ? '' : 's'} with higher PER outside the plot`);
  const title = `${y.short === 'PER' ? 'PER' : capitalise(y.short)} vs ${x.short}`;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    title: { text: title, subtitle },
    config: PLOT_CONFIG,
    layer: layers,
    resolve: { scale: { color: 'shared', shape: 'independent' } },
  };
  return { name: pair.name, title, spec: spec as unknown as TopLevelSpec };
}

/** Where a reference label may go around its marker, in order of preference. */
const LABEL_PLACES = [
  { align: 'left', baseline: 'bottom', dx: 6, dy: -4, sx: 1, sy: -1 },
  { align: 'left', baseline: 'top', dx: 6, dy: 4, sx: 1, sy: 1 },
  { align: 'right', baseline: 'bottom', dx: -6, dy: -4, sx: -1, sy: -1 },
  { align: 'right', baseline: 'top', dx: -6, dy: 4, sx: -1, sy: 1 },
] as const;

/**
 * Greedy placement of reference labels so that close markers (fp32, all-16 and all-8 often sit
 * together) do not print over each other: each label takes the first place whose box, estimated in
 * pixels of the plot, overlaps no label placed before. Returns the rows of each place.
 */
function placeLabels<T extends { x: number; y: number; label: string }>(rows: readonly T[], spans: { x: readonly number[]; y: readonly number[] }): T[][] {
  const px = (v: number, [lo, hi]: readonly number[], size: number) => ((v - lo!) / (hi! - lo! || 1)) * size;
  const boxes: Array<[number, number, number, number]> = [];
  const out: T[][] = LABEL_PLACES.map(() => []);
  const sorted = [...rows].sort((a, b) => a.x - b.x || a.y - b.y);
  for (const r of sorted) {
    const cx = px(r.x, spans.x, WIDTH);
    const cy = HEIGHT - px(r.y, spans.y, HEIGHT);
    const w = 6.2 * r.label.length;
    const h = 12;
    const candidates = LABEL_PLACES.map((p): [number, number, number, number] => {
      const x0 = p.sx > 0 ? cx + p.dx : cx + p.dx - w;
      const y0 = p.sy < 0 ? cy + p.dy - h : cy + p.dy;
      return [x0, y0, x0 + w, y0 + h];
    });
    const free = (b: [number, number, number, number]) => boxes.every((o) => b[2] <= o[0] || b[0] >= o[2] || b[3] <= o[1] || b[1] >= o[3]);
    let k = candidates.findIndex(free);
    if (k < 0) k = 0;
    boxes.push(candidates[k]!);
    out[k]!.push(r);
  }
  return out;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Hypervolume of the feasible front after each generation (normalised objective space). */
export function hypervolumePlotSpec(history: readonly GenerationRecord[]): PlotSpec {
  const rows = history.map((h) => ({
    generation: h.generation,
    hypervolume: h.hypervolume,
    tip: `generation ${h.generation} · hypervolume ${formatSignificant(h.hypervolume)} · front ${h.frontSize} · ${formatInt(h.evaluations)} evaluations (${formatInt(h.cacheHits)} cached) · ${formatFixed(h.seconds, 1)} s`,
  }));
  const x = { field: 'generation', type: 'quantitative', title: 'generation', axis: { tickMinStep: 1, format: 'd' }, scale: { zero: false, nice: false } };
  const y = { field: 'hypervolume', type: 'quantitative', title: 'hypervolume (normalised)', scale: { zero: false } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: 200,
    title: { text: 'Hypervolume per generation', subtitle: ['of the feasible front; higher is better'] },
    config: PLOT_CONFIG,
    data: { values: rows },
    layer: [
      { mark: { type: 'line', color: SERIES.front.color, strokeWidth: 1.75, aria: false }, encoding: { x, y } },
      { mark: { type: 'point', filled: true, size: rows.length > 80 ? 10 : 28, color: SERIES.front.color }, encoding: { x, y, description: { field: 'tip' } } },
    ],
  };
  return { name: 'hypervolume', title: 'Hypervolume per generation', spec: spec as unknown as TopLevelSpec };
}

export function runPlotSpecs(m: RunReportModel): { pareto: PlotSpec[]; hypervolume: PlotSpec | null } {
  const anything = m.evaluations.length + m.front.length + m.references.length > 0;
  return {
    pareto: anything ? m.plots.map((p) => paretoPlotSpec(m, p)) : [],
    hypervolume: m.run.history.length > 0 ? hypervolumePlotSpec(m.run.history) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface RenderedSvg {
  svg: string;
  /** Warnings of vega-lite and vega while compiling and rendering (none for the report's own specs). */
  warnings: string[];
}

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string in Node. `idPrefix` makes the SVG's
 * element ids unique in a page holding several plots.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<RenderedSvg> {
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (_method, _level, args) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  });
  const vgSpec = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return { svg: scopeIds(titlesFromLabels(svg), idPrefix), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * vega writes a mark's description as `aria-label`; a browser shows an SVG element's <title> child as
 * its tooltip, so every labelled symbol gets one (the label is already attribute-escaped, which is
 * also valid text).
 */
export function titlesFromLabels(svg: string): string {
  return svg.replace(/<(path|circle|rect)((?:\s[^>]*?)?)\saria-label="([^"]*)"([^>]*?)\/>/g, '<$1$2 aria-label="$3"$4><title>$3</title></$1>');
}

/** Prefixes every id (and its `url(#id)` / `href="#id"` references) so plots can share one page. */
export function scopeIds(svg: string, prefix: string): string {
  const safe = prefix.replace(/[^A-Za-z0-9_-]/g, '-');
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${safe}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${safe}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${safe}-$1"`);
}

/** An SVG plot for inline use: its <svg> gets a class and an accessible name. */
export function inlineSvg(svg: string, label: string): string {
  return svg.replace(/^<svg\s/, `<svg class="plot" role="img" aria-label="${escapeHtml(label)}" `);
}
