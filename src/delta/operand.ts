/**
 * The levels a delta network compares: every matrix input as the integers (or floats) its product
 * multiplies, so a threshold is a number of quantization steps and threshold 0 transmits exactly the
 * elements whose code changed.
 *
 * - symmetric 2/4/8 bits: the integer code (value = step * code);
 * - asymmetric: u - zero (value = step * (u - zero));
 * - 16-bit fixed point: the Q-format code c (value = c / 2^f);
 * - float (32 bits): the value itself (thresholds are absolute).
 * Codes come from the same f32 arithmetic as the quant module's integer operands (`k.quantize`, round
 * half to even of the f32 product), so they are the codes the integer-exact product multiplies.
 */
import type { Kernels } from '../kernels/types.js';
import { quantConstants, roundHalfEven } from '../kernels/ref.js';
import type { ActivationQuant } from '../quant/activations.js';

/** Levels of [rows x K] operand values: Int8Array (symmetric), Int32Array (asymmetric, fixed) or Float32Array (float). */
export type Levels = Int8Array | Int32Array | Float32Array;

/** The step of one level: value = step * level (1 for float operands). */
export function levelStep(q: ActivationQuant): number {
  switch (q.kind) {
    case 'float':
      return 1;
    case 'fixed':
      return 2 ** -q.fracBits;
    case 'symmetric':
      return quantConstants({ bits: q.bits, clip: q.clip }).step;
    case 'asymmetric':
      return q.step;
  }
}

/** True when the levels are integers of at most 8 bits plus sign (the int8 delta kernel applies). */
export function smallIntegerLevels(q: ActivationQuant): boolean {
  return q.kind === 'symmetric' || q.kind === 'asymmetric';
}

/**
 * Levels of x [rows x K] (row stride lda), in the kernels' current scope. Contiguous input that is
 * already a float level is returned as is.
 */
export function operandLevels(k: Kernels, q: ActivationQuant, x: Float32Array, rows: number, K: number, lda: number): Levels {
  const n = rows * K;
  let src = x;
  if (lda !== K) {
    src = k.f32(n);
    for (let r = 0; r < rows; r++) src.set(x.subarray(r * lda, r * lda + K), r * K);
  }
  switch (q.kind) {
    case 'float':
      return src;
    case 'symmetric': {
      const codes = k.i8(n);
      k.quantize(src, codes, n, { bits: q.bits, clip: q.clip });
      return codes;
    }
    case 'asymmetric': {
      const codes = k.i32(n);
      const top = 2 ** q.bits - 1;
      for (let i = 0; i < n; i++) {
        let u = roundHalfEven(Math.fround(src[i]! * q.inv)) + q.zero;
        u = u < 0 ? 0 : u > top ? top : u;
        codes[i] = u - q.zero;
      }
      return codes;
    }
    case 'fixed': {
      const codes = k.i32(n);
      const s = Math.fround(2 ** q.fracBits);
      for (let i = 0; i < n; i++) {
        const c = roundHalfEven(Math.fround(src[i]! * s));
        codes[i] = c < -32768 ? -32768 : c > 32767 ? 32767 : c;
      }
      return codes;
    }
  }
}
