/** Test helpers for src/nn: small random batches, a finite-difference gradient check. */
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { backward, ForwardCache, forward } from '../../src/nn/forward.js';
import type { ForwardOptions, SequenceBatch } from '../../src/nn/forward.js';
import { touchModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import type { QuantHook } from '../../src/nn/hook.js';
import { Rng } from '../../src/util/rng.js';

/** A time-major batch with zero padding frames. */
export function randomBatch(rng: Rng, D: number, lengths: number[]): SequenceBatch {
  const T = Math.max(...lengths);
  const B = lengths.length;
  const x = new Float32Array(T * B * D);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengths[b]!) for (let j = 0; j < D; j++) x[(t * B + b) * D + j] = rng.uniform(-1, 1);
  return { x, T, B, lengths: Int32Array.from(lengths) };
}

/** One utterance of a batch as its own batch of one. */
export function utterance(batch: SequenceBatch, b: number, D: number): SequenceBatch {
  const T = batch.lengths[b]!;
  const x = new Float32Array(T * D);
  for (let t = 0; t < T; t++) x.set(batch.x.subarray((t * batch.B + b) * D, (t * batch.B + b + 1) * D), t * D);
  return { x, T, B: 1, lengths: Int32Array.from([T]) };
}

export interface GradCheckOptions {
  /** Training mode with this seed (dropout masks redrawn identically for every evaluation). */
  trainSeed?: number;
  dropout?: number;
  hook?: QuantHook;
  /** Entries checked per tensor. @default 5 */
  samples?: number;
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Also check the input gradient. @default true */
  input?: boolean;
}

function options(model: Model, o: GradCheckOptions): ForwardOptions {
  void model;
  const f: ForwardOptions = {};
  if (o.hook) f.hook = o.hook;
  if (o.trainSeed !== undefined) f.train = { rng: new Rng(o.trainSeed), dropout: o.dropout ?? 0, updateStatistics: false };
  return f;
}

/** L = sum(logits * R) in float64. */
function lossOf(model: Model, batch: SequenceBatch, R: Float32Array, o: GradCheckOptions): number {
  const logits = forward(model, batch, options(model, o));
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += logits[i]! * R[i]!;
  return s;
}

/**
 * Compares backward() with central differences of L = sum(logits * R) for sampled entries of every
 * trainable tensor and of the input; reports the first mismatches by tensor name.
 */
export function checkGradients(model: Model, batch: SequenceBatch, o: GradCheckOptions = {}): { checked: number; maxRel: number } {
  const rng = new Rng(99);
  const R = new Float32Array(batch.T * batch.B * model.arch.output);
  rng.fillUniform(R, -1, 1);
  const k = kernels();
  const { grads, dx } = k.scope(() => {
    const cache = new ForwardCache();
    forward(model, batch, { ...options(model, o), cache });
    const dx = o.input !== false ? new Float32Array(batch.x.length) : null;
    const grads = backward(model, cache, Float32Array.from(R), dx ? { dx } : {});
    return { grads, dx };
  });
  const eps = o.eps ?? 3e-3;
  const atol = o.atol ?? 3e-4;
  const rtol = o.rtol ?? 1e-2;
  const failures: string[] = [];
  let checked = 0;
  let maxRel = 0;
  /** Central difference with the exactly representable perturbed values (parameters are float32). */
  const compare = (what: string, analytic: number, arr: Float32Array, i: number, after: () => void) => {
    const orig = arr[i]!;
    arr[i] = orig + eps;
    const up = arr[i]!;
    after();
    const lp = lossOf(model, batch, R, o);
    arr[i] = orig - eps;
    const down = arr[i]!;
    after();
    const lm = lossOf(model, batch, R, o);
    arr[i] = orig;
    after();
    const numeric = (lp - lm) / (up - down);
    checked++;
    const err = Math.abs(numeric - analytic);
    maxRel = Math.max(maxRel, err / (Math.abs(numeric) + 1e-3));
    if (err > atol + rtol * Math.abs(numeric)) failures.push(`${what}: analytic ${analytic.toPrecision(6)} numeric ${numeric.toPrecision(6)}`);
  };
  const samples = o.samples ?? 5;
  for (const e of model.layout.entries) {
    if (!e.trainable) continue;
    const idx = new Set<number>();
    for (let s = 0; s < Math.min(samples, e.size); s++) idx.add(rng.int(e.size));
    for (const i of idx) {
      compare(`${e.name}[${i}]`, grads[e.offset + i]!, model.params, e.offset + i, () => touchModel(model));
    }
  }
  if (o.input !== false) {
    const D = model.arch.input;
    for (let s = 0; s < samples; s++) {
      const b = rng.int(batch.B);
      const t = rng.int(batch.lengths[b]!);
      const i = (t * batch.B + b) * D + rng.int(D);
      compare(`x[t=${t},b=${b}]`, dx![i]!, batch.x, i, () => {});
    }
  }
  assert.ok(failures.length === 0, `${failures.length} of ${checked} gradient entries differ:\n  ${failures.slice(0, 8).join('\n  ')}`);
  return { checked, maxRel };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
