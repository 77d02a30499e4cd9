/**
 * Fast, repeated evaluation of bits assignments ("genomes") on one set: what the inference-only search
 * calls hundreds of times.
 *
 * - The set is batched once; calibration, the phone loop and the quantization options are fixed.
 * - Quantized weights are cached per (matrix block, quantizer, model version) in the kernels
 *   instance's `WeightCache`, shared by every genome.
 * - Layer outputs are reused: the output of layer i depends only on the bits of the matrices of layers
 *   0..i, so the outputs of every layer are kept in an LRU keyed by those bits (memory-bounded), and a
 *   genome starts at the first layer whose prefix no earlier genome shared.
 * - Whole results are kept per genome too (a repeated genome costs nothing).
 *
 *   const ev = new GenomeEvaluator(model, optSet, { calibration, decoder });
 *   const r = ev.evaluate('*=8/8,FC=4/8');   // { fer, per, ..., reusedLayers, seconds }
 */
import { makeBatches } from '../data/batch.js';
import type { Batch } from '../data/batch.js';
import type { FeatureSet, FeatureSetArrays } from '../data/store/feature-set.js';
import { kernels } from '../kernels/backend.js';
import type { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { listMatrices } from '../nn/arch.js';
import { gatedForward } from '../nn/gated.js';
import type { PassContext } from '../nn/layer.js';
import { linearForward } from '../nn/linear.js';
import type { Model } from '../nn/model.js';
import { sruForward } from '../nn/sru.js';
import { invalidParameter } from '../util/errors.js';
import { LruCache } from '../util/lru.js';
import { createPool } from '../util/pool.js';
import type { JobPool } from '../util/pool.js';
import { siblingModule } from '../util/workers.js';
import type { BitsAssignment } from './bits-spec.js';
import type { Calibration } from './calibration.js';
import { DEFAULT_BATCH_FRAMES } from './evaluate.js';
import { createQuantHook, resolveBits } from './hook.js';
import { resolveQuantOptions } from './options.js';
import type { QuantOptions } from './options.js';
import { SetScorer, scoreBatch } from './scoring.js';
import type { EvaluationResult } from './scoring.js';
import type { GenomeWorkerInit } from './genome-worker.js';

export interface GenomeEvaluatorOptions {
  calibration: Calibration;
  decoder: PhoneLoopDecoder;
  quant?: QuantOptions;
  /** Padded frames per batch. @default DEFAULT_BATCH_FRAMES */
  batchFrames?: number;
  /** Bytes of cached layer outputs at most. @default 512 MiB */
  cacheBytes?: number;
  /** Results of this many distinct genomes are kept. @default 4096 */
  resultCache?: number;
}

export interface GenomeResult extends EvaluationResult {
  /** Layers whose outputs came from the cache (0: the genome ran from the input). */
  reusedLayers: number;
  /** The whole result came from the genome cache. */
  cached: boolean;
}

export interface GenomeEvaluatorStats {
  evaluations: number;
  /** Evaluations answered from the result cache. */
  cachedResults: number;
  /** Layer passes skipped thanks to cached layer outputs. */
  reusedLayers: number;
  /** Layer passes run. */
  layerPasses: number;
  cachedOutputs: number;
  cachedBytes: number;
}

export class GenomeEvaluator {
  private readonly batches: Batch[];
  private readonly matricesByLayer: string[][];
  private readonly fcName: string;
  /** Outputs of a layer by bits prefix, one array per batch (rows x layer output); bounded in bytes. */
  private readonly outputs: LruCache<Float32Array[]>;
  private readonly results: LruCache<EvaluationResult>;
  private readonly counters = { evaluations: 0, cachedResults: 0, reusedLayers: 0, layerPasses: 0 };

  constructor(
    readonly model: Model,
    readonly set: FeatureSet,
    readonly opts: GenomeEvaluatorOptions,
  ) {
    if (set.dim !== model.arch.input) throw invalidParameter(`the features of ${set.name}`, `${model.arch.input} values per frame (the model's input size)`, set.dim);
    if (set.numLabels !== model.arch.output) throw invalidParameter(`the labels of ${set.name}`, `${model.arch.output} labels (the model's outputs)`, set.numLabels);
    if (set.utterances.length === 0) throw invalidParameter(`the set ${set.name}`, 'at least one utterance', 0);
    resolveQuantOptions(opts.quant);
    this.batches = makeBatches(set, { maxFrames: opts.batchFrames ?? DEFAULT_BATCH_FRAMES });
    const matrices = listMatrices(model.arch);
    this.matricesByLayer = model.arch.layers.map((l) => matrices.filter((m) => m.layer === l.index).map((m) => m.name));
    this.fcName = matrices.find((m) => m.kind === 'output')!.name;
    this.outputs = new LruCache(opts.cacheBytes ?? 512 * 1024 * 1024);
    this.results = new LruCache(opts.resultCache ?? 4096);
  }

  /** Keys of the bits prefixes: key[i] fixes everything layer i's output depends on. */
  private prefixKeys(bits: BitsAssignment): string[] {
    const keys: string[] = [];
    let key = `v${this.model.version}`;
    for (const names of this.matricesByLayer) {
      for (const n of names) key += `;${n}=${bits[n]!.w}/${bits[n]!.a}`;
      keys.push(key);
    }
    return keys;
  }

  /** FER and PER of the set under `bits` (see the module comment). */
  evaluate(bits: BitsAssignment | string): GenomeResult {
    const t0 = performance.now();
    const model = this.model;
    const assignment = resolveBits(model, bits);
    const keys = this.prefixKeys(assignment);
    const fc = assignment[this.fcName]!;
    const fullKey = `${keys[keys.length - 1] ?? ''};${this.fcName}=${fc.w}/${fc.a}`;
    this.counters.evaluations++;
    const hit = this.results.get(fullKey);
    if (hit) {
      this.counters.cachedResults++;
      return { ...hit, reusedLayers: keys.length, cached: true, seconds: (performance.now() - t0) / 1000 };
    }

    const L = model.arch.layers.length;
    let start = L;
    while (start > 0 && !this.outputs.has(keys[start - 1]!)) start--;
    const from = start > 0 ? this.outputs.get(keys[start - 1]!)! : null;
    const hook = createQuantHook(model, assignment, this.opts.calibration, this.opts.quant);
    const k = kernels();
    const scorer = new SetScorer(this.set);
    const fresh: Float32Array[][] = Array.from({ length: L - start }, () => []);
    this.batches.forEach((batch, bi) => {
      const seq = { T: batch.T, B: batch.B, lengths: batch.lengths };
      const rows = batch.T * batch.B;
      const ctx: PassContext = { k, model, hook, seq, train: null, keep: false, grads: null };
      hook.beginBatch?.(model, { ...seq, train: false });
      try {
        k.scope(() => {
          let x = from ? from[bi]! : batch.x;
          for (let i = start; i < L; i++) {
            const l = model.arch.layers[i]!;
            const out = k.f32(rows * l.outputSize, false); // the layer writes every row, padding included
            const input = x;
            k.scope(() => (l.type === 'sru' ? sruForward(ctx, l, input, out) : gatedForward(ctx, l, input, out)));
            fresh[i - start]!.push(Float32Array.from(out));
            x = out;
          }
          const logits = k.f32(rows * model.arch.output, false);
          linearForward(ctx, x, logits);
          scorer.add(scoreBatch(logits, batch, model.arch.output, this.opts.decoder));
        });
      } finally {
        hook.endBatch?.(model);
      }
    });
    this.counters.reusedLayers += start;
    this.counters.layerPasses += L - start;
    fresh.forEach((outputs, j) => this.outputs.set(keys[start + j]!, outputs, outputs.reduce((s, o) => s + o.byteLength, 0)));
    const result = scorer.result((performance.now() - t0) / 1000);
    this.results.set(fullKey, result);
    return { ...result, reusedLayers: start, cached: false };
  }

  stats(): GenomeEvaluatorStats {
    return { ...this.counters, cachedOutputs: this.outputs.size, cachedBytes: this.outputs.weight };
  }

  /** Drops cached layer outputs and results (e.g. after the model's parameters changed). */
  clear(): void {
    this.outputs.clear();
    this.results.clear();
  }
}


/** The arrays of a set, for sending it to a worker (createFeatureSet rebuilds it). */
function setArrays(set: FeatureSet): FeatureSetArrays {
  const offsets = [0];
  const phoneOffsets = [0];
  const refs = set.utterances.map((u, i) => {
    if (u.offset !== offsets[offsets.length - 1]) throw invalidParameter(`the set ${set.name}`, 'utterances stored one after another', u.id);
    offsets.push(u.offset + u.frames);
    const r = set.refPhones(i);
    phoneOffsets.push(phoneOffsets[phoneOffsets.length - 1]! + r.length);
    return r;
  });
  const phones = new Int32Array(phoneOffsets[phoneOffsets.length - 1]!);
  refs.forEach((r, i) => phones.set(r, phoneOffsets[i]!));
  const frames = offsets[offsets.length - 1]!;
  return {
    name: set.name,
    dim: set.dim,
    numLabels: set.numLabels,
    labelKind: set.labelKind,
    ids: set.utterances.map((u) => u.id),
    speakers: set.utterances.map((u) => u.speaker),
    offsets,
    feats: set.feats.subarray(0, frames * set.dim),
    labels: set.labels.subarray(0, frames),
    phones,
    phoneOffsets,
  };
}

/**
 * Genome evaluations on `threads` worker threads, each with its own `GenomeEvaluator` (own kernels,
 * weight and layer-output caches). A genome's figures do not depend on which worker ran it or what it
 * ran before, so results are the same for any thread count; `map` returns them in task order.
 */
export async function createGenomePool(model: Model, set: FeatureSet, opts: GenomeEvaluatorOptions, threads: number): Promise<JobPool<BitsAssignment | string, GenomeResult>> {
  if (!(Number.isInteger(threads) && threads >= 1)) throw invalidParameter('threads', 'an integer >= 1', threads);
  resolveQuantOptions(opts.quant);
  const init: GenomeWorkerInit = {
    spec: model.spec,
    params: model.params,
    metadata: model.metadata,
    set: setArrays(set),
    decoder: opts.decoder.toJSON(),
    calibration: opts.calibration,
    quant: opts.quant ?? {},
    batchFrames: opts.batchFrames,
    cacheBytes: opts.cacheBytes,
  };
  return createPool<GenomeWorkerInit, BitsAssignment | string, GenomeResult>(siblingModule(import.meta.url, 'genome-worker'), init, threads);
}
