/**
 * Weight quantization of one product block [k x n] (the columns a product multiplies: a whole tensor
 * for most products; the gate part or the candidate part when path skipping splits a recurrent
 * product; U_rz and U_n of the pytorch-kaldi GRU).
 *
 * The parameters (clip per block or per column, or the 16-bit Q-format) are computed once from the
 * float weights; fake quantization and integer codes both come from them, on the kernels' f32
 * constants, so they agree exactly: fake value = code * step.
 */
import { kernels } from '../kernels/backend.js';
import { quantConstants, roundHalfEven } from '../kernels/ref.js';
import { invalidParameter } from '../util/errors.js';
import type { ClipMethod } from './options.js';
import { clipOf, maxAbs, qFractionBits } from './quantizer.js';

export interface WeightQuantizer {
  /** 2, 4, 8 (integers), 16 (fixed point) or 32 (unquantized). */
  bits: number;
  clip: ClipMethod;
  percentile: number;
  perChannel: boolean;
}

/** How a block is quantized: integer clips (one, or one per column) or a 16-bit Q-format. */
export type WeightParams =
  | { kind: 'float' }
  | { kind: 'integer'; bits: number; clips: Float64Array }
  | { kind: 'fixed'; fracBits: number };

/** A stable name of a quantizer, for caches (`w4:mmse`, `w8:percentile99.9:pc`, `w16`, `fp32`). */
export function weightVariantName(q: WeightQuantizer): string {
  if (q.bits === 32) return 'fp32';
  if (q.bits === 16) return 'w16';
  const method = q.clip === 'percentile' ? `percentile${q.percentile}` : q.clip;
  return `w${q.bits}:${method}${q.perChannel ? ':pc' : ''}`;
}

function column(values: Float32Array, k: number, n: number, j: number, out: Float32Array): Float32Array {
  for (let i = 0; i < k; i++) out[i] = values[i * n + j]!;
  return out;
}

/** The quantization parameters of a block [k x n] of float weights. */
export function weightParams(values: Float32Array, k: number, n: number, q: WeightQuantizer): WeightParams {
  if (values.length !== k * n) throw invalidParameter('weight block', `${k} x ${n} values`, values);
  if (q.bits === 32) return { kind: 'float' };
  if (q.bits === 16) return { kind: 'fixed', fracBits: qFractionBits(maxAbs(values)) };
  if (q.bits !== 2 && q.bits !== 4 && q.bits !== 8) throw invalidParameter('weight bits', 'one of 2, 4, 8, 16, 32', q.bits);
  if (!q.perChannel) return { kind: 'integer', bits: q.bits, clips: Float64Array.of(clipOf(values, q.bits, q.clip, q.percentile)) };
  const clips = new Float64Array(n);
  const col = new Float32Array(k);
  for (let j = 0; j < n; j++) clips[j] = clipOf(column(values, k, n, j, col), q.bits, q.clip, q.percentile);
  return { kind: 'integer', bits: q.bits, clips };
}

/** Replaces a block [k x n] by its quantized values (code * step), in place. */
export function fakeQuantizeWeights(values: Float32Array, k: number, n: number, p: WeightParams): void {
  const kern = kernels();
  if (p.kind === 'float') return;
  if (p.kind === 'fixed') {
    kern.fixedPoint(values, values, k * n, p.fracBits);
    return;
  }
  if (p.clips.length === 1) {
    kern.fakeQuant(values, values, k * n, { bits: p.bits, clip: p.clips[0]! });
    return;
  }
  // per column: the same arithmetic as the kernels (f32 product, round half to even, clamp, f32 value)
  for (let j = 0; j < n; j++) {
    const { inv, step, lo, hi } = quantConstants({ bits: p.bits, clip: p.clips[j]! });
    for (let i = 0; i < k; i++) {
      const o = i * n + j;
      const c = roundHalfEven(Math.fround(values[o]! * inv));
      values[o] = Math.fround((c < lo ? lo : c > hi ? hi : c) * step);
    }
  }
}

/** Integer codes of a block [k x n] and the step of each column (value = code * step[j]). */
export interface WeightCodes {
  /** [k x n] codes: within the bits' range (16-bit codes for the Q-format). */
  codes: Int32Array;
  /** Step per column (equal for a per-tensor quantizer). */
  steps: Float64Array;
  /** Code range: 8 for integers of at most 8 bits, 16 for the Q-format. */
  width: 8 | 16;
}

export function weightCodes(values: Float32Array, k: number, n: number, p: WeightParams): WeightCodes {
  const codes = new Int32Array(k * n);
  const steps = new Float64Array(n);
  if (p.kind === 'float') throw invalidParameter('weight params', 'integer or fixed-point parameters', 'float');
  if (p.kind === 'fixed') {
    const s = Math.fround(2 ** p.fracBits);
    for (let i = 0; i < k * n; i++) {
      const c = roundHalfEven(Math.fround(values[i]! * s));
      codes[i] = c < -32768 ? -32768 : c > 32767 ? 32767 : c;
    }
    steps.fill(2 ** -p.fracBits);
    return { codes, steps, width: 16 };
  }
  for (let j = 0; j < n; j++) {
    const { inv, step, lo, hi } = quantConstants({ bits: p.bits, clip: p.clips[p.clips.length === 1 ? 0 : j]! });
    steps[j] = step;
    for (let i = 0; i < k; i++) {
      const o = i * n + j;
      const c = roundHalfEven(Math.fround(values[o]! * inv));
      codes[o] = c < lo ? lo : c > hi ? hi : c;
    }
  }
  return { codes, steps, width: 8 };
}
