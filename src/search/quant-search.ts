/**
 * The MOHAQ inference-only search: NSGA-II over per-matrix precisions, every genome scored by
 * post-training quantization on the optimisation subset (error) and by the platform's cost model
 * (speedup, energy, memory, compression), written to a run directory as it goes and resumable.
 *
 * The loop is NSGA-II's ask/tell with everything MOHAQ needs in between:
 *   ask -> genomes -> cache lookup -> worker pool (PTQ error) -> cost model -> tell
 *       -> evaluations.csv, history.jsonl, front.json, checkpoint.json, status.json
 * Results never depend on the worker count: errors are a function of the genome alone, and rows are
 * written in the order the algorithm asked for them.
 *
 * The front reported is the feasible non-dominated set of every genome evaluated so far (an archive),
 * not only of the final population: every evaluated genome is a real, reusable quantization.
 */
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { loadFeatureStore } from '../data/store/store.js';
import { buildInventory } from '../hw/inventory.js';
import type { Inventory } from '../hw/inventory.js';
import { platformCost } from '../hw/cost.js';
import type { Platform } from '../hw/platform.js';
import { loadPlatform } from '../hw/platforms/index.js';
import { parsePlatform } from '../hw/platform.js';
import { listMatrices } from '../nn/arch.js';
import { loadModel } from '../nn/io.js';
import type { Model } from '../nn/model.js';
import { formatBitsSpec, uniformBits } from '../quant/bits-spec.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { QuantOptions } from '../quant/options.js';
import { resolveQuantOptions } from '../quant/options.js';
import { storeCalibration, storeSplit } from '../quant/store.js';
import type { OptSubsetOptions } from '../quant/subset.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { createPool } from '../util/pool.js';
import type { JobPool } from '../util/pool.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { VERSION } from '../util/version.js';
import { siblingModule } from '../util/workers.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GenomeScore, GenomeTask, SearchWorkerInit } from './evaluate-worker.js';
import { allGenomes, buildDeltaGenes, buildGenes, decodeGenome, decodeThresholds, encodeGenome, genomeKey, spaceSize, uniformGenomes } from './genes.js';
import { THRESHOLD_CANDIDATES, formatThresholdSpec } from '../delta/thresholds.js';
import { deltaSpeedup } from '../delta/stats.js';
import { hypervolume } from './indicators/hypervolume.js';
import { createNSGA2 } from './nsga2.js';
import type { GeneticAlgorithm, SearchState } from './algorithm.js';
import { constraintVector, constraintViolations, normalisedPoint, objectiveVector, OBJECTIVE_NAMES } from './objectives.js';
import type { Constraints, GenomeMetrics, ObjectiveScales } from './objectives.js';
import { nonDominated } from './dominance.js';
import { seededSampling } from './operators/sampling.js';
import { frontEntry } from './front-table.js';
import { BeaconManager } from './beacons.js';
import type { BeaconCandidate, BeaconSettings, PromiseCriteria } from './beacons.js';
import {
  appendEvaluations,
  appendHistory,
  createRunDir,
  readRunDir,
  rollbackToCheckpoint,
  writeCheckpoint,
  writeFront,
  writeStatus,
} from './run-dir.js';
import { RUN_FORMAT } from './run-format.js';
import type { EvaluationRecord, FrontFile, GeneSpec, ObjectiveName, ReferencePoint, RunConfig, RunStatus } from './run-format.js';

export interface QuantSearchOptions {
  /** The trained model file. */
  model: string;
  /** The feature store (FEATDIR). */
  data: string;
  /** Split the error is measured on. @default 'opt' (the seeded optimisation subset of dev) */
  split?: string;
  opt?: OptSubsetOptions;
  /** A built-in platform name or a platform JSON file. */
  platform: string;
  /** @default ['error', 'speedup'] */
  objectives?: ObjectiveName[];
  /** @default the platform's capacity, if any */
  maxMemoryBytes?: number;
  /** PER (%) limit. */
  maxError?: number;
  /** @default 60 */
  generations?: number;
  /** @default 40 */
  populationSize?: number;
  /** @default 10 */
  offspringSize?: number;
  /** @default 1 */
  seed?: number;
  /** @default { prob: 1, eta: 3 } (the papers' int_sbx) */
  crossover?: { prob?: number; eta?: number };
  /** @default { eta: 3 } (the papers' int_pm) */
  mutation?: { prob?: number; eta?: number };
  /** Worker threads for evaluations. @default the number of cores */
  workers?: number;
  /**
   * Delta networks: add a threshold gene per matrix (DESIGN.md section 8); genomes are scored with delta
   * inference (integer-exact) and get their eliminated operations (objective `eliminated`; platforms with
   * `deltaSkipping` also turn them into speedup).
   */
  delta?: boolean;
  /** Put the uniform genomes (all matrices at one precision) into the initial population. @default true */
  seedUniform?: boolean;
  /** Evaluate every genome (small spaces only) instead of searching. */
  exhaustive?: boolean;
  /** Refuse exhaustive searches above this many genomes. @default 100000 */
  exhaustiveLimit?: number;
  quant?: QuantOptions;
  /** Beacon-based search (DESIGN.md section 7); absent: inference-only. */
  beacons?: BeaconOptions;
  /** A calibration file; else computed on the opt subset and cached next to the store. */
  calibration?: string;
  /** The run directory. */
  out: string;
  overwrite?: boolean;
  progress?: Progress;
  /** The command line, recorded in config.json. */
  command?: string;
  signal?: AbortSignal;
}

