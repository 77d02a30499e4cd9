/**
 * The search's evaluation worker (one per thread, or in-process with one worker): loads the model and
 * the search split once, then scores chunks of genomes with a `GenomeEvaluator` (quantized weights
 * cached per matrix and bits, layer outputs reused across genomes sharing a prefix). Chunks are
 * genomes sorted lexicographically, so consecutive genomes share prefixes.
 */
import { loadFeatureStore } from '../data/store/store.js';
import { loadModel } from '../nn/io.js';
import type { Model } from '../nn/model.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import { resolveDecoder } from '../quant/decoder.js';
import { GenomeEvaluator } from '../quant/genome.js';
import type { QuantOptions } from '../quant/options.js';
import { storeSplit } from '../quant/store.js';
import type { OptSubsetOptions } from '../quant/subset.js';
import { MohaqError } from '../util/errors.js';
import { DeltaEvaluator } from '../delta/evaluator.js';

export interface SearchWorkerInit {
  /** Model files by id: `base` is the model searched; beacons are added as they are trained. */
  models: Record<string, string>;
  data: string;
  split: string;
  opt: OptSubsetOptions;
  calibration: Calibration;
  quant: QuantOptions;
  /** Layer-output cache of the base model's evaluator, bytes (beacons keep the evaluator default). */
  baseCacheBytes?: number;
}

export interface GenomeTask {
  /** Which model to quantize (`base` or a beacon id). */
  model: string;
  /** A beacon model file not yet in `init.models` (registered on first use). */
  modelPath?: string;
  genomes: BitsAssignment[];
  /** Delta search: the thresholds of each genome (delta inference, integer-exact). */
  thresholds?: Array<Record<string, number>>;
}

export interface GenomeScore {
  /** PER in percent. */
  per: number;
  /** Frame error rate in percent. */
  fer: number;
  seconds: number;
  /** Delta search: share of MACs eliminated, and per matrix. */
  eliminatedOps?: number;
  eliminated?: Record<string, number>;
}

let setup: SearchWorkerInit | null = null;
const evaluators = new Map<string, GenomeEvaluator>();
const deltaEvaluators = new Map<string, DeltaEvaluator>();

export function init(data: SearchWorkerInit): void {
  setup = data;
}

function evaluatorFor<E>(cache: Map<string, E>, id: string, path: string | undefined, make: (...a: ConstructorParameters<typeof GenomeEvaluator>) => E): E {
  let ev = cache.get(id);
  if (ev) return ev;
  if (!setup) throw new MohaqError('INTERNAL', 'search worker used before init');
  const file = path ?? setup.models[id];
  if (!file) throw new MohaqError('INTERNAL', `search worker: no model file for "${id}"`);
  const model: Model = loadModel(file);
  const store = loadFeatureStore(setup.data);
  const set = storeSplit(store, setup.split, setup.opt);
  // Every model (base or beacon) is scored with the base model's calibration: a beacon's weights are
  // re-quantized to the candidate's bits, its activation ranges are those of the same network.
  const cacheBytes = id === 'base' ? setup.baseCacheBytes : undefined;
  ev = make(model, set, { calibration: setup.calibration, decoder: resolveDecoder(model, store, file), quant: setup.quant, ...(cacheBytes ? { cacheBytes } : {}) });
  cache.set(id, ev);
  return ev;
}

export default function evaluateGenomes(task: GenomeTask): GenomeScore[] {
  if (task.thresholds) {
    const ev = evaluatorFor(deltaEvaluators, task.model, task.modelPath, (...a) => new DeltaEvaluator(...a));
    return task.genomes.map((bits, i) => {
      const r = ev.evaluate(bits, task.thresholds![i]!);
      const eliminated = Object.fromEntries(Object.entries(r.perMatrix).map(([m, d]) => [m, d.eliminated]));
      return { per: 100 * r.per, fer: 100 * r.fer, seconds: r.seconds, eliminatedOps: r.eliminatedOps, eliminated };
    });
  }
  const ev = evaluatorFor(evaluators, task.model, task.modelPath, (...a) => new GenomeEvaluator(...a));
  return task.genomes.map((bits) => {
    const r = ev.evaluate(bits);
    return { per: 100 * r.per, fer: 100 * r.fer, seconds: r.seconds };
  });
}
