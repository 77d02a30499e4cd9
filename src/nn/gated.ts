/**
 * LSTM, GRU and LiGRU layers (uni- or bidirectional), forward and backward (BPTT).
 *
 * Per direction: one GEMM over all T*B frames for the input products (`L{k}`, plus bias or BatchNorm),
 * then per time step one small GEMM over the batch for the recurrent product (`L{k}.U`, accumulated
 * into that step's gate rows) and one fused cell kernel (src/kernels/cells.ts). The backward direction
 * runs t = T-1 .. 0; padded frames hold the state and output zero, so each utterance's backward
 * direction starts at its own last frame.
 *
 * The recurrent operand of step t is the layer output row of the previous step (zero at padding,
 * which is exactly the initial state of the backward direction), so the output buffer doubles as the
 * hidden-state history.
 */
import type { ResolvedLayer } from './arch.js';
import { batchNormBackward, batchNormForward } from './batchnorm.js';
import type { BatchNormState } from './batchnorm.js';
import { accumulateColumnSums, accumulateWeightGrad, copyRows, dropoutMasks, gradView, paramVector } from './layer.js';
import type { PassContext } from './layer.js';
import { DIRECTION_NAMES } from './sites.js';

interface DirectionCache {
  /** Operand of the input product as multiplied (x or the hook's quantized copy), [rows x D]. */
  xEff: Float32Array;
  /** Gate activations (rows x G*H); the backward turns them into pre-activation gradients. */
  g: Float32Array;
  /** LSTM cell states (rows x H). */
  c: Float32Array | null;
  /** GRU PyTorch convention: U h + b_h per step (rows x 3H). */
  gh: Float32Array | null;
  /** Recurrent operands as multiplied (rows x H): h_{t-1}, and r*h_{t-1} for the pytorch-kaldi GRU. */
  hOp: Float32Array;
  rhOp: Float32Array | null;
  bn: BatchNormState | null;
  gamma: Float32Array | null;
  drop: Float32Array | null;
}

export interface GatedLayerCache {
  readonly layer: ResolvedLayer;
  /** Layer input (rows x D). */
  readonly x: Float32Array;
  /** Layer output (rows x directions*H). */
  readonly out: Float32Array;
  readonly dirs: DirectionCache[];
}

