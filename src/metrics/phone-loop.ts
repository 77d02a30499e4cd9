/**
 * A phone-loop decoder estimated from training transcriptions: the phone bigram (with additive
 * smoothing toward the unigram), the first- and last-phone distributions and the frame-label priors.
 *
 * Defaults (chosen so that no tuning is needed to get a sensible PER, and documented in the README):
 * acousticScale 1 (the scores are log posteriors of a softmax, already on the scale of log
 * probabilities), insertionPenalty 0 (the bigram itself charges every phone change), no prior division
 * (`usePriors` turns on the hybrid posterior / prior scaling of pytorch-kaldi), minDuration 1.
 * `tunePhoneLoop` picks acousticScale and insertionPenalty on a dev set, as Kaldi's scoring picks its
 * LM weight.
 */
import { invalidParameter } from '../util/errors.js';
import { viterbiAlign, type PhoneAlignment } from './viterbi.js';

export interface PhoneLoopOptions {
  acousticScale: number;
  insertionPenalty: number;
  /** Divide posteriors by the frame-label priors (subtract log priors), hybrid style. */
  usePriors: boolean;
  /** Exponent of the priors when usePriors is set. */
  priorScale: number;
  /** Minimum frames per phone. */
  minDuration: number;
}

export const PHONE_LOOP_DEFAULTS: PhoneLoopOptions = {
  acousticScale: 1,
  insertionPenalty: 0,
  usePriors: false,
  priorScale: 1,
  minDuration: 1,
};

export interface PhoneLoopModel {
  numPhones: number;
  /** (P, P) log bigram, row = previous phone. */
  bigram: number[];
  initial: number[];
  final: number[];
  /** (P,) log frame priors. */
  logPriors: number[];
}

function checkOptions(o: PhoneLoopOptions): void {
  if (!(o.acousticScale > 0)) throw invalidParameter('acousticScale', 'a number > 0', o.acousticScale);
  if (!Number.isFinite(o.insertionPenalty)) throw invalidParameter('insertionPenalty', 'a finite number', o.insertionPenalty);
  if (!(Number.isInteger(o.minDuration) && o.minDuration >= 1)) throw invalidParameter('minDuration', 'an integer >= 1', o.minDuration);
  if (!(o.priorScale >= 0)) throw invalidParameter('priorScale', 'a number >= 0', o.priorScale);
}

export class PhoneLoopDecoder {
  readonly numPhones: number;
  readonly options: PhoneLoopOptions;
  private readonly model: PhoneLoopModel;
  private readonly bigram: Float64Array;
  private readonly initial: Float64Array;
  private readonly final: Float64Array;
  private readonly scaledPriors: Float64Array;

  constructor(model: PhoneLoopModel, options: Partial<PhoneLoopOptions> = {}) {
    const P = model.numPhones;
    if (model.bigram.length !== P * P || model.initial.length !== P || model.final.length !== P || model.logPriors.length !== P) {
      throw invalidParameter('phone loop model', `bigram ${P}x${P} and initial/final/logPriors of ${P}`, model);
    }
    this.options = { ...PHONE_LOOP_DEFAULTS, ...options };
    checkOptions(this.options);
    this.numPhones = P;
    this.model = model;
    this.bigram = Float64Array.from(model.bigram);
    this.initial = Float64Array.from(model.initial);
    this.final = Float64Array.from(model.final);
    this.scaledPriors = Float64Array.from(model.logPriors, (v) => v * this.options.priorScale);
  }