export interface BeaconOptions {
  /** `auto` (default): retrain promising genomes as the search finds them; `file`: a fixed set. */
  mode?: 'auto' | 'file';
  /** JSON list of `{ "bits": SPEC, "model"?: FILE }` for mode `file`. */
  file?: string;
  /** @default 5 */
  distance?: number;
  /** @default 4 */
  maxBeacons?: number;
  /** QAT epochs per beacon. @default 4 */
  epochs?: number;
  /** Promising genomes have a PTQ error above this. @default all-16 PTQ error + 1 point */
  minError?: number;
  /** ... and at most this. @default the error constraint + 10 points, or all-16 error + 20 points */
  maxError?: number;
  /** ... and at least this speedup. @default 1 */
  minSpeedup?: number;
  /** QAT learning rate. @default 3e-4 */
  lr?: number;
  /** QAT utterances per step. @default 8 */
  batchSize?: number;
}

export interface QuantSearchSummary {
  dir: string;
  state: RunStatus['state'];
  generation: number;
  evaluations: number;
  cacheHits: number;
  seconds: number;
  front: FrontFile;
}

/** Settings kept in config.json beyond the RunConfig fields, so a resume rebuilds the same search. */
interface StoredSettings {
  opt: OptSubsetOptions;
  quant: QuantOptions;
  calibration?: string;
  exhaustiveLimit: number;
  seedUniform: boolean;
  beacons?: BeaconOptions;
}

/**
 * Layer-output cache per worker for the base model: a quarter of the machine's memory shared by the
 * workers, within 512 MiB..2 GiB. A larger cache serves more genomes from a shared layer prefix (on the
 * papers' Bitfusion set-up, 2 GiB instead of 512 MiB skips 23% more layer passes).
 */
function baseLayerCacheBytes(workers: number): number {
  const MiB = 1024 * 1024;
  return Math.round(Math.min(2048 * MiB, Math.max(512 * MiB, totalmem() / 4 / Math.max(1, workers))));
}

/** Most genomes per worker task in a search generation (see scoreGenomes). */
const SMALL_CHUNK = 2;

const DEFAULTS = { generations: 60, populationSize: 40, offspringSize: 10, seed: 1, crossover: { prob: 1, eta: 3 }, mutation: { eta: 3 } };

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Everything a search needs, resolved once (new run or resume). */
class SearchContext {
  readonly matrices: string[];
  readonly inventory: Inventory;
  readonly genes: GeneSpec[];
  readonly constraints: Constraints;
  readonly scales: ObjectiveScales;
  /** The first record of every genome evaluated, by genome key (a repeat copies it). */
  readonly cache = new Map<string, EvaluationRecord>();
  /** Beacon search only. */
  beacons: BeaconManager | null = null;
  readonly records: EvaluationRecord[] = [];

  constructor(
    readonly config: RunConfig,
    readonly settings: StoredSettings,
    readonly model: Model,
    readonly platform: Platform,
  ) {
    this.matrices = listMatrices(model.arch).map((m) => m.name);
    this.inventory = buildInventory(model.arch);
    this.genes = config.genes;
    this.constraints = config.constraints;
    const cheapest = decodeGenome(this.genes, this.genes.map(() => 0));
    const c16 = platformCost(platform, this.inventory, uniformBits(this.matrices, 16, 16), { capacityBytes: null });
    const cMin = platformCost(platform, this.inventory, cheapest, { capacityBytes: null });
    this.scales = { maxSpeedup: cMin.speedup, energyAll16: c16.energyPj, memoryAll16: c16.memoryBytes, maxCompression: cMin.compression };
  }

