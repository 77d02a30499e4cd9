/**
 * Learning-rate schedule and early stopping, driven by one dev error per epoch (frame error rate by
 * default). As pytorch-kaldi: after each epoch, when the relative improvement over the previous
 * epoch's dev error, (prev - err) / err, is below `improvementThreshold`, the learning rate is
 * multiplied by `halvingFactor`. Training stops early when the dev error has not reached a new best for
 * `patience` epochs, or when the learning rate falls below `minLr`. The state is plain JSON (it goes
 * into checkpoints).
 */
import { invalidParameter } from '../util/errors.js';

export interface ScheduleOptions {
  /** Initial learning rate. */
  lr: number;
  /** @default 0.5 */
  halvingFactor?: number;
  /** @default 0.001 (pytorch-kaldi's TIMIT cfgs) */
  improvementThreshold?: number;
  /** Stop after this many epochs without a new best dev error; 0 disables early stopping. @default 0 */
  patience?: number;
  /** Stop when the learning rate drops below this. @default 0 (never) */
  minLr?: number;
}

export interface ScheduleState {
  lr: number;
  /** Dev error of the previous epoch (null before the first). */
  previous: number | null;
  best: number | null;
  /** 0-based epoch of the best dev error, -1 before the first. */
  bestEpoch: number;
  /** Epochs since the best one. */
  sinceBest: number;
  halvings: number;
  /** Why training stopped early, or null. */
  stopped: string | null;
}

export interface ScheduleDecision {
  /** This epoch is the best so far. */
  best: boolean;
  /** The learning rate was reduced for the next epoch. */
  halved: boolean;
  /** Training should stop. */
  stop: boolean;
}

export function initialSchedule(opts: ScheduleOptions): ScheduleState {
  checkSchedule(opts);
  return { lr: opts.lr, previous: null, best: null, bestEpoch: -1, sinceBest: 0, halvings: 0, stopped: null };
}

export function checkSchedule(opts: ScheduleOptions): void {
  if (!(opts.lr > 0 && Number.isFinite(opts.lr))) throw invalidParameter('learning rate', 'a number > 0', opts.lr);
  const f = opts.halvingFactor ?? 0.5;
  if (!(f > 0 && f <= 1)) throw invalidParameter('halving factor', 'a number in (0, 1]', f);
  const p = opts.patience ?? 0;
  if (!(Number.isInteger(p) && p >= 0)) throw invalidParameter('patience', 'an integer >= 0 (epochs; 0 disables early stopping)', p);
  const t = opts.improvementThreshold ?? 0.001;
  if (!Number.isFinite(t)) throw invalidParameter('improvement threshold', 'a finite number', t);
  const m = opts.minLr ?? 0;
  if (!(m >= 0)) throw invalidParameter('minimum learning rate', 'a number >= 0', m);
}

/**
 * The starting weights compete too (fine-tuning, QAT): their dev error is the best so far (epoch -1)
 * and the previous epoch's error that the first epoch must improve on.
 */
export function scheduleStart(state: ScheduleState, devError: number): void {
  if (!Number.isFinite(devError)) throw invalidParameter('dev error', 'a finite number', devError);
  state.best = devError;
  state.bestEpoch = -1;
  state.previous = devError;
  state.sinceBest = 0;
}

/** Updates the state (in place) with the dev error of epoch `epoch` and says what follows. */
export function scheduleStep(state: ScheduleState, opts: ScheduleOptions, epoch: number, devError: number): ScheduleDecision {
  if (!Number.isFinite(devError)) throw invalidParameter('dev error', 'a finite number', devError);
  const best = state.best === null || devError < state.best;
  if (best) {
    state.best = devError;
    state.bestEpoch = epoch;
    state.sinceBest = 0;
  } else {
    state.sinceBest++;
  }
  let halved = false;
  if (state.previous !== null) {
    const relative = devError > 0 ? (state.previous - devError) / devError : state.previous > 0 ? Infinity : 0;
    if (relative < (opts.improvementThreshold ?? 0.001)) {
      state.lr *= opts.halvingFactor ?? 0.5;
      state.halvings++;
      halved = true;
    }
  }
  state.previous = devError;
  const patience = opts.patience ?? 0;
  if (patience > 0 && state.sinceBest >= patience) state.stopped = `no new best dev error for ${patience} epochs`;
  else if ((opts.minLr ?? 0) > 0 && state.lr < opts.minLr!) state.stopped = `learning rate ${state.lr.toPrecision(3)} fell below ${opts.minLr}`;
  return { best, halved, stop: state.stopped !== null };
}
