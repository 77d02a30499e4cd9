/**
 * The training loop: Adam on masked frame-level cross-entropy (plus an optional auxiliary head), global
 * gradient clipping, the pytorch-kaldi learning-rate halving, a sequence-length curriculum, seeded
 * shuffling and dropout, early stopping, a checkpoint after every epoch, and data parallelism whose
 * result does not depend on the number of workers.
 *
 * One step: the epoch's next batch (`batchSize` utterances of similar length, order from the seeded
 * order stream) is cut into micro-batches of `microBatch` utterances. Each micro-batch's gradient is a
 * task for a replica (a worker thread with its own kernels and model copy, or this thread), with its
 * own dropout stream `seed -> step:<s>:mb:<i>`; the gradients are summed in micro-batch order, clipped,
 * and Adam updates the master slab, which the replicas read (shared memory) at their next task. Since
 * nothing in a task depends on where or beside what it runs, any `workers` gives the same weights bit
 * for bit; so does a run resumed from a checkpoint.
 *
 * BatchNorm running statistics: every micro-batch starts from the master's statistics, and the master
 * takes the mean of the micro-batches' results, once per step.
 */
import type { FeatureSet } from '../data/store/feature-set.js';
import { makeBatch, planBatches } from '../data/batch.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { scoreFeatureSet } from '../metrics/per.js';
import { modelFromParams, touchModel } from '../nn/model.js';
import type { Model } from '../nn/model.js';
import { ParamLayout } from '../nn/params.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { createPool } from '../util/pool.js';
import { siblingModule } from '../util/workers.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { Adam, clipGradientNorm } from './adam.js';
import { auxiliaryLayoutEntries, initAuxiliary } from './auxiliary.js';
import { checkpointExists, checkResumeSettings, CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { CheckpointState, EpochRecord } from './checkpoint.js';
import { checkCurriculum, chunkUtterances, maxSequenceLength, PYTORCH_KALDI_CURRICULUM } from './curriculum.js';
import type { Curriculum } from './curriculum.js';
import { Replica, statisticsRanges } from './replica.js';
import type { EvaluateResult, GradientResult, LabelledBatch, QatSpec, ReplicaInit, ReplicaResult, ReplicaTask } from './replica.js';
import { resolveBits } from '../quant/hook.js';
import { modelHash } from '../quant/calibration.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import type { QuantOptions } from '../quant/options.js';
import { checkSchedule, initialSchedule, scheduleStart, scheduleStep } from './schedule.js';
import type { ScheduleOptions, ScheduleState } from './schedule.js';

export interface AuxiliaryLabels {
  /** One label per frame of the training set (its `labels` layout). */
  train: Int32Array;
  classes: number;
  /** Loss weight (pytorch-kaldi: 1). @default 1 */
  weight?: number;
}

export interface TrainModelOptions {
  /** Epochs to train (a resumed run continues up to this many). */
  epochs: number;
  /** Fixes initial weights (when the trainer creates them), batch order and dropout. @default 1 */
  seed?: number;
  /** Utterances per optimizer step (pytorch-kaldi: 8). @default 8 */
  batchSize?: number;
  /** Utterances per gradient task; fixed, so that the result does not depend on `workers`. @default 4 */
  microBatch?: number;
  /** Initial learning rate (Adam). @default 0.001 */
  lr?: number;
  /** @default 0.5 */
  halvingFactor?: number;
  /** @default 0.001 */
  improvementThreshold?: number;
  /** Early stop after this many epochs without a new best dev FER; 0 = never. @default 0 */
  patience?: number;
  /** Early stop when the learning rate drops below this. @default 0 */
  minLr?: number;
  /** torch.optim.Adam weight_decay (L2). @default 1e-7 (pytorch-kaldi's SRU cfg) */
  weightDecay?: number;
  /** Clip the global gradient norm to this; 0 disables. @default 5 */
  clipNorm?: number;
  /** Dropout rate of every layer (overrides the architecture's). */
  dropout?: number;
  /** Sequence-length curriculum; null trains on whole utterances. @default 100, x2 per epoch, up to 1000 */
  curriculum?: Curriculum | null;
  /** A second softmax head (pytorch-kaldi's monophone regularisation). */
  auxiliary?: AuxiliaryLabels;
  /**
   * Quantization-aware training: forward passes quantize weights and activations at these bits
   * (straight-through gradients); Adam updates the float master weights, re-quantized after every step.
   * Dev figures (and the best epoch) are measured quantized.
   */
  qat?: { bits: BitsAssignment | string; calibration: Calibration; quant?: QuantOptions };
  /**
   * The starting weights compete for the best dev epoch (their dev FER is measured first, and the first
   * epoch must improve on it or the learning rate halves): retraining never returns weights worse than
   * it started from. @default true with `qat`, else false
   */
  startCandidate?: boolean;
  /** Worker threads (1 = this thread). The weights do not depend on it. @default 1 */
  workers?: number;
  /** Decode the dev set every epoch for its PER (phone-labelled sets only). @default true */
  devPer?: boolean;
  /** The phone loop of the per-epoch dev PER. @default the training transcripts' loop, untuned */
  decoder?: PhoneLoopDecoder;
  /** Utterances per evaluation batch. @default 16 */
  evalBatch?: number;
  /** Checkpoint file, written (atomically) after every epoch. */
  checkpoint?: string;
  /** Continue from `checkpoint` when it exists. */
  resume?: boolean;
  progress?: Progress;
  /** Called after every epoch (after its checkpoint is written). */
  onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => void;
  /** Stops the run between steps (the last checkpoint stays; resume continues from it). */
  signal?: AbortSignal;
}

export interface TrainData {
  train: FeatureSet;
  dev: FeatureSet;
}

export interface TrainResult {
  /** The model with the weights of the best dev epoch (the final ones when no epoch ran). */
  model: Model;
  /** The weights after the last epoch. */
  finalParams: Float32Array;
  history: EpochRecord[];
  schedule: ScheduleState;
  /** 1-based epoch whose weights `model` holds (0: the starting weights). */
  bestEpoch: number;
  /** Why training stopped before `epochs`, or null. */
  stoppedEarly: string | null;
  steps: number;
  /** Training wall-clock seconds over all sessions of this run. */
  seconds: number;
  /** Epochs the checkpoint already held when this session started (0 for a fresh run). */
  resumedFrom: number;
  /** Dev figures of the starting weights (with `startCandidate`, in a fresh run). */
  start: { loss: number; fer: number; per: number | null } | null;
}

interface Executor {
  map(tasks: ReplicaTask[]): Promise<ReplicaResult[]>;
  close(): Promise<void>;
}

async function createExecutor(init: ReplicaInit, workers: number): Promise<Executor> {
  if (workers <= 1) {
    const replica = new Replica(init);
    return { map: async (tasks) => tasks.map((t) => replica.run(t)), close: async () => {} };
  }
  const pool = await createPool<ReplicaInit, ReplicaTask, ReplicaResult>(siblingModule(import.meta.url, 'worker'), init, workers);
  return { map: (tasks) => pool.map(tasks), close: () => pool.close() };
}

/** A micro-batch as a task carries it (only what the replica needs). */
function labelledBatch(set: FeatureSet, indices: readonly number[], aux: Int32Array | null): LabelledBatch {
  const b = makeBatch(set, indices);
  const out: LabelledBatch = { x: b.x, T: b.T, B: b.B, lengths: b.lengths, labels: b.labels };
  if (aux) {
    const a = new Int32Array(b.T * b.B).fill(-1);
    b.utterances.forEach((u, j) => {
      const { offset, frames } = set.utterances[u]!;
      for (let t = 0; t < frames; t++) a[t * b.B + j] = aux[offset + t]!;
    });
    out.auxLabels = a;
  }
  return out;
}

export interface DevScore {
  loss: number;
  fer: number;
  /** Log posteriors per utterance of the set (frames x classes). */
  logPosteriors: Float32Array[];
}

async function evaluateSet(exec: Executor, version: number, set: FeatureSet, batchSize: number): Promise<DevScore> {
  const plan = planBatches(set, { batchSize });
  const results = (await exec.map(plan.map((u) => ({ kind: 'evaluate' as const, version, batch: labelledBatch(set, u, null) })))) as EvaluateResult[];
  const logPosteriors = new Array<Float32Array>(set.utterances.length);
  let nll = 0;
  let frames = 0;
  let errors = 0;
  results.forEach((r, i) => {
    const sorted = [...plan[i]!].sort((x, y) => set.utterances[y]!.frames - set.utterances[x]!.frames || x - y);
    sorted.forEach((u, j) => (logPosteriors[u] = r.logPosteriors[j]!));
    nll += r.nll;
    frames += r.frames;
    errors += r.errors;
  });
  return { loss: frames ? nll / frames : 0, fer: frames ? errors / frames : 0, logPosteriors };
}

function checkOptions(o: TrainModelOptions, data: TrainData, model: Model): void {
  const int = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw invalidParameter(name, `an integer >= ${min}`, v);
  };
  int('epochs', o.epochs, 0);
  int('batchSize', o.batchSize, 1);
  int('microBatch', o.microBatch, 1);
  int('workers', o.workers, 1);
  int('evalBatch', o.evalBatch, 1);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw invalidParameter('seed', 'an integer', o.seed);
  if (o.clipNorm !== undefined && !(o.clipNorm >= 0)) throw invalidParameter('clipNorm', 'a number >= 0 (0 disables clipping)', o.clipNorm);
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw invalidParameter('dropout', 'a rate in [0, 1)', o.dropout);
  if (o.curriculum) checkCurriculum(o.curriculum);
  for (const [name, set] of Object.entries(data)) {
    if (set.dim !== model.arch.input) throw invalidParameter(`${name} features per frame`, `${model.arch.input} (the model's input size)`, set.dim);
    if (set.numLabels > model.arch.output) throw invalidParameter(`${name} labels`, `at most ${model.arch.output} classes (the model's output size)`, set.numLabels);
    if (set.utterances.length === 0) throw invalidParameter(`${name} set`, 'at least one utterance', 0);
  }
  if (o.resume && !o.checkpoint) throw invalidParameter('resume', 'a checkpoint path to resume from', undefined);
  const aux = o.auxiliary;
  if (aux) {
    if (aux.train.length !== data.train.labels.length) throw invalidParameter('auxiliary labels', `${data.train.labels.length} frame labels (one per training frame)`, aux.train);
    int('auxiliary classes', aux.classes, 1);
    if (aux.weight !== undefined && !(aux.weight > 0)) throw invalidParameter('auxiliary weight', 'a number > 0', aux.weight);
    for (let i = 0; i < aux.train.length; i++) {
      const v = aux.train[i]!;
      if (!(v >= 0 && v < aux.classes)) throw invalidParameter(`auxiliary label of frame ${i}`, `a class in 0..${aux.classes - 1}`, v);
    }
  }
}