  /** Platform figures of a genome; with delta eliminations on a platform that skips zero deltas, the delta-aware speedup. */
  cost(bits: BitsAssignment, eliminated?: Record<string, number>): Omit<GenomeMetrics, 'error'> & { violations: string[] } {
    const c = platformCost(this.platform, this.inventory, bits, { capacityBytes: null });
    const speedup = eliminated && this.platform.deltaSkipping ? deltaSpeedup(c, eliminated) : c.speedup;
    return { speedup, energy: c.energyPj, memoryBytes: c.memoryBytes, compression: c.compression, violations: [...c.violations] };
  }

  objectives(m: GenomeMetrics): number[] {
    return objectiveVector(this.config.objectives, m);
  }

  constraintValues(m: GenomeMetrics): number[] {
    return constraintVector(this.constraints, m);
  }

  feasible(m: GenomeMetrics, platformViolations: string[]): boolean {
    return platformViolations.length === 0 && constraintViolations(this.constraints, m).length === 0;
  }

  private front: EvaluationRecord[] = [];
  private frontSeen = 0;

  /** The feasible non-dominated set of all evaluations so far, in evaluation order (kept incrementally). */
  archiveFront(): EvaluationRecord[] {
    if (this.frontSeen < this.records.length) {
      const fresh = this.records.slice(this.frontSeen).filter((r) => r.feasible && !r.cacheHit);
      this.frontSeen = this.records.length;
      if (fresh.length) {
        const pool = [...this.front, ...fresh];
        this.front = nonDominated(pool.map((r) => this.objectives(recordMetrics(r))))
          .map((i) => pool[i]!)
          .sort((a, b) => a.index - b.index);
      }
    }
    return this.front;
  }

  hypervolume(front: readonly EvaluationRecord[]): number {
    const pts = front.map((r) => normalisedPoint(this.config.objectives, recordMetrics(r), this.scales));
    return pts.length ? hypervolume(pts, this.config.objectives.map(() => 1)) : 0;
  }
}

function recordMetrics(r: EvaluationRecord): GenomeMetrics {
  return {
    error: r.error,
    speedup: r.speedup,
    energy: Number.isNaN(r.energy) ? null : r.energy,
    memoryBytes: r.memoryBytes,
    compression: r.compression,
    ...(r.eliminatedOps !== undefined ? { eliminatedOps: r.eliminatedOps } : {}),
  };
}

function resolveObjectives(objectives: readonly ObjectiveName[], platform: Platform, delta: boolean): ObjectiveName[] {
  if (objectives.length < 1) throw invalidParameter('--objectives', 'at least one of error, speedup, energy, memory, compression', objectives.join(','));
  const seen = new Set<string>();
  for (const o of objectives) {
    if (!OBJECTIVE_NAMES.includes(o)) throw invalidParameter('--objectives', `names from ${OBJECTIVE_NAMES.join(', ')}`, o);
    if (o === 'eliminated' && !delta) throw invalidParameter('--objectives', 'eliminated only with --delta', o);
    if (seen.has(o)) throw invalidParameter('--objectives', 'each objective once', objectives.join(','));
    seen.add(o);
  }
  if (objectives.includes('energy') && platform.model.kind === 'analytic' && !platform.model.energy) {
    throw invalidParameter('--objectives', `objectives the platform ${platform.name} can cost (it has no energy model)`, 'energy');
  }
  return [...objectives];
}

