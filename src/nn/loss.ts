/**
 * Frame-level cross-entropy over the real frames of a batch (padding excluded), with the gradient of
 * the logits: what tests and simple training loops need.
 */
import { invalidParameter } from '../util/errors.js';
import type { SequenceShape } from './layer.js';

export interface CrossEntropy {
  /** Mean negative log-likelihood per real frame (nats). */
  loss: number;
  /** Real frames counted. */
  frames: number;
  /** Gradient of `loss` with respect to the logits (T*B x classes); zero on padding frames. */
  dLogits: Float32Array;
}

/** logits (T*B x classes, time-major), labels (T*B, time-major; padding entries ignored). */
export function maskedCrossEntropy(logits: Float32Array, labels: Int32Array, shape: SequenceShape, classes: number): CrossEntropy {
  const { T, B, lengths } = shape;
  if (logits.length !== T * B * classes) throw invalidParameter('logits', `${T * B} x ${classes} values`, logits);
  if (labels.length !== T * B) throw invalidParameter('labels', `${T * B} frame labels`, labels);
  let frames = 0;
  for (let b = 0; b < B; b++) frames += lengths[b]!;
  const dLogits = new Float32Array(T * B * classes);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]!) continue;
      const row = t * B + b;
      const y = labels[row]!;
      if (!(y >= 0 && y < classes)) throw invalidParameter(`labels[${row}]`, `a class in 0..${classes - 1}`, y);
      const o = row * classes;
      let max = -Infinity;
      for (let j = 0; j < classes; j++) max = Math.max(max, logits[o + j]!);
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += Math.exp(logits[o + j]! - max);
      loss += max + Math.log(sum) - logits[o + y]!;
      for (let j = 0; j < classes; j++) dLogits[o + j] = Math.exp(logits[o + j]! - max) / sum / frames;
      dLogits[o + y]! -= 1 / frames;
    }
  }
  return { loss: frames > 0 ? loss / frames : 0, frames, dLogits };
}