/**
 * Trains `model` (its parameters are the starting point unless a checkpoint is resumed) and returns the
 * model of the best dev epoch. `model` itself is left unchanged.
 */
export async function trainModel(model: Model, data: TrainData, opts: TrainModelOptions): Promise<TrainResult> {
  checkOptions(opts, data, model);
  const seed = opts.seed ?? 1;
  const batchSize = opts.batchSize ?? 8;
  const microBatch = opts.microBatch ?? 4;
  const workers = opts.workers ?? 1;
  const evalBatch = opts.evalBatch ?? 16;
  const clipNorm = opts.clipNorm ?? 5;
  const curriculum = opts.curriculum === undefined ? PYTORCH_KALDI_CURRICULUM : opts.curriculum;
  const schedule: ScheduleOptions = { lr: opts.lr ?? 1e-3, halvingFactor: opts.halvingFactor, improvementThreshold: opts.improvementThreshold, patience: opts.patience, minLr: opts.minLr };
  checkSchedule(schedule);
  const progress = opts.progress ?? silentProgress;
  const { train, dev } = data;
  const root = new Rng(seed);

  // The trainer's slab: the model's tensors, then the auxiliary head's.
  const aux = opts.auxiliary ?? null;
  const auxEntries = aux ? auxiliaryLayoutEntries(model, aux.classes) : [];
  const layout = new ParamLayout([...model.layout.entries.map((e) => ({ name: e.name, shape: e.shape, role: e.role })), ...auxEntries]);
  const sharedBuffer = new SharedArrayBuffer(layout.total * 4);
  const master = new Float32Array(sharedBuffer);
  master.set(model.params);
  if (aux) initAuxiliary(model, aux.classes, master.subarray(model.layout.total), root.fork('init:auxiliary'));
  const current = modelFromParams(model.spec, master.subarray(0, model.layout.total), model.metadata);
  let qat: QatSpec | null = null;
  if (opts.qat) {
    resolveQuantOptions(opts.qat.quant);
    qat = { bits: resolveBits(model, opts.qat.bits, 'qat.bits'), calibration: opts.qat.calibration, quant: opts.qat.quant };
  }

  const settings: Record<string, unknown> = {
    architecture: model.spec,
    seed,
    batchSize,
    microBatch,
    lr: schedule.lr,
    halvingFactor: schedule.halvingFactor ?? 0.5,
    improvementThreshold: schedule.improvementThreshold ?? 0.001,
    patience: schedule.patience ?? 0,
    minLr: schedule.minLr ?? 0,
    weightDecay: opts.weightDecay ?? 1e-7,
    clipNorm,
    dropout: opts.dropout ?? null,
    curriculum,
    auxiliary: aux ? { classes: aux.classes, weight: aux.weight ?? 1 } : null,
    startCandidate: opts.startCandidate ?? qat !== null,
    qat: qat ? { bits: qat.bits, quant: qat.quant ?? {}, calibration: qat.calibration.model.hash } : null,
    trainData: { utterances: train.utterances.length, frames: train.labels.length },
    devData: { utterances: dev.utterances.length, frames: dev.labels.length },
    // Last, so that a changed seed is reported as the seed: the starting weights (the seed's
    // initialisation, or the float model a QAT run retrains).
    initialWeights: modelHash(model),
  };

  let adam = new Adam(layout, { weightDecay: opts.weightDecay ?? 1e-7 });
  let orderRng = root.fork('order');
  let sched = initialSchedule(schedule);
  let history: EpochRecord[] = [];
  let step = 0;
  let startEpoch = 0;
  let secondsBefore = 0;
  let best: Float32Array | null = null;
  if (opts.resume && opts.checkpoint && checkpointExists(opts.checkpoint)) {
    const c = loadCheckpoint(opts.checkpoint, layout.total);
    checkResumeSettings(opts.checkpoint, c.state.settings, settings);
    master.set(c.master);
    adam = new Adam(layout, { weightDecay: opts.weightDecay ?? 1e-7 }, { step: c.state.step, m: c.m, v: c.v });
    orderRng = Rng.fromState(c.state.orderRng);
    sched = c.state.schedule;
    history = c.state.history;
    step = c.state.step;
    startEpoch = c.state.epochs;
    secondsBefore = c.state.seconds;
    best = c.best;
  }
  touchModel(current);
  const resumedFrom = startEpoch;

  const decoder = opts.devPer !== false && dev.labelKind === 'phone48' && dev.numLabels === 48 ? (opts.decoder ?? PhoneLoopDecoder.fromFeatureSet(train)) : null;
  const statRanges = statisticsRanges(current);
  const init: ReplicaInit = { spec: model.spec, master: sharedBuffer, auxiliary: aux ? { classes: aux.classes, weight: aux.weight ?? 1 } : null, qat };
  const exec = await createExecutor(init, workers);
  const t0 = performance.now();
  let version = 0;
  let start: TrainResult['start'] = null;
  const elapsed = () => secondsBefore + (performance.now() - t0) / 1000;
  try {
    const epochsLeft = sched.stopped ? 0 : Math.max(0, opts.epochs - startEpoch);
    if ((opts.startCandidate ?? qat !== null) && startEpoch === 0) {
      const s0 = await evaluateSet(exec, version, dev, evalBatch);
      start = { loss: s0.loss, fer: s0.fer, per: decoder ? scoreFeatureSet(dev, s0.logPosteriors, decoder).per.per : null };
      scheduleStart(sched, s0.fer);
      best = Float32Array.from(master);
      progress.log(`start: dev loss ${s0.loss.toFixed(3)} fer ${(100 * s0.fer).toFixed(1)}%${start.per !== null ? ` per ${(100 * start.per).toFixed(1)}%` : ''}`);
    }
    progress.start(epochsLeft * train.labels.length, 'train', { epoch: `${startEpoch + 1}/${opts.epochs}` });
    let framesDone = 0;
    for (let epoch = startEpoch; epoch < opts.epochs && !sched.stopped; epoch++) {
      const te = performance.now();
      const lr = sched.lr;
      const maxLength = maxSequenceLength(epoch, curriculum);
      const set = Number.isFinite(maxLength) ? chunkUtterances(train, maxLength) : train;
      const plan = planBatches(set, { batchSize, rng: orderRng });
      let nll = 0;
      let auxNll = 0;
      let frames = 0;
      let errors = 0;
      let normSum = 0;
      let clipped = 0;
      for (const utts of plan) {
        if (opts.signal?.aborted) throw interrupted(epoch, opts.checkpoint);
        const tasks: ReplicaTask[] = [];
        let normalizer = 0;
        for (const u of utts) normalizer += set.utterances[u]!.frames;
        for (let i = 0; i * microBatch < utts.length; i++) {
          tasks.push({
            kind: 'gradient',
            version,
            batch: labelledBatch(set, utts.slice(i * microBatch, (i + 1) * microBatch), aux ? aux.train : null),
            normalizer,
            dropoutSeed: root.fork(`step:${step}:mb:${i}`).seed,
            dropout: opts.dropout,
          });
        }
        const results = (await exec.map(tasks)) as GradientResult[];
        const grads = results[0]!.grads;
        for (let r = 1; r < results.length; r++) {
          const g = results[r]!.grads;
          for (let i = 0; i < g.length; i++) grads[i]! += g[i]!;
        }
        for (const r of results) {
          nll += r.nll;
          auxNll += r.auxNll;
          frames += r.frames;
          errors += r.errors;
        }
        const norm = clipGradientNorm(layout, grads, clipNorm);
        normSum += norm;
        if (clipNorm > 0 && norm > clipNorm) clipped++;
        adam.step(master, grads, lr);
        if (statRanges.length) averageStatistics(master, statRanges, results);
        version++;
        touchModel(current);
        step++;
        framesDone += normalizer;
        progress.update(framesDone, {
          epoch: `${epoch + 1}/${opts.epochs}`,
          loss: frames ? nll / frames : 0,
          'frames/s': Math.round(framesDone / ((performance.now() - t0) / 1000)),
        });
      }
      const trainSeconds = (performance.now() - te) / 1000;
      const devScore = await evaluateSet(exec, version, dev, evalBatch);
      const devPer = decoder ? scoreFeatureSet(dev, devScore.logPosteriors, decoder).per.per : null;
      const decision = scheduleStep(sched, schedule, epoch, devScore.fer);
      if (decision.best) best = Float32Array.from(master);
      const record: EpochRecord = {
        epoch: epoch + 1,
        lr,
        maxLength: Number.isFinite(maxLength) ? maxLength : null,
        steps: plan.length,
        trainFrames: frames,
        trainLoss: frames ? nll / frames : 0,
        trainFer: frames ? errors / frames : 0,
        ...(aux ? { auxLoss: frames ? auxNll / frames : 0 } : {}),
        devLoss: devScore.loss,
        devFer: devScore.fer,
        devPer,
        gradNorm: plan.length ? normSum / plan.length : 0,
        clipped: plan.length ? clipped / plan.length : 0,
        best: decision.best,
        halved: decision.halved,
        seconds: (performance.now() - te) / 1000,
        framesPerSecond: trainSeconds > 0 ? frames / trainSeconds : 0,
      };
      history.push(record);
      if (opts.checkpoint) {
        const state: CheckpointState = { format: CHECKPOINT_FORMAT, epochs: epoch + 1, step, orderRng: orderRng.getState(), schedule: sched, history, seconds: elapsed(), settings };
        saveCheckpoint(opts.checkpoint, { state, master, m: adam.state.m, v: adam.state.v, best });
      }
      progress.log(formatEpoch(record, opts.epochs));
      progress.update(framesDone, { epoch: `${epoch + 1}/${opts.epochs}`, 'dev fer': record.devFer, ...(devPer !== null ? { 'dev per': devPer } : {}) });
      opts.onEpoch?.(record, history);
    }
  } finally {
    progress.stop();
    await exec.close();
  }
  const finalParams = Float32Array.from(master.subarray(0, model.layout.total));
  const bestParams = best ? best.slice(0, model.layout.total) : finalParams.slice();
  return {
    model: modelFromParams(model.spec, bestParams, model.metadata),
    finalParams,
    history,
    schedule: sched,
    bestEpoch: best ? sched.bestEpoch + 1 : 0,
    stoppedEarly: sched.stopped,
    steps: step,
    seconds: elapsed(),
    resumedFrom,
    start,
  };
}