/** Starts a new search in `opts.out`. */
export async function runQuantSearch(opts: QuantSearchOptions): Promise<QuantSearchSummary> {
  const progress = opts.progress ?? silentProgress;
  const platform = loadPlatform(opts.platform, '--platform');
  const modelPath = resolve(opts.model);
  const model = loadModel(modelPath);
  const store = loadFeatureStore(opts.data);
  const split = opts.split ?? 'opt';
  const opt = opts.opt ?? {};
  const set = storeSplit(store, split, opt);
  const quant = opts.quant ?? {};
  resolveQuantOptions(quant);
  const delta = opts.delta ?? false;
  const objectives = resolveObjectives(opts.objectives ?? (delta ? ['error', 'speedup', 'eliminated'] : ['error', 'speedup']), platform, delta);
  const matrices = listMatrices(model.arch).map((m) => m.name);
  const genes = [...buildGenes(matrices, platform), ...(delta ? buildDeltaGenes(matrices, platform) : [])];
  if (delta && opts.beacons) throw invalidParameter('--beacons', 'no beacons with --delta (beacons are scored without deltas)', opts.beacons.mode ?? 'auto');
  const maxMemoryBytes = opts.maxMemoryBytes ?? platform.capacityBytes ?? undefined;
  const constraints: Constraints = {
    ...(maxMemoryBytes !== undefined ? { maxMemoryBytes } : {}),
    ...(opts.maxError !== undefined ? { maxError: opts.maxError } : {}),
  };
  if (opts.exhaustive) {
    const n = spaceSize(genes);
    const limit = opts.exhaustiveLimit ?? 100_000;
    if (n > limit) throw invalidParameter('--exhaustive', `a space of at most ${limit} genomes`, `${n} genomes (${genes.length} genes)`);
  }
  const inventory = buildInventory(model.arch);
  const fp32 = platformCost(parsePlatform({ ...platform.spec, name: platform.name }), inventory, uniformBits(matrices, 32, 32), { capacityBytes: null }).memoryBytes;
  if (opts.beacons && opts.exhaustive) throw invalidParameter('--beacons', 'no beacons with --exhaustive (beacons correct a search)', opts.beacons.mode ?? 'auto');
  if (opts.beacons?.mode === 'file' && !opts.beacons.file) throw invalidParameter('--beacons', 'auto or a beacon set file', 'file');
  const beacons = opts.beacons ? { ...opts.beacons, ...(opts.beacons.file ? { file: resolve(opts.beacons.file) } : {}) } : undefined;
  const settings: StoredSettings = { opt, quant, ...(opts.calibration ? { calibration: resolve(opts.calibration) } : {}), exhaustiveLimit: opts.exhaustiveLimit ?? 100_000, seedUniform: opts.seedUniform ?? true, ...(beacons ? { beacons } : {}) };
  const config: RunConfig = {
    format: RUN_FORMAT,
    mohaqVersion: VERSION,
    createdAt: new Date().toISOString(),
    ...(opts.command ? { command: opts.command } : {}),
    model: { path: modelPath, name: model.arch.name, sha256: sha256File(modelPath), parameters: model.layout.total, fp32Bytes: fp32 },
    data: { path: resolve(opts.data), split, utterances: set.utterances.length, frames: set.utterances.reduce((s, u) => s + u.frames, 0) },
    platform: { name: platform.name, description: platform.description, spec: platform.spec },
    objectives,
    constraints,
    search: {
      algorithm: opts.exhaustive ? 'exhaustive' : 'nsga2',
      populationSize: opts.populationSize ?? DEFAULTS.populationSize,
      offspringSize: opts.offspringSize ?? DEFAULTS.offspringSize,
      generations: opts.exhaustive ? 1 : opts.generations ?? DEFAULTS.generations,
      seed: opts.seed ?? DEFAULTS.seed,
      crossover: { prob: opts.crossover?.prob ?? DEFAULTS.crossover.prob, eta: opts.crossover?.eta ?? DEFAULTS.crossover.eta },
      mutation: { eta: opts.mutation?.eta ?? DEFAULTS.mutation.eta, ...(opts.mutation?.prob !== undefined ? { prob: opts.mutation.prob } : {}) },
      workers: opts.workers ?? availableParallelism(),
    },
    matrices,
    genes,
    ...(delta ? { delta: { thresholds: Object.fromEntries(Object.entries(THRESHOLD_CANDIDATES).map(([b, t]) => [b, [...t]])) } } : {}),
    ...(beacons
      ? {
          beacons: {
            mode: beacons.mode ?? 'auto',
            ...(beacons.file ? { file: beacons.file } : {}),
            distance: beacons.distance ?? 5,
            maxBeacons: beacons.maxBeacons ?? 4,
            epochs: beacons.epochs ?? 4,
            promise: {
              ...(beacons.minError !== undefined ? { minError: beacons.minError } : {}),
              ...(beacons.maxError !== undefined ? { maxError: beacons.maxError } : {}),
              ...(beacons.minSpeedup !== undefined ? { minSpeedup: beacons.minSpeedup } : {}),
            },
          },
        }
      : {}),
    settings: settings as unknown as Record<string, unknown>,
  };
  createRunDir(opts.out, config, { overwrite: opts.overwrite });
  progress.log(`search ${opts.out}: ${platform.name}, ${genes.length} genes over ${matrices.length} matrices (${spaceSize(genes).toExponential(2)} genomes), objectives ${objectives.join(', ')}`);
  const ctx = new SearchContext(config, settings, model, platform);
  return drive(opts.out, ctx, null, { workers: config.search.workers, progress, signal: opts.signal });
}

