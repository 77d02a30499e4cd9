/**
 * `renderReport`: a run directory in, one self-contained HTML page (and its plots as SVG) out.
 * `renderComparisonReport`: several runs side by side in one page (the demo's SiLago and Bitfusion
 * runs). `writeReport` writes the page (and PNG copies of the plots) next to the run.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { readRunDir } from '../search/run-dir.js';
import { RUN_FILES } from '../search/run-format.js';
import { writeFileAtomic } from '../util/fsx.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { VERSION } from '../util/version.js';
import { escapeHtml, formatDate, formatInt, formatMetric } from './format.js';
import { buildRunModel, type RunReportModel } from './model.js';
import {
  bannerHtml,
  figureHtml,
  frontTableHtml,
  htmlPage,
  metadataHtml,
  notesHtml,
  objectivesSentence,
  referenceTableHtml,
  sectionTableHtml,
  tilesHtml,
} from './page.js';
import { PLOT_CONFIG, SERIES, inlineSvg, renderSvg, runPlotSpecs, type PlotSpec } from './plots.js';
import { readSectionFiles, type ReportSection } from './sections.js';

export interface RenderReportOptions {
  /** Sections after the report's own, in addition to the run's `sections/*.json`. */
  sections?: ReportSection[];
  /** Page title. @default "<model> on <platform>: mohaq report" */
  title?: string;
  /** Reported as the generation time in the footer. @default now */
  now?: Date;
  progress?: Progress;
}

export interface ReportPlot {
  /** File-name friendly and unique within the report (`error-vs-speedup`, `hypervolume`). */
  name: string;
  title: string;
  svg: string;
}

export interface RenderedReport {
  html: string;
  svgs: ReportPlot[];
  /** Notes shown in the report (ignored partial lines, missing files, ...). */
  problems: string[];
  /** Warnings of the plotting libraries (section plots written by others may cause some). */
  warnings: string[];
}

/** Renders plots one after another and collects them; ids are scoped by `prefix-name`. */
class PlotRenderer {
  readonly svgs: ReportPlot[] = [];
  readonly warnings: string[] = [];
  private readonly used = new Set<string>();
  constructor(private readonly progress: Progress) {}

  async render(plot: PlotSpec, prefix = ''): Promise<string> {
    let name = prefix ? `${prefix}-${plot.name}` : plot.name;
    for (let k = 2; this.used.has(name); k++) name = `${prefix ? `${prefix}-` : ''}${plot.name}-${k}`;
    this.used.add(name);
    const { svg, warnings } = await renderSvg(plot.spec, name);
    this.warnings.push(...warnings.map((w) => `${name}: ${w}`));
    this.svgs.push({ name, title: plot.title, svg });
    this.progress.update(this.svgs.length);
    return figureHtml(inlineSvg(svg, plot.title));
  }
}

function plotCount(specs: ReadonlyArray<ReturnType<typeof runPlotSpecs>>, sections: readonly ReportSection[]): number {
  return specs.reduce((n, s) => n + s.pareto.length + (s.hypervolume ? 1 : 0), 0) + sections.reduce((n, s) => n + (s.plots?.length ?? 0), 0);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'section';
}

async function sectionsHtml(sections: readonly ReportSection[], plots: PlotRenderer, prefix: string): Promise<string> {
  let html = '';
  for (const [k, s] of sections.entries()) {
    const figures: string[] = [];
    for (const [j, spec] of (s.plots ?? []).entries()) {
      const config = { ...PLOT_CONFIG, ...((spec.config as object | undefined) ?? {}) };
      const title = typeof spec.title === 'string' ? spec.title : `${s.title} ${j + 1}`;
      figures.push(await plots.render({ name: `${slug(s.title)}${s.plots!.length > 1 ? `-${j + 1}` : ''}`, title, spec: { ...spec, config } as unknown as TopLevelSpec }, prefix));
    }
    for (const svg of s.svg ?? []) figures.push(figureHtml(svg));
    html += `<section class="extra" id="${escapeHtml(`${prefix ? `${prefix}-` : ''}section-${k + 1}`)}"><h2>${escapeHtml(s.title)}</h2>`;
    if (s.text) html += `<p class="lead">${escapeHtml(s.text)}</p>`;
    if (figures.length) html += `<div class="plots">${figures.join('')}</div>`;
    if (s.table) html += sectionTableHtml(s.table);
    html += '</section>';
  }
  return html;
}

