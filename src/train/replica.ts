/**
 * A model replica: what each training worker holds (its own kernels, its own copy of the model) and
 * the two jobs it does: the gradient of one micro-batch, and the outputs of one evaluation batch.
 *
 * The master parameters live in one shared slab (a SharedArrayBuffer the trainer updates between
 * steps). A replica copies them in at the start of every task, so BatchNorm running statistics, which
 * a training forward pass changes, always start from the master's values; the task returns the
 * statistics it reached and the trainer combines them in micro-batch order. Packed weights are rebuilt
 * only when the master's version changes.
 *
 * Results depend on the task alone (micro-batch contents, dropout seed, master parameters), never on
 * which worker ran it or how many there are.
 */
import { kernels } from '../kernels/backend.js';
import { backward, forward, ForwardCache } from '../nn/forward.js';
import type { SequenceBatch } from '../nn/forward.js';
import type { QuantHook } from '../nn/hook.js';
import { fp32Hook } from '../nn/hook.js';
import { modelFromParams, modelLayout, toResolved, touchModel } from '../nn/model.js';
import type { Model } from '../nn/model.js';
import type { Architecture } from '../nn/arch.js';
import { Rng } from '../util/rng.js';
import { invalidParameter } from '../util/errors.js';
import { AuxiliaryHead, auxiliaryLayoutEntries } from './auxiliary.js';
import { frameCrossEntropy } from '../nn/loss.js';
import { createQuantHook } from '../quant/hook.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import type { QuantOptions } from '../quant/options.js';

/** Quantization-aware training: the forward pass quantizes as post-training quantization would. */
export interface QatSpec {
  /** Bits of every matrix (weights and input activations). */
  bits: BitsAssignment;
  /** Activation clips (calibration of the float model). */
  calibration: Calibration;
  quant?: QuantOptions;
}

export interface ReplicaInit {
  /** The architecture, every default written out. */
  spec: Architecture;
  /** The master slab: model parameters (layout order), then the auxiliary head's, as float32. */
  master: SharedArrayBuffer;
  /** Second softmax head on the last recurrent layer (pytorch-kaldi's monophone head), or null. */
  auxiliary: { classes: number; weight: number } | null;
  /** Fake quantization in every forward pass (straight-through backward), or null for float training. */
  qat: QatSpec | null;
}

/** A padded, time-major micro-batch with its frame labels (-1 at padding). */
export interface LabelledBatch extends SequenceBatch {
  labels: Int32Array;
  /** Auxiliary-head labels, same layout, when the head exists. */
  auxLabels?: Int32Array;
}

export interface GradientTask {
  kind: 'gradient';
  /** Master version the task must see (bumped by the trainer after every update). */
  version: number;
  batch: LabelledBatch;
  /** Frames of the whole batch: micro-batch gradients are d(sum NLL)/normalizer so they add up. */
  normalizer: number;
  /** Seed of this micro-batch's dropout stream. */
  dropoutSeed: number;
  /** Overrides every layer's dropout rate (undefined: the architecture's). */
  dropout?: number;
}

export interface GradientResult {
  /** Gradient of the master slab (model then auxiliary head). */
  grads: Float32Array;
  nll: number;
  auxNll: number;
  frames: number;
  errors: number;
  /** BatchNorm running statistics after this micro-batch (concatenated `statisticsRanges`), or null. */
  statistics: Float32Array | null;
}

export interface EvaluateTask {
  kind: 'evaluate';
  version: number;
  batch: LabelledBatch;
}

export interface EvaluateResult {
  /** Log posteriors of each utterance of the batch, in batch order: (frames, classes) row-major. */
  logPosteriors: Float32Array[];
  nll: number;
  frames: number;
  errors: number;
}

export type ReplicaTask = GradientTask | EvaluateTask;
export type ReplicaResult = GradientResult | EvaluateResult;

/** Slab ranges of the BatchNorm running statistics (what a training forward pass updates). */
export function statisticsRanges(model: Model): Array<[number, number]> {
  return model.layout.entries.filter((e) => !e.trainable).map((e) => [e.offset, e.offset + e.size]);
}

