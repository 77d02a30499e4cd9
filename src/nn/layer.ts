/**
 * What every layer's forward and backward share: the pass context, the helpers around the hook
 * (parameter vectors, weight gradients from kept operands), dropout masks.
 */
import type { Kernels } from '../kernels/types.js';
import type { Rng } from '../util/rng.js';
import type { QuantHook } from './hook.js';
import type { Model } from './model.js';

/** Time-major batch shape: row t*B + b is frame t of utterance b; frames t >= lengths[b] are padding. */
export interface SequenceShape {
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array;
}

export interface PassContext {
  readonly k: Kernels;
  readonly model: Model;
  readonly hook: QuantHook;
  readonly seq: SequenceShape;
  /** Training mode: dropout masks and BatchNorm batch statistics. */
  readonly train: { readonly rng: Rng; readonly dropout: number | undefined; readonly updateStatistics: boolean } | null;
  /** A backward pass follows: keep what it needs (in the caller's kernel scope). */
  readonly keep: boolean;
  /** Gradients accumulate here (backward only). */
  readonly grads: Float32Array | null;
}

/** A non-matrix parameter as the forward uses it (the hook may round it to fixed point). */
export function paramVector(ctx: PassContext, name: string): Float32Array {
  const raw = ctx.model.layout.view(ctx.model.params, name);
  return ctx.hook.vector ? ctx.hook.vector(name, raw, ctx.model) : raw;
}

export function gradView(ctx: PassContext, name: string): Float32Array {
  return ctx.model.layout.view(ctx.grads!, name);
}

/**
 * dW[:, colStart:colStart+n] += a^T . dy for a [rows x k] (contiguous) and dy [rows x n] (row stride
 * ldy); dW is the tensor's gradient view [k x cols].
 */
export function accumulateWeightGrad(k: Kernels, a: Float32Array, rows: number, kk: number, dy: Float32Array, ldy: number, n: number, dW: Float32Array, cols: number, colStart: number): void {
  if (ldy === n && n === cols && colStart === 0) {
    k.gemmAtB(a, rows, kk, dy, n, dW, true);
    return;
  }
  k.scope(() => {
    let b = dy;
    if (ldy !== n) {
      b = k.f32(rows * n);
      for (let r = 0; r < rows; r++) b.set(dy.subarray(r * ldy, r * ldy + n), r * n);
    }
    const tmp = k.f32(kk * n);
    k.gemmAtB(a, rows, kk, b, n, tmp, false);
    for (let i = 0; i < kk; i++) {
      const o = i * cols + colStart;
      for (let j = 0; j < n; j++) dW[o + j]! += tmp[i * n + j]!;
    }
  });
}

/** out[j] += sum over rows of y[r*ldy + j] (bias gradients; padding rows of y are zero). */
export function accumulateColumnSums(y: Float32Array, rows: number, n: number, ldy: number, out: Float32Array): void {
  const acc = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const o = r * ldy;
    for (let j = 0; j < n; j++) acc[j]! += y[o + j]!;
  }
  for (let j = 0; j < n; j++) out[j]! += acc[j]!;
}

/** Copies `rows` rows of `cols` values from a strided source into a contiguous destination. */
export function copyRows(src: Float32Array, lds: number, dst: Float32Array, rows: number, cols: number): void {
  if (lds === cols) {
    dst.set(src.subarray(0, rows * cols));
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * lds, r * lds + cols), r * cols);
}

/**
 * Dropout masks of a layer in training: (directions x B x H) values 0 or 1/(1-p), constant over time
 * (as pytorch-kaldi and sru draw them), from the training stream; null when no dropout applies.
 */
export function dropoutMasks(ctx: PassContext, rate: number, directions: number, H: number): Float32Array | null {
  const p = ctx.train ? ctx.train.dropout ?? rate : 0;
  if (!ctx.train || !(p > 0)) return null;
  const m = ctx.k.f32(directions * ctx.seq.B * H);
  const keepScale = 1 / (1 - p);
  const rng = ctx.train.rng;
  for (let i = 0; i < m.length; i++) m[i] = rng.float() < p ? 0 : keepScale;
  return m;
}
