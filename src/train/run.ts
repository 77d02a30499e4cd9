/**
 * `mohaq train` as a library call: a feature store and an architecture in, a model file out.
 *
 * - The model is created from the seed (`seed -> init`), trained on the store's `train` split with
 *   `dev` for the schedule, and the best dev epoch's weights are written to `out`.
 * - The checkpoint lives at `<out>.ckpt/checkpoint.safetensors` (every epoch, atomic); `resume`
 *   continues from it to the same weights as an uninterrupted run.
 * - The JSON log (`<out>.log.json` unless given) is rewritten after every epoch and completed at the end.
 * - At the end the phone loop of the training transcripts is tuned on dev (acoustic scale, insertion
 *   penalty) and stored in the model file (`mohaq.decoder`), with the provenance (`mohaq.training`:
 *   command, seed, data, epochs, dev and test FER/PER, time), so that the file and the store alone
 *   reproduce the figures.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadFeatureStore } from '../data/store/store.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { parseArchitecture, presetArchitecture, PRESETS } from '../nn/arch.js';
import type { Architecture } from '../nn/arch.js';
import { saveModel } from '../nn/io.js';
import { createModel } from '../nn/model.js';
import { invalidParameter } from '../util/errors.js';
import { readJson, writeJsonAtomic } from '../util/fsx.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import type { EpochRecord } from './checkpoint.js';
import { setOutputs, TRAINING_METADATA, tuneDecoder } from './evaluate.js';
import { DECODER_METADATA_KEY } from '../quant/decoder.js';
import { evaluateModel } from '../quant/evaluate.js';
import { trainModel } from './trainer.js';
import type { TrainModelOptions, TrainResult } from './trainer.js';

export interface TrainRunOptions extends Omit<TrainModelOptions, 'checkpoint' | 'progress' | 'onEpoch' | 'auxiliary'> {
  /** A preset name (`sru-small`) or the path of an architecture JSON file. */
  arch: string;
  /** Feature store directory (`mohaq features`): splits train and dev, test optional. */
  data: string;
  /** Model file to write. */
  out: string;
  /** JSON log. @default `<out>.log.json` */
  log?: string;
  /** A second store over the same utterances whose phone labels train an auxiliary monophone head. */
  monoData?: string;
  /** Loss weight of the monophone head. @default 1 */
  monoWeight?: number;
  /** The command line, recorded in the model's provenance. */
  command?: string;
  progress?: Progress;
}

export interface SplitFigures {
  loss: number;
  fer: number;
  per: number | null;
}

export interface TrainRunResult {
  out: string;
  log: string;
  checkpoint: string;
  parameters: number;
  bestEpoch: number;
  epochs: number;
  stoppedEarly: string | null;
  dev: SplitFigures;
  test: SplitFigures | null;
  decoder: { acousticScale: number; insertionPenalty: number } | null;
  /** Training seconds (all sessions) and the final scoring/tuning seconds. */
  trainSeconds: number;
  finishSeconds: number;
  history: EpochRecord[];
}

export function checkpointPath(out: string): string {
  return join(dirname(out), `${basename(out)}.ckpt`, 'checkpoint.safetensors');
}

/**
 * The architecture of `--arch`: a preset takes the store's input size and label count (so `lstm-small`
 * trains on a pdf-labelled store too); a JSON file must match the store.
 */
export function resolveTrainArchitecture(arch: string, dim: number, numLabels: number): Architecture {
  if (Object.hasOwn(PRESETS, arch)) return { ...presetArchitecture(arch), input: dim, output: numLabels };
  if (!existsSync(arch)) throw invalidParameter('--arch', `a preset (${Object.keys(PRESETS).join(', ')}) or an architecture JSON file`, arch);
  const a = parseArchitecture(readJson(arch, 'architecture file'), arch);
  if (a.input !== dim) throw invalidParameter('input', `${dim} (the feature store's dimension)`, a.input, arch);
  if (a.output !== numLabels) throw invalidParameter('output', `${numLabels} (the feature store's label count)`, a.output, arch);
  return a;
}

function monoLabels(dir: string, train: FeatureSet): Int32Array {
  const mono = loadFeatureStore(dir).split('train');
  if (mono.labelKind !== 'phone48' || mono.numLabels !== 48) throw invalidParameter(`the labels of ${dir}`, '48-phone labels (a monophone store)', `${mono.numLabels} ${mono.labelKind} labels`);
  if (mono.utterances.length !== train.utterances.length) throw invalidParameter(`${dir} train utterances`, `${train.utterances.length} (as the training store)`, mono.utterances.length);
  mono.utterances.forEach((u, i) => {
    const t = train.utterances[i]!;
    if (u.id !== t.id || u.frames !== t.frames) throw invalidParameter(`utterance ${i} of ${dir}`, `"${t.id}" with ${t.frames} frames (as the training store)`, `"${u.id}" with ${u.frames} frames`);
  });
  return mono.labels;
}

