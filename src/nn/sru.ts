/**
 * SRU layer (asappresearch/sru v2 semantics), forward and backward.
 *
 * One GEMM over all T*B frames computes every gate input of both directions (`L{k}`, after the optional
 * projection `L{k}.proj`); there is no recurrent matrix, so the recurrence of each direction is one
 * element-wise kernel call over the whole sequence (src/kernels/cells.ts `sruForward`):
 *   [x~, f~, r~, (x')] = x W,  f = sigmoid(f~ + v_f c' + b_f),  r = sigmoid(r~ + v_r c' + b_r),
 *   c = f c' + (1 - f) x~,     h = r c + (1 - r) (alpha x or x')
 * with x' (a 4th matrix block) when the layer's input and output sizes differ, alpha = sqrt(1 + 2 e^b)
 * (rescale, b = highwayBias) otherwise. Dropout (training) multiplies the gated term, as sru does.
 */
import { sruAlpha } from './arch.js';
import type { ResolvedLayer } from './arch.js';
import { accumulateWeightGrad, dropoutMasks, gradView, paramVector } from './layer.js';
import type { PassContext } from './layer.js';

export interface SruLayerCache {
  readonly layer: ResolvedLayer;
  /** Layer input (rows x D). */
  readonly x: Float32Array;
  readonly out: Float32Array;
  /** Operand of the projection as multiplied (x or the hook's copy). */
  readonly xEff: Float32Array | null;
  /** Projection output (rows x P). */
  readonly proj: Float32Array | null;
  /** Operand of the gate matrix as multiplied, (rows x P or D). */
  readonly uOperand: Float32Array;
  /** Gate products (rows x directions*K*H), with activated f, r after the forward. */
  readonly u: Float32Array;
  /** Cell states (directions x rows x H). */
  readonly c: Float32Array;
  readonly v: Float32Array;
  readonly drop: Float32Array | null;
}

/** Forward of an SRU layer: x (T*B x D) -> out (T*B x directions*H). */
export function sruForward(ctx: PassContext, l: ResolvedLayer, x: Float32Array, out: Float32Array): SruLayerCache | null {
  const { k, model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const rows = T * B;
  const H = l.hidden;
  const K = l.inputGates;
  const D = l.inputSize;
  const cols = l.directions * K * H;
  const sites = model.sites.layers[l.index]!;
  const keep = ctx.keep;
  const seqCall = { model, rows, T, B, lengths, t: -1, step: -1, train: keep, accumulate: false, bias: null };

  let operand = x;
  let xEff: Float32Array | null = null;
  let proj: Float32Array | null = null;
  if (sites.proj) {
    const P = sites.proj.n;
    proj = k.f32(rows * P, false); // every product output is written whole
    xEff = hook.product(sites.proj, { ...seqCall, x, lda: D, y: proj, ldy: P }) ?? x;
    operand = proj;
  }
  const u = k.f32(rows * cols, false);
  const uOperand = hook.product(sites.input[0]!, { ...seqCall, x: operand, lda: sites.input[0]!.k, y: u, ldy: cols }) ?? operand;

  const c = k.f32(l.directions * rows * H, false); // sruForward writes every row, padding included
  const v = paramVector(ctx, `L${l.index}.v`);
  const bias = paramVector(ctx, `L${l.index}.b`);
  const drop = dropoutMasks(ctx, l.dropout, l.directions, H);
  const skipX = K === 3 && l.skipTerm;
  const alpha = sruAlpha(l);
  for (let d = 0; d < l.directions; d++) {
    const fx = hook.recurrence ? hook.recurrence(sites.recurrence[d]!, model) : null;
    k.sruForward(
      u.subarray(d * K * H), cols, K,
      skipX ? x.subarray(d * H) : null, D, alpha,
      v.subarray(d * 2 * H, (d + 1) * 2 * H), bias.subarray(d * 2 * H, (d + 1) * 2 * H),
      c.subarray(d * rows * H), out.subarray(d * H), l.outputSize,
      T, B, H, lengths, d === 1,
      drop ? drop.subarray(d * B * H, (d + 1) * B * H) : null, fx,
    );
  }
  return keep ? { layer: l, x, out, xEff, proj, uOperand, u, c, v, drop } : null;
}

/** Backward of an SRU layer; dX (rows x D), when given, receives the input gradient (overwritten). */
export function sruBackward(ctx: PassContext, cache: SruLayerCache, dOut: Float32Array, dX: Float32Array | null): void {
  const { k, model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const l = cache.layer;
  const rows = T * B;
  const H = l.hidden;
  const K = l.inputGates;
  const D = l.inputSize;
  const cols = l.directions * K * H;
  const sites = model.sites.layers[l.index]!;
  const skipX = K === 3 && l.skipTerm;
  const alpha = sruAlpha(l);
  const u = cache.u;
  const dv = gradView(ctx, `L${l.index}.v`);
  const db = gradView(ctx, `L${l.index}.b`);
  const dc = k.f32(B * H);
  dX?.fill(0);
  for (let d = 0; d < l.directions; d++) {
    k.sruBackward(
      u.subarray(d * K * H), cols, K,
      skipX ? cache.x.subarray(d * H) : null, D, alpha,
      cache.v.subarray(d * 2 * H, (d + 1) * 2 * H), cache.c.subarray(d * rows * H),
      dOut.subarray(d * H), l.outputSize,
      skipX && dX ? dX.subarray(d * H) : null, D,
      dv.subarray(d * 2 * H, (d + 1) * 2 * H), db.subarray(d * 2 * H, (d + 1) * 2 * H),
      T, B, H, lengths, d === 1,
      cache.drop ? cache.drop.subarray(d * B * H, (d + 1) * B * H) : null, dc,
    );
  }
  // u now holds the gradient of the gate products
  const site = sites.input[0]!;
  accumulateWeightGrad(k, cache.uOperand, rows, site.k, u, cols, cols, gradView(ctx, site.tensor), cols, 0);
  if (sites.proj) {
    const P = sites.proj.n;
    const dP = k.f32(rows * P);
    hook.productBackward(site, { model, dy: u, ldy: cols, rows, dx: dP, ldx: P, accumulate: false });
    accumulateWeightGrad(k, cache.xEff!, rows, D, dP, P, P, gradView(ctx, sites.proj.tensor), P, 0);
    if (dX) hook.productBackward(sites.proj, { model, dy: dP, ldy: P, rows, dx: dX, ldx: D, accumulate: true });
  } else if (dX) {
    hook.productBackward(site, { model, dy: u, ldy: cols, rows, dx: dX, ldx: D, accumulate: true });
  }
}
