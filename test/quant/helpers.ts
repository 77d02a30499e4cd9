/** Test helpers for src/quant: tiny models of every cell, small random feature sets. */
import { createFeatureSet } from '../../src/data/store/feature-set.js';
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import type { Architecture } from '../../src/nn/arch.js';
import { createModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';

export const LABELS = 48;
export const DIM = 5;

/** Tiny architectures covering every cell, the SRU projection and skip matrix, both GRU conventions. */
export const TINY: Record<string, Architecture> = {
  sru: { name: 'tiny-sru', input: DIM, output: LABELS, layers: [{ type: 'sru', hidden: 8 }, { type: 'sru', hidden: 8, projection: 6 }] },
  lstm: { name: 'tiny-lstm', input: DIM, output: LABELS, layers: [{ type: 'lstm', hidden: 6, batchNorm: true }, { type: 'lstm', hidden: 6 }] },
  gru: { name: 'tiny-gru', input: DIM, output: LABELS, layers: [{ type: 'gru', hidden: 6 }, { type: 'gru', hidden: 5, gru: 'torch', bidirectional: false }] },
  ligru: { name: 'tiny-ligru', input: DIM, output: LABELS, layers: [{ type: 'ligru', hidden: 6 }] },
};

/** A model with trained-looking weights: random init, BatchNorm statistics perturbed away from (0, 1). */
export function tinyModel(cell: keyof typeof TINY, seed = 1): Model {
  return trainedLookingModel(TINY[cell]!, seed);
}

/** `arch` with random init, then biases and BatchNorm statistics moved off (0, 1) as training leaves them. */
export function trainedLookingModel(arch: Architecture, seed = 1): Model {
  const model = createModel(arch, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const e of model.layout.entries) {
    const v = model.params.subarray(e.offset, e.offset + e.size);
    if (e.role === 'bn-mean' || e.role === 'bn-shift' || e.role === 'bias') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-0.3, 0.3);
    if (e.role === 'bn-var' || e.role === 'bn-scale') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0.5, 1.5);
  }
  return model;
}

/** A set of `n` utterances of random lengths in [minT, maxT], random features and labels that change every few frames. */
export function randomSet(n: number, seed = 3, minT = 4, maxT = 17, name = 'test'): FeatureSet {
  const rng = new Rng(seed);
  const lengths = Array.from({ length: n }, () => rng.intBetween(minT, maxT));
  const offsets = [0];
  for (const l of lengths) offsets.push(offsets[offsets.length - 1]! + l);
  const total = offsets[n]!;
  const feats = new Float32Array(total * DIM);
  rng.fillNormal(feats);
  const labels = new Int32Array(total);
  let label = 0;
  for (let i = 0; i < total; i++) {
    if (i % 3 === 0) label = rng.int(LABELS);
    labels[i] = label;
  }
  return createFeatureSet({
    name,
    dim: DIM,
    numLabels: LABELS,
    ids: lengths.map((_, i) => `utt${i}`),
    speakers: lengths.map((_, i) => `spk${i % 3}`),
    offsets,
    feats,
    labels,
  });
}

export function decoderFor(set: FeatureSet): PhoneLoopDecoder {
  return PhoneLoopDecoder.fromFeatureSet(set);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
