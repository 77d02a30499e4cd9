/**
 * The quantization hooks: a bits assignment applied to a model at every product (src/nn/hook.ts).
 *
 * Per product site, with the bits `W/A` of its matrix:
 * - weights: the block's weights quantized at W bits (`weights.ts`), once per (block, quantizer, model
 *   version) in the kernels instance's shared `WeightCache`, so every hook of a search reuses them;
 * - operand: quantized at A bits with its calibrated clip (`activations.ts`);
 * - product: fake quantization (f32 GEMM of the quantized values) or integer-exact (`integer: true`:
 *   int8 codes, `gemmI8` with i32 accumulation, rescale by the product of the scales);
 * - result: rounded to the 16-bit Q-format of the product's calibrated output range (the papers
 *   requantize every product result to 16-bit fixed point before the element-wise recurrence).
 * Biases, BatchNorm, SRU vectors (`vector`) and the element-wise recurrence (`recurrence`: gates,
 * candidate, cell state, output) are 16-bit fixed point. When every matrix is 32/32 the hook is the
 * float model (`fp32Hook`): no fixed point anywhere.
 *
 * Path skipping (`skipCandidate`): in the recurrent products of the first K (or all) LSTM/GRU/LiGRU
 * layers, the candidate block (LSTM g, GRU n, LiGRU n) runs at 16/16 (or the matrix's bits when
 * wider); the gates keep W/A. The product is split by gate block (`blockSite`).
 *
 * Training (QAT): `product` returns the quantized operand (the weight gradients use it) and
 * `productBackward` multiplies by the quantized weights: straight-through gradients. Weights are
 * re-quantized (MMSE) whenever the model version changes (`touchModel` after an optimizer step).
 *
 * Exactness: fake quantization and integer codes come from the same f32 constants, so the two modes
 * differ only by float rounding of the sums (f32 GEMM vs exact integers rescaled in float64).
 */
import { kernels } from '../kernels/backend.js';
import type { FixedPointSpec } from '../kernels/cells.js';
import type { Kernels, PackedI8 } from '../kernels/types.js';
import { listMatrices } from '../nn/arch.js';
import { blockSite, fp32Hook, weightCache } from '../nn/hook.js';
import type { GateBlock, ProductBackwardCall, ProductCall, ProductSite, QuantHook, RecurrenceSite, WeightVariant } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { DIRECTION_NAMES } from '../nn/sites.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { activationQuant, fakeQuantizeActivations, integerActivations } from './activations.js';
import type { ActivationQuant } from './activations.js';
import { KNOWN_BITS, parseBitsSpec } from './bits-spec.js';
import type { BitsAssignment, MatrixBits } from './bits-spec.js';
import { operandName } from './calibration.js';
import type { Calibration } from './calibration.js';
import { resolveQuantOptions } from './options.js';
import type { QuantOptions, ResolvedQuantOptions } from './options.js';
import { qFractionBits } from './quantizer.js';
import { fakeQuantizeWeights, weightCodes, weightParams, weightVariantName } from './weights.js';
import type { WeightParams, WeightQuantizer } from './weights.js';

/** A bits spec or assignment, checked against the model's matrices (errors name the matrix). */
export function resolveBits(model: Model, bits: BitsAssignment | string, flag = 'bits'): BitsAssignment {
  const matrices = listMatrices(model.arch);
  if (typeof bits === 'string') return parseBitsSpec(bits, matrices, { flag });
  const out: BitsAssignment = {};
  for (const m of matrices) {
    const b = bits[m.name];
    if (!b) throw invalidParameter(flag, `bits for every matrix (no entry for ${m.name})`, bits);
    for (const [field, v] of [['weights', b.w], ['activations', b.a]] as const) {
      if (!KNOWN_BITS.includes(v)) throw invalidParameter(`the ${field} of ${m.name} in ${flag}`, `one of ${KNOWN_BITS.join(', ')} bits`, v);
    }
    out[m.name] = { w: b.w, a: b.a };
  }
  for (const name of Object.keys(bits)) if (!out[name]) throw invalidParameter(flag, `matrix names of ${model.arch.name} (${matrices.map((m) => m.name).join(', ')})`, name);
  return out;
}

/** True when every matrix is 32/32: the float model. */
export function isFloatAssignment(bits: BitsAssignment): boolean {
  return Object.values(bits).every((b) => b.w === 32 && b.a === 32);
}

/** One product of a site (the whole site, or a gate block of it when path skipping splits it). */
interface Part {
  site: ProductSite;
  /** First output column of the part within the site's output. */
  start: number;
  bits: MatrixBits;
  act: ActivationQuant;
  weights: WeightQuantizer;
  /** Fixed parameters (a quantized model file's), else computed from the weights. */
  params: WeightParams | null;
  variant: string;
}