/** Continues a search from its last checkpoint (a finished run returns its summary unchanged). */
export async function resumeQuantSearch(dir: string, opts: { workers?: number; progress?: Progress; signal?: AbortSignal } = {}): Promise<QuantSearchSummary> {
  const contents = readRunDir(dir);
  const config = contents.config;
  const settings = config.settings as StoredSettings | undefined;
  if (!settings) throw new MohaqError('INVALID_FILE', `${dir}/config.json: no "settings" (this run was not made by mohaq search and cannot be resumed)`);
  const model = loadModel(config.model.path);
  const platform = parsePlatform(config.platform.spec, `${dir}/config.json platform.spec`);
  const ctx = new SearchContext(config, settings, model, platform);
  // an exhaustive run has no generations: every row it wrote stands, and it skips those genomes
  const checkpoint = config.search.algorithm === 'exhaustive' ? null : rollbackToCheckpoint(dir) ?? null;
  const kept = readRunDir(dir);
  for (const r of kept.evaluations) {
    ctx.records.push(r);
    if (!r.cacheHit) ctx.cache.set(genomeKey(r.genome), r);
  }
  const workers = opts.workers ?? config.search.workers;
  return drive(dir, ctx, checkpoint, { workers, progress: opts.progress ?? silentProgress, signal: opts.signal, status: contents.status });
}

interface DriveOptions {
  workers: number;
  progress: Progress;
  signal?: AbortSignal;
  status?: RunStatus;
}

async function drive(dir: string, ctx: SearchContext, checkpoint: { generation: number; algorithm: unknown } | null, o: DriveOptions): Promise<QuantSearchSummary> {
  const started = Date.now();
  const prior = o.status?.seconds ?? 0;
  const startedAt = o.status?.startedAt ?? new Date().toISOString();
  const status = (state: RunStatus['state'], generation: number, message?: string): RunStatus => ({
    state,
    startedAt,
    updatedAt: new Date().toISOString(),
    ...(state === 'finished' ? { finishedAt: new Date().toISOString() } : {}),
    generation,
    generations: ctx.config.search.generations,
    evaluations: ctx.records.length,
    seconds: prior + (Date.now() - started) / 1000,
    ...(message ? { message } : {}),
  });
  const { settings } = ctx;
  const calib = storeCalibration(ctx.model, loadFeatureStore(ctx.config.data.path), { file: settings.calibration, opt: settings.opt, progress: o.progress });
  const init: SearchWorkerInit = {
    models: { base: ctx.config.model.path },
    data: ctx.config.data.path,
    split: ctx.config.data.split,
    opt: settings.opt,
    calibration: calib.calibration,
    quant: settings.quant,
    baseCacheBytes: baseLayerCacheBytes(o.workers),
  };
  const pool = await createPool<SearchWorkerInit, GenomeTask, GenomeScore[]>(siblingModule(import.meta.url, 'evaluate-worker'), init, o.workers);
  let generation = checkpoint?.generation ?? 0;
  try {
    if (ctx.config.beacons) ctx.beacons = await beaconManager(dir, ctx, pool, o);
    if (ctx.config.search.algorithm === 'exhaustive') {
      generation = await exhaustive(dir, ctx, pool, o, (g) => status('running', g));
    } else {
      generation = await evolve(dir, ctx, pool, checkpoint, o, (g) => status('running', g));
    }
    const front = await writeFinalFront(dir, ctx, pool, true);
    writeStatus(dir, status('finished', generation));
    return summary(dir, ctx, 'finished', generation, prior + (Date.now() - started) / 1000, front);
  } catch (e) {
    const aborted = o.signal?.aborted;
    writeStatus(dir, status(aborted ? 'interrupted' : 'failed', generation, aborted ? 'stopped by the user; resume with mohaq search --resume' : (e as Error).message));
    if (aborted) {
      const front = await writeFinalFront(dir, ctx, pool, false).catch(() => null);
      if (front) return summary(dir, ctx, 'interrupted', generation, prior + (Date.now() - started) / 1000, front);
    }
    throw e;
  } finally {
    await pool.close();
  }
}

