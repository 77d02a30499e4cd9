/**
 * Phone error rate as the papers report it (Kaldi's TIMIT scoring): decode each utterance's frame
 * posteriors over the phone loop, fold hypothesis and reference from the 48 training phones to the 39
 * scoring phones (Lee and Hon), align them by Levenshtein distance and divide the summed
 * substitutions + deletions + insertions by the number of reference phones. As in Kaldi, folded
 * repeats are not merged and silence is scored like any phone.
 *
 * Frame error rate: the share of (non-padding) frames whose most likely label is wrong.
 */
import { invalidParameter } from '../util/errors.js';
import { FOLD48TO39_INDEX } from '../data/phones.js';
import { editDistance } from './edit-distance.js';
import type { PhoneLoopDecoder } from './phone-loop.js';

export interface PhoneErrorResult {
  /** (S + D + I) / reference phones; 0 when there are no reference phones and no errors. */
  per: number;
  errors: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Reference phones (after folding). */
  refPhones: number;
  utterances: number;
  /** Edit distance of each utterance. */
  perUtterance: number[];
}

export interface ScoreOptions {
  /** Fold 48-phone indices to the 39 scoring phones (default true; false scores the indices as they are). */
  fold39?: boolean;
}

function fold(seq: ArrayLike<number>): Int32Array {
  const out = new Int32Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i]!;
    const f = FOLD48TO39_INDEX[v];
    if (f === undefined || !Number.isInteger(v)) throw invalidParameter('phone index', 'a 48-phone index in 0..47 (set fold39: false for other label sets)', v);
    out[i] = f;
  }
  return out;
}

/** Scores hypothesis phone sequences against references (both 48-phone indices unless fold39 is false). */
export function scorePhoneSequences(refs: readonly ArrayLike<number>[], hyps: readonly ArrayLike<number>[], opts: ScoreOptions = {}): PhoneErrorResult {
  if (refs.length !== hyps.length) throw invalidParameter('hypotheses', `${refs.length} sequences (one per reference)`, hyps.length);
  const doFold = opts.fold39 !== false;
  let s = 0;
  let d = 0;
  let ins = 0;
  let n = 0;
  const perUtterance: number[] = [];
  for (let i = 0; i < refs.length; i++) {
    const r = doFold ? fold(refs[i]!) : refs[i]!;
    const h = doFold ? fold(hyps[i]!) : hyps[i]!;
    const e = editDistance(r, h);
    s += e.substitutions;
    d += e.deletions;
    ins += e.insertions;
    n += r.length;
    perUtterance.push(e.distance);
  }
  const errors = s + d + ins;
  return { per: n > 0 ? errors / n : errors > 0 ? Infinity : 0, errors, substitutions: s, deletions: d, insertions: ins, refPhones: n, utterances: refs.length, perUtterance };
}

/** Decodes every utterance's log posteriors ((T, P) each) and scores the phone sequences. */
export function phoneErrorRate(
  logPosteriors: readonly ArrayLike<number>[],
  refs: readonly ArrayLike<number>[],
  decoder: PhoneLoopDecoder,
  opts: ScoreOptions = {},
): PhoneErrorResult {
  if (logPosteriors.length !== refs.length) throw invalidParameter('logPosteriors', `${refs.length} utterances (one per reference)`, logPosteriors.length);
  const hyps = logPosteriors.map((lp) => decoder.decode(lp));
  return scorePhoneSequences(refs, hyps, opts);
}

export interface FrameErrorResult {
  /** errors / frames (0 for no frames). */
  fer: number;
  errors: number;
  frames: number;
}

/** Index of the largest value of each row of a (N, P) matrix. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  if (!(Number.isInteger(numClasses) && numClasses >= 1) || scores.length % numClasses !== 0) {
    throw invalidParameter('numClasses', `a positive divisor of the ${scores.length} scores`, numClasses);
  }
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    let arg = 0;
    for (let c = 0; c < numClasses; c++) {
      const v = scores[i * numClasses + c]!;
      if (v > best) {
        best = v;
        arg = c;
      }
    }
    out[i] = arg;
  }
  return out;
}

/**
 * Frame errors of predicted labels against reference labels (frames whose reference is < 0 are
 * padding and not counted). With `numClasses`, `predicted` is a (N, numClasses) score matrix instead.
 */
