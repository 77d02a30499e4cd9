/**
 * The quantizers' numbers: clips (MMSE on a histogram, min-max, percentile) and 16-bit Q-formats.
 *
 * Integer codes are symmetric per tensor (or per column): `inv = (2^(n-1) - 1) / clip`,
 * `q = clamp(round(x * inv), -2^(n-1), 2^(n-1) - 1)`, value `q / inv`; the 2-bit codes are
 * {-2, -1, 0, 1}. Rounding is half to even on the f32 product with f32 constants (kernels/ref.ts
 * `quantConstants`), in both kernel backends, so fake quantization and integer codes agree exactly.
 *
 * 16 bits is a real Q-format: sign, `i` integer bits chosen from the tensor's range (the smallest i
 * with max|v| < 2^i, i in -16..15) and `15 - i` fraction bits; value = clamp(round(x 2^f), -32768,
 * 32767) / 2^f (kernels `fixedPoint`).
 */
import { quantConstants, roundHalfEven } from '../kernels/ref.js';
import { invalidParameter } from '../util/errors.js';

/** The integer precisions (bits) with clips; 16 is fixed point, 32 unquantized. */
export const INTEGER_BITS = [2, 4, 8] as const;
export type IntegerBits = (typeof INTEGER_BITS)[number];

/** Bins of the |v| histogram the MMSE clip search runs on (the papers' 201). */
export const HISTOGRAM_BINS = 201;

/** Clip candidates of the MMSE search: k/100 of max|v| for k = 1..100 (the papers' 1..99, plus max itself). */
export const MMSE_STEPS = 100;

/** A histogram of |v| over [0, max] in equal bins. */
export interface AbsHistogram {
  max: number;
  /** Count per bin; bin i covers [i, i+1) * max / bins (the last one includes max). */
  counts: Float64Array;
  total: number;
}

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > m) m = a;
  }
  return m;
}

export function absHistogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS, max = maxAbs(values)): AbsHistogram {
  const counts = new Float64Array(bins);
  if (max > 0) {
    const scale = bins / max;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor(Math.abs(values[i]!) * scale);
      counts[b < bins ? b : bins - 1]!++;
    }
  } else {
    counts[0] = values.length;
  }
  return { max, counts, total: values.length };
}

/**
 * The error of clipping at `clip` and quantizing to `bits` (2..8), measured on the histogram: every
 * bin stands for its centre c with probability p; bins above the clip cost (c - clip)^2 p, bins below
 * (c - q(c))^2 p with q the symmetric quantizer above.
 */
export function histogramMse(h: AbsHistogram, bits: number, clip: number): number {
  const bins = h.counts.length;
  if (h.total === 0 || h.max === 0) return 0;
  const { inv, step, hi } = quantConstants({ bits, clip });
  const width = h.max / bins;
  let err = 0;
  for (let i = 0; i < bins; i++) {
    const n = h.counts[i]!;
    if (n === 0) continue;
    const c = (i + 0.5) * width;
    let d: number;
    if (c > clip) d = c - clip;
    else {
      const q = Math.min(hi, roundHalfEven(Math.fround(Math.fround(c) * inv)));
      d = c - Math.fround(q * step);
    }
    err += d * d * n;
  }
  return err / h.total;
}

/** The MMSE clip on a histogram: the k/100 * max (k = 1..100) with the least `histogramMse` (the smallest on ties). */
export function mmseClipFromHistogram(h: AbsHistogram, bits: number): number {
  checkIntegerBits(bits);
  if (h.max === 0) return 0;
  let best = h.max;
  let bestErr = Infinity;
  for (let k = 1; k <= MMSE_STEPS; k++) {
    const clip = (k / MMSE_STEPS) * h.max;
    const e = histogramMse(h, bits, clip);
    if (e < bestErr) {
      bestErr = e;
      best = clip;
    }
  }
  return best;
}

/** The MMSE clip of values for `bits` (see `mmseClipFromHistogram`). */
export function mmseClip(values: ArrayLike<number>, bits: number): number {
  return mmseClipFromHistogram(absHistogram(values), bits);
}

/**
 * The p-th percentile (0 < p <= 100) by nearest rank: the value of rank ceil(p/100 n) in ascending
 * order. `abs` ranks |v|. Runs in linear time (selection on a copy).
 */
export function percentile(values: ArrayLike<number>, p: number, abs = false): number {
  if (!(p > 0 && p <= 100)) throw invalidParameter('percentile', 'a number in (0, 100]', p);
  const n = values.length;
  if (n === 0) return 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = abs ? Math.abs(values[i]!) : values[i]!;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return selectKth(a, rank - 1);
}

/** The k-th smallest element (0-based) of a, reordering a in place (quickselect, median of three). */
export function selectKth(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three to the middle
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Median (the mean of the two middle values for an even count), 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function checkIntegerBits(bits: number): asserts bits is IntegerBits {
  if (!(INTEGER_BITS as readonly number[]).includes(bits)) throw invalidParameter('integer bits', `one of ${INTEGER_BITS.join(', ')}`, bits);
}

/** Integer bits of the 16-bit Q-format for values up to `range` in magnitude: the smallest i in -16..15 with range < 2^i. */
export function qIntegerBits(range: number): number {
  if (!(range > 0) || !Number.isFinite(range)) return range === Infinity ? 15 : 0;
  let i = Math.ceil(Math.log2(range)) | 0;
  if (2 ** i <= range) i++;
  if (2 ** (i - 1) > range) i--; // guard against log2 rounding
  return Math.max(-16, Math.min(15, i));
}

/** Fraction bits of the 16-bit Q-format for values up to `range`: 15 - integer bits. */
export function qFractionBits(range: number): number {
  return 15 - qIntegerBits(range);
}

/** A clip for `bits` by method: MMSE, the largest magnitude, or a percentile of |v|. */
export function clipOf(values: ArrayLike<number>, bits: number, method: 'mmse' | 'minmax' | 'percentile', p = 99.99): number {
  if (method === 'mmse') return mmseClip(values, bits);
  if (method === 'minmax') return maxAbs(values);
  return percentile(values, p, true);
}