function frontsLead(m: RunReportModel): string {
  const parts = [`Each plot is one pair of objectives (better: ${objectivesSentence(m.objectives)}). Grey dots are every evaluated genome`];
  if (m.inferenceFront) parts.push(`; the ${SERIES.inference.label} uses the base model's post-training-quantization error alone, the ${SERIES.beacon.label} the error after beacon correction`);
  else parts.push(`; the ${SERIES.front.label} is drawn as a staircase`);
  parts.push('; diamonds mark the reference models. Hover a point for its bits and costs.');
  return parts.join('');
}

function footerHtml(dirs: readonly string[], now: Date): string {
  return `<footer>Generated by mohaq ${escapeHtml(VERSION)} on ${escapeHtml(formatDate(now.toISOString()))} from ${dirs.map((d) => `<code>${escapeHtml(d)}</code>`).join(', ')}. This page is self-contained: it loads nothing from the network.</footer>`;
}

function subtitle(m: RunReportModel): string {
  const { status } = m.run;
  const when = status.state === 'finished' && status.finishedAt ? `finished ${formatDate(status.finishedAt)}` : `${status.state}, updated ${formatDate(status.updatedAt)}`;
  return `Mixed-precision search · ${escapeHtml(m.objectives.join(' / '))} · ${formatInt(status.evaluations)} evaluations · ${escapeHtml(when)}`;
}

/** Everything of one run: used alone by renderReport and per column by the comparison. */
async function runBody(m: RunReportModel, specs: ReturnType<typeof runPlotSpecs>, plots: PlotRenderer, prefix: string, tableId: string): Promise<{ head: string; plotsHtml: string; hvHtml: string; table: string; references: string }> {
  const figures: string[] = [];
  for (const spec of specs.pareto) figures.push(await plots.render(spec, prefix));
  const hvHtml = specs.hypervolume ? await plots.render(specs.hypervolume, prefix) : '<p class="lead">No generation has completed yet.</p>';
  return {
    head: `${bannerHtml(m)}${tilesHtml(m)}`,
    plotsHtml: figures.length ? `<div class="plots">${figures.join('')}</div>` : '<p class="lead">No evaluation has been recorded yet.</p>',
    hvHtml,
    table: frontTableHtml(m, tableId),
    references: referenceTableHtml(m),
  };
}

/** Reads, validates and renders one run directory into a self-contained HTML report. */
export async function renderReport(runDir: string, opts: RenderReportOptions = {}): Promise<RenderedReport> {
  const progress = opts.progress ?? silentProgress;
  const run = readRunDir(runDir);
  const m = buildRunModel(run);
  const sections = [...readSectionFiles(runDir), ...(opts.sections ?? [])];
  const specs = runPlotSpecs(m);
  progress.start(plotCount([specs], sections), 'report');
  const plots = new PlotRenderer(progress);
  try {
    const body = await runBody(m, specs, plots, '', 'front-table');
    const title = opts.title ?? `${m.title}: mohaq report`;
    const html = htmlPage({
      title,
      body: [
        `<header class="page"><h1>${escapeHtml(m.title)}</h1><p class="sub">${subtitle(m)}</p></header>`,
        body.head,
        `<section id="run"><h2>Run</h2>${metadataHtml(m, VERSION)}</section>`,
        `<section id="fronts"><h2>Pareto fronts</h2><p class="lead">${escapeHtml(frontsLead(m))}</p>${body.plotsHtml}</section>`,
        `<section id="solutions"><h2>Front solutions</h2><p class="lead">${escapeHtml(frontTableLead(m))}</p>${body.table}</section>`,
        body.references ? `<section id="references"><h2>Reference points</h2>${body.references}</section>` : '',
        `<section id="progress"><h2>Search progress</h2><div class="plots">${body.hvHtml}</div></section>`,
        await sectionsHtml(sections, plots, ''),
        notesHtml(m.problems),
        footerHtml([runDir], opts.now ?? new Date()),
      ].join('\n'),
    });
    return { html, svgs: plots.svgs, problems: m.problems, warnings: plots.warnings };
  } finally {
    progress.stop();
  }
}

