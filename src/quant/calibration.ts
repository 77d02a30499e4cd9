/**
 * Activation calibration (the papers' method): run the float model over a calibration subset, take the
 * MMSE clip of every matrix input per utterance (for each integer bit width: the MMSE clip depends on
 * the bits), and keep the median over utterances. Also kept per operand: medians of per-utterance
 * max|v|, min, max and percentiles (for the min-max / percentile / asymmetric options) and the largest
 * |v| (the 16-bit Q-format); per product the largest |output| (the Q-format its result is rounded to);
 * per layer direction the largest cell state, output and candidate (the recurrence's Q-formats).
 *
 * Calibration runs the unquantized model, so one calibration serves every bits assignment. It is a
 * JSON file (`mohaq calibrate --out calib.json`) or cached next to the feature store, keyed by the
 * model's hash, the split and the subset (`cachedCalibration`).
 *
 * Operand names: the matrix name (`L0`, `L1.proj`, `L1`, `FC`; an LSTM/GRU/LiGRU input matrix's two
 * directions share their operand), recurrent operands per direction (`L0.U.fwd`, and `L0.U.fwd.rh` for
 * r*h of the pytorch-kaldi GRU).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makeBatches } from '../data/batch.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { kernels } from '../kernels/backend.js';
import { ForwardCache, forward } from '../nn/forward.js';
import { multiply, weightCache } from '../nn/hook.js';
import type { BatchInfo, ProductCall, ProductSite, QuantHook } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { DIRECTION_NAMES } from '../nn/sites.js';
import { MohaqError, invalidFile, invalidParameter } from '../util/errors.js';
import { readJson, writeJsonAtomic } from '../util/fsx.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { INTEGER_BITS, absHistogram, median, mmseClipFromHistogram, selectKth } from './quantizer.js';

export const CALIBRATION_FORMAT = 'mohaq-calibration';
export const CALIBRATION_VERSION = 1;

/** Statistics of one operand (matrix input) over the calibration utterances. */
export interface OperandStats {
  /** Median over utterances of the per-utterance MMSE clip at 2, 4 and 8 bits. */
  mmse: { '2': number; '4': number; '8': number };
  /** Median of per-utterance max|v|. */
  maxAbs: number;
  /** Median of per-utterance percentiles of |v| (at the calibration's percentile). */
  percentileAbs: number;
  /** Medians of per-utterance min v and max v. */
  min: number;
  max: number;
  /** Medians of per-utterance percentiles of v at 100 - p and p. */
  percentileLow: number;
  percentileHigh: number;
  /** Largest |v| seen: the range of the 16-bit Q-format. */
  rangeAbs: number;
}

/** Largest magnitudes of one layer direction's element-wise recurrence. */
export interface RecurrenceStats {
  state: number;
  output: number;
  candidate: number;
}

export interface Calibration {
  format: typeof CALIBRATION_FORMAT;
  version: number;
  model: { hash: string; architecture: string };
  data: { description: string; utterances: number; frames: number };
  method: string;
  percentile: number;
  /** Per operand name (see the module comment). */
  operands: Record<string, OperandStats>;
  /** Per product (site key, e.g. `L0.W[0:1024]`): the largest |output|. */
  outputs: Record<string, number>;
  /** Per layer direction (`L0.fwd`). */
  recurrence: Record<string, RecurrenceStats>;
}

/** The operand name of a product site (see the module comment). */
export function operandName(site: ProductSite): string {
  if (site.kind !== 'recurrent') return site.matrix;
  const dir = DIRECTION_NAMES[site.direction === 1 ? 1 : 0];
  return `${site.matrix}.${dir}${site.operand === 'rh' ? '.rh' : ''}`;
}

/** A short hash of a model's architecture and parameters (calibrations and caches are keyed by it). */
export function modelHash(model: Model): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.spec));
  h.update(new Uint8Array(model.params.buffer, model.params.byteOffset, model.params.byteLength));
  return h.digest('hex').slice(0, 16);
}

interface UtteranceStats {
  mmse: number[];
  maxAbs: number;
  percentileAbs: number;
  min: number;
  max: number;
  percentileLow: number;
  percentileHigh: number;
}

