/**
 * Activation (operand) quantization: before every matrix product its input is quantized to the
 * matrix's activation bits with a static clip from calibration, so an utterance quantizes the same
 * whatever else is in its batch.
 *
 * - 2/4/8 bits symmetric: clip from the calibration statistic of the chosen method (the papers': the
 *   median over utterances of per-utterance MMSE clips at those bits).
 * - 2/4/8 bits asymmetric (option): unsigned codes u = clamp(round(x inv) + z, 0, 2^n - 1) over a range
 *   [lo, hi] containing 0, inv = (2^n - 1) / (hi - lo), zero point z = round(-lo inv), value (u - z) / inv.
 * - 16 bits: the Q-format of the operand's largest calibrated magnitude.
 * - 32 bits: unquantized.
 */
import type { Kernels } from '../kernels/types.js';
import { quantConstants, roundHalfEven } from '../kernels/ref.js';
import { MohaqError } from '../util/errors.js';
import type { OperandStats } from './calibration.js';
import type { ResolvedQuantOptions } from './options.js';
import { qFractionBits } from './quantizer.js';

export type ActivationQuant =
  | { kind: 'float' }
  | { kind: 'fixed'; fracBits: number }
  | { kind: 'symmetric'; bits: number; clip: number }
  | { kind: 'asymmetric'; bits: number; inv: number; step: number; zero: number };

/** f32 constants of the asymmetric quantizer over [lo, hi] (widened to contain 0). */
export function asymmetricQuant(bits: number, lo: number, hi: number): ActivationQuant {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  const levels = 2 ** bits - 1;
  if (!(b > a)) return { kind: 'asymmetric', bits, inv: 0, step: 0, zero: 0 };
  const inv = Math.fround(levels / (b - a));
  const step = Math.fround(1 / inv);
  const zero = Math.min(levels, Math.max(0, roundHalfEven(Math.fround(-a * inv))));
  return { kind: 'asymmetric', bits, inv, step, zero };
}

/** The quantizer of an operand at `bits` from its calibration statistics. */
export function activationQuant(stats: OperandStats | undefined, bits: number, o: ResolvedQuantOptions, name: string): ActivationQuant {
  if (bits === 32) return { kind: 'float' };
  if (!stats) throw new MohaqError('INVALID_ARGUMENT', `the calibration has no statistics for operand "${name}" (made for another architecture?)`);
  if (bits === 16) return { kind: 'fixed', fracBits: qFractionBits(stats.rangeAbs) };
  if (o.asymmetric) {
    return o.activationClip === 'percentile' ? asymmetricQuant(bits, stats.percentileLow, stats.percentileHigh) : asymmetricQuant(bits, stats.min, stats.max);
  }
  const clip = o.activationClip === 'mmse' ? stats.mmse[String(bits) as '2' | '4' | '8'] : o.activationClip === 'minmax' ? stats.maxAbs : stats.percentileAbs;
  if (clip === undefined) throw new MohaqError('INVALID_ARGUMENT', `the calibration has no ${bits}-bit clip for operand "${name}"`);
  return { kind: 'symmetric', bits, clip };
}

/** out[0..n) = the quantized values of x[0..n) (fake quantization: code * step). */
export function fakeQuantizeActivations(k: Kernels, q: ActivationQuant, x: Float32Array, out: Float32Array, n: number): void {
  switch (q.kind) {
    case 'float':
      if (out !== x) out.set(x.subarray(0, n));
      return;
    case 'fixed':
      k.fixedPoint(x, out, n, q.fracBits);
      return;
    case 'symmetric':
      k.fakeQuant(x, out, n, { bits: q.bits, clip: q.clip });
      return;
    case 'asymmetric': {
      const top = 2 ** q.bits - 1;
      for (let i = 0; i < n; i++) {
        let u = roundHalfEven(Math.fround(x[i]! * q.inv)) + q.zero;
        u = u < 0 ? 0 : u > top ? top : u;
        out[i] = Math.fround((u - q.zero) * q.step);
      }
    }
  }
}

/**
 * Integer form of a quantized operand: value = step * (sum over pieces of mult * piece + offset), with
 * every piece an int8 matrix, so products run on `gemmI8` with i32 accumulation:
 * - symmetric <= 8 bits: one piece (the codes), offset 0;
 * - asymmetric: one piece s = u - 2^(n-1), offset 2^(n-1) - z;
 * - 16-bit Q-format codes c: c = 256 hi + lo + 128 with hi = c >> 8 and lo = (c & 255) - 128, both int8.
 */
export interface IntegerOperand {
  pieces: Array<{ codes: Int8Array; mult: number }>;
  offset: number;
  step: number;
}

/** Integer form of x[0..n) (see IntegerOperand); arrays come from the kernels' scope. */
export function integerActivations(k: Kernels, q: ActivationQuant, x: Float32Array, n: number): IntegerOperand {
  if (q.kind === 'float') throw new MohaqError('INTERNAL', 'internal error: an unquantized operand has no integer form');
  if (q.kind === 'symmetric') {
    const codes = k.i8(n);
    k.quantize(x, codes, n, { bits: q.bits, clip: q.clip });
    return { pieces: [{ codes, mult: 1 }], offset: 0, step: quantConstants({ bits: q.bits, clip: q.clip }).step };
  }
  if (q.kind === 'asymmetric') {
    const codes = k.i8(n);
    const top = 2 ** q.bits - 1;
    const half = 2 ** (q.bits - 1);
    for (let i = 0; i < n; i++) {
      let u = roundHalfEven(Math.fround(x[i]! * q.inv)) + q.zero;
      u = u < 0 ? 0 : u > top ? top : u;
      codes[i] = u - half;
    }
    return { pieces: [{ codes, mult: 1 }], offset: half - q.zero, step: q.step };
  }
  const hi = k.i8(n);
  const lo = k.i8(n);
  const s = Math.fround(2 ** q.fracBits);
  for (let i = 0; i < n; i++) {
    let c = roundHalfEven(Math.fround(x[i]! * s));
    c = c < -32768 ? -32768 : c > 32767 ? 32767 : c;
    hi[i] = c >> 8;
    lo[i] = (c & 255) - 128;
  }
  return { pieces: [{ codes: hi, mult: 256 }, { codes: lo, mult: 1 }], offset: 128, step: 2 ** -q.fracBits };
}

/** A stable name of an activation quantizer (for keys of cached layer outputs). */
export function activationQuantName(q: ActivationQuant): string {
  switch (q.kind) {
    case 'float':
      return 'f';
    case 'fixed':
      return `q${q.fracBits}`;
    case 'symmetric':
      return `s${q.bits}:${q.clip}`;
    case 'asymmetric':
      return `a${q.bits}:${q.inv}:${q.zero}`;
  }
}
