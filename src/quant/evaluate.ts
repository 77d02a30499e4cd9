/**
 * Model evaluation: frame error rate and phone error rate of a model on a feature set, in float or
 * quantized (any bits assignment, fake-quant or integer-exact), on one thread or several.
 *
 *   const decoder = resolveDecoder(model, store);             // the model's own phone loop, else from train
 *   const r = await evaluateModel(model, store.split('dev'), { decoder });
 *   const q = await evaluateModel(model, dev, { decoder, bits: '*=8/8,FC=4/8', calibration });
 *
 * Utterances are batched by length (at most `batchFrames` padded frames per batch); every utterance is
 * scored from its own rows, and quantization uses static (calibrated) clips, so the figures are the same
 * for any batching and any thread count.
 */
import { makeBatches } from '../data/batch.js';
import type { Batch } from '../data/batch.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import type { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { forward } from '../nn/forward.js';
import type { QuantHook } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { createPool } from '../util/pool.js';
import { siblingModule } from '../util/workers.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import type { BitsAssignment } from './bits-spec.js';
import type { Calibration } from './calibration.js';
import { decoderFromMetadata } from './decoder.js';
import { createQuantHook, resolveBits } from './hook.js';
import { QUANTIZATION_METADATA_KEY, storedQuantHook } from './quantize-model.js';
import type { QuantOptions } from './options.js';
import { SetScorer, scoreBatch } from './scoring.js';
import type { BatchScore, EvaluationResult } from './scoring.js';
import type { EvaluateTask, EvaluateWorkerInit } from './evaluate-worker.js';

export type { EvaluationResult } from './scoring.js';

/** Padded frames per batch when not given: big enough for efficient products, small enough for memory. */
export const DEFAULT_BATCH_FRAMES = 8000;

export interface EvaluateOptions {
  /** A custom hook (one thread only). Mutually exclusive with `bits`. @default the model file's stored quantization (quantize-model.ts), else fp32 */
  hook?: QuantHook;
  /** Quantize: a bits spec (`*=8/8,FC=4/8`) or an assignment; needs `calibration` unless every matrix is 32. */
  bits?: BitsAssignment | string;
  /** Activation statistics of this model (see calibration.ts). */
  calibration?: Calibration;
  /** How to quantize (integer-exact products, path skipping, clip methods). */
  quant?: QuantOptions;
  /** The phone loop; default the model's `mohaq.decoder` metadata (else an error: see decoder.ts `resolveDecoder`). */
  decoder?: PhoneLoopDecoder;
  /** Padded frames per batch. @default DEFAULT_BATCH_FRAMES */
  batchFrames?: number;
  /** Worker threads (each with its own kernels and model copy). @default 1 */
  threads?: number;
  progress?: Progress;
}

function checkSet(model: Model, set: FeatureSet): void {
  if (set.dim !== model.arch.input) throw invalidParameter(`the features of ${set.name}`, `${model.arch.input} values per frame (the model's input size)`, set.dim);
  if (set.numLabels !== model.arch.output) throw invalidParameter(`the labels of ${set.name}`, `${model.arch.output} labels (the model's outputs)`, set.numLabels);
}

/** FER and PER of a model on a set (see the module comment). */
export async function evaluateModel(model: Model, set: FeatureSet, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const t0 = performance.now();
  checkSet(model, set);
  if (opts.hook && opts.bits !== undefined) throw invalidParameter('evaluate options', 'either hook or bits, not both', 'both');
  const decoder = opts.decoder ?? decoderFromMetadata(model);
  if (!decoder) throw new MohaqError('INVALID_ARGUMENT', `Expected a decoder for evaluateModel (the model has no "mohaq.decoder" metadata; build one with resolveDecoder(model, store)) but received nothing`);
  const threads = opts.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw invalidParameter('threads', 'an integer >= 1', threads);
  const batchFrames = opts.batchFrames ?? DEFAULT_BATCH_FRAMES;
  const progress = opts.progress ?? silentProgress;
  const bits = opts.bits === undefined ? null : resolveBits(model, opts.bits);
  if (bits && model.metadata[QUANTIZATION_METADATA_KEY] !== undefined) {
    throw new MohaqError('INVALID_ARGUMENT', 'the model is already quantized ("mohaq.quantization" metadata): evaluate it without bits, or quantize its float original');
  }
  const scorer = new SetScorer(set);
  if (set.utterances.length === 0) return scorer.result((performance.now() - t0) / 1000);
  const batches = makeBatches(set, { maxFrames: batchFrames });

  progress.start(set.utterances.length, `evaluate ${set.name}`);
  let done = 0;
  const took = (s: BatchScore) => {
    scorer.add(s);
    done += s.utterances.length;
    progress.update(done);
  };
  try {
    if (threads === 1 || batches.length === 1) {
      const hook = opts.hook ?? (bits ? createQuantHook(model, bits, opts.calibration ?? null, opts.quant) : storedQuantHook(model, { integer: opts.quant?.integer }) ?? undefined);
      for (const b of batches) took(scoreBatch(forward(model, b, { hook }), b, model.arch.output, decoder));
    } else {
      if (opts.hook) throw invalidParameter('threads', '1 with a custom hook (workers rebuild the hook from bits, calibration and quant options)', threads);
      if (bits) createQuantHook(model, bits, opts.calibration ?? null, opts.quant); // fail here, not in a worker
      const init: EvaluateWorkerInit = {
        spec: model.spec,
        params: model.params,
        metadata: model.metadata,
        decoder: decoder.toJSON(),
        quant: bits ? { bits, calibration: opts.calibration ?? null, options: opts.quant ?? {} } : null,
        integer: opts.quant?.integer ?? false,
      };
      const pool = await createPool<EvaluateWorkerInit, EvaluateTask, BatchScore>(siblingModule(import.meta.url, 'evaluate-worker'), init, Math.min(threads, batches.length));
      try {
        await Promise.all(batches.map((b) => pool.run(toTask(b)).then(took)));
      } finally {
        await pool.close();
      }
    }
  } finally {
    progress.stop();
  }
  return scorer.result((performance.now() - t0) / 1000);
}

function toTask(b: Batch): EvaluateTask {
  return { x: b.x, T: b.T, B: b.B, lengths: b.lengths, labels: b.labels, utterances: b.utterances };
}

