/**
 * `mohaq demo`: the end-to-end job on the built-in defaults, what a new user runs first.
 *
 *   1. the synthetic corpus (TIMIT layout) and its feature store, generated once and cached
 *   2. the committed default model (models/sru-small.safetensors, trained on exactly that corpus)
 *   3. a SiLago search (error, speedup, energy) — inference-only, as the papers
 *   4. a Bitfusion search (error, speedup) under a tight memory limit, with beacons
 *   5. a delta-network threshold sweep of the model at 8-bit activations
 *   6. one report page comparing both searches (plus each run's own report), and a summary table
 *
 * Constraints are the papers' set-ups scaled to the default model: SiLago's 6 MB of a 21.2 MB fp32 model
 * (28%) and Bitfusion's 2 MB SRAM (9.4%, "about 1/12"), with the error bounded a few points above fp32.
 * Everything is cached or resumable: a second run reuses the corpus, the features, finished searches
 * and the delta sweep, and an interrupted demo continues its searches.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStoreFromTimit } from '../data/store/build-timit.js';
import { loadFeatureStore } from '../data/store/store.js';
import { synthesizeCorpus } from '../data/synth/corpus.js';
import { resolveSynthOptions, SYNTH_DEFAULTS } from '../data/synth/options.js';
import { loadModel } from '../nn/io.js';
import { evaluateModel } from '../quant/evaluate.js';
import { storeCalibration, storeSplit } from '../quant/store.js';
import { resolveDecoder } from '../quant/decoder.js';
import { DeltaEvaluator } from '../delta/evaluator.js';
import { deltaSweep, deltaSweepSection } from '../delta/sweep.js';
import type { DeltaSweepResult } from '../delta/sweep.js';
import { readSectionFiles } from '../report/sections.js';
import { RUN_FILES } from '../search/run-format.js';
import { readJson, writeJsonAtomic } from '../util/fsx.js';
import { resumeQuantSearch, runQuantSearch } from '../search/quant-search.js';
import type { QuantSearchOptions, QuantSearchSummary } from '../search/quant-search.js';
import { readRunDir } from '../search/run-dir.js';
import type { FrontEntry, FrontFile } from '../search/run-format.js';
import { fp32Bytes } from '../hw/memory.js';
import { buildInventory } from '../hw/inventory.js';
import { writeComparisonReport, writeReport } from '../report/report.js';
import { MohaqError } from '../util/errors.js';
import { formatDuration, silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { formatBytes } from '../util/units.js';

/** The committed default model (trained on the default synthetic corpus; see README). */
export const DEFAULT_MODEL = fileURLToPath(new URL('../../models/sru-small.safetensors', import.meta.url));

