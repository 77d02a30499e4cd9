/**
 * Forward and backward passes of a whole model over a batch of utterances.
 *
 * Batches are time-major: x (T, B, D) flat, row t*B + b is frame t of utterance b, frames t >= lengths[b]
 * are padding (zero). Padding never changes results: every utterance of a batch gets exactly the
 * logits it gets alone (with BatchNorm in inference mode), and logits of padding frames are zero.
 *
 * Memory: layers work in arrays from the kernels' scope stack (WASM memory, no copies). Without a
 * cache, `forward` opens its own scope and returns the logits in a plain Float32Array. With a cache,
 * everything the backward pass needs (and the returned logits) lives in the caller's scope, so call
 * both inside one:
 *
 *   k.scope(() => {
 *     const cache = new ForwardCache();
 *     const logits = forward(model, batch, { train: { rng }, cache });
 *     const { dLogits } = maskedCrossEntropy(logits, labels, batch, model.arch.output);
 *     backward(model, cache, dLogits, { grads });   // grads += d loss / d parameters
 *   });
 */
import { kernels } from '../kernels/backend.js';
import { invalidParameter } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { gatedBackward, gatedForward } from './gated.js';
import type { GatedLayerCache } from './gated.js';
import { fp32Hook } from './hook.js';
import type { QuantHook } from './hook.js';
import type { PassContext, SequenceShape } from './layer.js';
import { linearBackward, linearForward } from './linear.js';
import type { LinearCache } from './linear.js';
import type { Model } from './model.js';
import { sruBackward, sruForward } from './sru.js';
import type { SruLayerCache } from './sru.js';

/** A batch of utterances, time-major: x is (T, B, D) flat, padding frames zero. */
export interface SequenceBatch extends SequenceShape {
  readonly x: Float32Array;
}

export interface TrainOptions {
  /** Dropout masks are drawn from this stream. */
  rng: Rng;
  /** Dropout rate for every layer, overriding the architecture's per-layer rates (0 disables dropout). */
  dropout?: number;
  /** Update the BatchNorm running statistics. @default true */
  updateStatistics?: boolean;
}

export interface ForwardOptions {
  /** How products are computed (quantization, calibration, delta networks). @default fp32Hook */
  hook?: QuantHook;
  /** Training mode: dropout, BatchNorm batch statistics. Omitted: inference. */
  train?: TrainOptions;
  /** Keep what `backward` needs (call inside a kernels scope; see the module comment). */
  cache?: ForwardCache;
}

type LayerCache = { kind: 'sru'; cache: SruLayerCache } | { kind: 'gated'; cache: GatedLayerCache };

/** What a forward pass keeps for its backward pass. */
export class ForwardCache {
  /** @internal */
  state: { ctx: PassContext; layers: LayerCache[]; fc: LinearCache; input: Float32Array } | null = null;
}

export interface BackwardOptions {
  /** Gradient slab (model.layout) to accumulate into; a new zeroed one when omitted. */
  grads?: Float32Array;
  /** Receives the gradient of the input features batch.x (T*B x D), overwritten; not computed when omitted. */
  dx?: Float32Array;
}

export function checkBatch(model: Model, batch: SequenceBatch): void {
  const { T, B, lengths, x } = batch;
  const D = model.arch.input;
  if (!Number.isInteger(T) || T < 0) throw invalidParameter('batch T', 'a non-negative integer', T);
  if (!Number.isInteger(B) || B < 0) throw invalidParameter('batch B', 'a non-negative integer', B);
  if (x.length !== T * B * D) throw invalidParameter('batch x', `${T} x ${B} x ${D} = ${T * B * D} values (T x B x features)`, x);
  if (lengths.length !== B) throw invalidParameter('batch lengths', `${B} lengths`, lengths);
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!;
    if (!(n >= 0 && n <= T)) throw invalidParameter(`batch lengths[${b}]`, `a length in 0..${T}`, n);
  }
}