interface SitePlan {
  parts: Part[];
  /** Fraction bits of the 16-bit product result. */
  outFrac: number;
}

/** The bits of a site's parts: split into gates and candidate when path skipping applies. */
function siteParts(site: ProductSite, bits: MatrixBits, o: ResolvedQuantOptions): Array<{ site: ProductSite; start: number; bits: MatrixBits }> {
  const skip = site.kind === 'recurrent' && site.layer < o.skipLayers && site.gates.some((g) => g.candidate);
  const high: MatrixBits = { w: Math.max(16, bits.w), a: Math.max(16, bits.a) };
  if (!skip || (bits.w === high.w && bits.a === high.a)) return [{ site, start: 0, bits }];
  // contiguous runs of gate blocks with the same candidate flag
  const runs: GateBlock[] = [];
  for (const g of site.gates) {
    const last = runs[runs.length - 1];
    if (last && last.candidate === g.candidate && last.start + last.size === g.start) runs[runs.length - 1] = { ...last, name: `${last.name}+${g.name}`, size: last.size + g.size };
    else runs.push({ ...g });
  }
  if (runs.length === 1) return [{ site, start: 0, bits: runs[0]!.candidate ? high : bits }];
  return runs.map((r) => ({ site: blockSite(site, r), start: r.start, bits: r.candidate ? high : bits }));
}

/** The quantization parameters of a part's weight block [k x n]. */
export function partParams(part: { site: ProductSite; weights: WeightQuantizer; params: WeightParams | null }, values: Float32Array): WeightParams {
  return part.params ?? weightParams(values, part.site.k, part.site.n, part.weights);
}

/** Integer weights of a part, packed for gemmI8: value = step[j] * (sum of mult * piece + offset). */
interface IntegerWeights {
  version: number;
  pieces: Array<{ packed: PackedI8; mult: number }>;
  offset: number;
  steps: Float64Array;
  /** Per column: sum over rows of (code - offset). */
  colsum: Float64Array;
}

const integerCaches = new WeakMap<Kernels, WeakMap<Model, Map<string, IntegerWeights>>>();

function integerWeights(k: Kernels, model: Model, part: Part): IntegerWeights {
  let byModel = integerCaches.get(k);
  if (!byModel) integerCaches.set(k, (byModel = new WeakMap()));
  let m = byModel.get(model);
  if (!m) byModel.set(model, (m = new Map()));
  const key = `${part.site.key}|${part.variant}`;
  const hit = m.get(key);
  if (hit && hit.version === model.version) return hit;
  if (hit) for (const p of hit.pieces) p.packed.dispose();
  const { site } = part;
  const values = weightCache(k).get(model, site, 'fp32').values;
  const codes = weightCodes(values, site.k, site.n, partParams(part, values));
  const n = site.n;
  const colsum = new Float64Array(n);
  let entry: IntegerWeights;
  if (codes.width === 8) {
    const c8 = Int8Array.from(codes.codes);
    for (let i = 0; i < c8.length; i++) colsum[i % n]! += c8[i]!;
    entry = { version: model.version, pieces: [{ packed: k.packI8(c8, site.k, n), mult: 1 }], offset: 0, steps: codes.steps, colsum };
  } else {
    const hi = new Int8Array(codes.codes.length);
    const lo = new Int8Array(codes.codes.length);
    codes.codes.forEach((c, i) => {
      hi[i] = c >> 8;
      lo[i] = (c & 255) - 128;
      colsum[i % n]! += c - 128;
    });
    entry = { version: model.version, pieces: [{ packed: k.packI8(hi, site.k, n), mult: 256 }, { packed: k.packI8(lo, site.k, n), mult: 1 }], offset: 128, steps: codes.steps, colsum };
  }
  m.set(key, entry);
  return entry;
}

/** A fake-quant or integer-exact hook (see the module comment). */
export class QuantizationHook implements QuantHook {
  readonly name: string;
  readonly options: ResolvedQuantOptions;
  private readonly plans = new Map<string, SitePlan>();
  private readonly vectors = new Map<string, { version: number; values: Float32Array }>();
  private readonly fixed = new Map<string, FixedPointSpec>();

  /**
   * `weightParams`: fixed quantization parameters per weight block (site key), e.g. those stored in a
   * quantized model file, used instead of computing them from the weights.
   */
  constructor(
    readonly model: Model,
    readonly bits: BitsAssignment,
    readonly calibration: Calibration | null,
    options: QuantOptions = {},
    private readonly weightParams: Readonly<Record<string, WeightParams>> | null = null,
  ) {
    this.options = resolveQuantOptions(options);
    this.name = this.options.integer ? 'integer' : 'fake-quant';
    if (!calibration) throw new MohaqError('INVALID_ARGUMENT', 'Expected a calibration (see calibrate / cachedCalibration) for a quantized model but received nothing');
    // plan every site now: errors (missing statistics) surface before any work
    for (const s of model.sites.all) this.plan(s);
  }

