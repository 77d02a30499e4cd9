/**
 * Sparse row products of delta networks: the part of a product that really skips work. A delta
 * network transmits only the operand elements that changed by more than a threshold; the product is
 * then updated from the weight rows of those elements alone,
 *
 *   acc[r, :] += sum over the transmitted elements i of row r of  delta_i * W[i, :]
 *
 * so a row costs (transmitted elements) x n multiply-adds and reads only those rows of W. Weights are
 * packed row-major [k x n] (row i: the weights one input element feeds), never in GEMM panels.
 *
 * Two variants, each exact in its own domain:
 * - `deltaProductI8`: weights of <= 8 bits (int8), integer deltas with |delta| < 2^15, i32
 *   accumulators (integer operands of <= 8 bits: exact while the sums stay below 2^31, which holds
 *   for any k < 2^16 since |code| <= 2^8 and |weight| <= 2^7);
 * - `deltaProductF64`: f32 weights (16-bit codes, or float weights), f64 deltas and accumulators:
 *   products and sums of integers below 2^53 are exact, float operands are rounded once per term.
 * Both add the transmitted rows in list order, one product then one sum per term (no fused
 * multiply-add), so the WASM backend and the reference loops below agree bit for bit.
 *
 * Row lists are CSR: row r uses entries [start[r], start[r + 1]) of `index` (input element, < k; not
 * checked: the caller builds the lists) and `delta`; `start` has rows + 1 entries.
 *
 * `deltaStep*` is what delta inference runs: the same accumulation into the running product of the
 * row's utterance (acc row `slot[r]`, width n), immediately followed by that row's output,
 *
 *   y[yRow[r] * ldy + j] = f32(acc[slot[r] * n + j] * scale[j] (+ bias[j]) (+ y[...] when accumulate))
 *
 * computed in f64 (one product, then the sums in that order, one rounding to f32: the same arithmetic
 * as a TypeScript loop over Float64/Float32Arrays). Rows of one slot are processed in list order, so a
 * list may hold several frames of the same utterance.
 */
import { checkLength } from './checks.js';
import { MohaqError } from '../util/errors.js';

/** Weights packed for delta products: row-major [k x n], int8 codes or f32 values. */
export interface PackedDelta {
  readonly k: number;
  readonly n: number;
  readonly kind: 'i8' | 'f32';
  dispose(): void;
}

/** The output stage of `deltaStep*` (see the module comment). */
export interface DeltaOutput {
  /** Per column, the product of the operand's and the weights' steps. */
  readonly scale: Float64Array;
  readonly bias: Float32Array | null;
  readonly y: Float32Array;
  /** Output row of each kernel row (row stride ldy). */
  readonly yRow: Int32Array;
  readonly ldy: number;
  readonly accumulate: boolean;
}

export interface DeltaKernels {
  /** Packs integer weights W [k x n] (values of <= 8 bits) for `deltaProductI8`. */
  packDeltaI8(w: Int8Array, k: number, n: number): PackedDelta;
  /** Packs f32 weights W [k x n] for `deltaProductF64`. */
  packDeltaF32(w: Float32Array, k: number, n: number): PackedDelta;
  /** acc[r * ldacc + j] += sum_p delta[p] * W[index[p], j] over p in [start[r], start[r+1]), in i32. */
  deltaProductI8(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array, acc: Int32Array, ldacc: number): void;
  /** The same in f64 with f32 weights. */
  deltaProductF64(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Float64Array, acc: Float64Array, ldacc: number): void;
  /** Per row r in order: acc[slot[r] * n + j] += sum_p delta[p] * W[index[p], j] (i32), then the row's output (see the module comment). */
  deltaStepI8(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array, slot: Int32Array, acc: Int32Array, out: DeltaOutput): void;
  /** The same in f64 with f32 weights. */
  deltaStepF64(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Float64Array, slot: Int32Array, acc: Float64Array, out: DeltaOutput): void;
}

/** Argument checks both backends make before touching memory. */
export function checkDeltaProduct(op: string, w: PackedDelta, rows: number, start: Int32Array, index: ArrayLike<number>, delta: ArrayLike<number>, acc: ArrayLike<number>, ldacc: number): number {
  if (ldacc < w.n) throw new MohaqError('INTERNAL', `${op}: ldacc ${ldacc} is smaller than n ${w.n}`);
  checkLength(`${op} start`, start, rows + 1);
  const entries = rows > 0 ? start[rows]! : 0;
  checkLength(`${op} index`, index, entries);
  checkLength(`${op} delta`, delta, entries);
  if (rows > 0) checkLength(`${op} acc`, acc, (rows - 1) * ldacc + w.n);
  return entries;
}

