/**
 * Worker of `evaluateModel` with threads > 1 (src/util/pool.ts contract): `init` rebuilds the model,
 * the phone loop and the quantization hook from plain data; each task is one batch, answered with its
 * per-utterance scores.
 */
import type { Architecture } from '../nn/arch.js';
import { forward } from '../nn/forward.js';
import type { QuantHook } from '../nn/hook.js';
import { modelFromParams } from '../nn/model.js';
import type { Model } from '../nn/model.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import type { PhoneLoopModel, PhoneLoopOptions } from '../metrics/phone-loop.js';
import type { BitsAssignment } from './bits-spec.js';
import type { Calibration } from './calibration.js';
import { createQuantHook } from './hook.js';
import { storedQuantHook } from './quantize-model.js';
import type { QuantOptions } from './options.js';
import { scoreBatch } from './scoring.js';
import type { BatchScore } from './scoring.js';

export interface EvaluateWorkerInit {
  spec: Architecture;
  params: Float32Array;
  metadata: Record<string, string>;
  decoder: { model: PhoneLoopModel; options: PhoneLoopOptions };
  quant: { bits: BitsAssignment; calibration: Calibration | null; options: QuantOptions } | null;
  /** Without `quant`: run a quantized model file's stored quantization integer-exact. */
  integer: boolean;
}

export interface EvaluateTask {
  x: Float32Array;
  T: number;
  B: number;
  lengths: Int32Array;
  labels: Int32Array;
  utterances: number[];
}

let state: { model: Model; decoder: PhoneLoopDecoder; hook: QuantHook | undefined } | null = null;

export function init(data: EvaluateWorkerInit): void {
  const model = modelFromParams(data.spec, Float32Array.from(data.params), data.metadata);
  const hook = data.quant ? createQuantHook(model, data.quant.bits, data.quant.calibration, data.quant.options) : storedQuantHook(model, { integer: data.integer }) ?? undefined;
  state = { model, decoder: new PhoneLoopDecoder(data.decoder.model, data.decoder.options), hook };
}

export default function evaluateBatch(task: EvaluateTask): BatchScore {
  const { model, decoder, hook } = state!;
  const logits = forward(model, { x: task.x, T: task.T, B: task.B, lengths: task.lengths }, { hook });
  return scoreBatch(logits, task, model.arch.output, decoder);
}
