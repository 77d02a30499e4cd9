/**
 * The numeric core's one interface. Two backends implement it: `wasm` (WebAssembly SIMD128, the fast
 * one) and `ref` (plain TypeScript loops, the oracle the tests compare against). Everything above this
 * folder (layers, quantizers, training, delta networks) calls these functions and never cares which
 * backend runs.
 *
 * Conventions
 * - Matrices are row-major `Float32Array`s; `A[m x k]` means m rows of k values. A row stride (`lda`,
 *   `ldc`) lets a call read or write a column block of a wider matrix.
 * - B operands of products are weights: packed once (`packF32`, `packI8`) into the backend's own
 *   layout and reused for many products; re-pack only when the weights change (a new quantized variant,
 *   an optimizer step). A packed matrix lives until `dispose()`.
 * - Working arrays come from `f32/i32/i16/i8` inside `scope(fn)`; everything allocated in a scope is
 *   freed when it returns (stack discipline, so a scope must not span an `await`). On the wasm backend
 *   these arrays live inside WebAssembly memory, so kernels use them without copying; any other
 *   Float32Array also works (it is copied in and out), only slower.
 * - `out` may alias the input in element-wise operations.
 *
 * Rounding is the same in both backends: round half to even of the f32 product `x * inv`, where `inv` is
 * an f32 constant. That is what makes the integer path and the fake-quant path agree exactly.
 */

import type { CellKernels } from './cells.js';
import type { DeltaKernels } from './delta.js';

export type BackendName = 'wasm' | 'ref';

export interface PackedF32 {
  /** Rows of B (the shared dimension of the product). */
  readonly k: number;
  /** Columns of B (outputs). */
  readonly n: number;
  dispose(): void;
}

export interface PackedI8 {
  readonly k: number;
  readonly n: number;
  dispose(): void;
}

export interface GemmOptions {
  /** C += A.B instead of C = A.B. @default false */
  accumulate?: boolean;
  /** Length n, added to every row of C. */
  bias?: Float32Array;
  /** Row stride of A. @default k */
  lda?: number;
  /** Row stride of C. @default n */
  ldc?: number;
  /**
   * Round C to 16-bit fixed point with this many fraction bits, after the bias and the accumulation
   * (as `fixedPoint` does): the quantized recurrence's gate pre-activations, in the same pass.
   */
  fixedFrac?: number;
}

/** Symmetric integer quantization of one tensor: codes = clamp(round(x * inv), -2^(bits-1), 2^(bits-1) - 1). */
export interface QuantParams {
  /** 2..8 for integer codes. */
  bits: number;
  /** Clip (the largest magnitude represented); inv = (2^(bits-1) - 1) / clip, step = 1 / inv. */
  clip: number;
}

export interface Kernels extends CellKernels, DeltaKernels {
  readonly name: BackendName;

  // ---- memory -------------------------------------------------------------------------------------
  /** Runs fn; every array allocated inside is released when it returns. Must not span an await. */
  scope<T>(fn: () => T): T;
  /** Working arrays, zeroed unless `zero` is false (for arrays a kernel overwrites whole); only inside a scope. */
  f32(n: number, zero?: boolean): Float32Array;
  i32(n: number, zero?: boolean): Int32Array;
  i16(n: number, zero?: boolean): Int16Array;
  i8(n: number, zero?: boolean): Int8Array;

  // ---- products -----------------------------------------------------------------------------------
  /** Packs B [k x n] (or, with transpose, packs the [k x n] matrix B^T from b given as [n x k]). */
  packF32(b: Float32Array, k: number, n: number, transpose?: boolean): PackedF32;
  /** C[m x n] (+)= A[m x k] . B (+ bias). */
  gemmF32(a: Float32Array, m: number, k: number, b: PackedF32, c: Float32Array, opts?: GemmOptions): void;
  /** C[k x n] (+)= A^T . B for A [m x k] and B [m x n], both row-major (weight gradients: dW = X^T dY). */
  gemmAtB(a: Float32Array, m: number, k: number, b: Float32Array, n: number, c: Float32Array, accumulate?: boolean): void;
  /** Packs integer B [k x n] whose values fit in 8 bits. */
  packI8(b: Int8Array, k: number, n: number): PackedI8;
  /** C[m x n] (+)= A[m x k] . B with i32 accumulation (integers of <= 8 bits; exact). `lda`/`ldc` as in GemmOptions. */
  gemmI8(a: Int8Array, m: number, k: number, b: PackedI8, c: Int32Array, opts?: { accumulate?: boolean; lda?: number; ldc?: number }): void;

  // ---- quantization -------------------------------------------------------------------------------
  /** Integer codes of x[0..n) (see QuantParams). */
  quantize(x: Float32Array, out: Int8Array, n: number, q: QuantParams): void;
  /** out = codes(x) * step: x quantized and brought back to floats (bits 2..16). */
  fakeQuant(x: Float32Array, out: Float32Array, n: number, q: QuantParams): void;
  /** Fixed point with `fracBits` fraction bits in a 16-bit word: clamp(round(x * 2^f), -32768, 32767) / 2^f. */
  fixedPoint(x: Float32Array, out: Float32Array, n: number, fracBits: number): void;

  // ---- element-wise -------------------------------------------------------------------------------
  sigmoid(x: Float32Array, out: Float32Array, n: number): void;
  tanh(x: Float32Array, out: Float32Array, n: number): void;
  relu(x: Float32Array, out: Float32Array, n: number): void;
  /** Row-wise softmax of x [rows x cols]. */
  softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Row-wise log-softmax of x [rows x cols]. */
  logSoftmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;

  // ---- decoding -----------------------------------------------------------------------------------
  /**
   * The forward pass of Viterbi over a phone loop (one state per phone), in float64. logPost: (T, P) log
   * posteriors; bigram: (P, P) log P(q | p) at row p; initial: (P,) log probabilities of the first
   * phone; logPriors: (P,) subtracted from the log posteriors, or null. Frame t, phone q scores
   * acousticScale * (logPost - logPrior); entering a phone costs bigram - insertionPenalty; staying is
   * free and wins ties; among entries the smallest predecessor wins ties. Writes back: (T, P) the
   * predecessor phone (-1 at t = 0), entered: (T, P) 1 where a new phone starts, last: (P,) the final
   * path scores.
   */
  viterbiForward(logPost: Float32Array, T: number, P: number, bigram: Float64Array, initial: Float64Array, logPriors: Float64Array | null, acousticScale: number, insertionPenalty: number, back: Int32Array, entered: Uint8Array, last: Float64Array): void;
}