/** The beacon manager of a run, with its promise criteria resolved (the defaults need the all-16 error). */
async function beaconManager(dir: string, ctx: SearchContext, pool: JobPool<GenomeTask, GenomeScore[]>, o: DriveOptions): Promise<BeaconManager> {
  const cfg = ctx.config.beacons!;
  const extra = ctx.settings.beacons ?? {};
  const all16 = encodeGenome(ctx.genes, uniformBits(ctx.matrices, 16, 16));
  const ref16 = all16 ? (await scoreGenomes(ctx, pool, { id: 'base' }, [all16]))[0]!.per : (await pool.run({ model: 'base', genomes: [uniformBits(ctx.matrices, 16, 16)] }))[0]!.per;
  const promise: PromiseCriteria = {
    minError: cfg.promise.minError ?? ref16 + 1,
    maxError: cfg.promise.maxError ?? (ctx.constraints.maxError !== undefined ? ctx.constraints.maxError + 10 : ref16 + 20),
    minSpeedup: cfg.promise.minSpeedup ?? 1,
  };
  const settings: BeaconSettings = { mode: cfg.mode, ...(cfg.file ? { file: cfg.file } : {}), distance: cfg.distance, maxBeacons: cfg.maxBeacons, epochs: cfg.epochs, promise, lr: extra.lr ?? 3e-4, batchSize: extra.batchSize ?? 8 };
  o.progress.log(`beacons: ${settings.mode}, distance <= ${settings.distance}, up to ${settings.maxBeacons}, ${settings.epochs} QAT epochs; promising: ${promise.minError.toFixed(2)}% < PER <= ${promise.maxError.toFixed(2)}%, speedup >= ${promise.minSpeedup}`);
  const { retrainFromStore } = await import('../train/retrain.js');
  const manager = new BeaconManager(dir, ctx.genes, ctx.matrices, settings, {
    score: async (id, path, genomes) => (await scoreGenomes(ctx, pool, { id, path }, genomes)).map((s) => s.per),
    retrain: async (genome, out) => {
      const r = await retrainFromStore({
        model: ctx.config.model.path,
        data: ctx.config.data.path,
        bits: formatBitsSpec(decodeGenome(ctx.genes, genome), ctx.matrices),
        out,
        epochs: settings.epochs,
        lr: settings.lr,
        batchSize: settings.batchSize,
        curriculum: null,
        seed: ctx.config.search.seed,
        workers: o.workers,
        resume: true,
        opt: ctx.settings.opt,
        quant: ctx.settings.quant,
        ...(ctx.settings.calibration ? { calibration: ctx.settings.calibration } : {}),
        progress: { start() {}, update() {}, stop() {}, log: (m) => o.progress.log(`  ${m}`) },
      });
      return { devBefore: 100 * r.before.dev.per, devAfter: 100 * r.after.dev.per };
    },
    log: (m) => o.progress.log(m),
  });
  await manager.prepareFixed();
  return manager;
}

function summary(dir: string, ctx: SearchContext, state: RunStatus['state'], generation: number, seconds: number, front: FrontFile): QuantSearchSummary {
  return { dir, state, generation, evaluations: ctx.records.length, cacheHits: ctx.records.filter((r) => r.cacheHit).length, seconds, front };
}

/**
 * `items` cut into consecutive chunks of at most `max` (when it can) whose count is a multiple of
 * `threads` and whose sizes differ by at most one, so every worker gets the same share: 10 genomes on 2
 * workers with max 2 become 2,2,2,2,1,1 (5 each), not 2,2,2,2,2 (6 and 4).
 */
export function balancedChunks<T>(items: readonly T[], max: number, threads: number): T[][] {
  const n = items.length;
  if (n === 0) return [];
  const t = Math.max(1, threads);
  const count = Math.min(n, Math.ceil(Math.max(1, Math.ceil(n / max)) / t) * t);
  const chunks: T[][] = [];
  for (let c = 0, start = 0; c < count; c++) {
    const size = Math.floor(n / count) + (c < n % count ? 1 : 0);
    chunks.push(items.slice(start, start + size));
    start += size;
  }
  return chunks;
}

/**
 * Scores genomes with a model on the pool, in chunks of lexicographically sorted genomes (consecutive
 * genomes share layer prefixes, which a worker reuses). `chunk` genomes per task: small chunks balance
 * the workers (a generation's handful of offspring), large ones keep prefixes together (exhaustive).
 */
async function scoreGenomes(ctx: SearchContext, pool: JobPool<GenomeTask, GenomeScore[]>, model: { id: string; path?: string }, genomes: readonly number[][], chunk = SMALL_CHUNK): Promise<GenomeScore[]> {
  const order = genomes.map((_, i) => i).sort((x, y) => {
    const a = genomes[x]!;
    const b = genomes[y]!;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return x - y;
  });
  const chunks = balancedChunks(order, chunk, pool.threads);
  const results = await Promise.all(
    chunks.map((c) => {
      const bits = c.map((i) => decodeGenome(ctx.genes, genomes[i]!));
      const thresholds = ctx.config.delta ? c.map((i, j) => decodeThresholds(ctx.genes, genomes[i]!, bits[j]!)!) : null;
      return pool.run({ model: model.id, ...(model.path ? { modelPath: model.path } : {}), genomes: bits, ...(thresholds ? { thresholds } : {}) });
    }),
  );
  const out = new Array<GenomeScore>(genomes.length);
  chunks.forEach((c, i) => c.forEach((g, j) => (out[g] = results[i]![j]!)));
  return out;
}

