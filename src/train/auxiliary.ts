/**
 * A second softmax head on the last recurrent layer, trained beside the model's own output layer:
 * pytorch-kaldi's "monophone regularisation" (loss = NLL(states) + weight * NLL(monophones)), which
 * helps when the main labels are many context-dependent states. The head exists only during training;
 * model files keep the architecture's single FC.
 *
 * It sees the FC layer's operand through the quantization hook (so it works under any hook, QAT too):
 * the wrapper hook computes the head's logits when the FC product runs, and adds the head's input
 * gradient when the FC product's backward runs.
 */
import { kernels } from '../kernels/backend.js';
import type { PackedF32 } from '../kernels/types.js';
import type { ProductBackwardCall, ProductCall, ProductSite, QuantHook } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import type { ParamRole } from '../nn/params.js';
import type { Rng } from '../util/rng.js';
import { internal } from '../util/errors.js';
import type { LabelledBatch } from './replica.js';
import { frameCrossEntropy } from '../nn/loss.js';

/** The head's tensors, appended after the model's in the trainer's slab. */
export function auxiliaryLayoutEntries(model: Model, classes: number): Array<{ name: string; shape: number[]; role: ParamRole }> {
  const k = model.arch.layers[model.arch.layers.length - 1]!.outputSize;
  return [
    { name: 'AUX.W', shape: [k, classes], role: 'matrix' },
    { name: 'AUX.b', shape: [classes], role: 'bias' },
  ];
}

/** pytorch-kaldi's MLP initialisation (as the model's FC): W ~ U(+-sqrt(0.01 / (in + out))), b = 0. */
export function initAuxiliary(model: Model, classes: number, slab: Float32Array, rng: Rng): void {
  const k = model.arch.layers[model.arch.layers.length - 1]!.outputSize;
  const a = Math.sqrt(0.01 / (k + classes));
  rng.fillUniform(slab.subarray(0, k * classes), -a, a);
  slab.fill(0, k * classes);
}

export class AuxiliaryHead {
  /** W [k x classes] then b [classes]. */
  readonly params: Float32Array;
  readonly hook: QuantHook;
  private readonly k: number;
  private packed: PackedF32 | null = null;
  private packedT: PackedF32 | null = null;
  // Per training batch, in the caller's kernel scope:
  private operand: Float32Array | null = null;
  private rows = 0;
  private logits: Float32Array | null = null;
  private dLogits: Float32Array | null = null;

  constructor(
    model: Model,
    readonly classes: number,
    readonly weight: number,
    readonly inner: QuantHook,
  ) {
    this.k = model.arch.layers[model.arch.layers.length - 1]!.outputSize;
    this.params = new Float32Array(this.k * classes + classes);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const head = this;
    this.hook = {
      name: `${inner.name}+auxiliary`,
      beginBatch: inner.beginBatch?.bind(inner),
      endBatch: inner.endBatch?.bind(inner),
      vector: inner.vector?.bind(inner),
      recurrence: inner.recurrence?.bind(inner),
      product(site: ProductSite, call: ProductCall) {
        const used = inner.product(site, call);
        if (site.kind === 'output' && call.train) head.forward(used ?? call.x, used ? site.k : call.lda, call.rows);
        return used;
      },
      productBackward(site: ProductSite, call: ProductBackwardCall) {
        inner.productBackward(site, call);
        if (site.kind === 'output' && head.dLogits) head.backwardInput(call);
      },
    };
  }

  /** The parameters changed: repack on next use. */
  touch(): void {
    this.packed?.dispose();
    this.packedT?.dispose();
    this.packed = null;
    this.packedT = null;
  }

  begin(_batch: LabelledBatch): void {
    this.operand = null;
    this.logits = null;
    this.dLogits = null;
  }

  end(): void {
    this.operand = null;
    this.logits = null;
    this.dLogits = null;
  }

  private forward(x: Float32Array, lda: number, rows: number): void {
    const k = kernels();
    const K = this.k;
    const C = this.classes;
    let operand = x;
    if (lda !== K) {
      operand = k.f32(rows * K);
      for (let r = 0; r < rows; r++) operand.set(x.subarray(r * lda, r * lda + K), r * K);
    }
    this.packed ??= k.packF32(this.params.subarray(0, K * C), K, C);
    const logits = k.f32(rows * C);
    k.gemmF32(operand, rows, K, this.packed, logits, { bias: this.params.subarray(K * C) });
    this.operand = operand;
    this.rows = rows;
    this.logits = logits;
  }

  /** The head's weighted loss on `batch.auxLabels`; adds its parameter gradient into `grads` (W then b). */
  loss(batch: LabelledBatch, normalizer: number, grads: Float32Array): number {
    if (!this.logits || !this.operand) throw internal('auxiliary head: the forward pass did not reach the output layer');
    if (!batch.auxLabels) throw internal('auxiliary head: the batch has no auxiliary labels');
    const k = kernels();
    const K = this.k;
    const C = this.classes;
    const d = k.f32(this.logits.length);
    const l = frameCrossEntropy(this.logits, batch.auxLabels, batch, C, normalizer / this.weight, d);
    k.gemmAtB(this.operand, this.rows, K, d, C, grads.subarray(0, K * C), true);
    const gb = grads.subarray(K * C);
    const acc = new Float64Array(C);
    for (let r = 0; r < this.rows; r++) for (let j = 0; j < C; j++) acc[j]! += d[r * C + j]!;
    for (let j = 0; j < C; j++) gb[j]! += acc[j]!;
    this.dLogits = d;
    return l.nll;
  }

  private backwardInput(call: ProductBackwardCall): void {
    const k = kernels();
    this.packedT ??= k.packF32(this.params.subarray(0, this.k * this.classes), this.classes, this.k, true);
    // The inner backward has written (or added) the FC's share; the head's share is added on top.
    k.gemmF32(this.dLogits!, call.rows, this.classes, this.packedT, call.dx, { accumulate: true, ldc: call.ldx });
  }
}
