/** Test helpers for src/export: tiny models of every cell variant, calibrated on a small random set. */
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import type { Architecture } from '../../src/nn/arch.js';
import { createModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import { calibrate } from '../../src/quant/calibration.js';
import type { Calibration } from '../../src/quant/calibration.js';
import { Rng } from '../../src/util/rng.js';
import { DIM, LABELS, randomSet } from '../quant/helpers.js';

export { DIM, LABELS };

/**
 * Every cell and every variant the integer engine treats differently: SRU with a 4-block layer 0, a
 * projection and a 3-block skip layer; SRU whose layer 0 has the skip term on the input codes, and
 * one with a projection at layer 0; LSTM with and without BatchNorm, bi- and unidirectional; GRU in
 * both conventions with BatchNorm; LiGRU with BatchNorm.
 */
export const ARCHS: Record<string, Architecture> = {
  sru: { name: 'tiny-sru', input: DIM, output: LABELS, layers: [{ type: 'sru', hidden: 8 }, { type: 'sru', hidden: 8, projection: 6 }] },
  'sru-skip0': { name: 'tiny-sru-skip0', input: 2 * 3, output: LABELS, layers: [{ type: 'sru', hidden: 3 }, { type: 'sru', hidden: 4, bidirectional: false, skipTerm: false }] },
  'sru-proj0': { name: 'tiny-sru-proj0', input: 12, output: LABELS, layers: [{ type: 'sru', hidden: 7, projection: 4 }] },
  lstm: { name: 'tiny-lstm', input: DIM, output: LABELS, layers: [{ type: 'lstm', hidden: 6, batchNorm: true }, { type: 'lstm', hidden: 5, bidirectional: false }] },
  gru: { name: 'tiny-gru', input: DIM, output: LABELS, layers: [{ type: 'gru', hidden: 6, batchNorm: true }, { type: 'gru', hidden: 5, gru: 'torch', batchNorm: true }, { type: 'gru', hidden: 4, gru: 'torch', bidirectional: false }] },
  ligru: { name: 'tiny-ligru', input: DIM, output: LABELS, layers: [{ type: 'ligru', hidden: 6 }, { type: 'ligru', hidden: 5, bidirectional: false, batchNorm: false }] },
};

/** A model with trained-looking parameters: random init, biases and BatchNorm statistics away from 0 and 1. */
export function tiny(name: keyof typeof ARCHS, seed = 1): Model {
  const model = createModel(ARCHS[name]!, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const e of model.layout.entries) {
    const v = model.params.subarray(e.offset, e.offset + e.size);
    if (e.role === 'bn-mean' || e.role === 'bn-shift' || e.role === 'bias') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-0.3, 0.3);
    if (e.role === 'bn-var' || e.role === 'bn-scale') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0.5, 1.5);
  }
  return model;
}

/** A random set with the model's input size. */
export function setFor(model: Model, n = 8, seed = 3): FeatureSet {
  if (model.arch.input === DIM) return randomSet(n, seed);
  const base = randomSet(n, seed);
  const rng = new Rng(seed + 7);
  const total = base.labels.length;
  const feats = new Float32Array(total * model.arch.input);
  rng.fillNormal(feats);
  return { ...base, dim: model.arch.input, feats };
}

export interface Fixture {
  model: Model;
  set: FeatureSet;
  calibration: Calibration;
}

const cache = new Map<string, Fixture>();

export function fixture(name: keyof typeof ARCHS): Fixture {
  let f = cache.get(name);
  if (!f) {
    const model = tiny(name);
    const set = setFor(model);
    f = { model, set, calibration: calibrate(model, set) };
    cache.set(name, f);
  }
  return f;
}

/** Features of utterance i of a set (frames x dim). */
export function features(set: FeatureSet, i: number): Float32Array {
  const u = set.utterances[i]!;
  return set.feats.subarray(u.offset * set.dim, (u.offset + u.frames) * set.dim);
}