export async function trainFromStore(opts: TrainRunOptions): Promise<TrainRunResult> {
  const progress = opts.progress ?? silentProgress;
  const store = loadFeatureStore(opts.data);
  for (const s of ['train', 'dev']) {
    if (!store.splitNames.includes(s)) throw invalidParameter('--data', `a feature store with train and dev splits (${opts.data} has ${store.splitNames.join(', ')})`, opts.data);
  }
  const train = store.split('train');
  const dev = store.split('dev');
  const test = store.splitNames.includes('test') ? store.split('test') : null;
  const arch = resolveTrainArchitecture(opts.arch, store.index.dim, store.index.labels.numLabels);
  const seed = opts.seed ?? 1;
  const model = createModel(arch, new Rng(seed).fork('init'));
  const out = opts.out;
  const checkpoint = checkpointPath(out);
  const log = opts.log ?? `${out}.log.json`;
  const auxiliary = opts.monoData ? { train: monoLabels(opts.monoData, train), classes: 48, weight: opts.monoWeight ?? 1 } : undefined;
  const header = {
    format: 'mohaq-train-log/1',
    command: opts.command ?? null,
    architecture: model.spec,
    parameters: model.layout.total,
    data: resolve(opts.data),
    seed,
    workers: opts.workers ?? 1,
  };
  const result: TrainResult = await trainModel(model, { train, dev }, {
    ...opts,
    seed,
    auxiliary,
    checkpoint,
    progress,
    onEpoch: (_record, history) => writeJsonAtomic(log, { ...header, epochs: history }),
  });

  const t0 = performance.now();
  progress.log('scoring the best epoch and tuning the phone loop on dev');
  const best = result.model;
  const devOut = setOutputs(best, dev);
  const phones = dev.labelKind === 'phone48' && dev.numLabels === 48;
  let decoderInfo: TrainRunResult['decoder'] = null;
  let devFigures: SplitFigures = { loss: devOut.loss, fer: devOut.fer, per: null };
  let testFigures: SplitFigures | null = null;
  const metadata: Record<string, string> = {};
  let decoder = null;
  if (phones) {
    const tuned = tuneDecoder(train, dev, devOut.logPosteriors);
    decoder = tuned.decoder;
    decoderInfo = { acousticScale: tuned.tune.acousticScale, insertionPenalty: tuned.tune.insertionPenalty };
    metadata[DECODER_METADATA_KEY] = JSON.stringify(decoder.toJSON());
    // The figures recorded are what `mohaq eval` computes from the file and the store.
    const threads = opts.workers ?? 1;
    const devEval = await evaluateModel(best, dev, { decoder, threads });
    devFigures = { loss: devOut.loss, fer: devEval.fer, per: devEval.per };
    if (test) {
      const testEval = await evaluateModel(best, test, { decoder, threads });
      testFigures = { loss: setOutputs(best, test).loss, fer: testEval.fer, per: testEval.per };
    }
  } else if (test) {
    const testOut = setOutputs(best, test);
    testFigures = { loss: testOut.loss, fer: testOut.fer, per: null };
  }
  const finishSeconds = (performance.now() - t0) / 1000;
  const summary = {
    command: opts.command ?? null,
    seed,
    data: resolve(opts.data),
    trainUtterances: train.utterances.length,
    trainFrames: train.labels.length,
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    dev: devFigures,
    test: testFigures,
    decoder: decoderInfo,
    trainSeconds: round(result.seconds),
    finishSeconds: round(finishSeconds),
    workers: opts.workers ?? 1,
  };
  metadata[TRAINING_METADATA] = JSON.stringify(summary);
  saveModel(out, best, { metadata });
  writeJsonAtomic(log, { ...header, epochs: result.history, result: summary });
  return {
    out,
    log,
    checkpoint,
    parameters: best.layout.total,
    bestEpoch: result.bestEpoch,
    epochs: result.history.length,
    stoppedEarly: result.stoppedEarly,
    dev: devFigures,
    test: testFigures,
    decoder: decoderInfo,
    trainSeconds: result.seconds,
    finishSeconds,
    history: result.history,
  };
}

function round(s: number): number {
  return Math.round(s * 10) / 10;
}