function frontTableLead(m: RunReportModel): string {
  const n = m.front.length;
  const source = m.frontSource === 'front.json' ? '' : ' (computed from the evaluations so far)';
  return `${n} solution${n === 1 ? '' : 's'}${source}. Click a column header to sort; hover a row for its bits spec.`;
}

export interface RenderComparisonOptions extends RenderReportOptions {}

/**
 * Several runs in one page: a summary table, then one column per run (state, headline figures,
 * plots, hypervolume), then each run's front table, then the extra sections.
 */
export async function renderComparisonReport(runDirs: readonly string[], opts: RenderComparisonOptions = {}): Promise<RenderedReport> {
  const progress = opts.progress ?? silentProgress;
  const models = runDirs.map((dir) => buildRunModel(readRunDir(dir)));
  const sections = [...runDirs.flatMap((dir) => readSectionFiles(dir)), ...(opts.sections ?? [])];
  const specs = models.map(runPlotSpecs);
  progress.start(plotCount(specs, sections), 'report');
  const plots = new PlotRenderer(progress);
  try {
    const prefixes = uniquePrefixes(models.map((m) => slug(m.run.config.platform.name)));
    const columns: string[] = [];
    const tables: string[] = [];
    for (const [i, m] of models.entries()) {
      const body = await runBody(m, specs[i]!, plots, prefixes[i]!, `front-table-${i + 1}`);
      columns.push(
        `<div class="run-col" id="run-${i + 1}"><h2>${escapeHtml(m.title)}</h2><p class="sub">${subtitle(m)}</p>${body.head}` +
          `<h3>Pareto fronts</h3>${body.plotsHtml}<h3>Search progress</h3><div class="plots">${body.hvHtml}</div></div>`,
      );
      tables.push(
        `<section id="solutions-${i + 1}"><h2>Front solutions: ${escapeHtml(m.title)}</h2><p class="lead">${escapeHtml(frontTableLead(m))}</p>${body.table}` +
          `${body.references ? `<h3>Reference points</h3>${body.references}` : ''}<h3>Run</h3>${metadataHtml(m, VERSION)}</section>`,
      );
    }
    const title = opts.title ?? `mohaq: ${models.map((m) => m.title).join(' vs ')}`;
    const problems = models.flatMap((m) => m.problems.map((p) => (models.length > 1 ? `${m.title}: ${p}` : p)));
    const html = htmlPage({
      title,
      body: [
        `<header class="page"><h1>${escapeHtml(title)}</h1><p class="sub">${models.length} runs side by side · ${escapeHtml(models.map((m) => m.run.config.platform.name).join(', '))}</p></header>`,
        `<section id="summary"><h2>Summary</h2>${comparisonTableHtml(models)}</section>`,
        `<section id="runs"><div class="runs">${columns.join('')}</div></section>`,
        ...tables,
        await sectionsHtml(sections, plots, 'section'),
        notesHtml(problems),
        footerHtml(runDirs, opts.now ?? new Date()),
      ].join('\n'),
    });
    return { html, svgs: plots.svgs, problems, warnings: plots.warnings };
  } finally {
    progress.stop();
  }
}

/** The demo's page: the given runs side by side, with the demo's own sections after them. */
export function renderDemoReport(runDirs: readonly string[], extraSections: readonly ReportSection[] = [], opts: RenderComparisonOptions = {}): Promise<RenderedReport> {
  return renderComparisonReport(runDirs, { ...opts, sections: [...(opts.sections ?? []), ...extraSections] });
}