export function frameErrors(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses?: number): FrameErrorResult {
  const pred = numClasses === undefined ? predicted : argmaxRows(predicted, numClasses);
  if (pred.length !== labels.length) throw invalidParameter('labels', `${pred.length} labels (one per predicted frame)`, labels.length);
  let errors = 0;
  let frames = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    frames++;
    if (pred[i] !== l) errors++;
  }
  return { fer: frames ? errors / frames : 0, errors, frames };
}

/** Frame error rate (see `frameErrors`). */
export function frameErrorRate(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses?: number): number {
  return frameErrors(predicted, labels, numClasses).fer;
}

export interface SetScore {
  per: PhoneErrorResult;
  fer: FrameErrorResult;
}

/**
 * Scores a whole FeatureSet: `logPosteriors(i)` gives utterance i's (frames, numLabels) log posteriors
 * (or pass them as an array). Frame errors use the set's labels, PER its reference phones.
 */
export function scoreFeatureSet(
  set: { numLabels: number; labels: Int32Array; utterances: readonly { id: string; offset: number; frames: number }[]; refPhones(i: number): Int32Array },
  logPosteriors: ((i: number) => ArrayLike<number>) | readonly ArrayLike<number>[],
  decoder: PhoneLoopDecoder,
  opts: ScoreOptions = {},
): SetScore {
  const get = typeof logPosteriors === 'function' ? logPosteriors : (i: number) => logPosteriors[i]!;
  if (decoder.numPhones !== set.numLabels) throw invalidParameter('decoder', `a phone loop over the set's ${set.numLabels} labels`, `${decoder.numPhones} phones`);
  const refs: Int32Array[] = [];
  const hyps: Int32Array[] = [];
  let errors = 0;
  let frames = 0;
  set.utterances.forEach((u, i) => {
    const lp = get(i);
    if (!lp || lp.length !== u.frames * set.numLabels) {
      throw invalidParameter(`log posteriors of utterance "${u.id}"`, `${u.frames} x ${set.numLabels} values`, lp);
    }
    const fe = frameErrors(lp, set.labels.subarray(u.offset, u.offset + u.frames), set.numLabels);
    errors += fe.errors;
    frames += fe.frames;
    refs.push(set.refPhones(i));
    hyps.push(decoder.decode(lp));
  });
  return { per: scorePhoneSequences(refs, hyps, opts), fer: { fer: frames ? errors / frames : 0, errors, frames } };
}

export interface TuneResult {
  acousticScale: number;
  insertionPenalty: number;
  per: number;
  grid: Array<{ acousticScale: number; insertionPenalty: number; per: number }>;
}

/** Picks acousticScale and insertionPenalty minimising PER on held-out utterances (a grid search). */
export function tunePhoneLoop(
  decoder: PhoneLoopDecoder,
  logPosteriors: readonly ArrayLike<number>[],
  refs: readonly ArrayLike<number>[],
  grid: { acousticScales?: number[]; insertionPenalties?: number[] } = {},
  opts: ScoreOptions = {},
): TuneResult {
  const scales = grid.acousticScales ?? [0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5];
  const penalties = grid.insertionPenalties ?? [-2, -1, 0, 1, 2, 4];
  const results: TuneResult['grid'] = [];
  let best = { acousticScale: decoder.options.acousticScale, insertionPenalty: decoder.options.insertionPenalty, per: Infinity };
  for (const acousticScale of scales) {
    for (const insertionPenalty of penalties) {
      const per = phoneErrorRate(logPosteriors, refs, decoder.withOptions({ acousticScale, insertionPenalty }), opts).per;
      results.push({ acousticScale, insertionPenalty, per });
      if (per < best.per) best = { acousticScale, insertionPenalty, per };
    }
  }
  return { ...best, grid: results };
}
