/**
 * Viterbi decoding of frame posteriors over a phone loop: any phone may follow any phone, weighted by
 * a phone bigram, so the best path trades the acoustic evidence of every frame against the number and
 * order of phones.
 *
 * Path score = sum over frames of acousticScale * (log P(q_t | x_t) - [log prior(q_t)])
 *            + sum over phones of (log initial / log bigram(prev -> q) - insertionPenalty) + log final.
 * Each phone is a left-to-right chain of `minDuration` states (self-loop on the last), so a phone lasts
 * at least `minDuration` frames; with 1 (the default) every frame may start a new phone. A phone may
 * follow itself (a new occurrence), which is distinct from staying in it.
 */
import { kernels } from '../kernels/backend.js';
import { createRefKernels } from '../kernels/ref.js';
import { invalidParameter } from '../util/errors.js';

const REFERENCE = createRefKernels();

export interface PhoneLoopScores {
  /** (P, P) log P(next = q | previous = p) at row p, column q. */
  bigram: ArrayLike<number>;
  /** (P,) log probability of the first phone; uniform when absent. */
  initial?: ArrayLike<number>;
  /** (P,) log probability that the utterance ends after the phone; 0 when absent. */
  final?: ArrayLike<number>;
  /** (P,) log priors subtracted from the log posteriors (hybrid scaled likelihoods); none when absent. */
  logPriors?: ArrayLike<number>;
  /** (P,) the same as probabilities (used when logPriors is absent). */
  priors?: ArrayLike<number>;
}

export interface ViterbiOptions extends PhoneLoopScores {
  acousticScale?: number;
  /** Subtracted from the score of every phone in the path (positive values mean fewer phones). */
  insertionPenalty?: number;
  minDuration?: number;
}

export interface PhoneAlignment {
  /** Decoded phone sequence. */
  phones: Int32Array;
  /** First frame of each phone. */
  starts: Int32Array;
  /** Best path score. */
  score: number;
}

/**
 * Best phone sequence and its segmentation. logPost: (T, P) row-major log posteriors (log-softmax
 * outputs), T = logPost.length / P.
 */
