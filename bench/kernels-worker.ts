// One benchmark worker: its own kernels instance (job-level parallelism), running a GEMM share on demand.
import { parentPort, workerData } from 'node:worker_threads';
import { createKernels } from '../src/kernels/index.js';
import { Rng } from '../src/util/rng.js';

const { m, k, n, kind, repeats, seed } = workerData as { m: number; k: number; n: number; kind: 'f32' | 'i8'; repeats: number; seed: number };
const kern = createKernels({ backend: 'wasm', memoryMiB: 512 });
const rng = new Rng(seed);
kern.scope(() => {
  if (kind === 'f32') {
    const a = kern.f32(m * k);
    const b = new Float32Array(k * n);
    rng.fillUniform(a, -1, 1);
    rng.fillUniform(b, -1, 1);
    const c = kern.f32(m * n);
    const p = kern.packF32(b, k, n);
    parentPort!.on('message', () => {
      for (let r = 0; r < repeats; r++) kern.gemmF32(a, m, k, p, c);
      parentPort!.postMessage('done');
    });
  } else {
    const a = kern.i8(m * k);
    const b = new Int8Array(k * n);
    for (let i = 0; i < a.length; i++) a[i] = rng.int(256) - 128;
    for (let i = 0; i < b.length; i++) b[i] = rng.int(256) - 128;
    const c = kern.i32(m * n);
    const p = kern.packI8(b, k, n);
    parentPort!.on('message', () => {
      for (let r = 0; r < repeats; r++) kern.gemmI8(a, m, k, p, c);
      parentPort!.postMessage('done');
    });
  }
  parentPort!.postMessage('ready');
});