/** Forward of a gated layer: x (T*B x D) -> out (T*B x directions*H). Returns what the backward needs when ctx.keep. */
export function gatedForward(ctx: PassContext, l: ResolvedLayer, x: Float32Array, out: Float32Array): GatedLayerCache | null {
  const { k, model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const rows = T * B;
  const H = l.hidden;
  const G = l.inputGates * H;
  const D = l.inputSize;
  const ldo = l.outputSize;
  const sites = model.sites.layers[l.index]!;
  const cell = l.type;
  const torchGru = cell === 'gru' && l.gru === 'torch';
  const kaldiGru = cell === 'gru' && l.gru === 'kaldi';
  const masks = dropoutMasks(ctx, l.dropout, l.directions, H);
  const zeroH = k.f32(B * H);
  const dirs: DirectionCache[] = [];
  // inference reuses one set of buffers for both directions
  let shared: { g: Float32Array; c: Float32Array | null; gh: Float32Array | null; rh: Float32Array | null } | null = null;

  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const keep = ctx.keep;
    if (!shared || keep) {
      shared = {
        g: k.f32(rows * G),
        c: cell === 'lstm' ? k.f32(rows * H) : null,
        gh: torchGru ? k.f32((keep ? rows : B) * G) : null,
        rh: kaldiGru ? k.f32((keep ? rows : B) * H) : null,
      };
    }
    const { g, c, gh, rh } = shared;
    const hOp = keep ? k.f32(rows * H) : zeroH;
    const drop = masks ? masks.subarray(d * B * H, (d + 1) * B * H) : null;

    // input products of all frames: g = x W (+ b)
    const bias = l.batchNorm ? null : paramVector(ctx, `${p}.b`);
    const xEff = hook.product(sites.input[d]!, { model, x, lda: D, rows, y: g, ldy: G, accumulate: false, bias, T, B, lengths, t: -1, step: -1, train: keep }) ?? x;
    let bn: BatchNormState | null = null;
    let gamma: Float32Array | null = null;
    if (l.batchNorm) {
      gamma = paramVector(ctx, `${p}.bn.gamma`);
      const params = { gamma, beta: paramVector(ctx, `${p}.bn.beta`), mean: paramVector(ctx, `${p}.bn.mean`), var: paramVector(ctx, `${p}.bn.var`) };
      const running = ctx.train?.updateStatistics ? { mean: model.layout.view(model.params, `${p}.bn.mean`), var: model.layout.view(model.params, `${p}.bn.var`) } : null;
      bn = batchNormForward(g, G, T, B, lengths, params, ctx.train !== null, running, keep ? k.f32(rows * G) : null);
    }

    const fx = hook.recurrence ? hook.recurrence(sites.recurrence[d]!, model) : null;
    const [uSite, unSite] = sites.recurrent[d]!;
    const bh = torchGru ? paramVector(ctx, `${p}.bh`) : null;
    for (let s = 0; s < T; s++) {
      const t = d === 1 ? T - 1 - s : s;
      const tp = s === 0 ? -1 : d === 1 ? t + 1 : t - 1;
      const hPrev = tp < 0 ? null : out.subarray(tp * B * ldo + d * H);
      const op = hPrev ?? zeroH;
      const ldop = hPrev ? ldo : H;
      const gt = g.subarray(t * B * G);
      const h = out.subarray(t * B * ldo + d * H);
      const step = { model, rows: B, T, B, lengths, t, step: s, train: keep };
      if (torchGru) {
        const ght = keep ? gh!.subarray(t * B * G) : gh!;
        const e = hook.product(uSite!, { ...step, x: op, lda: ldop, y: ght, ldy: G, accumulate: false, bias: bh });
        if (keep) copyRows(e ?? op, e ? H : ldop, hOp.subarray(t * B * H), B, H);
        k.gruStep(gt, ght, hPrev, ldo, h, ldo, B, H, lengths, t, drop, fx);
        continue;
      }
      const e = hook.product(uSite!, { ...step, x: op, lda: ldop, y: gt, ldy: G, accumulate: true, bias: null });
      if (keep) copyRows(e ?? op, e ? H : ldop, hOp.subarray(t * B * H), B, H);
      if (cell === 'lstm') {
        k.lstmStep(gt, tp < 0 ? null : c!.subarray(tp * B * H), c!.subarray(t * B * H), h, ldo, B, H, lengths, t, drop, fx);
      } else if (cell === 'ligru') {
        k.ligruStep(gt, hPrev, ldo, h, ldo, B, H, lengths, t, drop, fx);
      } else {
        // pytorch-kaldi GRU: r, z first, then the candidate's product on r*h
        const rht = keep ? rh!.subarray(t * B * H) : rh!;
        k.gruGatesStep(gt, hPrev, ldo, rht, B, H, lengths, t, fx);
        const e2 = hook.product(unSite!, { ...step, x: rht, lda: H, y: gt.subarray(2 * H), ldy: G, accumulate: true, bias: null });
        if (keep && e2) rht.set(e2.subarray(0, B * H));
        k.gruStep(gt, null, hPrev, ldo, h, ldo, B, H, lengths, t, drop, fx);
      }
    }
    if (keep) dirs.push({ xEff, g, c, gh, hOp, rhOp: rh, bn, gamma, drop });
  }
  return ctx.keep ? { layer: l, x, out, dirs } : null;
}

/**
 * Backward of a gated layer. dOut (rows x directions*H) is the gradient of the output; it is used as
 * scratch (recurrent contributions are added into it). dX (rows x D), when given, receives the input
 * gradient (overwritten). Parameter gradients accumulate into ctx.grads.
 */