/**
 * Scores the genomes of one generation: new ones on the pool (PTQ error) and the cost model, then the
 * beacons (if any) correct promising ones; repeats of earlier genomes copy their first record. Returns
 * one record per genome, in the order asked.
 */
async function evaluateGenomes(ctx: SearchContext, pool: JobPool<GenomeTask, GenomeScore[]>, genomes: number[][], generation: number, chunk = SMALL_CHUNK): Promise<EvaluationRecord[]> {
  const fresh = new Map<string, { genome: number[]; index: number }>();
  genomes.forEach((g, i) => {
    const key = genomeKey(g);
    if (!ctx.cache.has(key) && !fresh.has(key)) fresh.set(key, { genome: g, index: ctx.records.length + i });
  });
  const todo = [...fresh.values()];
  const scores = await scoreGenomes(ctx, pool, { id: 'base' }, todo.map((t) => t.genome), chunk);
  const candidates: BeaconCandidate[] = todo.map((t, i) => {
    const cost = ctx.cost(decodeGenome(ctx.genes, t.genome), scores[i]!.eliminated);
    return { genome: t.genome, index: t.index, error: scores[i]!.per, speedup: cost.speedup, memoryOk: ctx.constraints.maxMemoryBytes === undefined || cost.memoryBytes <= ctx.constraints.maxMemoryBytes };
  });
  if (ctx.beacons) await ctx.beacons.correct(candidates);
  const made = new Map<string, EvaluationRecord>();
  candidates.forEach((c, i) => {
    const bits = decodeGenome(ctx.genes, c.genome);
    const score = scores[i]!;
    const cost = ctx.cost(bits, score.eliminated);
    const metrics: GenomeMetrics = { error: c.error, ...cost, ...(score.eliminatedOps !== undefined ? { eliminatedOps: score.eliminatedOps } : {}) };
    const thresholds = decodeThresholds(ctx.genes, c.genome, bits);
    const violations = [...cost.violations, ...constraintViolations(ctx.constraints, metrics)];
    made.set(genomeKey(c.genome), {
      index: c.index,
      generation,
      genome: c.genome,
      bits: formatBitsSpec(bits, ctx.matrices),
      error: metrics.error,
      speedup: metrics.speedup,
      energy: metrics.energy ?? NaN,
      memoryBytes: metrics.memoryBytes,
      compression: metrics.compression,
      ...(metrics.eliminatedOps !== undefined ? { eliminatedOps: metrics.eliminatedOps } : {}),
      feasible: violations.length === 0,
      violations,
      cacheHit: false,
      seconds: score.seconds,
      ...(thresholds ? { thresholds: formatThresholdSpec(thresholds, ctx.matrices) } : {}),
      ...(c.baseError !== undefined ? { baseError: c.baseError, beacon: c.beacon!, beaconError: c.beaconError! } : {}),
    });
  });
  const out: EvaluationRecord[] = [];
  for (const g of genomes) {
    const key = genomeKey(g);
    const first = made.get(key);
    let record: EvaluationRecord;
    if (first && !ctx.cache.has(key)) {
      record = first;
      ctx.cache.set(key, record);
    } else {
      record = { ...ctx.cache.get(key)!, index: ctx.records.length, generation, cacheHit: true, seconds: 0 };
    }
    ctx.records.push(record);
    out.push(record);
  }
  return out;
}

async function evolve(
  dir: string,
  ctx: SearchContext,
  pool: JobPool<GenomeTask, GenomeScore[]>,
  checkpoint: { generation: number; algorithm: unknown } | null,
  o: DriveOptions,
  running: (generation: number) => RunStatus,
): Promise<number> {
  const s = ctx.config.search;
  const algorithm: GeneticAlgorithm = createNSGA2(
    {
      variables: ctx.genes.map((g) => ({ type: 'integer' as const, lower: 0, upper: g.choices.length - 1 })),
      objectives: ctx.config.objectives.length,
      constraints: Object.keys(ctx.constraints).length,
    },
    {
      generations: s.generations,
      seed: s.seed,
      populationSize: s.populationSize,
      offspringSize: s.offspringSize,
      crossover: s.crossover,
      mutation: s.mutation,
      // the uniform genomes anchor both ends of the front and give constrained searches feasible points at once
      ...(ctx.settings.seedUniform !== false ? { sampling: seededSampling(uniformGenomes(ctx.genes)) } : {}),
    },
  );
  if (checkpoint) algorithm.setState(checkpoint.algorithm as SearchState);
  const total = s.populationSize + (s.generations - 1) * s.offspringSize;
  o.progress.start(total, 'search');
  while (algorithm.hasNext()) {
    if (o.signal?.aborted) throw new MohaqError('INTERRUPTED', 'search interrupted');
    const X = algorithm.ask();
    const generation = algorithm.generation + 1;
    const t0 = Date.now();
    const records = await evaluateGenomes(ctx, pool, X, generation);
    algorithm.tell(records.map((r) => ({ objectives: ctx.objectives(recordMetrics(r)), constraints: ctx.constraintValues(recordMetrics(r)) })));
    const front = ctx.archiveFront();
    const hv = ctx.hypervolume(front);
    appendEvaluations(dir, records);
    appendHistory(dir, {
      generation,
      evaluations: ctx.records.length,
      cacheHits: ctx.records.filter((r) => r.cacheHit).length,
      frontSize: front.length,
      hypervolume: hv,
      seconds: (Date.now() - t0) / 1000,
    });
    writeCheckpoint(dir, { format: RUN_FORMAT, generation, evaluations: ctx.records.length, savedAt: new Date().toISOString(), algorithm: algorithm.getState() });
    writeStatus(dir, running(generation));
    o.progress.update(ctx.records.length, { gen: `${generation}/${s.generations}`, hits: ctx.records.filter((r) => r.cacheHit).length, front: front.length, hv: hv.toFixed(4) });
  }
  o.progress.stop();
  return algorithm.generation;
}

