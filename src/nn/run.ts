/**
 * Inference over many utterances, optionally on several worker threads (each with its own kernels
 * instance and its own copy of the model, loaded from the file). Utterances are cut into fixed chunks
 * of `batchSize` in input order whatever the thread count, and every utterance's logits do not depend
 * on the rest of its batch, so the results are identical for any number of threads.
 */
import type { Worker } from 'node:worker_threads';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { siblingModule, spawnWorker } from '../util/workers.js';
import { forward } from './forward.js';
import { loadModel } from './io.js';
import type { Model } from './model.js';

/** Utterances of equal length, batch-major as numpy holds them: x is (B, T, D) flat. */
export interface Utterances {
  readonly x: Float32Array;
  readonly B: number;
  readonly T: number;
  readonly D: number;
}

export interface RunModelOptions {
  /** Worker threads (1 runs in this thread). @default 1 */
  threads?: number;
  /** Utterances per forward pass. @default 8 */
  batchSize?: number;
}

/** A chunk as the forward pass takes it: time-major (T, b, D). */
export interface RunChunk {
  id: number;
  x: Float32Array;
  T: number;
  B: number;
}

/** Batch-major (b utterances from `first`) to time-major. */
function toChunk(u: Utterances, id: number, first: number, b: number): RunChunk {
  const { T, D } = u;
  const x = new Float32Array(T * b * D);
  for (let i = 0; i < b; i++) for (let t = 0; t < T; t++) x.set(u.x.subarray(((first + i) * T + t) * D, ((first + i) * T + t + 1) * D), (t * b + i) * D);
  return { id, x, T, B: b };
}

/** Logits of one chunk (time-major, T*b x output). */
export function runChunk(model: Model, chunk: RunChunk): Float32Array {
  return forward(model, { x: chunk.x, T: chunk.T, B: chunk.B, lengths: new Int32Array(chunk.B).fill(chunk.T) });
}

/** Logits (B, T, output) flat, batch-major, of utterances run through the model file at `modelPath`. */
export async function runModelFile(modelPath: string, input: Utterances, opts: RunModelOptions = {}): Promise<{ logits: Float32Array; output: number }> {
  const threads = opts.threads ?? 1;
  const batchSize = opts.batchSize ?? 8;
  if (!Number.isInteger(threads) || threads < 1) throw invalidParameter('threads', 'an integer >= 1', threads);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalidParameter('batch size', 'an integer >= 1', batchSize);
  const { B, T, D } = input;
  if (input.x.length !== B * T * D) throw invalidParameter('input', `${B} x ${T} x ${D} values`, input.x);
  const starts: number[] = [];
  for (let s = 0; s < B; s += batchSize) starts.push(s);
  const sizes = starts.map((s) => Math.min(batchSize, B - s));

  let model: Model | null = null;
  let output: number;
  const results = new Array<Float32Array>(starts.length);
  if (threads === 1 || starts.length <= 1) {
    model = loadModel(modelPath);
    checkInput(model, D);
    output = model.arch.output;
    starts.forEach((s, i) => (results[i] = runChunk(model!, toChunk(input, i, s, sizes[i]!))));
  } else {
    output = await runOnWorkers(modelPath, input, starts, sizes, Math.min(threads, starts.length), results);
  }

  const logits = new Float32Array(B * T * output);
  starts.forEach((s, i) => {
    const r = results[i]!;
    const b = sizes[i]!;
    for (let u = 0; u < b; u++) for (let t = 0; t < T; t++) logits.set(r.subarray((t * b + u) * output, (t * b + u + 1) * output), ((s + u) * T + t) * output);
  });
  return { logits, output };
}

export function checkInput(model: Model, D: number): void {
  if (D !== model.arch.input) throw invalidParameter('input features per frame', `${model.arch.input} (the model's input size)`, D);
}

interface WorkerReply {
  id: number;
  logits?: Float32Array;
  output?: number;
  error?: { code: string; message: string };
}

async function runOnWorkers(modelPath: string, input: Utterances, starts: number[], sizes: number[], n: number, results: Float32Array[]): Promise<number> {
  const workers: Worker[] = [];
  let next = 0;
  let output = -1;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const dispatch = (w: Worker) => {
        if (next >= starts.length) return;
        const i = next++;
        const chunk = toChunk(input, i, starts[i]!, sizes[i]!);
        w.postMessage(chunk, [chunk.x.buffer as ArrayBuffer]);
      };
      for (let k = 0; k < n; k++) {
        const w = spawnWorker(siblingModule(import.meta.url, 'run-worker'), { workerData: { modelPath } });
        workers.push(w);
        w.on('message', (m: WorkerReply) => {
          if (m.error) return fail(new MohaqError(m.error.code as MohaqError['code'], m.error.message));
          results[m.id] = m.logits!;
          output = m.output!;
          if (++done === starts.length) resolve();
          else dispatch(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (done < starts.length) fail(new MohaqError('INTERNAL', `inference worker exited with code ${code}`));
        });
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return output;
}
