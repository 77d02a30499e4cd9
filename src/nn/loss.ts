/**
 * Frame-level cross-entropy over the real frames of a batch (padding excluded), with the gradient of
 * the logits.
 *
 * `frameCrossEntropy` takes an explicit normaliser: a batch cut into micro-batches (computed on
 * different workers) gives each micro-batch the gradient of (sum of its frames' NLL) / N, N the frame
 * count of the whole batch, so the micro-batch gradients add up to the gradient of the batch mean
 * exactly. `maskedCrossEntropy` is the mean over one batch.
 */
import { invalidParameter } from '../util/errors.js';
import type { SequenceShape } from './layer.js';

export interface FrameLoss {
  /** Sum of the negative log-likelihoods of the real frames (nats). */
  nll: number;
  /** Real frames counted. */
  frames: number;
  /** Real frames whose most likely class is not the label. */
  errors: number;
}

/**
 * logits (T*B x classes, time-major), labels (T*B; rows t >= lengths[b] are padding and ignored).
 * Writes d(nll / normalizer) / d logits into `dLogits` (zero on padding rows) when given.
 */
export function frameCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  shape: SequenceShape,
  classes: number,
  normalizer: number,
  dLogits?: Float32Array,
): FrameLoss {
  const { T, B, lengths } = shape;
  if (logits.length !== T * B * classes) throw invalidParameter('logits', `${T * B} x ${classes} values`, logits);
  if (labels.length !== T * B) throw invalidParameter('labels', `${T * B} frame labels`, labels);
  if (dLogits && dLogits.length !== logits.length) throw invalidParameter('dLogits', `${logits.length} values`, dLogits);
  if (!(normalizer > 0)) throw invalidParameter('normalizer', 'a number > 0', normalizer);
  dLogits?.fill(0);
  const inv = 1 / normalizer;
  let nll = 0;
  let frames = 0;
  let errors = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]!) continue;
      const row = t * B + b;
      const y = labels[row]!;
      if (!(y >= 0 && y < classes)) throw invalidParameter(`labels[${row}]`, `a class in 0..${classes - 1}`, y);
      const o = row * classes;
      let max = -Infinity;
      let arg = 0;
      for (let j = 0; j < classes; j++) {
        const v = logits[o + j]!;
        if (v > max) {
          max = v;
          arg = j;
        }
      }
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += Math.exp(logits[o + j]! - max);
      nll += max + Math.log(sum) - logits[o + y]!;
      frames++;
      if (arg !== y) errors++;
      if (dLogits) {
        const s = inv / sum;
        for (let j = 0; j < classes; j++) dLogits[o + j] = Math.exp(logits[o + j]! - max) * s;
        dLogits[o + y]! -= inv;
      }
    }
  }
  return { nll, frames, errors };
}

export interface CrossEntropy {
  /** Mean negative log-likelihood per real frame (nats). */
  loss: number;
  /** Real frames counted. */
  frames: number;
  /** Gradient of `loss` with respect to the logits (T*B x classes); zero on padding frames. */
  dLogits: Float32Array;
}

/** The mean over the real frames of one batch: logits (T*B x classes, time-major), labels (T*B). */
export function maskedCrossEntropy(logits: Float32Array, labels: Int32Array, shape: SequenceShape, classes: number): CrossEntropy {
  let frames = 0;
  for (let b = 0; b < shape.B; b++) frames += Math.min(shape.lengths[b]!, shape.T);
  const dLogits = new Float32Array(logits.length);
  const r = frameCrossEntropy(logits, labels, shape, classes, Math.max(frames, 1), dLogits);
  return { loss: r.frames > 0 ? r.nll / r.frames : 0, frames: r.frames, dLogits };
}
