/**
 * The integer arithmetic of mohaq's integer-only engine, written once here and once in C
 * (`c-source.ts`), with the same results bit for bit.
 *
 * Values are integers in Q-formats: `v` with `f` fraction bits stands for v * 2^-f. Intermediate sums
 * are 64-bit integers in C; here they are doubles that the export-time plans keep below 2^52 in
 * magnitude, where every sum, product by a power of two and exact division is exact.
 *
 * - `roundShift(v, n)`: v / 2^n rounded half to even, the rounding of every quantizer of mohaq's fake
 *   quantization (ties are common here: a Q14 gate times a Q-format value often lands exactly
 *   half-way). Right shifts of negative numbers are implementation-defined in C99, so the C twin
 *   rounds the magnitude and restores the sign (half to even is symmetric).
 * - `align(v, from, to)`: a value from Q(from) to Q(to): exact when to >= from, else `roundShift`.
 * - Sigmoid and tanh: a table of sigmoid at steps of 2^-7 over [0, 16 + 2^-7] in Q30 (2050 int32
 *   entries), quadratic (Newton forward) interpolation between entries, symmetry for negative inputs
 *   (sigmoid(-x) = 1 - sigmoid(x)), tanh(x) = 2 sigmoid(2x) - 1. Inputs are Q24, outputs Q30 (rounded
 *   to Q14 where the recurrence keeps them). The error is below 5e-9 (tanh 1e-8), so a Q14 gate
 *   differs from the correctly rounded value only within ~1e-4 of a step from a rounding boundary;
 *   beyond |x| = 16 (tanh: 8) the value saturates at the last entry, sigmoid(16) = 1 - 1.1e-7
 *   (test/export/fixed-point.test.ts measures both).
 */
import { MohaqError } from '../util/errors.js';

/** Largest magnitude every planned intermediate stays below (exact in doubles, with a bit to spare). */
export const SAFE_MAGNITUDE = 2 ** 52;

/** Fraction bits of the activation functions' inputs. */
export const ACT_IN_FRAC = 24;
/** Fraction bits of sigmoid/tanh values inside the engine (the table's format). */
export const ACT_OUT_FRAC = 30;
/** Fraction bits of the gate values the recurrence keeps (sigmoid gates, tanh candidates): the quant hook's Q-format of [-1, 1]. */
export const GATE_FRAC = 14;
/** Table entries per unit of the sigmoid argument, as a power of two. */
export const SIGMOID_STEP_BITS = 7;
/** The table covers [0, SIGMOID_RANGE]; sigmoid beyond it is the entry at SIGMOID_RANGE. */
export const SIGMOID_RANGE = 16;
/** Entries: 0 .. SIGMOID_RANGE in steps, plus one beyond for the interpolation of the last interval. */
export const SIGMOID_ENTRIES = SIGMOID_RANGE * 2 ** SIGMOID_STEP_BITS + 2;

/** 2^0 .. 2^64 as doubles (exact). */
export const POW2: Float64Array = Float64Array.from({ length: 65 }, (_, i) => 2 ** i);

/** 2^-0 .. 2^-64 (exact). */
const INV_POW2: Float64Array = Float64Array.from({ length: 65 }, (_, i) => 2 ** -i);

/** v / 2^n rounded half to even; n >= 0 (n = 0 returns v). */
export function roundShift(v: number, n: number): number {
  if (n <= 0) return v;
  if (n < 31 && v >= -2147483648 && v <= 2147483647) {
    // int32: >> is floor division, the remainder is in [0, 2^n)
    const q = (v | 0) >> n;
    const rem = (v | 0) - (q << n);
    const h = 1 << (n - 1);
    return rem > h || (rem === h && (q & 1) !== 0) ? q + 1 : q;
  }
  const q = Math.floor(v * INV_POW2[n]!);
  const rem = v - q * POW2[n]!;
  const h = POW2[n - 1]!;
  // (odd: & on int32 quotients; the slow % only for quotients beyond)
  return rem > h || (rem === h && (q >= -2147483648 && q <= 2147483647 ? (q & 1) !== 0 : q % 2 !== 0)) ? q + 1 : q;
}

