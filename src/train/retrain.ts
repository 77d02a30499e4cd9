/**
 * `mohaq retrain` as a library call: quantization-aware retraining of a trained model for one bits
 * assignment (a beacon of the search).
 *
 * The forward passes quantize weights and activations exactly as post-training quantization does (the
 * quant module's hook: MMSE weight clips, calibrated activation clips, 16-bit fixed point elsewhere);
 * gradients pass straight through the quantizers; Adam updates the float master weights, which the
 * hook re-quantizes after every step. The output file holds the float master weights of the best
 * quantized dev epoch: quantized with the same bits (and calibration) they give the retrained figures.
 * The model's phone loop and provenance are kept; `mohaq.retraining` records the bits, the data and the
 * dev/test figures before and after.
 */
import { resolve } from 'node:path';
import { loadFeatureStore } from '../data/store/store.js';
import { listMatrices } from '../nn/arch.js';
import { loadModel, saveModel } from '../nn/io.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { formatBitsSpec } from '../quant/bits-spec.js';
import { decoderFromMetadata } from '../quant/decoder.js';
import { evaluateModel } from '../quant/evaluate.js';
import type { EvaluationResult } from '../quant/evaluate.js';
import { resolveBits } from '../quant/hook.js';
import type { QuantOptions } from '../quant/options.js';
import { storeCalibration } from '../quant/store.js';
import type { OptSubsetOptions } from '../quant/subset.js';
import { invalidParameter } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fsx.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import type { EpochRecord } from './checkpoint.js';
import { checkpointPath } from './run.js';
import { trainModel } from './trainer.js';
import type { TrainModelOptions } from './trainer.js';

export const RETRAINING_METADATA = 'mohaq.retraining';

export interface RetrainRunOptions extends Omit<TrainModelOptions, 'checkpoint' | 'progress' | 'onEpoch' | 'qat' | 'auxiliary'> {
  /** The trained float model file. */
  model: string;
  /** Feature store with train and dev splits (test optional). */
  data: string;
  /** Bits spec (`*=4/4,FC=8/8`). */
  bits: string;
  out: string;
  /** Calibration file; default computed on the store's opt subset (cached). */
  calibration?: string;
  opt?: OptSubsetOptions;
  quant?: QuantOptions;
  /** JSON log. @default `<out>.log.json` */
  log?: string;
  command?: string;
  progress?: Progress;
}

export interface QuantFigures {
  fer: number;
  per: number;
}

export interface RetrainRunResult {
  out: string;
  log: string;
  bits: string;
  bestEpoch: number;
  epochs: number;
  /** Quantized figures of the base model (PTQ) and of the retrained one, same bits and calibration. */
  before: { dev: QuantFigures; test: QuantFigures | null };
  after: { dev: QuantFigures; test: QuantFigures | null };
  trainSeconds: number;
  history: EpochRecord[];
}

const figures = (r: EvaluationResult): QuantFigures => ({ fer: r.fer, per: r.per });

export async function retrainFromStore(opts: RetrainRunOptions): Promise<RetrainRunResult> {
  const progress = opts.progress ?? silentProgress;
  const base = loadModel(opts.model);
  const store = loadFeatureStore(opts.data);
  for (const s of ['train', 'dev']) {
    if (!store.splitNames.includes(s)) throw invalidParameter('--data', `a feature store with train and dev splits (${opts.data} has ${store.splitNames.join(', ')})`, opts.data);
  }
  const train = store.split('train');
  const dev = store.split('dev');
  const test = store.splitNames.includes('test') ? store.split('test') : null;
  const bits = resolveBits(base, opts.bits, '--bits');
  const spec = formatBitsSpec(bits, listMatrices(base.arch));
  const { calibration, source } = storeCalibration(base, store, { file: opts.calibration, opt: opts.opt, progress });
  const decoder = decoderFromMetadata(base, opts.model) ?? PhoneLoopDecoder.fromFeatureSet(train);
  const threads = opts.workers ?? 1;
  const score = async (model: typeof base) => {
    const q = { bits, calibration, quant: opts.quant, decoder, threads };
    return { dev: figures(await evaluateModel(model, dev, q)), test: test ? figures(await evaluateModel(model, test, q)) : null };
  };
  progress.log(`post-training quantization of ${opts.model} at ${spec} (calibration ${source})`);
  const before = await score(base);
  const out = opts.out;
  const log = opts.log ?? `${out}.log.json`;
  const header = { format: 'mohaq-retrain-log/1', command: opts.command ?? null, model: resolve(opts.model), bits: spec, data: resolve(opts.data), calibration: source, before };
  const result = await trainModel(base, { train, dev }, {
    ...opts,
    qat: { bits, calibration, quant: opts.quant },
    decoder,
    checkpoint: checkpointPath(out),
    progress,
    onEpoch: (_r, history) => writeJsonAtomic(log, { ...header, epochs: history }),
  });
  const after = await score(result.model);
  const summary = {
    command: opts.command ?? null,
    base: resolve(opts.model),
    bits: spec,
    calibration: source,
    data: resolve(opts.data),
    seed: opts.seed ?? 1,
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    before,
    after,
    trainSeconds: Math.round(result.seconds * 10) / 10,
  };
  saveModel(out, result.model, { metadata: { [RETRAINING_METADATA]: JSON.stringify(summary) } });
  writeJsonAtomic(log, { ...header, epochs: result.history, result: summary });
  return { out, log, bits: spec, bestEpoch: result.bestEpoch, epochs: result.history.length, before, after, trainSeconds: result.seconds, history: result.history };
}