/** Per-utterance statistics of one operand's values (frames x k, contiguous). */
function utteranceStats(v: Float32Array, p: number): UtteranceStats {
  const h = absHistogram(v);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const n = v.length;
  // nearest rank: the value of rank ceil(p/100 n); its mirror rank from the bottom for 100 - p
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  const copy = Float32Array.from(v);
  const high = selectKth(copy, rank - 1);
  const low = selectKth(copy, n - rank);
  for (let i = 0; i < n; i++) copy[i] = Math.abs(v[i]!);
  const abs = selectKth(copy, rank - 1);
  return { mmse: INTEGER_BITS.map((b) => mmseClipFromHistogram(h, b)), maxAbs: h.max, percentileAbs: abs, min, max, percentileLow: low, percentileHigh: high };
}

class OperandAccumulator {
  readonly utterances: UtteranceStats[] = [];
  rangeAbs = 0;
  add(s: UtteranceStats): void {
    this.utterances.push(s);
    if (s.maxAbs > this.rangeAbs) this.rangeAbs = s.maxAbs;
  }
  finish(): OperandStats {
    const u = this.utterances;
    const med = (f: (s: UtteranceStats) => number) => median(u.map(f));
    return {
      mmse: { '2': med((s) => s.mmse[0]!), '4': med((s) => s.mmse[1]!), '8': med((s) => s.mmse[2]!) },
      maxAbs: med((s) => s.maxAbs),
      percentileAbs: med((s) => s.percentileAbs),
      min: med((s) => s.min),
      max: med((s) => s.max),
      percentileLow: med((s) => s.percentileLow),
      percentileHigh: med((s) => s.percentileHigh),
      rangeAbs: this.rangeAbs,
    };
  }
}

/** Float products that observe every operand per utterance and every product's output range. */
class CalibrationHook implements QuantHook {
  readonly name = 'calibration';
  readonly operands = new Map<string, OperandAccumulator>();
  readonly outputs = new Map<string, number>();
  private info: BatchInfo | null = null;
  /** Step operands of the current batch, per operand name and utterance: (frames x k). */
  private pending = new Map<string, { k: number; rows: Float32Array[] }>();

  constructor(private readonly percentile: number) {}

  beginBatch(_model: Model, info: BatchInfo): void {
    this.info = info;
    this.pending.clear();
  }

  endBatch(): void {
    for (const [name, p] of this.pending) {
      p.rows.forEach((v, b) => {
        if (this.info!.lengths[b]! > 0) this.accumulator(name).add(utteranceStats(v, this.percentile));
      });
    }
    this.pending.clear();
  }

  private accumulator(name: string): OperandAccumulator {
    let a = this.operands.get(name);
    if (!a) {
      a = new OperandAccumulator();
      this.operands.set(name, a);
    }
    return a;
  }

  product(site: ProductSite, call: ProductCall): Float32Array | null {
    const k = kernels();
    multiply(k, weightCache(k).get(call.model, site), site, call);
    const { B, lengths, x, lda, y, ldy } = call;
    const name = operandName(site);
    let range = this.outputs.get(site.key) ?? 0;
    if (site.mode === 'sequence') {
      // the two directions of a gated layer's input matrix multiply the same operand
      const observe = !(site.kind === 'input' && site.direction === 1);
      for (let b = 0; b < B; b++) {
        const len = lengths[b]!;
        if (len === 0) continue;
        const v = observe ? new Float32Array(len * site.k) : null;
        for (let t = 0; t < len; t++) {
          const r = t * B + b;
          v?.set(x.subarray(r * lda, r * lda + site.k), t * site.k);
          for (let j = 0; j < site.n; j++) {
            const a = Math.abs(y[r * ldy + j]!);
            if (a > range) range = a;
          }
        }
        if (v) this.accumulator(name).add(utteranceStats(v, this.percentile));
      }
    } else {
      let p = this.pending.get(name);
      if (!p) {
        p = { k: site.k, rows: Array.from({ length: B }, (_, b) => new Float32Array(lengths[b]! * site.k)) };
        this.pending.set(name, p);
      }
      const t = call.t;
      for (let b = 0; b < B; b++) {
        if (t >= lengths[b]!) continue;
        p.rows[b]!.set(x.subarray(b * lda, b * lda + site.k), t * site.k);
        for (let j = 0; j < site.n; j++) {
          const a = Math.abs(y[b * ldy + j]!);
          if (a > range) range = a;
        }
      }
    }
    this.outputs.set(site.key, range);
    return null;
  }

