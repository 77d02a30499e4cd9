/**
 * Kernel benchmarks (issue 2): fp32 GEMM [800x512].[512x2048], the same with int8 operands, and a
 * batched recurrent step [16x512].[512x2048], on one thread and on two.
 *
 * Two threads are job-level parallelism, the scheme mohaq uses (see src/kernels/README.md): each worker
 * has its own WASM instance and computes half the rows with its own copy of the packed weights.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../src/util/workers.js';
import { measure, report, type Measurement } from './harness.js';

const WORKER = new URL('./kernels-worker.ts', import.meta.url);

async function startWorkers(count: number, shape: { m: number; k: number; n: number; kind: 'f32' | 'i8'; repeats: number }): Promise<Worker[]> {
  const ws = Array.from({ length: count }, (_, i) => spawnWorker(WORKER, { workerData: { ...shape, m: Math.ceil(shape.m / count), seed: i + 1 } }));
  await Promise.all(ws.map((w) => new Promise((res, rej) => (w.once('message', res), w.once('error', rej)))));
  return ws;
}

function runAll(ws: Worker[]): Promise<unknown[]> {
  return Promise.all(ws.map((w) => new Promise((res) => (w.once('message', res), w.postMessage('go')))));
}

async function bench(name: string, shape: { m: number; k: number; n: number; kind: 'f32' | 'i8'; repeats: number }, threads: number, unit: string, target?: string): Promise<Measurement> {
  const ws = await startWorkers(threads, shape);
  const ops = (2 * shape.m * shape.k * shape.n * shape.repeats) / 1e9;
  const r = await measure(name, () => runAll(ws), { warmup: 2, repeats: 9, work: { amount: ops, unit }, ...(target ? { target } : {}) });
  await Promise.all(ws.map((w) => w.terminate()));
  return r;
}

const rows: Measurement[] = [];
const gemm = { m: 800, k: 512, n: 2048 };
rows.push(await bench('fp32 GEMM 800x512x2048, 1 thread', { ...gemm, kind: 'f32', repeats: 1 }, 1, 'GFLOP/s', '>= 20 GFLOP/s'));
rows.push(await bench('int8 GEMM 800x512x2048, 1 thread', { ...gemm, kind: 'i8', repeats: 1 }, 1, 'GOP/s', '>= 1.5x fp32'));
rows.push(await bench('fp32 GEMM 800x512x2048, 2 threads', { ...gemm, kind: 'f32', repeats: 1 }, 2, 'GFLOP/s', '>= 1.7x 1 thread'));
rows.push(await bench('int8 GEMM 800x512x2048, 2 threads', { ...gemm, kind: 'i8', repeats: 1 }, 2, 'GOP/s'));
const step = { m: 16, k: 512, n: 2048 };
rows.push(await bench('fp32 step 16x512x2048 (x20), 1 thread', { ...step, kind: 'f32', repeats: 20 }, 1, 'GFLOP/s'));
rows.push(await bench('fp32 step 16x512x2048 (x20), 2 threads', { ...step, kind: 'f32', repeats: 20 }, 2, 'GFLOP/s'));
rows.push(await bench('int8 step 16x512x2048 (x20), 1 thread', { ...step, kind: 'i8', repeats: 20 }, 1, 'GOP/s'));
report('kernels (WASM SIMD128)', rows);
const [f1, i1, f2] = rows;
console.log(`int8 / fp32 (1 thread): ${(i1!.rate!.value / f1!.rate!.value).toFixed(2)}x   two threads / one (fp32 GEMM): ${(f2!.rate!.value / f1!.rate!.value).toFixed(2)}x`);