/** Logits (T*B x output, time-major) of a batch. */
export function forward(model: Model, batch: SequenceBatch, opts: ForwardOptions = {}): Float32Array {
  checkBatch(model, batch);
  const k = kernels();
  const train = opts.train;
  if (train?.dropout !== undefined && !(train.dropout >= 0 && train.dropout < 1)) throw invalidParameter('train.dropout', 'a rate in [0, 1)', train.dropout);
  const ctx: PassContext = {
    k,
    model,
    hook: opts.hook ?? fp32Hook,
    seq: { T: batch.T, B: batch.B, lengths: batch.lengths },
    train: train ? { rng: train.rng, dropout: train.dropout, updateStatistics: train.updateStatistics ?? true } : null,
    keep: opts.cache !== undefined,
    grads: null,
  };
  const rows = batch.T * batch.B;
  const info = { T: batch.T, B: batch.B, lengths: batch.lengths, train: train !== undefined };
  ctx.hook.beginBatch?.(model, info);
  try {
    if (opts.cache) {
      const layers: LayerCache[] = [];
      let x = batch.x;
      for (const l of model.arch.layers) {
        const out = k.f32(rows * l.outputSize);
        if (l.type === 'sru') layers.push({ kind: 'sru', cache: sruForward(ctx, l, x, out)! });
        else layers.push({ kind: 'gated', cache: gatedForward(ctx, l, x, out)! });
        x = out;
      }
      const logits = k.f32(rows * model.arch.output);
      const fc = linearForward(ctx, x, logits)!;
      opts.cache.state = { ctx, layers, fc, input: batch.x };
      return logits;
    }
    return k.scope(() => {
      let x = batch.x;
      for (const l of model.arch.layers) {
        const out = k.f32(rows * l.outputSize);
        const input = x;
        k.scope(() => (l.type === 'sru' ? sruForward(ctx, l, input, out) : gatedForward(ctx, l, input, out)));
        x = out;
      }
      const logits = k.f32(rows * model.arch.output);
      linearForward(ctx, x, logits);
      return Float32Array.from(logits);
    });
  } finally {
    ctx.hook.endBatch?.(model);
  }
}

/**
 * Backward pass (BPTT) from the gradient of the logits (T*B x output; padding rows ignored): returns
 * the parameter gradients (model.layout order), accumulated into `opts.grads` when given. Call in the
 * scope of the forward pass that filled `cache`. `dLogits` is used as scratch.
 */
export function backward(model: Model, cache: ForwardCache, dLogits: Float32Array, opts: BackwardOptions = {}): Float32Array {
  const st = cache.state;
  if (!st) throw invalidParameter('cache', 'a ForwardCache filled by forward(..., { cache })', 'an empty cache');
  if (st.ctx.model !== model) throw invalidParameter('cache', 'the cache of a forward pass of this model', 'the cache of another model');
  const rows = st.ctx.seq.T * st.ctx.seq.B;
  if (dLogits.length !== rows * model.arch.output) throw invalidParameter('dLogits', `${rows} x ${model.arch.output} values`, dLogits);
  const grads = opts.grads ?? model.layout.zeros();
  if (grads.length !== model.layout.total) throw invalidParameter('grads', `a slab of ${model.layout.total} values (model.layout)`, grads);
  if (opts.dx && opts.dx.length !== rows * model.arch.input) throw invalidParameter('dx', `${rows} x ${model.arch.input} values`, opts.dx);
  const ctx: PassContext = { ...st.ctx, grads };
  const k = ctx.k;
  const layers = model.arch.layers;
  const last = layers[layers.length - 1]!;
  let dOut = k.f32(rows * last.outputSize);
  linearBackward(ctx, st.fc, dLogits, dOut);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const dX = i > 0 ? k.f32(rows * l.inputSize) : opts.dx ? k.f32(rows * l.inputSize) : null;
    const lc = st.layers[i]!;
    if (lc.kind === 'sru') sruBackward(ctx, lc.cache, dOut, dX);
    else gatedBackward(ctx, lc.cache, dOut, dX);
    if (dX) dOut = dX;
  }
  if (opts.dx) opts.dx.set(dOut);
  return grads;
}