export function gatedBackward(ctx: PassContext, cache: GatedLayerCache, dOut: Float32Array, dX: Float32Array | null): void {
  const { k, model, hook, seq } = ctx;
  const { T, B, lengths } = seq;
  const l = cache.layer;
  const rows = T * B;
  const H = l.hidden;
  const G = l.inputGates * H;
  const D = l.inputSize;
  const ldo = l.outputSize;
  const sites = model.sites.layers[l.index]!;
  const cell = l.type;
  const torchGru = cell === 'gru' && l.gru === 'torch';
  const kaldiGru = cell === 'gru' && l.gru === 'kaldi';
  const out = cache.out;
  const dc = cell === 'lstm' ? k.f32(B * H) : null;
  const drh = kaldiGru ? k.f32(B * H) : null;

  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const dir = cache.dirs[d]!;
    const { g, c, gh, drop } = dir;
    const [uSite, unSite] = sites.recurrent[d]!;
    dc?.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const t = d === 1 ? T - 1 - s : s;
      const tp = s === 0 ? -1 : d === 1 ? t + 1 : t - 1;
      const hPrev = tp < 0 ? null : out.subarray(tp * B * ldo + d * H);
      const dhPrev = tp < 0 ? null : dOut.subarray(tp * B * ldo + d * H);
      const gt = g.subarray(t * B * G);
      const dh = dOut.subarray(t * B * ldo + d * H);
      const back = { model, rows: B, ldx: ldo, accumulate: true };
      if (cell === 'lstm') {
        k.lstmStepBackward(gt, tp < 0 ? null : c!.subarray(tp * B * H), c!.subarray(t * B * H), dh, ldo, dc!, B, H, lengths, t, drop);
        if (dhPrev) hook.productBackward(uSite!, { ...back, dy: gt, ldy: G, dx: dhPrev });
      } else if (cell === 'ligru') {
        k.ligruStepBackward(gt, hPrev, ldo, dh, ldo, dhPrev, ldo, B, H, lengths, t, drop);
        if (dhPrev) hook.productBackward(uSite!, { ...back, dy: gt, ldy: G, dx: dhPrev });
      } else if (torchGru) {
        const ght = gh!.subarray(t * B * G);
        k.gruStepBackward(gt, ght, hPrev, ldo, dh, ldo, dhPrev, ldo, B, H, lengths, t, drop);
        if (dhPrev) hook.productBackward(uSite!, { ...back, dy: ght, ldy: G, dx: dhPrev });
      } else {
        k.gruStepBackward(gt, null, hPrev, ldo, dh, ldo, dhPrev, ldo, B, H, lengths, t, drop);
        if (dhPrev) hook.productBackward(unSite!, { model, rows: B, dy: gt.subarray(2 * H), ldy: G, dx: drh!, ldx: H, accumulate: false });
        else drh!.fill(0);
        k.gruResetBackward(gt, drh!, hPrev, ldo, dhPrev, ldo, B, H, lengths, t);
        if (dhPrev) hook.productBackward(uSite!, { ...back, dy: gt, ldy: G, dx: dhPrev });
      }
    }

    // recurrent weights: one product over all steps with the kept operands
    const dU = gradView(ctx, `${p}.U`);
    if (torchGru) {
      accumulateWeightGrad(k, dir.hOp, rows, H, gh!, G, G, dU, G, 0);
      accumulateColumnSums(gh!, rows, G, G, gradView(ctx, `${p}.bh`));
    } else if (kaldiGru) {
      accumulateWeightGrad(k, dir.hOp, rows, H, g, G, 2 * H, dU, G, 0);
      accumulateWeightGrad(k, dir.rhOp!, rows, H, g.subarray(2 * H), G, H, dU, G, 2 * H);
    } else {
      accumulateWeightGrad(k, dir.hOp, rows, H, g, G, G, dU, G, 0);
    }

    // input side: g holds the gradient of the input products (after BatchNorm)
    if (dir.bn) batchNormBackward(g, G, T, B, lengths, dir.gamma!, dir.bn, gradView(ctx, `${p}.bn.gamma`), gradView(ctx, `${p}.bn.beta`));
    else accumulateColumnSums(g, rows, G, G, gradView(ctx, `${p}.b`));
    accumulateWeightGrad(k, dir.xEff, rows, D, g, G, G, gradView(ctx, `${p}.W`), G, 0);
    if (dX) hook.productBackward(sites.input[d]!, { model, dy: g, ldy: G, rows, dx: dX, ldx: D, accumulate: d > 0 });
  }
}
