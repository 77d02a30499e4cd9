/**
 * The pieces an evaluation on a feature store needs, resolved the same way by every command: the
 * split (`opt` is the seeded optimization subset of dev), the phone loop, and the calibration (a file,
 * or computed on the opt subset and cached in the store's `.mohaq-cache/`).
 */
import type { FeatureSet } from '../data/store/feature-set.js';
import type { FeatureStore } from '../data/store/store.js';
import type { Model } from '../nn/model.js';
import { notFound } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { cachedCalibration, loadCalibration } from './calibration.js';
import type { Calibration } from './calibration.js';
import { optSubset } from './subset.js';
import type { OptSubsetOptions } from './subset.js';

/** A split of the store by name; `opt` is the optimization subset of dev. */
export function storeSplit(store: FeatureStore, name: string, opt: OptSubsetOptions = {}): FeatureSet {
  const source = name === 'opt' ? 'dev' : name;
  if (!store.splitNames.includes(source)) throw notFound(`split "${source}"`, `${store.dir} has ${store.splitNames.join(', ')}`);
  const set = store.split(source);
  return name === 'opt' ? optSubset(set, opt) : set;
}

export interface StoreCalibrationOptions {
  /** A calibration file (made by `mohaq calibrate` for this model); else computed on the opt subset and cached. */
  file?: string;
  opt?: OptSubsetOptions;
  percentile?: number;
  progress?: Progress;
}

/** The model's calibration: from `file`, or on the store's opt subset (cached next to the store). */
export function storeCalibration(model: Model, store: FeatureStore, opts: StoreCalibrationOptions = {}): { calibration: Calibration; source: string } {
  if (opts.file) return { calibration: loadCalibration(opts.file, model), source: opts.file };
  const set = storeSplit(store, 'opt', opts.opt);
  const r = cachedCalibration(model, set, { cacheDir: store.dir, percentile: opts.percentile, progress: opts.progress, description: `${store.dir} dev, opt subset of ${set.utterances.length} utterances (seed ${opts.opt?.seed ?? 1})` });
  return { calibration: r.calibration, source: `${r.path}${r.cached ? ' (cached)' : ''}` };
}
