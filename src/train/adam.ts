/**
 * Adam (Kingma and Ba) over a parameter slab, as torch.optim.Adam computes it (the optimizer of the
 * pytorch-kaldi SRU recipe: lr 1e-3, betas 0.9 / 0.999, eps 1e-8, weight decay 1e-7 added to the
 * gradient as L2), and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
 *
 * Only trainable entries of the layout move (BatchNorm running statistics are the forward pass's
 * business). Moments are slabs of the same layout, so a checkpoint stores them as they are. Every
 * element is updated in float64 and rounded once to float32: the same inputs give the same bits.
 */
import { invalidParameter } from '../util/errors.js';
import type { ParamLayout } from '../nn/params.js';

export interface AdamOptions {
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** @default 1e-8 */
  eps?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam's weight_decay). @default 0 */
  weightDecay?: number;
}

/** What a checkpoint needs to continue an optimizer exactly. */
export interface AdamState {
  step: number;
  /** First moments (layout order). */
  m: Float32Array;
  /** Second moments (layout order). */
  v: Float32Array;
}

/** [start, end) slab ranges of the trainable tensors, merged where adjacent. */
export function trainableRanges(layout: ParamLayout): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const e of layout.entries) {
    if (!e.trainable || e.size === 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === e.offset) last[1] = e.offset + e.size;
    else ranges.push([e.offset, e.offset + e.size]);
  }
  return ranges;
}

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly state: AdamState;
  private readonly ranges: Array<[number, number]>;

  constructor(
    readonly layout: ParamLayout,
    opts: AdamOptions = {},
    state?: AdamState,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.beta1 >= 0 && this.beta1 < 1)) throw invalidParameter('adam beta1', 'a number in [0, 1)', this.beta1);
    if (!(this.beta2 >= 0 && this.beta2 < 1)) throw invalidParameter('adam beta2', 'a number in [0, 1)', this.beta2);
    if (!(this.eps > 0)) throw invalidParameter('adam eps', 'a number > 0', this.eps);
    if (!(this.weightDecay >= 0)) throw invalidParameter('weight decay', 'a number >= 0', this.weightDecay);
    if (state && (state.m.length !== layout.total || state.v.length !== layout.total)) {
      throw invalidParameter('adam state', `moments of ${layout.total} values (the model's layout)`, state.m);
    }
    this.state = state ?? { step: 0, m: layout.zeros(), v: layout.zeros() };
    this.ranges = trainableRanges(layout);
  }

  /** One update of `params` from `grads` (both in layout order) at learning rate `lr`. */
  step(params: Float32Array, grads: Float32Array, lr: number): void {
    if (params.length !== this.layout.total || grads.length !== this.layout.total) {
      throw invalidParameter('params and grads', `slabs of ${this.layout.total} values`, grads);
    }
    if (!(lr >= 0 && Number.isFinite(lr))) throw invalidParameter('learning rate', 'a finite number >= 0', lr);
    const s = this.state;
    s.step++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    const c1 = 1 - b1 ** s.step;
    const sqrtC2 = Math.sqrt(1 - b2 ** s.step);
    // torch: p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
    const stepSize = lr / c1;
    const { m, v } = s;
    for (const [start, end] of this.ranges) {
      for (let i = start; i < end; i++) {
        const p = params[i]!;
        const g = wd > 0 ? grads[i]! + wd * p : grads[i]!;
        const mi = b1 * m[i]! + (1 - b1) * g;
        const vi = b2 * v[i]! + (1 - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
      }
    }
  }
}

/** L2 norm of the trainable part of a gradient slab. */
export function gradientNorm(layout: ParamLayout, grads: Float32Array): number {
  let sum = 0;
  for (const [start, end] of trainableRanges(layout)) for (let i = start; i < end; i++) sum += grads[i]! * grads[i]!;
  return Math.sqrt(sum);
}

/**
 * Scales the gradient so that its norm is at most `maxNorm` (as clip_grad_norm_: factor
 * maxNorm / (norm + 1e-6) when larger). Returns the norm before clipping. A non-finite norm is an error:
 * the step would destroy the weights.
 */
export function clipGradientNorm(layout: ParamLayout, grads: Float32Array, maxNorm: number): number {
  const norm = gradientNorm(layout, grads);
  if (!Number.isFinite(norm)) throw invalidParameter('gradient norm', 'a finite number (the loss diverged; lower the learning rate)', norm);
  if (maxNorm > 0 && norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    for (const [start, end] of trainableRanges(layout)) for (let i = start; i < end; i++) grads[i]! *= f;
  }
  return norm;
}
