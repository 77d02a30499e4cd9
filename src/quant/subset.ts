/**
 * The optimization subset: a fixed, seeded subset of dev that the search scores genomes on and that
 * calibration runs over (the papers searched on a dev subset, `dev_oo`, and calibrated on it).
 */
import { subsetFeatureSet } from '../data/store/feature-set.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { invalidParameter } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export interface OptSubsetOptions {
  /** Utterances (all of the set when it has fewer). @default 100 */
  size?: number;
  /** @default 1 */
  seed?: number;
}

export const OPT_SUBSET_SIZE = 100;
export const OPT_SUBSET_SEED = 1;

/** Indices of the subset: `size` utterances drawn without replacement by the seed, in the set's order. */
export function optSubsetIndices(set: FeatureSet, opts: OptSubsetOptions = {}): number[] {
  const size = opts.size ?? OPT_SUBSET_SIZE;
  const seed = opts.seed ?? OPT_SUBSET_SEED;
  if (!(Number.isInteger(size) && size >= 1)) throw invalidParameter('opt subset size', 'an integer >= 1', size);
  if (!Number.isInteger(seed)) throw invalidParameter('opt subset seed', 'an integer', seed);
  const n = set.utterances.length;
  if (size >= n) return Array.from({ length: n }, (_, i) => i);
  return new Rng(seed).fork('opt-subset').permutation(n).slice(0, size).sort((a, b) => a - b);
}

/** The optimization subset of a set (normally dev), named `opt`. */
export function optSubset(set: FeatureSet, opts: OptSubsetOptions = {}): FeatureSet {
  return subsetFeatureSet(set, optSubsetIndices(set, opts), 'opt');
}
