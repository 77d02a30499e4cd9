// One benchmark worker for nn.bench.ts: its own kernels instance and its own copy of the model (sent by
// the main thread), running forward passes on its share of the batch on demand.
import { parentPort, workerData } from 'node:worker_threads';
import { forward } from '../src/nn/forward.js';
import { modelFromParams } from '../src/nn/model.js';
import type { Architecture } from '../src/nn/arch.js';

const { spec, params, x, T, B } = workerData as { spec: Architecture; params: Float32Array; x: Float32Array; T: number; B: number };
const model = modelFromParams(spec, params);
const batch = { x, T, B, lengths: new Int32Array(B).fill(T) };
parentPort!.on('message', () => {
  const logits = forward(model, batch);
  parentPort!.postMessage(logits[0]);
});
parentPort!.postMessage('ready');