  /**
   * Estimates the loop from reference phone sequences (indices < numPhones) and, for the priors, the
   * frame labels (labels < 0 are padding and skipped). `smoothing` is the additive count spread over
   * each row in proportion to the unigram (default 1).
   */
  static fromSequences(
    sequences: Iterable<ArrayLike<number>>,
    numPhones: number,
    frameLabels?: ArrayLike<number>,
    options: Partial<PhoneLoopOptions> & { smoothing?: number } = {},
  ): PhoneLoopDecoder {
    const P = numPhones;
    if (!(Number.isInteger(P) && P >= 1)) throw invalidParameter('numPhones', 'a positive integer', numPhones);
    const alpha = options.smoothing ?? 1;
    if (!(alpha > 0)) throw invalidParameter('smoothing', 'a number > 0', alpha);
    const pair = new Float64Array(P * P);
    const unigram = new Float64Array(P);
    const first = new Float64Array(P);
    const last = new Float64Array(P);
    const ends = new Float64Array(P); // times a phone is followed by anything (incl. end)
    let numSeqs = 0;
    for (const seq of sequences) {
      if (seq.length === 0) continue;
      numSeqs++;
      for (let i = 0; i < seq.length; i++) {
        const q = seq[i]!;
        if (!(Number.isInteger(q) && q >= 0 && q < P)) throw invalidParameter('reference phone', `an index in 0..${P - 1}`, q);
        unigram[q]!++;
        ends[q]!++;
        if (i === 0) first[q]!++;
        else pair[seq[i - 1]! * P + q]!++;
      }
      last[seq[seq.length - 1]!]!++;
    }
    if (numSeqs === 0) throw invalidParameter('sequences', 'at least one non-empty reference phone sequence', 0);
    const total = unigram.reduce((a, b) => a + b, 0);
    // Unigram with add-one so that unseen phones keep a small probability everywhere.
    const uni = Float64Array.from(unigram, (c) => (c + 1) / (total + P));
    const bigram = new Array<number>(P * P);
    const fin = new Array<number>(P);
    for (let p = 0; p < P; p++) {
      // Row p: counts of p -> q and p -> end, smoothed toward the unigram.
      const rowTotal = ends[p]!;
      const endProb = (last[p]! + alpha * (numSeqs / (total + numSeqs))) / (rowTotal + alpha);
      fin[p] = Math.log(endProb);
      for (let q = 0; q < P; q++) {
        const prob = (pair[p * P + q]! + alpha * uni[q]! * (total / (total + numSeqs))) / (rowTotal + alpha);
        bigram[p * P + q] = Math.log(prob);
      }
    }
    const initial = Array.from(first, (c, q) => Math.log((c + alpha * uni[q]!) / (numSeqs + alpha)));
    const logPriors = new Array<number>(P);
    if (frameLabels && frameLabels.length) {
      const counts = new Float64Array(P);
      let n = 0;
      for (let i = 0; i < frameLabels.length; i++) {
        const l = frameLabels[i]!;
        if (l < 0) continue;
        if (l >= P) throw invalidParameter('frame label', `an index in 0..${P - 1}`, l);
        counts[l]!++;
        n++;
      }
      for (let q = 0; q < P; q++) logPriors[q] = Math.log((counts[q]! + 1) / (n + P));
    } else {
      for (let q = 0; q < P; q++) logPriors[q] = Math.log(uni[q]!);
    }
    const { smoothing: _s, ...decodeOptions } = options;
    return new PhoneLoopDecoder({ numPhones: P, bigram, initial, final: fin, logPriors }, decodeOptions);
  }

  /** Estimates the loop from a training FeatureSet: its reference phones and frame labels. */
  static fromFeatureSet(
    set: { numLabels: number; labels: Int32Array; utterances: readonly unknown[]; refPhones(i: number): Int32Array },
    options: Partial<PhoneLoopOptions> & { smoothing?: number } = {},
  ): PhoneLoopDecoder {
    const seqs = Array.from({ length: set.utterances.length }, (_, i) => set.refPhones(i));
    return PhoneLoopDecoder.fromSequences(seqs, set.numLabels, set.labels, options);
  }

  /** The same estimates with other decoding options. */
  withOptions(options: Partial<PhoneLoopOptions>): PhoneLoopDecoder {
    return new PhoneLoopDecoder(this.model, { ...this.options, ...options });
  }

  /** Best phone sequence and segmentation of one utterance. logPost: (T, P) log posteriors. */
  align(logPost: ArrayLike<number>): PhoneAlignment {
    if (logPost.length % this.numPhones !== 0) throw invalidParameter('logPost', `T x ${this.numPhones} log posteriors`, logPost);
    const o = this.options;
    return viterbiAlign(logPost, this.numPhones, {
      bigram: this.bigram,
      initial: this.initial,
      final: this.final,
      logPriors: o.usePriors ? this.scaledPriors : undefined,
      acousticScale: o.acousticScale,
      insertionPenalty: o.insertionPenalty,
      minDuration: o.minDuration,
    });
  }

  /** Best phone sequence of one utterance. */
  decode(logPost: ArrayLike<number>): Int32Array {
    return this.align(logPost).phones;
  }

  /** The estimates, for saving as JSON (rebuild with `new PhoneLoopDecoder(model, options)`). */
  toJSON(): { model: PhoneLoopModel; options: PhoneLoopOptions } {
    return { model: this.model, options: this.options };
  }
}
