/**
 * Scoring a model's logits, batch by batch: frame errors against the frame labels and the phone
 * sequence the phone loop decodes, per utterance. Results never depend on how utterances were batched
 * (each utterance is scored from its own rows), so any batching and any number of workers give the
 * same figures.
 */
import { kernels } from '../kernels/backend.js';
import type { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import { scorePhoneSequences } from '../metrics/per.js';
import type { FeatureSet } from '../data/store/feature-set.js';
import { invalidParameter } from '../util/errors.js';

/** What one batch contributes: per utterance of the batch (set indices), its frame errors and decoded phones. */
export interface BatchScore {
  utterances: number[];
  frameErrors: number[];
  frames: number[];
  hyps: Int32Array[];
}

/** The figures of an evaluation (PER on the 39 scoring phones, as the papers report it). */
export interface EvaluationResult {
  /** Frame error rate: wrong frames / frames. */
  fer: number;
  /** Phone error rate: (S + D + I) / reference phones. */
  per: number;
  frames: number;
  frameErrors: number;
  utterances: number;
  refPhones: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Wall-clock seconds of the evaluation. */
  seconds: number;
}

/** The shape of a padded, time-major batch as scoring needs it (data/batch.ts `Batch` fits). */
export interface ScoredBatch {
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array;
  /** (T*B) frame labels, -1 at padding. */
  readonly labels: Int32Array;
  /** (B) set indices of the utterances. */
  readonly utterances: readonly number[];
}

/**
 * Scores one batch: logits (T*B x P, time-major) -> per utterance the frame errors (argmax against the
 * labels) and the decoded phone sequence (phone loop over the log-softmax rows).
 */
export function scoreBatch(logits: Float32Array, batch: ScoredBatch, numLabels: number, decoder: PhoneLoopDecoder): BatchScore {
  const { T, B, lengths, labels } = batch;
  const P = numLabels;
  if (logits.length !== T * B * P) throw invalidParameter('logits', `${T} x ${B} x ${P} values`, logits);
  if (decoder.numPhones !== P) throw invalidParameter('decoder', `a phone loop over the model's ${P} outputs`, `${decoder.numPhones} phones`);
  const k = kernels();
  const out: BatchScore = { utterances: [...batch.utterances], frameErrors: [], frames: [], hyps: [] };
  // log-softmax of every row at once (one kernel call), then each utterance's rows made contiguous
  const logPost = new Float32Array(logits.length);
  k.logSoftmaxRows(logits, logPost, T * B, P);
  for (let b = 0; b < B; b++) {
    const len = lengths[b]!;
    const lp = new Float32Array(len * P);
    let errors = 0;
    let frames = 0;
    for (let t = 0; t < len; t++) {
      const row = t * B + b;
      const src = logPost.subarray(row * P, (row + 1) * P);
      lp.set(src, t * P);
      const label = labels[row]!;
      if (label < 0) continue;
      frames++;
      let best = 0;
      for (let c = 1; c < P; c++) if (src[c]! > src[best]!) best = c;
      if (best !== label) errors++;
    }
    out.frameErrors.push(errors);
    out.frames.push(frames);
    out.hyps.push(decoder.decode(lp));
  }
  return out;
}

/** Collects batch scores of a whole set and turns them into the set's figures. */
export class SetScorer {
  private readonly hyps: (Int32Array | undefined)[];
  private errors = 0;
  private frames = 0;
  private seen = 0;

  constructor(readonly set: FeatureSet) {
    this.hyps = new Array(set.utterances.length);
  }

  add(score: BatchScore): void {
    score.utterances.forEach((u, i) => {
      if (this.hyps[u] !== undefined) throw invalidParameter('batch scores', `each utterance once (utterance ${this.set.utterances[u]?.id} came twice)`, u);
      this.hyps[u] = score.hyps[i]!;
      this.errors += score.frameErrors[i]!;
      this.frames += score.frames[i]!;
      this.seen++;
    });
  }

  /** The figures; every utterance of the set must have been scored. */
  result(seconds: number): EvaluationResult {
    const n = this.set.utterances.length;
    if (this.seen !== n) throw invalidParameter('batch scores', `all ${n} utterances of ${this.set.name}`, this.seen);
    const refs = this.set.utterances.map((_, i) => this.set.refPhones(i));
    const per = scorePhoneSequences(refs, this.hyps as Int32Array[], { fold39: this.set.labelKind === 'phone48' });
    return {
      fer: this.frames ? this.errors / this.frames : 0,
      per: per.per,
      frames: this.frames,
      frameErrors: this.errors,
      utterances: n,
      refPhones: per.refPhones,
      substitutions: per.substitutions,
      deletions: per.deletions,
      insertions: per.insertions,
      seconds,
    };
  }
}