/** master's running statistics = mean over the micro-batches of the statistics each reached. */
function averageStatistics(master: Float32Array, ranges: Array<[number, number]>, results: GradientResult[]): void {
  let at = 0;
  for (const [s, e] of ranges) {
    for (let i = s; i < e; i++, at++) {
      let sum = 0;
      for (const r of results) sum += r.statistics![at]!;
      master[i] = sum / results.length;
    }
  }
}

function interrupted(epoch: number, checkpoint: string | undefined): MohaqError {
  const where = checkpoint ? `; the checkpoint ${checkpoint} holds the last finished epoch (${epoch}), continue with --resume` : '';
  return new MohaqError('INTERRUPTED', `training stopped during epoch ${epoch + 1}${where}`);
}

export function formatEpoch(r: EpochRecord, epochs: number): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return (
    `epoch ${r.epoch}/${epochs}  lr ${r.lr.toPrecision(3)}${r.maxLength !== null ? `  max len ${r.maxLength}` : ''}  train loss ${r.trainLoss.toFixed(3)} fer ${pct(r.trainFer)}` +
    `  dev loss ${r.devLoss.toFixed(3)} fer ${pct(r.devFer)}${r.devPer !== null ? ` per ${pct(r.devPer)}` : ''}` +
    `  ${Math.round(r.framesPerSecond)} frames/s  ${r.seconds.toFixed(1)}s${r.best ? '  *' : ''}${r.halved ? '  lr halved' : ''}`
  );
}

