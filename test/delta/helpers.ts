/** Test helpers for src/delta: tiny trained-looking models of every cell and small feature sets. */
import { makeBatches } from '../../src/data/batch.js';
import type { Batch } from '../../src/data/batch.js';
import { createFeatureSet } from '../../src/data/store/feature-set.js';
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import type { Architecture } from '../../src/nn/arch.js';
import { forward } from '../../src/nn/forward.js';
import type { QuantHook } from '../../src/nn/hook.js';
import type { Model } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { DIM, LABELS, trainedLookingModel } from '../quant/helpers.js';

export { DIM, LABELS };

/** Every cell, the SRU projection and skip matrix, both GRU conventions, uni- and bidirectional layers. */
export const TINY: Record<string, Architecture> = {
  sru: { name: 'tiny-sru', input: DIM, output: LABELS, layers: [{ type: 'sru', hidden: 8 }, { type: 'sru', hidden: 8, projection: 6 }] },
  lstm: { name: 'tiny-lstm', input: DIM, output: LABELS, layers: [{ type: 'lstm', hidden: 6, batchNorm: true }, { type: 'lstm', hidden: 6 }] },
  gru: { name: 'tiny-gru', input: DIM, output: LABELS, layers: [{ type: 'gru', hidden: 6 }, { type: 'gru', hidden: 5, gru: 'torch', bidirectional: false }] },
  ligru: { name: 'tiny-ligru', input: DIM, output: LABELS, layers: [{ type: 'ligru', hidden: 6 }, { type: 'ligru', hidden: 5, bidirectional: false }] },
};

/** A model with trained-looking parameters (see the quant helpers). */
export function tinyModel(cell: keyof typeof TINY, seed = 1): Model {
  return trainedLookingModel(TINY[cell]!, seed);
}

/**
 * `n` utterances of lengths in [minT, maxT] whose features drift slowly (a random walk), so consecutive
 * frames are close and deltas are sparse, as in speech features; labels change every few frames.
 */
export function driftingSet(n: number, seed = 3, minT = 4, maxT = 17, name = 'test'): FeatureSet {
  const rng = new Rng(seed);
  const lengths = Array.from({ length: n }, () => rng.intBetween(minT, maxT));
  const offsets = [0];
  for (const l of lengths) offsets.push(offsets[offsets.length - 1]! + l);
  const total = offsets[n]!;
  const feats = new Float32Array(total * DIM);
  for (let u = 0; u < n; u++) {
    const x = Float32Array.from({ length: DIM }, () => rng.normal());
    for (let t = offsets[u]!; t < offsets[u + 1]!; t++) {
      for (let d = 0; d < DIM; d++) {
        if (rng.uniform(0, 1) < 0.4) x[d]! += 0.3 * rng.normal();
        feats[t * DIM + d] = x[d]!;
      }
    }
  }
  const labels = new Int32Array(total);
  let label = 0;
  for (let i = 0; i < total; i++) {
    if (i % 3 === 0) label = rng.int(LABELS);
    labels[i] = label;
  }
  return createFeatureSet({ name, dim: DIM, numLabels: LABELS, ids: lengths.map((_, i) => `utt${i}`), speakers: lengths.map((_, i) => `spk${i % 3}`), offsets, feats, labels });
}

export function decoderFor(set: FeatureSet): PhoneLoopDecoder {
  return PhoneLoopDecoder.fromFeatureSet(set);
}

/** Logits of every batch of a set under a hook. */
export function logitsOf(model: Model, batches: readonly Batch[], hook: QuantHook): Float32Array[] {
  return batches.map((b) => forward(model, b, { hook }));
}

export function batchesOf(set: FeatureSet, maxFrames = 60): Batch[] {
  return makeBatches(set, { maxFrames });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