export function viterbiAlign(logPost: ArrayLike<number>, numPhones: number, opts: ViterbiOptions): PhoneAlignment {
  const P = numPhones;
  if (!(Number.isInteger(P) && P >= 1)) throw invalidParameter('numPhones', 'a positive integer', numPhones);
  if (logPost.length % P !== 0) throw invalidParameter('logPost', `a multiple of ${P} values (T x ${P})`, logPost);
  if (opts.bigram.length !== P * P) throw invalidParameter('bigram', `${P} x ${P} = ${P * P} log probabilities`, opts.bigram);
  for (const key of ['initial', 'final', 'logPriors', 'priors'] as const) {
    const v = opts[key];
    if (v && v.length !== P) throw invalidParameter(key, `${P} values`, v);
  }
  const T = logPost.length / P;
  if (T === 0) return { phones: new Int32Array(0), starts: new Int32Array(0), score: 0 };
  const acw = opts.acousticScale ?? 1;
  const pen = opts.insertionPenalty ?? 0;
  const K = Math.max(1, Math.min(opts.minDuration ?? 1, T));
  const S = P * K; // state (q, k) = q * K + k
  const bigram = opts.bigram;
  const priors = opts.logPriors ?? (opts.priors ? Float64Array.from(opts.priors, (p) => Math.log(p)) : undefined);
  const initial = opts.initial;
  const uniform = -Math.log(P);
  let prev = new Float64Array(S);
  let cur = new Float64Array(S);
  // Backpointer per (t, state): predecessor state; `entered` marks a new phone (from the loop).
  const back = new Int32Array(T * S);
  const entered = new Uint8Array(T * S);
  const acoustic = (t: number, q: number): number => acw * (logPost[t * P + q]! - (priors ? priors[q]! : 0));

  if (K === 1) {
    // One state per phone: the kernel (WASM SIMD, float64). Float32 posteriors (what models output) go
    // to the fast backend; other inputs (float64 test fixtures) to the reference twin, which reads them
    // without rounding to float32.
    const init = initial ? Float64Array.from(initial) : new Float64Array(P).fill(uniform);
    const k = logPost instanceof Float32Array ? kernels() : REFERENCE;
    k.viterbiForward(logPost as Float32Array, T, P, Float64Array.from(bigram), init, priors ? Float64Array.from(priors) : null, acw, pen, back, entered, prev);
  } else {
    prev.fill(-Infinity);
    for (let q = 0; q < P; q++) {
      prev[q * K] = (initial ? initial[q]! : uniform) - pen + acoustic(0, q);
      back[q * K] = -1;
      entered[q * K] = 1;
    }
    // Best entry into each phone q from the last state of any phone p: max_p prev[p] + bigram[p][q],
    // computed p-outer so the bigram is read row by row (ties keep the smallest p either way).
    const enterBest = new Float64Array(P);
    const enterArg = new Int32Array(P);
    const bigramRows = Float64Array.from(bigram);
    for (let t = 1; t < T; t++) {
      const row = t * S;
      enterBest.fill(-Infinity);
      enterArg.fill(0);
      for (let p = 0; p < P; p++) {
        const from = prev[p * K + K - 1]!;
        if (from === -Infinity) continue;
        const o = p * P;
        for (let q = 0; q < P; q++) {
          const v = from + bigramRows[o + q]!;
          if (v > enterBest[q]!) {
            enterBest[q] = v;
            enterArg[q] = p;
          }
        }
      }
      for (let q = 0; q < P; q++) {
        const a = acoustic(t, q);
        const base = q * K;
        const best = enterBest[q]! - pen;
        const arg = enterArg[q]!;
        cur[base] = best + a;
        back[row + base] = arg * K + K - 1;
        entered[row + base] = 1;
        for (let k = 1; k < K - 1; k++) {
          cur[base + k] = prev[base + k - 1]! + a;
          back[row + base + k] = base + k - 1;
          entered[row + base + k] = 0;
        }
        // Last state: reached from state K-2, or stay (the self-loop).
        const adv = prev[base + K - 2]!;
        const stay = prev[base + K - 1]!;
        if (stay >= adv) {
          cur[base + K - 1] = stay + a;
          back[row + base + K - 1] = base + K - 1;
        } else {
          cur[base + K - 1] = adv + a;
          back[row + base + K - 1] = base + K - 2;
        }
        entered[row + base + K - 1] = 0;
      }
      [prev, cur] = [cur, prev];
    }
  }
  // Only the last state of a phone may end the utterance.
  let best = -Infinity;
  let state = -1;
  for (let q = 0; q < P; q++) {
    const v = prev[q * K + K - 1]! + (opts.final ? opts.final[q]! : 0);
    if (v > best) {
      best = v;
      state = q * K + K - 1;
    }
  }
  if (state < 0) throw invalidParameter('logPost', 'finite log posteriors (no path has a finite score)', 'only -Infinity/NaN scores');
  const phones: number[] = [];
  const starts: number[] = [];
  for (let t = T - 1; t >= 0; t--) {
    const idx = t * S + state;
    if (entered[idx]) {
      phones.push(Math.floor(state / K));
      starts.push(t);
    }
    state = back[idx]!;
  }
  phones.reverse();
  starts.reverse();
  return { phones: Int32Array.from(phones), starts: Int32Array.from(starts), score: best };
}

/** The phone sequence of the best path through the phone loop (see `viterbiAlign`). */
export function viterbiPhoneLoop(logPost: ArrayLike<number>, opts: ViterbiOptions & { numPhones?: number }): Int32Array {
  const P = opts.numPhones ?? Math.round(Math.sqrt(opts.bigram.length));
  return viterbiAlign(logPost, P, opts).phones;
}
