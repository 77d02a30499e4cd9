/**
 * Weights of a delta product, packed row-major for the sparse row kernels (kernels/delta.ts), once per
 * (kernels instance, model, weight block, quantizer, kernel) and model version, so every delta hook of
 * a sweep or a search reuses them.
 *
 * - Quantized weights are their integer codes (the quant module's `weightCodes`: the codes its
 *   integer-exact products multiply) with one step per column; int8 for the i32 kernel when the codes
 *   have <= 8 bits, else f32 (16-bit codes are exact in f32) for the f64 kernel.
 * - Float weights (32 bits) are the f32 values with step 1.
 */
import type { Kernels } from '../kernels/types.js';
import type { PackedDelta } from '../kernels/delta.js';
import { weightCache } from '../nn/hook.js';
import type { ProductSite } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { weightCodes, weightParams } from '../quant/weights.js';
import type { WeightQuantizer } from '../quant/weights.js';

export interface DeltaWeights {
  readonly version: number;
  readonly packed: PackedDelta;
  /** Per column: value = step * packed value. */
  readonly steps: Float64Array;
}

const caches = new WeakMap<Kernels, WeakMap<Model, Map<string, DeltaWeights>>>();

/** `kernel` is the delta kernel that will use the weights: 'i8' needs codes of <= 8 bits. */
export function deltaWeights(k: Kernels, model: Model, site: ProductSite, quantizer: WeightQuantizer, variant: string, kernel: 'i8' | 'f64'): DeltaWeights {
  let byModel = caches.get(k);
  if (!byModel) caches.set(k, (byModel = new WeakMap()));
  let m = byModel.get(model);
  if (!m) byModel.set(model, (m = new Map()));
  const key = `${site.key}|${variant}|${kernel}`;
  const hit = m.get(key);
  if (hit && hit.version === model.version) return hit;
  hit?.packed.dispose();
  const values = weightCache(k).get(model, site, 'fp32').values;
  let entry: DeltaWeights;
  if (quantizer.bits === 32) {
    entry = { version: model.version, packed: k.packDeltaF32(values, site.k, site.n), steps: new Float64Array(site.n).fill(1) };
  } else {
    const codes = weightCodes(values, site.k, site.n, weightParams(values, site.k, site.n, quantizer));
    const packed = kernel === 'i8' && codes.width === 8 ? k.packDeltaI8(Int8Array.from(codes.codes), site.k, site.n) : k.packDeltaF32(Float32Array.from(codes.codes), site.k, site.n);
    entry = { version: model.version, packed, steps: codes.steps };
  }
  m.set(key, entry);
  return entry;
}
