/**
 * Quantized model files (`mohaq quantize`): the model's parameters replaced by their quantized values
 * (fake-quantized float weights, code x step, and 16-bit fixed-point biases, BatchNorm and SRU vectors),
 * saved as an ordinary model file whose metadata `mohaq.quantization` holds everything needed to run it
 * exactly as `mohaq eval --bits` runs the float model: the bits, the options, the calibration and the
 * weight quantization parameters of every product block. Integer packing (codes in the file) is the
 * export stage's job.
 *
 * Evaluating the file (`mohaq eval --model Q.safetensors`) uses the stored quantization and gives the
 * same figures as the float model evaluated with the same bits and calibration.
 */
import type { Model } from '../nn/model.js';
import { modelFromParams } from '../nn/model.js';
import { weightBlock } from '../nn/hook.js';
import { kernels } from '../kernels/backend.js';
import { MohaqError } from '../util/errors.js';
import { formatBitsSpec } from './bits-spec.js';
import type { BitsAssignment } from './bits-spec.js';
import type { Calibration } from './calibration.js';
import { QuantizationHook, isFloatAssignment, productParts, resolveBits } from './hook.js';
import { resolveQuantOptions } from './options.js';
import type { QuantOptions } from './options.js';
import { qFractionBits } from './quantizer.js';
import { modelSize } from './size.js';
import type { ModelSize } from './size.js';
import { fakeQuantizeWeights, weightParams } from './weights.js';
import type { WeightParams } from './weights.js';

export const QUANTIZATION_METADATA_KEY = 'mohaq.quantization';
export const QUANTIZATION_FORMAT = 'mohaq-quantization/1';

/** Weight parameters as JSON. */
export type StoredWeightParams = { kind: 'float' } | { kind: 'integer'; bits: number; clips: number[] } | { kind: 'fixed'; fracBits: number };

export interface StoredQuantization {
  format: typeof QUANTIZATION_FORMAT;
  /** Canonical bits spec. */
  bits: string;
  options: QuantOptions;
  calibration: Calibration;
  /** Per product block (site key, e.g. `L0.fwd.U[0:192]`). */
  weights: Record<string, StoredWeightParams>;
  size: Pick<ModelSize, 'bytes' | 'fp32Bytes' | 'compression'>;
}

function toStored(p: WeightParams): StoredWeightParams {
  return p.kind === 'integer' ? { kind: 'integer', bits: p.bits, clips: Array.from(p.clips) } : p;
}

function fromStored(p: StoredWeightParams): WeightParams {
  return p.kind === 'integer' ? { kind: 'integer', bits: p.bits, clips: Float64Array.from(p.clips) } : p;
}

/** The model with quantized parameters and its `mohaq.quantization` metadata (see the module comment). */
export function quantizeModel(model: Model, bits: BitsAssignment | string, calibration: Calibration, options: QuantOptions = {}): { model: Model; stored: StoredQuantization } {
  const assignment = resolveBits(model, bits);
  if (isFloatAssignment(assignment)) throw new MohaqError('INVALID_ARGUMENT', 'Expected a bits spec with at least one quantized matrix for quantize but received every matrix at 32/32');
  if (model.metadata[QUANTIZATION_METADATA_KEY] !== undefined) throw new MohaqError('INVALID_ARGUMENT', 'the model is already quantized (it has "mohaq.quantization" metadata); quantize its float original');
  const { integer: _integer, ...fileOptions } = options;
  resolveQuantOptions(fileOptions);
  const params = Float32Array.from(model.params);
  const weights: Record<string, StoredWeightParams> = {};
  for (const part of productParts(model, assignment, fileOptions)) {
    const { site } = part;
    if (part.weights.bits === 32) continue;
    const values = weightBlock(model, site);
    const p = weightParams(values, site.k, site.n, part.weights);
    fakeQuantizeWeights(values, site.k, site.n, p);
    weights[site.key] = toStored(p);
    const w = model.layout.view(params, site.tensor);
    for (let i = 0; i < site.k; i++) w.set(values.subarray(i * site.n, (i + 1) * site.n), i * site.cols + site.colStart);
  }
  // biases, BatchNorm and SRU vectors: 16-bit fixed point, each in the Q-format of its own range
  const k = kernels();
  for (const e of model.layout.entries) {
    if (e.role === 'matrix') continue;
    const v = params.subarray(e.offset, e.offset + e.size);
    let range = 0;
    for (let i = 0; i < v.length; i++) range = Math.max(range, Math.abs(v[i]!));
    k.fixedPoint(v, v, v.length, qFractionBits(range));
  }
  const size = modelSize(model.arch, assignment, fileOptions);
  const stored: StoredQuantization = {
    format: QUANTIZATION_FORMAT,
    bits: formatBitsSpec(assignment, Object.keys(assignment)),
    options: fileOptions,
    calibration,
    weights,
    size: { bytes: size.bytes, fp32Bytes: size.fp32Bytes, compression: size.compression },
  };
  const quantized = modelFromParams(model.spec, params, { ...model.metadata, [QUANTIZATION_METADATA_KEY]: JSON.stringify(stored) });
  return { model: quantized, stored };
}

/** The stored quantization of a quantized model file, or null for a float model. */
export function storedQuantization(model: Model, file = 'the model'): (StoredQuantization & { assignment: BitsAssignment }) | null {
  const text = model.metadata[QUANTIZATION_METADATA_KEY];
  if (text === undefined) return null;
  let s: StoredQuantization;
  try {
    s = JSON.parse(text) as StoredQuantization;
  } catch (e) {
    throw new MohaqError('INVALID_FILE', `${file}: metadata "${QUANTIZATION_METADATA_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  if (s?.format !== QUANTIZATION_FORMAT) throw new MohaqError('INVALID_FILE', `${file}: metadata "${QUANTIZATION_METADATA_KEY}" has format ${JSON.stringify(s?.format)} (this mohaq reads ${QUANTIZATION_FORMAT})`);
  try {
    return { ...s, assignment: resolveBits(model, s.bits, `"${QUANTIZATION_METADATA_KEY}".bits`) };
  } catch (e) {
    throw new MohaqError('INVALID_FILE', `${file}: ${(e as Error).message}`);
  }
}

/** The hook that runs a quantized model file as it was quantized (null for a float model). */
export function storedQuantHook(model: Model, opts: { integer?: boolean; file?: string } = {}): QuantizationHook | null {
  const s = storedQuantization(model, opts.file);
  if (!s) return null;
  const params: Record<string, WeightParams> = {};
  for (const [key, p] of Object.entries(s.weights)) params[key] = fromStored(p);
  return new QuantizationHook(model, s.assignment, s.calibration, { ...s.options, integer: opts.integer ?? false }, params);
}
