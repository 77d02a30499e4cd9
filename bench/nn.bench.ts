/**
 * nn benchmarks (issue 3): forward frames/s of the four paper-scale models (random weights) on a batch of
 * 8 utterances x 400 frames, on one thread and on two (two workers each doing half the batch, each with
 * its own kernels instance and model copy: mohaq's job-level parallelism), and training
 * (forward + backward with dropout) frames/s of sru-small.
 *
 * MOHAQ_KERNELS=ref runs the same on the reference kernels, with 50-frame utterances (the float64
 * reference GEMM would take minutes per paper-scale pass).
 */
import type { Worker } from 'node:worker_threads';
import { kernels } from '../src/kernels/backend.js';
import { presetArchitecture } from '../src/nn/arch.js';
import { backward, ForwardCache, forward } from '../src/nn/forward.js';
import { maskedCrossEntropy } from '../src/nn/loss.js';
import { createModel } from '../src/nn/model.js';
import type { Model } from '../src/nn/model.js';
import { Rng } from '../src/util/rng.js';
import { spawnWorker } from '../src/util/workers.js';
import { measure, report, type Measurement } from './harness.js';

const WORKER = new URL('./nn-worker.ts', import.meta.url);
const backend = kernels().name;
const B = 8;
const T = backend === 'ref' ? 50 : 400;
const frames = B * T;
const TARGETS: Record<string, [string, string]> = {
  'paper-sru': ['>= 1500 frames/s', ''],
  'paper-lstm': ['', '<= 3x onnxruntime fused LSTM (bench/nn-ort.mjs)'],
};

function features(rng: Rng, t: number, b: number, d: number): Float32Array {
  const x = new Float32Array(t * b * d);
  rng.fillUniform(x, -1, 1);
  return x;
}

/** Time-major (T, B, D) -> the utterances [from, from + n) as their own time-major batch. */
function slice(x: Float32Array, t: number, b: number, d: number, from: number, n: number): Float32Array {
  const out = new Float32Array(t * n * d);
  for (let i = 0; i < t; i++) out.set(x.subarray((i * b + from) * d, (i * b + from + n) * d), i * n * d);
  return out;
}

async function twoThreads(name: string, model: Model, x: Float32Array): Promise<Measurement> {
  const D = model.arch.input;
  const ws: Worker[] = [0, 1].map((i) => spawnWorker(WORKER, { workerData: { spec: model.spec, params: model.params, x: slice(x, T, B, D, (i * B) / 2, B / 2), T, B: B / 2 } }));
  await Promise.all(ws.map((w) => new Promise((res, rej) => (w.once('message', res), w.once('error', rej)))));
  const run = () => Promise.all(ws.map((w) => new Promise((res) => (w.once('message', res), w.postMessage('go')))));
  const r = await measure(`${name} forward ${B}x${T}, 2 threads`, run, { warmup: 1, repeats: 3, work: { amount: frames, unit: 'frames/s' }, ...(TARGETS[name]?.[1] ? { target: TARGETS[name]![1] } : {}) });
  await Promise.all(ws.map((w) => w.terminate()));
  return r;
}

const rows: Measurement[] = [];
const rng = new Rng(2024);
for (const name of ['paper-sru', 'paper-lstm', 'paper-gru', 'paper-ligru']) {
  const model = createModel(presetArchitecture(name), rng.fork(name));
  const x = features(rng, T, B, model.arch.input);
  const batch = { x, T, B, lengths: new Int32Array(B).fill(T) };
  const target = TARGETS[name]?.[0];
  rows.push(await measure(`${name} forward ${B}x${T}, 1 thread`, () => forward(model, batch), { warmup: 1, repeats: 3, work: { amount: frames, unit: 'frames/s' }, ...(target ? { target } : {}) }));
  rows.push(await twoThreads(name, model, x));
}

{
  const model = createModel(presetArchitecture('sru-small'), rng.fork('sru-small'));
  const x = features(rng, T, B, model.arch.input);
  const batch = { x, T, B, lengths: new Int32Array(B).fill(T) };
  const labels = new Int32Array(T * B).map(() => rng.int(model.arch.output));
  const grads = model.layout.zeros();
  const k = kernels();
  const train = rng.fork('dropout');
  rows.push(
    await measure(
      `sru-small forward+backward ${B}x${T} (dropout), 1 thread`,
      () =>
        k.scope(() => {
          const cache = new ForwardCache();
          const logits = forward(model, batch, { cache, train: { rng: train } });
          const { dLogits } = maskedCrossEntropy(logits, labels, batch, model.arch.output);
          backward(model, cache, dLogits, { grads });
        }),
      { warmup: 1, repeats: 5, work: { amount: frames, unit: 'frames/s' } },
    ),
  );
  rows.push(await measure(`sru-small forward ${B}x${T}, 1 thread`, () => forward(model, batch), { warmup: 1, repeats: 5, work: { amount: frames, unit: 'frames/s' } }));
}

report(`nn forward/backward (${backend} kernels; batch ${B} x ${T} frames)`, rows);