/** A value in Q(from) expressed in Q(to). */
export function align(v: number, from: number, to: number): number {
  return to >= from ? v * POW2[to - from]! : roundShift(v, from - to);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function sat16(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/** Round half away from zero (export-time constants). */
export function roundAway(v: number): number {
  return v >= 0 ? Math.floor(v + 0.5) : -Math.floor(0.5 - v);
}

/** The sigmoid table: round(sigmoid(i 2^-7) 2^30) for i = 0 .. 16 * 2^7 + 1. */
export function sigmoidTable(): Int32Array {
  const t = new Int32Array(SIGMOID_ENTRIES);
  for (let i = 0; i < SIGMOID_ENTRIES; i++) t[i] = roundAway(POW2[ACT_OUT_FRAC]! / (1 + Math.exp(-i / 2 ** SIGMOID_STEP_BITS)));
  return t;
}

const R = ACT_IN_FRAC - SIGMOID_STEP_BITS;
const R_MASK = 2 ** R - 1;
const R_ONE = 2 ** R;
const LAST = SIGMOID_ENTRIES - 2;
const INPUT_CAP = SIGMOID_RANGE * 2 ** ACT_IN_FRAC;
const ONE = 2 ** ACT_OUT_FRAC;

const INV_R = 2 ** -R;
const HALF_R = 2 ** (R - 1);
const INV_2R1 = 2 ** -(2 * R + 1);
const D_2R1 = 2 ** (2 * R + 1);
const HALF_2R1 = 2 ** (2 * R);

/** sigmoid(x) in Q30 for x in Q24 (any magnitude). */
export function sigmoid30(table: Int32Array, x: number): number {
  const a = x < 0 ? (-x < INPUT_CAP ? -x : INPUT_CAP) : x < INPUT_CAP ? x : INPUT_CAP;
  const i = a >>> R;
  let v: number;
  if (i >= LAST) v = table[LAST]!;
  else {
    // p(r) = t0 + r d1 + r (r - 1) / 2 d2 with r = f / 2^R, each product rounded half to even
    // (roundShift written out: this is the engine's hottest function)
    const t0 = table[i]!;
    const t1 = table[i + 1]!;
    const f = a & R_MASK;
    const p1 = (t1 - t0) * f;
    let q1 = Math.floor(p1 * INV_R);
    const r1 = p1 - q1 * R_ONE;
    if (r1 > HALF_R || (r1 === HALF_R && (q1 & 1) !== 0)) q1++; // |q1| < 2^22
    const p2 = (table[i + 2]! - 2 * t1 + t0) * f * (f - R_ONE);
    let q2 = Math.floor(p2 * INV_2R1);
    const r2 = p2 - q2 * D_2R1;
    if (r2 > HALF_2R1 || (r2 === HALF_2R1 && (q2 & 1) !== 0)) q2++; // |q2| < 2^11
    v = t0 + q1 + q2;
  }
  return x < 0 ? ONE - v : v;
}

/** tanh(x) = 2 sigmoid(2x) - 1 in Q30 for x in Q24. */
export function tanh30(table: Int32Array, x: number): number {
  const a = x < 0 ? -x : x;
  const t = 2 * sigmoid30(table, a < INPUT_CAP ? 2 * a : INPUT_CAP) - ONE;
  return x < 0 ? -t : t;
}

/**
 * The largest shift N (<= 62) for which the multipliers round(m_i 2^N) keep
 * sum_i bound_i |round(m_i 2^N)| + 2^(N-1) below SAFE_MAGNITUDE: the requantization
 * roundShift(sum_i v_i round(m_i 2^N), N) of values |v_i| <= bound_i is then exact arithmetic.
 * Terms with bound 1 are constants (biases).
 */
export function planShift(terms: ReadonlyArray<{ bound: number; m: number }>, what: string): number {
  for (let n = 62; n >= 0; n--) {
    let s = n > 0 ? POW2[n - 1]! : 0;
    // a bound of 0 (an all-zero weight column) still keeps its multiplier a safe integer
    for (const t of terms) s += Math.max(t.bound, 1) * Math.abs(roundAway(t.m * POW2[n]!));
    if (s < SAFE_MAGNITUDE) return n;
  }
  throw new MohaqError('UNSUPPORTED', `${what}: values too large for the 64-bit fixed-point plan of the integer-only engine`);
}

/**
 * The fraction bits F of an exact sum of integer terms (term i: |v_i| <= bound_i in Q(frac_i)) that
 * is then brought to Q(target): the largest F <= maxFrac with sum_i bound_i 2^(F - frac_i) (+1 per
 * rounded term), times 2^(target - F) when F < target, below SAFE_MAGNITUDE / 2. Terms with
 * frac_i > F are rounded (`align`), the others are exact.
 */
export function planSumFrac(terms: ReadonlyArray<{ frac: number; bound: number }>, maxFrac: number, target: number, what: string): number {
  for (let f = Math.floor(maxFrac); f >= target - 32; f--) {
    let s = 0;
    for (const t of terms) s += t.frac > f ? Math.ceil(t.bound * 2 ** (f - t.frac)) + 1 : t.bound * 2 ** (f - t.frac);
    if (s * 2 ** Math.max(0, target - f) < SAFE_MAGNITUDE / 2) return f;
  }
  throw new MohaqError('UNSUPPORTED', `${what}: values too large for the 64-bit fixed-point plan of the integer-only engine`);
}