export interface DemoOptions {
  /** Output directory (runs, reports). @default ./mohaq-demo */
  out?: string;
  /** A small budget (about 2 minutes) instead of the full demo (about 10). */
  quick?: boolean;
  /** Where the corpus and features are cached. @default $MOHAQ_CACHE or ~/.cache/mohaq */
  cacheDir?: string;
  /** Worker threads. @default the number of cores */
  workers?: number;
  /** Start the searches afresh instead of reusing or resuming earlier ones. */
  force?: boolean;
  /** Also write PNG copies of the plots. */
  png?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface DemoSummary {
  out: string;
  corpus: string;
  features: string;
  model: string;
  fp32: { per: number; bytes: number };
  runs: { silago: QuantSearchSummary; bitfusion: QuantSearchSummary };
  delta: DeltaSweepSummary;
  reports: { demo: string; silago: string; bitfusion: string };
  seconds: number;
}

/** What the delta step returns (see src/delta). */
export interface DeltaSweepSummary {
  bits: string;
  /** PER (%) of the same bits without deltas. */
  baselinePer: number;
  /** Largest share of MACs eliminated at <= 1 point PER over the baseline. */
  eliminatedAtOnePoint: number;
  /** The report section file of the sweep. */
  section: string;
}

interface Budget {
  population: number;
  offspring: number;
  silagoGenerations: number;
  bitfusionGenerations: number;
  optSize: number;
  maxBeacons: number;
  beaconEpochs: number;
  /** Bitfusion memory limit as a share of the fp32 size (the papers: 2 MB of 21.2 MB). */
  bitfusionMemory: number;
}

const FULL: Budget = { population: 40, offspring: 10, silagoGenerations: 30, bitfusionGenerations: 30, optSize: 100, maxBeacons: 2, beaconEpochs: 2, bitfusionMemory: 2 / 21.2 };
// a few generations cannot reach the papers' tight Bitfusion limit from scratch: the quick demo allows all-4
const QUICK: Budget = { population: 12, offspring: 6, silagoGenerations: 3, bitfusionGenerations: 3, optSize: 30, maxBeacons: 1, beaconEpochs: 1, bitfusionMemory: 1 / 7.5 };

export function defaultCacheDir(): string {
  return process.env.MOHAQ_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mohaq');
}

/** The default corpus and its feature store, generated once per synthesizer configuration. */
export async function defaultData(cacheDir: string, progress: Progress = silentProgress): Promise<{ corpus: string; features: string }> {
  const options = resolveSynthOptions(SYNTH_DEFAULTS, 1);
  const { workers: _workers, ...identity } = options;
  const key = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
  const corpus = join(cacheDir, `corpus-${key}`);
  const features = join(cacheDir, `features-${key}`);
  mkdirSync(cacheDir, { recursive: true });
  if (!existsSync(join(corpus, 'mohaq-splits.json'))) {
    progress.log(`generating the default synthetic corpus in ${corpus} (once)`);
    await synthesizeCorpus(corpus, SYNTH_DEFAULTS, { overwrite: true, progress });
  }
  if (!existsSync(join(features, 'index.json'))) {
    progress.log(`computing its features in ${features} (once)`);
    const tmp = `${features}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    buildStoreFromTimit(corpus, tmp, { progress });
    rmSync(features, { recursive: true, force: true });
    renameSync(tmp, features);
  }
  return { corpus, features };
}

/** A search run: reused when finished, resumed when interrupted, started otherwise. */
async function searchRun(opts: QuantSearchOptions, force: boolean, progress: Progress, signal?: AbortSignal): Promise<QuantSearchSummary> {
  if (!force && existsSync(join(opts.out, 'config.json'))) {
    const state = readRunDir(opts.out).status.state;
    progress.log(`${opts.out}: ${state === 'finished' ? 'reusing the finished search' : `resuming the ${state} search`}`);
    return resumeQuantSearch(opts.out, { ...(opts.workers ? { workers: opts.workers } : {}), progress, ...(signal ? { signal } : {}) });
  }
  return runQuantSearch({ ...opts, overwrite: true, progress, ...(signal ? { signal } : {}) });
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const t0 = Date.now();
  const progress = o.progress ?? silentProgress;
  const budget = o.quick ? QUICK : FULL;
  const out = resolve(o.out ?? 'mohaq-demo');
  mkdirSync(out, { recursive: true });
  if (!existsSync(DEFAULT_MODEL)) throw new MohaqError('NOT_FOUND', `the default model ${DEFAULT_MODEL} is missing (it is part of the package)`);
  const { corpus, features } = await defaultData(o.cacheDir ?? defaultCacheDir(), progress);

  const model = loadModel(DEFAULT_MODEL);
  const store = loadFeatureStore(features);
  const opt = { size: budget.optSize };
  const fp32 = await evaluateModel(model, storeSplit(store, 'opt', opt), { bits: '*=32/32' });
  const fp32Per = 100 * fp32.per;
  const bytes = fp32Bytes(buildInventory(model.arch));
  progress.log(`default model: ${model.arch.name}, ${formatBytes(bytes)} fp32, PER ${fp32Per.toFixed(2)}% on the opt subset (${opt.size} dev utterances)`);

  const common = { model: DEFAULT_MODEL, data: features, opt, populationSize: budget.population, offspringSize: budget.offspring, seed: 1, ...(o.workers ? { workers: o.workers } : {}) };
  const silago = await searchRun(
    {
      ...common,
      platform: 'silago',
      objectives: ['error', 'speedup', 'energy'],
      maxMemoryBytes: Math.round((bytes * 6) / 21.2),
      maxError: Math.ceil(fp32Per + 6),
      generations: budget.silagoGenerations,
      out: join(out, 'silago'),
      command: 'mohaq demo (SiLago search)',
    },
    o.force ?? false,
    progress,
    o.signal,
  );
  const bitfusion = await searchRun(
    {
      ...common,
      platform: 'bitfusion',
      objectives: ['error', 'speedup'],
      maxMemoryBytes: Math.round(bytes * budget.bitfusionMemory),
      maxError: Math.ceil(fp32Per + 10),
      generations: budget.bitfusionGenerations,
      beacons: { mode: 'auto', maxBeacons: budget.maxBeacons, epochs: budget.beaconEpochs, distance: 5 },
      out: join(out, 'bitfusion'),
      command: 'mohaq demo (Bitfusion search with beacons)',
    },
    o.force ?? false,
    progress,
    o.signal,
  );

  const delta = await deltaStep(out, features, opt, o.quick ?? false, o.force ?? false, progress);
  const sections = readSectionFiles(join(out, 'delta'));
  const runReports = await Promise.all([writeReport(silago.dir, { png: o.png ?? false }), writeReport(bitfusion.dir, { png: o.png ?? false })]);
  const demo = await writeComparisonReport([silago.dir, bitfusion.dir], join(out, 'report.html'), {
    png: o.png ?? false,
    title: 'mohaq demo: the default SRU model on SiLago and Bitfusion',
    sections,
  });
  return {
    out,
    corpus,
    features,
    model: DEFAULT_MODEL,
    fp32: { per: fp32Per, bytes },
    runs: { silago, bitfusion },
    delta,
    reports: { demo: demo.htmlPath, silago: runReports[0]!.htmlPath, bitfusion: runReports[1]!.htmlPath },
    seconds: (Date.now() - t0) / 1000,
  };
}

/**
 * The delta-network threshold sweep of the default model at 8/8 (DESIGN.md section 8): the error vs
 * eliminated-operations front, as a report section. Cached in OUT/delta (a rerun reuses it).
 */
async function deltaStep(out: string, features: string, opt: { size: number }, quick: boolean, force: boolean, progress: Progress): Promise<DeltaSweepSummary> {
  const dir = join(out, 'delta');
  const sectionFile = join(dir, RUN_FILES.sections, 'delta-sweep.json');
  const summaryFile = join(dir, 'delta-sweep.json');
  if (!force && existsSync(sectionFile) && existsSync(summaryFile)) {
    progress.log(`${dir}: reusing the delta sweep`);
    const r = readJson<DeltaSweepResult>(summaryFile);
    return summarizeSweep(r, sectionFile);
  }
  const model = loadModel(DEFAULT_MODEL);
  const store = loadFeatureStore(features);
  const set = storeSplit(store, 'opt', opt);
  const { calibration } = storeCalibration(model, store, { opt });
  const evaluator = new DeltaEvaluator(model, set, { calibration, decoder: resolveDecoder(model, store, DEFAULT_MODEL) });
  progress.log(`delta-network sweep of the default model at *=8/8 (${quick ? 'quick' : 'full'})`);
  const result = deltaSweep(evaluator, '*=8/8', { maxIncrease: 0.01, rounds: quick ? 1 : 2, maxEvaluations: quick ? 16 : 80, progress });
  mkdirSync(join(dir, RUN_FILES.sections), { recursive: true });
  writeJsonAtomic(summaryFile, result);
  writeJsonAtomic(sectionFile, deltaSweepSection(result, model.arch.name));
  return summarizeSweep(result, sectionFile);
}

function summarizeSweep(r: DeltaSweepResult, section: string): DeltaSweepSummary {
  return { bits: r.bits, baselinePer: 100 * r.dense.per, eliminatedAtOnePoint: r.best ? r.best.eliminatedOps : 0, section };
}

/** A few telling solutions of a front: the most accurate, the fastest within one point of fp32, the fastest. */
function highlights(front: FrontFile, fp32Per: number): Array<{ label: string; entry: FrontEntry }> {
  const e = [...front.entries];
  if (e.length === 0) return [];
  const out: Array<{ label: string; entry: FrontEntry }> = [];
  const byError = [...e].sort((a, b) => a.error - b.error || b.speedup - a.speedup);
  out.push({ label: 'most accurate', entry: byError[0]! });
  const near = e.filter((x) => x.error <= fp32Per + 1).sort((a, b) => b.speedup - a.speedup);
  if (near[0] && near[0] !== byError[0]) out.push({ label: 'fastest within +1 point', entry: near[0] });
  const fastest = [...e].sort((a, b) => b.speedup - a.speedup || a.error - b.error)[0]!;
  if (!out.some((o) => o.entry === fastest)) out.push({ label: 'fastest', entry: fastest });
  return out;
}

function runLines(title: string, run: QuantSearchSummary, fp32Per: number, energyAll16: number | null): string[] {
  const lines = [`${title}: ${run.evaluations} evaluations in ${formatDuration(run.seconds)}, ${run.front.entries.length} solutions on the front${run.state === 'finished' ? '' : ` (${run.state})`}`];
  const rows = highlights(run.front, fp32Per).map(({ label, entry }) => [
    label,
    entry.error.toFixed(2),
    `${entry.speedup.toFixed(1)}x`,
    energyAll16 && !Number.isNaN(entry.energy) ? `${(100 * (1 - entry.energy / energyAll16)).toFixed(0)}%` : '-',
    formatBytes(entry.memoryBytes),
    `${entry.compression.toFixed(1)}x`,
    entry.fromBeacon ? `${entry.beacon} (PTQ ${entry.baseError!.toFixed(2)})` : '',
    entry.bits,
  ]);
  const head = ['solution', 'PER %', 'speedup', 'energy saved', 'memory', 'compr.', 'beacon', 'bits'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`;
  lines.push(fmt(head), ...rows.map(fmt));
  if (rows.length === 0) lines.push('  (no feasible solution found)');
  return lines;
}

/** The summary the demo prints. */
export function formatDemoSummary(s: DemoSummary): string {
  const all16 = (run: QuantSearchSummary) => run.front.references.find((r) => r.name === 'all-16');
  const energy16 = (run: QuantSearchSummary) => {
    const r = all16(run);
    return r && !Number.isNaN(r.energy) ? r.energy : null;
  };
  const lines = [
    `mohaq demo: default model sru-small, ${formatBytes(s.fp32.bytes)} in fp32, PER ${s.fp32.per.toFixed(2)}% on the optimisation subset`,
    '',
    ...runLines('SiLago (error, speedup, energy; 16/8/4-bit, weights and activations shared)', s.runs.silago, s.fp32.per, energy16(s.runs.silago)),
    '',
    ...runLines('Bitfusion with beacons (error, speedup; 2/4/8/16-bit weights and activations)', s.runs.bitfusion, s.fp32.per, null),
  ];
  {
    lines.push('', `Delta networks at ${s.delta.bits}: ${(100 * s.delta.eliminatedAtOnePoint).toFixed(0)}% of the MACs eliminated within 1 point of its ${s.delta.baselinePer.toFixed(2)}% PER`);
  }
  lines.push('', 'Reports (open in a browser):', `  ${s.reports.demo}`, `  ${s.reports.silago}`, `  ${s.reports.bitfusion}`, '', `done in ${formatDuration(s.seconds)}`);
  return `${lines.join('\n')}\n`;
}
