/**
 * Report speed: reading a run directory (CSV of a paper-size search and of an exhaustive SiLago
 * search), the fsync'd append of one generation, one Pareto plot to SVG, a whole report, and a PNG.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, report } from './harness.js';
import { writeSyntheticRun } from '../test/report/fixtures.js';
import { appendEvaluations, formatEvaluationsCsv, parseEvaluationsCsv, readRunDir } from '../src/search/run-dir.js';
import { buildRunModel, paretoPlotSpec, renderReport, renderSvg, svgToPng } from '../src/report/index.js';

const base = mkdtempSync(join(tmpdir(), 'mohaq-bench-report-'));
const silago = join(base, 'silago');
const bitfusion = join(base, 'bitfusion');
writeSyntheticRun(silago, { platform: 'silago', generations: 60 });
writeSyntheticRun(bitfusion, { platform: 'bitfusion', generations: 60 });

const run = readRunDir(silago);
// an exhaustive SiLago search evaluates 3^8 = 6561 genomes
const exhaustive = Array.from({ length: 6561 }, (_, i) => ({ ...run.evaluations[i % run.evaluations.length]!, index: i }));
const exhaustiveCsv = formatEvaluationsCsv(exhaustive);
const generation = run.evaluations.slice(0, 10);
const model = buildRunModel(run);
const spec = paretoPlotSpec(model, model.plots[0]!);
const svg = (await renderSvg(spec.spec, 'bench')).svg;

const rows = [
  await measure(`readRunDir, ${run.evaluations.length} evaluations + front + history`, () => readRunDir(silago), { repeats: 9 }),
  await measure('parse evaluations.csv, 6,561 rows (exhaustive SiLago)', () => parseEvaluationsCsv(exhaustiveCsv, 'evaluations.csv'), { repeats: 9 }),
  await measure('format evaluations.csv, 6,561 rows', () => formatEvaluationsCsv(exhaustive), { repeats: 9 }),
  await measure("appendEvaluations, one generation (10 rows, fsync'd)", () => appendEvaluations(join(base, 'append'), generation), { repeats: 21 }),
  await measure(`Pareto plot to SVG (${run.evaluations.length} points + front + references)`, () => renderSvg(spec.spec, 'bench'), { repeats: 9 }),
  await measure('renderReport, SiLago run (5 plots)', () => renderReport(silago), { repeats: 5 }),
  await measure('renderReport, Bitfusion run with beacons (3 plots)', () => renderReport(bitfusion), { repeats: 5 }),
  await measure('svgToPng, one plot at 2x', () => svgToPng(svg), { repeats: 9 }),
];
report('report and run directory (src/report, src/search/run-dir.ts)', rows);