  private plan(site: ProductSite): SitePlan {
    const hit = this.plans.get(site.key);
    if (hit) return hit;
    const o = this.options;
    const cal = this.calibration!;
    const bits = this.bits[site.matrix];
    if (!bits) throw invalidParameter('bits', `an entry for matrix ${site.matrix}`, this.bits);
    const name = operandName(site);
    const parts = siteParts(site, bits, o).map((p): Part => {
      const weights: WeightQuantizer = { bits: p.bits.w, clip: o.weightClip, percentile: o.weightPercentile, perChannel: o.perChannel };
      const fixed = this.weightParams?.[p.site.key];
      if (this.weightParams && p.bits.w !== 32 && !fixed) throw new MohaqError('INVALID_ARGUMENT', `no stored weight quantization for block ${p.site.key}`);
      return { ...p, act: activationQuant(cal.operands[name], p.bits.a, o, name), weights, params: fixed ?? null, variant: `${weightVariantName(weights)}${fixed ? ':stored' : ''}` };
    });
    const range = cal.outputs[site.key];
    if (range === undefined) throw new MohaqError('INVALID_ARGUMENT', `the calibration has no output range for product ${site.key} (made for another architecture?)`);
    const plan = { parts, outFrac: qFractionBits(range) };
    this.plans.set(site.key, plan);
    return plan;
  }

  private weightsOf(k: Kernels, model: Model, part: Part): WeightVariant {
    return weightCache(k).get(model, part.site, part.variant, part.weights.bits === 32 ? undefined : (values, s) => fakeQuantizeWeights(values, s.k, s.n, partParams(part, values)));
  }

  product(site: ProductSite, call: ProductCall): Float32Array | null {
    const k = kernels();
    const plan = this.plan(site);
    const { rows, model } = call;
    const K = site.k;
    // the operand made contiguous [rows x K] (once), and its quantized copies (one per quantizer)
    let contiguous: Float32Array | null = call.lda === K ? call.x : null;
    const contiguousX = (): Float32Array => {
      if (!contiguous) {
        contiguous = k.f32(rows * K, false);
        for (let r = 0; r < rows; r++) contiguous.set(call.x.subarray(r * call.lda, r * call.lda + K), r * K);
      }
      return contiguous;
    };
    const operands = new Map<ActivationQuant, Float32Array>();
    const operandOf = (q: ActivationQuant): Float32Array => {
      let xq = operands.get(q);
      if (!xq) {
        xq = k.f32(rows * K, false);
        fakeQuantizeActivations(k, q, contiguousX(), xq, rows * K);
        operands.set(q, xq);
      }
      return xq;
    };
    let integer = false;
    for (const part of plan.parts) {
      const y = part.start === 0 ? call.y : call.y.subarray(part.start);
      const bias = call.bias ? call.bias.subarray(part.start, part.start + part.site.n) : undefined;
      if (this.options.integer && part.act.kind !== 'float' && part.weights.bits !== 32) {
        this.integerProduct(k, model, part, contiguousX(), rows, y, call.ldy, call.accumulate, bias);
        integer = true;
      } else {
        const float = part.act.kind === 'float';
        const x = float ? call.x : operandOf(part.act);
        // the 16-bit rounding of the gate pre-activations happens in the GEMM's store
        k.gemmF32(x, rows, K, this.weightsOf(k, model, part).packed, y, { accumulate: call.accumulate, bias, lda: float ? call.lda : K, ldc: call.ldy, fixedFrac: plan.outFrac });
      }
    }
    if (integer) roundRows(k, call.y, rows, site.n, call.ldy, plan.outFrac);
    // the weight gradients of training use the operand as quantized (with path skipping: the gates')
    const first = plan.parts[0]!.act;
    return call.train && first.kind !== 'float' ? operandOf(first) : null;
  }