function uniquePrefixes(names: string[]): string[] {
  return names.map((n, i) => (names.filter((x) => x === n).length > 1 ? `${n}-${i + 1}` : n));
}

function comparisonTableHtml(models: RunReportModel[]): string {
  const rows = models.map((m) => {
    const d = m.displays;
    const best = m.front.length ? m.front.reduce((a, b) => (b.error < a.error ? b : a)) : undefined;
    const fastest = m.front.length ? m.front.reduce((a, b) => (b.speedup > a.speedup ? b : a)) : undefined;
    const fp32 = m.references.find((r) => r.name === 'fp32');
    const cells = [
      `<td class="text"><a href="#run-${models.indexOf(m) + 1}">${escapeHtml(m.title)}</a></td>`,
      `<td class="text">${escapeHtml(m.objectives.join(', '))}</td>`,
      `<td class="text">${escapeHtml(m.state.finished ? 'finished' : `${m.state.state} (${m.state.generation}/${m.state.generations})`)}</td>`,
      `<td data-v="${m.run.status.evaluations}">${formatInt(m.run.status.evaluations)}</td>`,
      `<td data-v="${m.front.length}">${m.front.length}</td>`,
      `<td data-v="${fp32?.error ?? ''}">${fp32 ? formatMetric(d.error, fp32.error) : '—'}</td>`,
      `<td data-v="${best?.error ?? ''}">${best ? `${formatMetric(d.error, best.error)} at ${formatMetric(d.speedup, best.speedup)}` : '—'}</td>`,
      `<td data-v="${fastest?.speedup ?? ''}">${fastest ? `${formatMetric(d.speedup, fastest.speedup)} at ${formatMetric(d.error, fastest.error)}` : '—'}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const head = ['run', 'objectives', 'state', 'evaluations', 'front', 'fp32 PER', 'lowest PER', 'highest speedup']
    .map((h, i) => `<th${i < 3 ? ' class="text"' : ''}>${escapeHtml(h)}</th>`)
    .join('');
  return `<div class="table-wrap"><table class="sortable summary"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------
// Files

/** A PNG of an SVG at `zoom` times its size, text in the system fonts. */
export function svgToPng(svg: string, zoom = 2): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}

export interface WriteReportOptions extends RenderReportOptions {
  /** Also write `plots/<name>.png` next to the page. @default false */
  png?: boolean;
  /** Where to write the page. @default RUN_DIR/report.html */
  out?: string;
}

export interface WrittenReport {
  htmlPath: string;
  pngPaths: string[];
  report: RenderedReport;
}

function writeOutputs(report: RenderedReport, htmlPath: string, png: boolean): WrittenReport {
  writeFileAtomic(htmlPath, report.html);
  const pngPaths: string[] = [];
  if (png) {
    const dir = join(dirname(htmlPath), RUN_FILES.plots);
    mkdirSync(dir, { recursive: true });
    for (const plot of report.svgs) {
      const path = join(dir, `${plot.name}.png`);
      writeFileAtomic(path, svgToPng(plot.svg));
      pngPaths.push(path);
    }
  }
  return { htmlPath, pngPaths, report };
}

/** Renders a run's report and writes it (atomically) to RUN_DIR/report.html, plus PNGs with `png`. */
export async function writeReport(runDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const report = await renderReport(runDir, opts);
  return writeOutputs(report, opts.out ?? join(runDir, RUN_FILES.report), opts.png ?? false);
}

/** Renders several runs into one page at `out` (PNGs in `plots/` beside it with `png`). */
export async function writeComparisonReport(runDirs: readonly string[], out: string, opts: Omit<WriteReportOptions, 'out'> = {}): Promise<WrittenReport> {
  const report = await renderComparisonReport(runDirs, opts);
  return writeOutputs(report, out, opts.png ?? false);
}