  productBackward(): void {
    throw new MohaqError('UNSUPPORTED', 'the calibration hook runs forward passes only');
  }
}

function maxAbsStrided(a: Float32Array, rows: number, ld: number, col0: number, n: number): number {
  let m = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * ld + col0;
    for (let j = 0; j < n; j++) {
      const v = Math.abs(a[o + j]!);
      if (v > m) m = v;
    }
  }
  return m;
}

/** Largest cell state, output and candidate per layer direction, read from a forward cache. */
function observeRecurrence(model: Model, cache: ForwardCache, rows: number, out: Map<string, RecurrenceStats>): void {
  const layers = cache.state!.layers;
  model.arch.layers.forEach((l, i) => {
    const H = l.hidden;
    const lc = layers[i]!;
    for (let d = 0; d < l.directions; d++) {
      const key = `L${l.index}.${DIRECTION_NAMES[d]}`;
      const s = out.get(key) ?? { state: 0, output: 0, candidate: 0 };
      if (lc.kind === 'sru') {
        s.state = Math.max(s.state, maxAbsStrided(lc.cache.c.subarray(d * rows * H), rows, H, 0, H));
        s.output = Math.max(s.output, maxAbsStrided(lc.cache.out, rows, l.outputSize, d * H, H));
      } else {
        const dir = lc.cache.dirs[d]!;
        const G = l.inputGates * H;
        if (dir.c) s.state = Math.max(s.state, maxAbsStrided(dir.c, rows, H, 0, H));
        s.output = Math.max(s.output, maxAbsStrided(lc.cache.out, rows, l.outputSize, d * H, H));
        const candidateBlock = l.type === 'ligru' ? 1 : 2;
        s.candidate = Math.max(s.candidate, maxAbsStrided(dir.g, rows, G, candidateBlock * H, H));
      }
      out.set(key, s);
    }
  });
}

export interface CalibrateOptions {
  /** Percentile of the percentile statistics. @default 99.99 */
  percentile?: number;
  /** Padded frames per batch. @default 8000 */
  batchFrames?: number;
  /** What the calibration data was (stored in the file). @default the set's name */
  description?: string;
  progress?: Progress;
}

/** Calibrates a model on a set (see the module comment). */
export function calibrate(model: Model, set: FeatureSet, opts: CalibrateOptions = {}): Calibration {
  const percentile = opts.percentile ?? 99.99;
  if (!(percentile > 50 && percentile <= 100)) throw invalidParameter('percentile', 'a percentile in (50, 100]', percentile);
  if (set.dim !== model.arch.input) throw invalidParameter(`the features of ${set.name}`, `${model.arch.input} values per frame (the model's input size)`, set.dim);
  if (set.utterances.every((u) => u.frames === 0)) throw invalidParameter(`calibration set ${set.name}`, 'at least one utterance with frames', set.utterances.length);
  const progress = opts.progress ?? silentProgress;
  const hook = new CalibrationHook(percentile);
  const recurrence = new Map<string, RecurrenceStats>();
  const k = kernels();
  const utterances = set.utterances.map((_, i) => i).filter((i) => set.utterances[i]!.frames > 0);
  const batches = makeBatches(set, { maxFrames: opts.batchFrames ?? 8000, utterances });
  let frames = 0;
  let done = 0;
  progress.start(utterances.length, `calibrate on ${set.name}`);
  try {
    for (const b of batches) {
      k.scope(() => {
        const cache = new ForwardCache();
        forward(model, b, { hook, cache });
        observeRecurrence(model, cache, b.T * b.B, recurrence);
      });
      for (let i = 0; i < b.B; i++) frames += b.lengths[i]!;
      done += b.B;
      progress.update(done);
    }
  } finally {
    progress.stop();
  }
  const operands: Record<string, OperandStats> = {};
  for (const [name, a] of hook.operands) operands[name] = a.finish();
  return {
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    model: { hash: modelHash(model), architecture: model.arch.name },
    data: { description: opts.description ?? set.name, utterances: utterances.length, frames },
    method: 'per-utterance MMSE clip (201-bin histogram of |v|), median over utterances',
    percentile,
    operands,
    outputs: Object.fromEntries(hook.outputs),
    recurrence: Object.fromEntries(recurrence),
  };
}

