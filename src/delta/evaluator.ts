/**
 * Fast, repeated delta evaluations on one set: what a threshold sweep and `mohaq search --delta` call
 * many times (as the quant module's `GenomeEvaluator` does for bits alone).
 *
 * - The set is batched once; calibration, the phone loop and the quantization options are fixed.
 * - Weights are quantized and packed once per (block, quantizer, model version) and shared by every
 *   evaluation (delta/weights.ts).
 * - Layer outputs are reused: the output of layer i depends only on the bits and thresholds of the
 *   matrices of layers 0..i, so each layer's outputs and transmission counts are kept in an LRU keyed
 *   by them (memory-bounded), and an evaluation starts at the first layer no earlier one shared
 *   (varying the FC threshold reruns the FC product only).
 * - Whole results are kept per (bits, thresholds).
 *
 *   const ev = new DeltaEvaluator(model, optSet, { calibration, decoder });
 *   const r = ev.evaluate('*=8/8', '*=16,L0=0');   // { fer, per, eliminatedOps, perMatrix, seconds, ... }
 *   const d = ev.dense('*=8/8');                    // the same bits without deltas (integer-exact)
 */
import { makeBatches } from '../data/batch.js';
import type { Batch } from '../data/batch.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { kernels } from '../kernels/backend.js';
import type { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { listMatrices } from '../nn/arch.js';
import { gatedForward } from '../nn/gated.js';
import type { PassContext } from '../nn/layer.js';
import { linearForward } from '../nn/linear.js';
import type { Model } from '../nn/model.js';
import { sruForward } from '../nn/sru.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { operandName } from '../quant/calibration.js';
import type { Calibration } from '../quant/calibration.js';
import { DEFAULT_BATCH_FRAMES } from '../quant/evaluate.js';
import { GenomeEvaluator } from '../quant/genome.js';
import { resolveBits } from '../quant/hook.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { QuantOptions } from '../quant/options.js';
import { QUANTIZATION_METADATA_KEY } from '../quant/quantize-model.js';
import { SetScorer, scoreBatch } from '../quant/scoring.js';
import type { EvaluationResult } from '../quant/scoring.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { LruCache } from '../util/lru.js';
import { DeltaHook } from './hook.js';
import type { PartCounter } from './hook.js';
import { summarizeDelta } from './stats.js';
import type { DeltaSummary } from './stats.js';
import { resolveThresholds, thresholdCandidates } from './thresholds.js';
import type { ThresholdAssignment } from './thresholds.js';

export interface DeltaEvaluatorOptions {
  /** Needed unless every matrix is 32/32. */
  calibration: Calibration | null;
  decoder: PhoneLoopDecoder;
  quant?: QuantOptions;
  /** Padded frames per batch. @default DEFAULT_BATCH_FRAMES */
  batchFrames?: number;
  /** Bytes of cached layer outputs at most. @default 512 MiB */
  cacheBytes?: number;
  /** Results of this many (bits, thresholds) pairs are kept. @default 4096 */
  resultCache?: number;
}

export interface DeltaResult extends EvaluationResult, DeltaSummary {
  /** Layers whose outputs came from the cache. */
  reusedLayers: number;
  /** The whole result came from the result cache. */
  cached: boolean;
}

/** Cached outputs of one layer for one (bits, thresholds) prefix, with the layer's transmission counts. */
interface CachedLayer {
  outputs: Float32Array[];
  counters: PartCounter[];
}

export class DeltaEvaluator {
  private readonly batches: Batch[];
  private readonly matrices: string[];
  private readonly matricesByLayer: string[][];
  private readonly fcName: string;
  /** Bounded in bytes. */
  private readonly layers: LruCache<CachedLayer>;
  private readonly results: LruCache<DeltaResult>;
  private denseEvaluator: GenomeEvaluator | null = null;

  constructor(
    readonly model: Model,
    readonly set: FeatureSet,
    readonly opts: DeltaEvaluatorOptions,
  ) {
    if (set.dim !== model.arch.input) throw invalidParameter(`the features of ${set.name}`, `${model.arch.input} values per frame (the model's input size)`, set.dim);
    if (set.numLabels !== model.arch.output) throw invalidParameter(`the labels of ${set.name}`, `${model.arch.output} labels (the model's outputs)`, set.numLabels);
    if (set.utterances.length === 0) throw invalidParameter(`the set ${set.name}`, 'at least one utterance', 0);
    if (model.metadata[QUANTIZATION_METADATA_KEY] !== undefined) {
      throw new MohaqError('INVALID_ARGUMENT', 'the model is already quantized ("mohaq.quantization" metadata): run delta networks on its float original with bits');
    }
    resolveQuantOptions(opts.quant);
    this.batches = makeBatches(set, { maxFrames: opts.batchFrames ?? DEFAULT_BATCH_FRAMES });
    const matrices = listMatrices(model.arch);
    this.matrices = matrices.map((m) => m.name);
    this.matricesByLayer = model.arch.layers.map((l) => matrices.filter((m) => m.layer === l.index).map((m) => m.name));
    this.fcName = matrices.find((m) => m.kind === 'output')!.name;
    this.layers = new LruCache(opts.cacheBytes ?? 512 * 1024 * 1024);
    this.results = new LruCache(opts.resultCache ?? 4096);
  }

  /** Matrix names in forward order. */
  get matrixNames(): readonly string[] {
    return this.matrices;
  }

  /** A threshold spec or assignment checked against the model's matrices. */
  thresholds(thresholds: ThresholdAssignment | string, flag = 'thresholds'): ThresholdAssignment {
    return resolveThresholds(thresholds, this.matrices, flag);
  }

  /** Candidate thresholds of every matrix under `bits` (the genes of a delta search; see thresholds.ts). */
  candidates(bits: BitsAssignment | string): Record<string, number[]> {
    const assignment = resolveBits(this.model, bits);
    const operandOf = (matrix: string) => operandName(this.model.sites.all.find((s) => s.matrix === matrix)!);
    return thresholdCandidates(assignment, this.opts.calibration, operandOf);
  }

  private prefixKeys(bits: BitsAssignment, th: ThresholdAssignment): string[] {
    const keys: string[] = [];
    let key = `v${this.model.version}`;
    for (const names of this.matricesByLayer) {
      for (const n of names) key += `;${n}=${bits[n]!.w}/${bits[n]!.a}@${th[n]}`;
      keys.push(key);
    }
    return keys;
  }

  /** FER, PER and the delta statistics of the set under `bits` and `thresholds`. */
  evaluate(bits: BitsAssignment | string, thresholds: ThresholdAssignment | string): DeltaResult {
    const t0 = performance.now();
    const model = this.model;
    const assignment = resolveBits(model, bits);
    const th = this.thresholds(thresholds);
    const keys = this.prefixKeys(assignment, th);
    const fc = assignment[this.fcName]!;
    const fullKey = `${keys[keys.length - 1] ?? ''};${this.fcName}=${fc.w}/${fc.a}@${th[this.fcName]}`;
    const hit = this.results.get(fullKey);
    if (hit) {
      return { ...hit, reusedLayers: keys.length, cached: true, seconds: (performance.now() - t0) / 1000 };
    }

    const L = model.arch.layers.length;
    // the longest prefix of layers whose outputs (and counts) are all cached
    let start = 0;
    while (start < L && this.layers.has(keys[start]!)) start++;
    const reused = Array.from({ length: start }, (_, i) => this.layers.get(keys[i]!)!);
    const from = start > 0 ? reused[start - 1]! : null;
    const hook = new DeltaHook(model, assignment, this.opts.calibration, th, { quant: this.opts.quant });
    const k = kernels();
    const scorer = new SetScorer(this.set);
    const fresh: Float32Array[][] = Array.from({ length: L - start }, () => []);
    this.batches.forEach((batch, bi) => {
      const seq = { T: batch.T, B: batch.B, lengths: batch.lengths };
      const rows = batch.T * batch.B;
      const ctx: PassContext = { k, model, hook, seq, train: null, keep: false, grads: null };
      hook.beginBatch();
      try {
        k.scope(() => {
          let x = from ? from.outputs[bi]! : batch.x;
          for (let i = start; i < L; i++) {
            const l = model.arch.layers[i]!;
            const out = k.f32(rows * l.outputSize);
            const input = x;
            k.scope(() => (l.type === 'sru' ? sruForward(ctx, l, input, out) : gatedForward(ctx, l, input, out)));
            fresh[i - start]!.push(Float32Array.from(out));
            x = out;
          }
          const logits = k.f32(rows * model.arch.output);
          linearForward(ctx, x, logits);
          scorer.add(scoreBatch(logits, batch, model.arch.output, this.opts.decoder));
        });
      } finally {
        hook.endBatch();
      }
    });
    const counters = [...hook.counters.values()];
    fresh.forEach((outputs, j) => {
      const layer = start + j;
      const layerCounters = counters.filter((c) => c.layer === layer).map((c) => ({ ...c }));
      this.layers.set(keys[layer]!, { outputs, counters: layerCounters }, outputs.reduce((s, o) => s + o.byteLength, 0));
    });
    // counters of reused layers come from the cache; the hook counted only the layers it ran (and FC)
    const all = [...reused.flatMap((e) => e.counters), ...counters.filter((c) => c.layer < 0 || c.layer >= start)];
    const summary = summarizeDelta(model, assignment, th, all);
    const result: DeltaResult = { ...scorer.result((performance.now() - t0) / 1000), ...summary, reusedLayers: start, cached: false };
    this.results.set(fullKey, result);
    return result;
  }

  /** The same bits without deltas: the quant module's integer-exact dense evaluation (what threshold 0 reproduces). */
  dense(bits: BitsAssignment | string): EvaluationResult {
    this.denseEvaluator ??= new GenomeEvaluator(this.model, this.set, {
      calibration: this.opts.calibration!,
      decoder: this.opts.decoder,
      quant: { ...this.opts.quant, integer: true },
      batchFrames: this.opts.batchFrames,
      cacheBytes: Math.floor(this.layers.maxWeight / 4),
    });
    const r = this.denseEvaluator.evaluate(bits);
    const { reusedLayers: _r, cached: _c, ...result } = r;
    return result;
  }

  /** Drops cached layer outputs and results (e.g. after the model's parameters changed). */
  clear(): void {
    this.layers.clear();
    this.results.clear();
    this.denseEvaluator?.clear();
  }
}
