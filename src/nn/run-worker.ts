/**
 * Worker thread of `runModelFile`: loads the model once (workerData.modelPath), then answers each chunk
 * message with its logits. Errors go back as { id, error } so the main thread reports them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isMohaqError } from '../util/errors.js';
import { loadModel } from './io.js';
import type { Model } from './model.js';
import { checkInput, runChunk } from './run.js';
import type { RunChunk } from './run.js';

const port = parentPort!;
let model: Model | null = null;

port.on('message', (chunk: RunChunk) => {
  try {
    model ??= loadModel((workerData as { modelPath: string }).modelPath);
    checkInput(model, chunk.x.length / (chunk.T * chunk.B));
    const logits = runChunk(model, chunk);
    port.postMessage({ id: chunk.id, logits, output: model.arch.output }, [logits.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: chunk.id, error: { code: isMohaqError(e) ? e.code : 'INTERNAL', message: (e as Error).message } });
  }
});