  /** y (+)= x.W + bias with integer operands: i32 products per piece, combined exactly in float64, rescaled by the product of the steps. */
  private integerProduct(k: Kernels, model: Model, part: Part, x: Float32Array, rows: number, y: Float32Array, ldy: number, accumulate: boolean, bias: Float32Array | undefined): void {
    const K = part.site.k;
    const n = part.site.n;
    const W = integerWeights(k, model, part);
    // rows in chunks so the exact (float64) accumulator stays small
    const chunk = Math.max(1, Math.min(rows, Math.floor(65536 / n)));
    const acc = new Float64Array(chunk * n);
    const scale = Float64Array.from(W.steps);
    k.scope(() => {
      const X = integerActivations(k, part.act, x, rows * K);
      for (let i = 0; i < n; i++) scale[i] = X.step * W.steps[i]!;
      const tmp = k.i32(chunk * n);
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const m = Math.min(chunk, rows - r0);
        acc.fill(0);
        for (const p of X.pieces) {
          const codes = p.codes.subarray(r0 * K, (r0 + m) * K);
          for (const q of W.pieces) {
            k.gemmI8(codes, m, K, q.packed, tmp);
            const mult = p.mult * q.mult;
            for (let i = 0; i < m * n; i++) acc[i]! += mult * tmp[i]!;
          }
        }
        for (let r = 0; r < m; r++) {
          // (Xs + ox) . (Ws + ow) = Xs.Ws + ow rowsum(Xs) + ox colsum(Ws) + K ox ow
          let add = 0;
          if (W.offset !== 0) {
            let s = 0;
            for (const p of X.pieces) for (let i = 0; i < K; i++) s += p.mult * p.codes[(r0 + r) * K + i]!;
            add = W.offset * (s + X.offset * K);
          }
          const o = (r0 + r) * ldy;
          for (let j = 0; j < n; j++) {
            let v = (acc[r * n + j]! + add + X.offset * W.colsum[j]!) * scale[j]!;
            if (bias) v += bias[j]!;
            y[o + j] = accumulate ? y[o + j]! + v : v;
          }
        }
      }
    });
  }

  productBackward(site: ProductSite, call: ProductBackwardCall): void {
    const k = kernels();
    const plan = this.plan(site);
    plan.parts.forEach((part, i) => {
      const dy = part.start === 0 ? call.dy : call.dy.subarray(part.start);
      k.gemmF32(dy, call.rows, part.site.n, this.weightsOf(k, call.model, part).transposed(), call.dx, { accumulate: call.accumulate || i > 0, lda: call.ldy, ldc: call.ldx });
    });
  }

  vector(name: string, values: Float32Array, model: Model): Float32Array {
    const hit = this.vectors.get(name);
    if (hit && hit.version === model.version) return hit.values;
    let range = 0;
    for (let i = 0; i < values.length; i++) range = Math.max(range, Math.abs(values[i]!));
    const out = new Float32Array(values.length);
    kernels().fixedPoint(values, out, values.length, qFractionBits(range));
    this.vectors.set(name, { version: model.version, values: out });
    return out;
  }

  recurrence(site: RecurrenceSite): FixedPointSpec {
    const key = `L${site.layer}.${DIRECTION_NAMES[site.direction]}`;
    let spec = this.fixed.get(key);
    if (!spec) {
      const r = this.calibration!.recurrence[key];
      if (!r) throw new MohaqError('INVALID_ARGUMENT', `the calibration has no recurrence ranges for ${key} (made for another architecture?)`);
      // sigmoid gates and tanh candidates are bounded by 1; a ReLU candidate (LiGRU) by what calibration saw
      const bounded = site.cell !== 'ligru';
      spec = { sigmoid: qFractionBits(1), candidate: qFractionBits(bounded ? 1 : r.candidate), state: qFractionBits(r.state), output: qFractionBits(r.output) };
      this.fixed.set(key, spec);
    }
    return spec;
  }
}

/** Rounds rows x n values (row stride ld) to 16-bit fixed point with `frac` fraction bits. */
function roundRows(k: Kernels, y: Float32Array, rows: number, n: number, ld: number, frac: number): void {
  if (ld === n) {
    k.fixedPoint(y, y, rows * n, frac);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const row = y.subarray(r * ld, r * ld + n);
    k.fixedPoint(row, row, n, frac);
  }
}

/**
 * The hook of a bits assignment (spec or assignment): the float model when every matrix is 32/32,
 * else a fake-quant hook (or integer-exact with `integer: true`) that needs the model's calibration.
 * This is the hook quantization-aware training uses.
 */
export function createQuantHook(model: Model, bits: BitsAssignment | string, calibration: Calibration | null, options: QuantOptions = {}): QuantHook {
  const assignment = resolveBits(model, bits);
  resolveQuantOptions(options);
  if (isFloatAssignment(assignment)) return fp32Hook;
  return new QuantizationHook(model, assignment, calibration, options);
}

/** The parts of every product of a model under `bits`: what a quantized model stores per weight block. */
export function productParts(model: Model, bits: BitsAssignment, options: QuantOptions = {}): Array<{ site: ProductSite; bits: MatrixBits; weights: WeightQuantizer }> {
  const o = resolveQuantOptions(options);
  return model.sites.all.flatMap((site) =>
    siteParts(site, bits[site.matrix]!, o).map((p) => ({ site: p.site, bits: p.bits, weights: { bits: p.bits.w, clip: o.weightClip, percentile: o.weightPercentile, perChannel: o.perChannel } })),
  );
}
