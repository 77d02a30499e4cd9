/**
 * The output layer (`FC`): logits = x W + b over all T*B frames, one GEMM. Logits of padding frames are
 * zero, and their gradients are ignored.
 */
import { accumulateColumnSums, accumulateWeightGrad, gradView, paramVector } from './layer.js';
import type { PassContext } from './layer.js';

export interface LinearCache {
  /** Operand as multiplied (x or the hook's copy), rows x in. */
  readonly xEff: Float32Array;
}

/** logits (rows x out) = x (rows x in) . FC.W + FC.b; padding rows zero. */
export function linearForward(ctx: PassContext, x: Float32Array, logits: Float32Array): LinearCache | null {
  const { model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const site = model.sites.fc;
  const n = site.n;
  const xEff = hook.product(site, { model, x, lda: site.k, rows: T * B, y: logits, ldy: n, accumulate: false, bias: paramVector(ctx, 'FC.b'), T, B, lengths, t: -1, step: -1, train: ctx.keep }) ?? x;
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lengths[b]!) logits.fill(0, (t * B + b) * n, (t * B + b + 1) * n);
  return ctx.keep ? { xEff } : null;
}

/** Accumulates FC.W, FC.b gradients; dX (rows x in), when given, receives the input gradient. dLogits is left with zero padding rows. */
export function linearBackward(ctx: PassContext, cache: LinearCache, dLogits: Float32Array, dX: Float32Array | null): void {
  const { k, model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const site = model.sites.fc;
  const n = site.n;
  const rows = T * B;
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t >= lengths[b]!) dLogits.fill(0, (t * B + b) * n, (t * B + b + 1) * n);
  accumulateColumnSums(dLogits, rows, n, n, gradView(ctx, 'FC.b'));
  accumulateWeightGrad(k, cache.xEff, rows, site.k, dLogits, n, n, gradView(ctx, 'FC.W'), n, 0);
  if (dX) hook.productBackward(site, { model, dy: dLogits, ldy: n, rows, dx: dX, ldx: site.k, accumulate: false });
}
