/**
 * What training needs to score a model on a set in this thread: log posteriors per utterance, frame
 * loss and FER, and the PER of a phone-loop decoder (tuned on dev at the end of training and stored in
 * the model file, so that evaluation later reproduces it from the file alone).
 */
import { kernels } from '../kernels/backend.js';
import { makeBatch, planBatches } from '../data/batch.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { phoneErrorRate, tunePhoneLoop } from '../metrics/per.js';
import type { TuneResult } from '../metrics/per.js';
import { forward } from '../nn/forward.js';
import type { QuantHook } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { frameCrossEntropy } from '../nn/loss.js';

export interface SetOutputs {
  /** Per utterance of the set, (frames x classes) log posteriors. */
  logPosteriors: Float32Array[];
  /** Mean NLL per frame. */
  loss: number;
  fer: number;
  frames: number;
}

/** Runs the model over every utterance of `set` (batches of `batchSize` similar lengths). */
export function setOutputs(model: Model, set: FeatureSet, opts: { batchSize?: number; hook?: QuantHook } = {}): SetOutputs {
  const k = kernels();
  const classes = model.arch.output;
  const logPosteriors = new Array<Float32Array>(set.utterances.length);
  let nll = 0;
  let frames = 0;
  let errors = 0;
  for (const utts of planBatches(set, { batchSize: opts.batchSize ?? 16 })) {
    const b = makeBatch(set, utts);
    const logits = forward(model, b, { hook: opts.hook });
    const l = frameCrossEntropy(logits, b.labels, b, classes, 1);
    nll += l.nll;
    frames += l.frames;
    errors += l.errors;
    k.scope(() => {
      const lp = k.f32(logits.length);
      k.logSoftmaxRows(logits, lp, b.T * b.B, classes);
      b.utterances.forEach((u, j) => {
        const n = b.lengths[j]!;
        const out = new Float32Array(n * classes);
        for (let t = 0; t < n; t++) out.set(lp.subarray((t * b.B + j) * classes, (t * b.B + j + 1) * classes), t * classes);
        logPosteriors[u] = out;
      });
    });
  }
  return { logPosteriors, loss: frames ? nll / frames : 0, fer: frames ? errors / frames : 0, frames };
}

export function referencePhones(set: FeatureSet): Int32Array[] {
  return set.utterances.map((_, i) => set.refPhones(i));
}

/** The phone loop of `train` with acoustic scale and insertion penalty tuned for the lowest PER on `dev`. */
export function tuneDecoder(train: FeatureSet, dev: FeatureSet, devLogPosteriors: readonly Float32Array[]): { decoder: PhoneLoopDecoder; tune: TuneResult } {
  const base = PhoneLoopDecoder.fromFeatureSet(train);
  const tune = tunePhoneLoop(base, devLogPosteriors, referencePhones(dev), {
    acousticScales: [0.3, 0.5, 0.7, 1, 1.5],
    insertionPenalties: [-1, 0, 1, 2, 4],
  });
  return { decoder: base.withOptions({ acousticScale: tune.acousticScale, insertionPenalty: tune.insertionPenalty }), tune };
}

/** PER of a set's log posteriors under a decoder. */
export function setPer(set: FeatureSet, logPosteriors: readonly Float32Array[], decoder: PhoneLoopDecoder): number {
  return phoneErrorRate(logPosteriors, referencePhones(set), decoder).per;
}

/** The metadata key of the training provenance (JSON). */
export const TRAINING_METADATA = 'mohaq.training';
