/**
 * Masked frame-level cross-entropy with an explicit normaliser. A batch is cut into micro-batches
 * (computed on different workers); each micro-batch's gradient is d(sum of its frames' NLL) / N where
 * N is the frame count of the whole batch, so the micro-batch gradients add up to the gradient of the
 * batch mean exactly as if the batch had been computed in one piece.
 */
import { invalidParameter } from '../util/errors.js';
import type { SequenceShape } from '../nn/layer.js';

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
