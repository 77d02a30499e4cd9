/**
 * The weight blocks of a quantized model, as every exporter sees them: per product site its parts
 * (the whole matrix, or gate and candidate columns with path skipping) with their bits, and per block
 * the integer codes and steps of the quantizer fake quantization uses.
 */
import { weightBlock } from '../nn/hook.js';
import type { ProductSite } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import type { BitsAssignment, MatrixBits } from '../quant/bits-spec.js';
import { partParams, productParts } from '../quant/hook.js';
import type { QuantOptions } from '../quant/options.js';
import { weightCodes } from '../quant/weights.js';
import type { WeightParams, WeightQuantizer } from '../quant/weights.js';

export interface SitePart {
  /** The block's own site (`blockSite` of the product's site when split). */
  site: ProductSite;
  /** First output column of the block in the product. */
  start: number;
  bits: MatrixBits;
  weights: WeightQuantizer;
}

/** The parts of every product site of a model under `bits` (path skipping splits recurrent products). */
export function sitePartsOf(model: Model, bits: BitsAssignment, quant: QuantOptions): (site: ProductSite) => SitePart[] {
  const byTensor = new Map<string, Array<{ site: ProductSite; bits: MatrixBits; weights: WeightQuantizer }>>();
  for (const p of productParts(model, bits, quant)) {
    const key = `${p.site.tensor}|${p.site.matrix}|${p.site.direction}`;
    const list = byTensor.get(key) ?? [];
    list.push(p);
    byTensor.set(key, list);
  }
  return (site) =>
    (byTensor.get(`${site.tensor}|${site.matrix}|${site.direction}`) ?? [])
      .filter((p) => p.site.colStart >= site.colStart && p.site.colStart < site.colStart + site.n)
      .map((p) => ({ ...p, start: p.site.colStart - site.colStart }));
}

export interface BlockCodes {
  params: WeightParams;
  /** [k x n] codes: int8 for 2..8 bits, int16 for the 16-bit Q-format. */
  codes: Int8Array | Int16Array;
  /** Per column: the real value of one code (an f32). */
  steps: Float32Array;
  perChannel: boolean;
}

/** The codes of a block (not at 32 bits) with the quantizer's parameters, or the stored ones when given. */
export function blockCodes(model: Model, part: { site: ProductSite; weights: WeightQuantizer }, stored: WeightParams | null): BlockCodes {
  const values = weightBlock(model, part.site);
  const params = partParams({ site: part.site, weights: part.weights, params: stored }, values);
  const wc = weightCodes(values, part.site.k, part.site.n, params);
  return {
    params,
    codes: wc.width === 16 ? Int16Array.from(wc.codes) : Int8Array.from(wc.codes),
    steps: Float32Array.from(wc.steps),
    perChannel: params.kind === 'integer' && params.clips.length > 1,
  };
}