async function exhaustive(dir: string, ctx: SearchContext, pool: JobPool<GenomeTask, GenomeScore[]>, o: DriveOptions, running: (generation: number) => RunStatus): Promise<number> {
  const total = spaceSize(ctx.genes);
  const done = new Set(ctx.records.map((r) => genomeKey(r.genome)));
  o.progress.start(total, 'exhaustive');
  // blocks that fill every worker with a few chunks; rows land in lexicographic order
  const block = Math.max(64, 16 * pool.threads);
  let batch: number[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const t0 = Date.now();
    const records = await evaluateGenomes(ctx, pool, batch, 1, Infinity);
    appendEvaluations(dir, records);
    const front = ctx.archiveFront();
    appendHistory(dir, { generation: 1, evaluations: ctx.records.length, cacheHits: 0, frontSize: front.length, hypervolume: ctx.hypervolume(front), seconds: (Date.now() - t0) / 1000 });
    writeStatus(dir, running(0));
    o.progress.update(ctx.records.length, { front: front.length });
    batch = [];
  };
  for (const g of allGenomes(ctx.genes)) {
    if (o.signal?.aborted) throw new MohaqError('INTERRUPTED', 'search interrupted');
    if (done.has(genomeKey(g))) continue;
    batch.push(g);
    if (batch.length >= block) await flush();
  }
  await flush();
  o.progress.stop();
  return 1;
}

/** front.json: the archive front with per-matrix bits, plus the reference points (fp32, all-16, all-8, all-4). */
async function writeFinalFront(dir: string, ctx: SearchContext, pool: JobPool<GenomeTask, GenomeScore[]>, final: boolean): Promise<FrontFile> {
  const front = ctx.archiveFront();
  const entries = front.map((r) => frontEntry(r, decodeGenome(ctx.genes, r.genome)));
  const references: ReferencePoint[] = [];
  const refs: Array<[ReferencePoint['name'], number]> = [
    ['fp32', 32],
    ['all-16', 16],
    ['all-8', 8],
    ['all-4', 4],
  ];
  const bitsOf = refs.map(([, b]) => uniformBits(ctx.matrices, b, b));
  const scores = await pool.run({ model: 'base', genomes: bitsOf });
  refs.forEach(([name], i) => {
    const bits = bitsOf[i]!;
    const c = platformCost(ctx.platform, ctx.inventory, bits, { capacityBytes: null });
    const m: GenomeMetrics = { error: scores[i]!.per, speedup: c.speedup, energy: c.energyPj, memoryBytes: c.memoryBytes, compression: c.compression };
    const genome = encodeGenome(ctx.genes, bits);
    references.push({
      name,
      bits: formatBitsSpec(bits, ctx.matrices),
      error: m.error,
      speedup: m.speedup,
      energy: m.energy ?? NaN,
      memoryBytes: m.memoryBytes,
      compression: m.compression,
      feasible: genome !== null && c.violations.length === 0 && constraintViolations(ctx.constraints, m).length === 0,
    });
  });
  const file: FrontFile = {
    format: RUN_FORMAT,
    objectives: ctx.config.objectives,
    final,
    entries,
    references,
    hypervolume: ctx.hypervolume(front),
    hypervolumeReference: ctx.config.objectives.map(() => 1),
  };
  writeFront(dir, file);
  return file;
}

export { decodeGenome };