export class Replica {
  readonly model: Model;
  private readonly master: Float32Array;
  private readonly aux: AuxiliaryHead | null;
  /** The forward's hook (fp32 or fake quantization) ... */
  private readonly inner: QuantHook;
  /** ... wrapped by the auxiliary head when there is one (training passes only). */
  private readonly hook: QuantHook;
  private readonly statRanges: Array<[number, number]>;
  private version = -1;

  constructor(init: ReplicaInit) {
    this.master = new Float32Array(init.master);
    const arch = toResolved(init.spec);
    const model = modelFromParams(arch, new Float32Array(modelLayout(arch).total));
    this.model = model;
    const auxSize = init.auxiliary ? auxiliaryLayoutEntries(model, init.auxiliary.classes).reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0) : 0;
    if (this.master.length !== model.layout.total + auxSize) {
      throw invalidParameter('master slab', `${model.layout.total + auxSize} values`, this.master);
    }
    // The quant hook re-quantizes the weights (MMSE clips) whenever the model version changes, i.e.
    // after every optimizer step of the master weights.
    const inner = init.qat ? createQuantHook(model, init.qat.bits, init.qat.calibration, init.qat.quant) : fp32Hook;
    this.inner = inner;
    this.aux = init.auxiliary ? new AuxiliaryHead(model, init.auxiliary.classes, init.auxiliary.weight, inner) : null;
    this.hook = this.aux ? this.aux.hook : inner;
    this.statRanges = statisticsRanges(model);
  }

  private sync(version: number): void {
    const n = this.model.layout.total;
    this.model.params.set(this.master.subarray(0, n));
    if (this.aux) this.aux.params.set(this.master.subarray(n));
    if (version !== this.version) {
      this.version = version;
      touchModel(this.model);
      this.aux?.touch();
    }
  }

  run(task: ReplicaTask): ReplicaResult {
    return task.kind === 'gradient' ? this.gradient(task) : this.evaluate(task);
  }

  gradient(task: GradientTask): GradientResult {
    this.sync(task.version);
    const { model, aux } = this;
    const k = kernels();
    const total = model.layout.total;
    const grads = new Float32Array(this.master.length);
    const { batch } = task;
    const classes = model.arch.output;
    let loss = { nll: 0, frames: 0, errors: 0 };
    let auxNll = 0;
    k.scope(() => {
      const cache = new ForwardCache();
      const rng = new Rng(task.dropoutSeed);
      aux?.begin(batch);
      const logits = forward(model, batch, { hook: this.hook, train: { rng, dropout: task.dropout }, cache });
      const dLogits = k.f32(logits.length);
      loss = frameCrossEntropy(logits, batch.labels, batch, classes, task.normalizer, dLogits);
      if (aux) auxNll = aux.loss(batch, task.normalizer, grads.subarray(total));
      backward(model, cache, dLogits, { grads: grads.subarray(0, total) });
      aux?.end();
    });
    let statistics: Float32Array | null = null;
    if (this.statRanges.length) {
      const n = this.statRanges.reduce((a, [s, e]) => a + e - s, 0);
      statistics = new Float32Array(n);
      let at = 0;
      for (const [s, e] of this.statRanges) {
        statistics.set(model.params.subarray(s, e), at);
        at += e - s;
      }
    }
    return { grads, nll: loss.nll, auxNll, frames: loss.frames, errors: loss.errors, statistics };
  }

  evaluate(task: EvaluateTask): EvaluateResult {
    this.sync(task.version);
    const { model } = this;
    const { batch } = task;
    const classes = model.arch.output;
    const k = kernels();
    const logits = forward(model, batch, { hook: this.inner });
    const loss = frameCrossEntropy(logits, batch.labels, batch, classes, 1);
    const logPosteriors: Float32Array[] = [];
    k.scope(() => {
      const lp = k.f32(logits.length);
      k.logSoftmaxRows(logits, lp, batch.T * batch.B, classes);
      for (let b = 0; b < batch.B; b++) {
        const frames = batch.lengths[b]!;
        const out = new Float32Array(frames * classes);
        for (let t = 0; t < frames; t++) out.set(lp.subarray((t * batch.B + b) * classes, (t * batch.B + b + 1) * classes), t * classes);
        logPosteriors.push(out);
      }
    });
    return { logPosteriors, nll: loss.nll, frames: loss.frames, errors: loss.errors };
  }
}