/** Checks of `deltaStep*`; returns the number of list entries, accumulator rows and output rows the call touches. */
export function checkDeltaStep(op: string, w: PackedDelta, rows: number, start: Int32Array, index: ArrayLike<number>, delta: ArrayLike<number>, slot: Int32Array, acc: ArrayLike<number>, out: DeltaOutput): { entries: number; slots: number; yRows: number } {
  checkLength(`${op} start`, start, rows + 1);
  const entries = rows > 0 ? start[rows]! : 0;
  checkLength(`${op} index`, index, entries);
  checkLength(`${op} delta`, delta, entries);
  checkLength(`${op} slot`, slot, rows);
  checkLength(`${op} yRow`, out.yRow, rows);
  checkLength(`${op} scale`, out.scale, w.n);
  if (out.bias) checkLength(`${op} bias`, out.bias, w.n);
  if (out.ldy < w.n) throw new MohaqError('INTERNAL', `${op}: ldy ${out.ldy} is smaller than n ${w.n}`);
  let slots = 0;
  let yRows = 0;
  for (let r = 0; r < rows; r++) {
    if (slot[r]! < 0 || out.yRow[r]! < 0) throw new MohaqError('INTERNAL', `${op}: negative slot or output row at row ${r}`);
    slots = Math.max(slots, slot[r]! + 1);
    yRows = Math.max(yRows, out.yRow[r]! + 1);
  }
  checkLength(`${op} acc`, acc, slots * w.n);
  if (rows > 0) checkLength(`${op} y`, out.y, (yRows - 1) * out.ldy + w.n);
  return { entries, slots, yRows };
}

/** The output of one row (the reference arithmetic of both backends). */
function refOutput(acc: ArrayLike<number>, a: number, out: DeltaOutput, row: number, n: number): void {
  const { scale, bias, y, accumulate } = out;
  const o = row * out.ldy;
  for (let j = 0; j < n; j++) {
    let v = acc[a + j]! * scale[j]!;
    if (bias) v += bias[j]!;
    y[o + j] = accumulate ? y[o + j]! + v : v;
  }
}

class RefPackedDelta implements PackedDelta {
  constructor(
    readonly k: number,
    readonly n: number,
    readonly kind: 'i8' | 'f32',
    readonly data: Int8Array | Float32Array,
  ) {}
  dispose(): void {}
}

function refPacked(w: PackedDelta, kind: 'i8' | 'f32', op: string): RefPackedDelta {
  if (!(w instanceof RefPackedDelta)) throw new MohaqError('INTERNAL', `${op}: packed weights belong to another kernel backend`);
  if (w.kind !== kind) throw new MohaqError('INTERNAL', `${op}: expected ${kind} delta weights but received ${w.kind}`);
  return w;
}

/** The reference loops (the oracle of the WASM kernels). */
export const refDelta: DeltaKernels = {
  packDeltaI8(w, k, n) {
    checkLength('packDeltaI8 W', w, k * n);
    return new RefPackedDelta(k, n, 'i8', Int8Array.from(w.subarray(0, k * n)));
  },
  packDeltaF32(w, k, n) {
    checkLength('packDeltaF32 W', w, k * n);
    return new RefPackedDelta(k, n, 'f32', Float32Array.from(w.subarray(0, k * n)));
  },
  deltaProductI8(w, rows, start, index, delta, acc, ldacc) {
    const W = refPacked(w, 'i8', 'deltaProductI8').data;
    checkDeltaProduct('deltaProductI8', w, rows, start, index, delta, acc, ldacc);
    const n = w.n;
    for (let r = 0; r < rows; r++) {
      const o = r * ldacc;
      for (let p = start[r]!; p < start[r + 1]!; p++) {
        const d = delta[p]!;
        const wo = index[p]! * n;
        for (let j = 0; j < n; j++) acc[o + j] = (acc[o + j]! + d * W[wo + j]!) | 0;
      }
    }
  },
  deltaProductF64(w, rows, start, index, delta, acc, ldacc) {
    const W = refPacked(w, 'f32', 'deltaProductF64').data;
    checkDeltaProduct('deltaProductF64', w, rows, start, index, delta, acc, ldacc);
    const n = w.n;
    for (let r = 0; r < rows; r++) {
      const o = r * ldacc;
      for (let p = start[r]!; p < start[r + 1]!; p++) {
        const d = delta[p]!;
        const wo = index[p]! * n;
        for (let j = 0; j < n; j++) acc[o + j] = acc[o + j]! + d * W[wo + j]!;
      }
    }
  },
  deltaStepI8(w, rows, start, index, delta, slot, acc, out) {
    const W = refPacked(w, 'i8', 'deltaStepI8').data;
    checkDeltaStep('deltaStepI8', w, rows, start, index, delta, slot, acc, out);
    const n = w.n;
    for (let r = 0; r < rows; r++) {
      const a = slot[r]! * n;
      for (let p = start[r]!; p < start[r + 1]!; p++) {
        const d = delta[p]!;
        const wo = index[p]! * n;
        for (let j = 0; j < n; j++) acc[a + j] = (acc[a + j]! + d * W[wo + j]!) | 0;
      }
      refOutput(acc, a, out, out.yRow[r]!, n);
    }
  },
  deltaStepF64(w, rows, start, index, delta, slot, acc, out) {
    const W = refPacked(w, 'f32', 'deltaStepF64').data;
    checkDeltaStep('deltaStepF64', w, rows, start, index, delta, slot, acc, out);
    const n = w.n;
    for (let r = 0; r < rows; r++) {
      const a = slot[r]! * n;
      for (let p = start[r]!; p < start[r + 1]!; p++) {
        const d = delta[p]!;
        const wo = index[p]! * n;
        for (let j = 0; j < n; j++) acc[a + j] = acc[a + j]! + d * W[wo + j]!;
      }
      refOutput(acc, a, out, out.yRow[r]!, n);
    }
  },
};
