/**
 * Worker of `createGenomePool` (src/util/pool.ts contract): `init` rebuilds the model, the set, the
 * phone loop and a `GenomeEvaluator` from plain data; each task is one bits assignment.
 */
import { createFeatureSet } from '../data/store/feature-set.js';
import type { FeatureSetArrays } from '../data/store/feature-set.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import type { PhoneLoopModel, PhoneLoopOptions } from '../metrics/phone-loop.js';
import type { Architecture } from '../nn/arch.js';
import { modelFromParams } from '../nn/model.js';
import type { BitsAssignment } from './bits-spec.js';
import type { Calibration } from './calibration.js';
import { GenomeEvaluator } from './genome.js';
import type { GenomeResult } from './genome.js';
import type { QuantOptions } from './options.js';

export interface GenomeWorkerInit {
  spec: Architecture;
  params: Float32Array;
  metadata: Record<string, string>;
  set: FeatureSetArrays;
  decoder: { model: PhoneLoopModel; options: PhoneLoopOptions };
  calibration: Calibration;
  quant: QuantOptions;
  batchFrames?: number;
  cacheBytes?: number;
}

let evaluator: GenomeEvaluator | null = null;

export function init(data: GenomeWorkerInit): void {
  const model = modelFromParams(data.spec, Float32Array.from(data.params), data.metadata);
  const set = createFeatureSet(data.set);
  const decoder = new PhoneLoopDecoder(data.decoder.model, data.decoder.options);
  evaluator = new GenomeEvaluator(model, set, { calibration: data.calibration, decoder, quant: data.quant, batchFrames: data.batchFrames, cacheBytes: data.cacheBytes });
}

export default function evaluateGenome(bits: BitsAssignment | string): GenomeResult {
  return evaluator!.evaluate(bits);
}