// ---- files ----------------------------------------------------------------------------------------------

const finite = z.number().finite();
const operandSchema = z
  .object({
    mmse: z.object({ '2': finite, '4': finite, '8': finite }).strict(),
    maxAbs: finite,
    percentileAbs: finite,
    min: finite,
    max: finite,
    percentileLow: finite,
    percentileHigh: finite,
    rangeAbs: finite,
  })
  .strict();
const calibrationSchema = z
  .object({
    format: z.literal(CALIBRATION_FORMAT),
    version: z.literal(CALIBRATION_VERSION),
    model: z.object({ hash: z.string(), architecture: z.string() }).strict(),
    data: z.object({ description: z.string(), utterances: z.number().int(), frames: z.number().int() }).strict(),
    method: z.string(),
    percentile: finite,
    operands: z.record(z.string(), operandSchema),
    outputs: z.record(z.string(), finite),
    recurrence: z.record(z.string(), z.object({ state: finite, output: finite, candidate: finite }).strict()),
  })
  .strict();

export function saveCalibration(path: string, c: Calibration): void {
  writeJsonAtomic(path, c);
}

/** Reads a calibration file; with `model`, it must have been made for that model (same hash). */
export function loadCalibration(path: string, model?: Model): Calibration {
  const value = readJson<unknown>(path, 'calibration file');
  const r = calibrationSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalidFile(path, `${issue.path.join('.') || '(root)'}: ${issue.message} (expected a ${CALIBRATION_FORMAT} file written by mohaq calibrate)`);
  }
  const c = r.data as Calibration;
  if (model) {
    const hash = modelHash(model);
    if (c.model.hash !== hash) throw invalidFile(path, `calibration of model ${c.model.hash} (${c.model.architecture}) but this model's hash is ${hash}; run mohaq calibrate for it`);
  }
  return c;
}

/** A fingerprint of a set: its name, utterance ids, frame counts and features. */
export function setFingerprint(set: FeatureSet): string {
  const h = createHash('sha256');
  h.update(set.name);
  for (const u of set.utterances) {
    h.update(`${u.id}:${u.frames};`);
    const f = set.feats.subarray(u.offset * set.dim, (u.offset + u.frames) * set.dim);
    h.update(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }
  return h.digest('hex').slice(0, 8);
}

export interface CachedCalibrationOptions extends CalibrateOptions {
  /** Directory of the cache (e.g. the feature store's); the file goes to `<dir>/.mohaq-cache/`. */
  cacheDir: string;
}

/** The cache file of a model's calibration on a set. */
export function calibrationCachePath(cacheDir: string, model: Model, set: FeatureSet, percentile = 99.99): string {
  return join(cacheDir, '.mohaq-cache', `calibration-${modelHash(model)}-${setFingerprint(set)}-p${percentile}.json`);
}

/**
 * The model's calibration on `set`, from the cache when present (and valid), else computed and
 * written to the cache atomically (a cache that cannot be written is reported and skipped).
 */
export function cachedCalibration(model: Model, set: FeatureSet, opts: CachedCalibrationOptions): { calibration: Calibration; path: string; cached: boolean } {
  const path = calibrationCachePath(opts.cacheDir, model, set, opts.percentile ?? 99.99);
  if (existsSync(path)) {
    try {
      return { calibration: loadCalibration(path, model), path, cached: true };
    } catch (e) {
      (opts.progress ?? silentProgress).log(`ignoring the calibration cache ${path}: ${(e as Error).message}`);
    }
  }
  const calibration = calibrate(model, set, opts);
  try {
    saveCalibration(path, calibration);
  } catch (e) {
    (opts.progress ?? silentProgress).log(`could not write the calibration cache ${path}: ${(e as Error).message}`);
  }
  return { calibration, path, cached: false };
}
