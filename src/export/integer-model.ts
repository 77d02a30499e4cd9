/**
 * The integer-only form of a quantized model: everything mohaq's integer engine (`integer-engine.ts`)
 * and the C exporter (`c-export.ts`) need, computed once from a model, its bits, its calibration and
 * the quantizer options — the same quantizers as fake quantization (src/quant), so the integer model
 * computes what mohaq evaluated, with integers only. README.md gives the semantics step by step.
 *
 * Every activation between products is an int16 in a Q-format (the 16-bit formats the quant hook
 * rounds to); every product operand is an integer code (the operand's quantizer); every product is an
 * exact integer sum; every rescaling is `roundShift(acc * mult + g * gmult + bias, shift)` with
 * integer constants planned here so that no intermediate reaches 2^52 (exact in doubles and int64).
 */
import { quantConstants } from '../kernels/ref.js';
import { sruAlpha } from '../nn/arch.js';
import type { Architecture, ResolvedLayer } from '../nn/arch.js';
import { BN_EPS } from '../nn/batchnorm.js';
import type { ProductSite } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { DIRECTION_NAMES } from '../nn/sites.js';
import { activationQuant } from '../quant/activations.js';
import type { ActivationQuant } from '../quant/activations.js';
import { formatBitsSpec } from '../quant/bits-spec.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { operandName } from '../quant/calibration.js';
import type { Calibration } from '../quant/calibration.js';
import { QuantizationHook, resolveBits } from '../quant/hook.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { QuantOptions, ResolvedQuantOptions } from '../quant/options.js';
import { qFractionBits } from '../quant/quantizer.js';
import type { WeightParams } from '../quant/weights.js';
import { MohaqError } from '../util/errors.js';
import { blockCodes, sitePartsOf } from './blocks.js';
import type { SitePart } from './blocks.js';
import { ACT_IN_FRAC, GATE_FRAC, POW2, planShift, planSumFrac, roundAway, sigmoidTable } from './fixed-point.js';

export const INTEGER_MODEL_FORMAT = 'mohaq-integer/1';

/** Per source element: `roundShift(v * mult[i], shift[i])` takes value i of a source to a target format. */
export interface Rescale {
  mult: Float64Array;
  shift: Int8Array;
}

/**
 * How the int16 values feeding a product become its integer codes:
 * `code = clamp(roundShift(v * mult[i], shift[i]) + zero, lo, hi) - zero` (the product multiplies
 * `code`; `zero` is the asymmetric zero point). The engine's input (the first operand's codes, or
 * the features in a Q-format) has no rescale.
 */
export interface IntOperand {
  /** Calibration name of the operand (`L0`, `L1.U.fwd`, `L0.U.bwd.rh`, `FC`, ...). */
  name: string;
  kind: 'symmetric' | 'asymmetric' | 'fixed';
  bits: number;
  lo: number;
  hi: number;
  zero: number;
  /** Real value of one code. */
  step: number;
  /** The f32 factor codes of floats are made with: clamp(roundHalfEven(fround(x * inv)) + zero, lo, hi) (the model input). */
  inv: number;
  rescale: Rescale | null;
}

/** One weight block of a product (the whole matrix, or the gate or candidate columns with path skipping). */
export interface IntPart {
  /** Weight block key (`L0.fwd.U[0:288]`). */
  block: string;
  /** First output column of the part in its product, and its columns. */
  start: number;
  n: number;
  k: number;
  operand: IntOperand;
  /** 2, 4, 8 (integers) or 16 (Q-format). */
  weightBits: number;
  /** [k x n] row-major codes. */
  codes: Int8Array | Int16Array;
  /** Per column: the real step of a weight code (fake-quant weight = fround(code * step)). */
  steps: Float32Array;
}

/**
 * A product and its requantization into an int16 Q-format: per output column j,
 * `y_j = sat16(roundShift(acc_j * mult[j] + g_j * gmult[j] + bias[j], shift[j]))` with acc the exact
 * integer product and g an optional int16 term (the input product of a gated layer, BatchNorm folded
 * into gmult and bias).
 */
export interface IntProduct {
  /** Site key (`L0.W[0:1024]`, `L1.bwd.U[0:288]`). */
  name: string;
  matrix: string;
  k: number;
  n: number;
  /** First column of the product in its weight tensor (the gate column of its g term). */
  colStart: number;
  parts: IntPart[];
  frac: number;
  mult: Float64Array;
  gmult: Float64Array | null;
  bias: Float64Array;
  shift: Int8Array;
}

export interface IntSruDirection {
  stateFrac: number;
  outFrac: number;
  /** Fraction bits of the f and r pre-activation sums (u + v c' + b). */
  gateSumFrac: number;
  /** Fraction bits of the cell-state sum f c' + (1 - f) x~. */
  stateSumFrac: number;
  /** Fraction bits of the output sum r c + (1 - r) x'. */
  outSumFrac: number;
}

export interface IntSruLayer {
  type: 'sru';
  index: number;
  hidden: number;
  directions: number;
  /** Blocks per direction of the gate product: x~, f, r (, x'). */
  blocks: number;
  inputSize: number;
  outputSize: number;
  proj: IntProduct | null;
  gates: IntProduct;
  /** [D, 2, H] v_f, v_r in Q(vFrac); b_f, b_r in Q(bFrac). */
  v: Int16Array;
  vFrac: number;
  b: Int16Array;
  bFrac: number;
  /**
   * The skip term alpha x of a 3-block layer with a highway: per direction d and unit j,
   * x'_j = roundShift(x[d H + j] * mult[d H + j], shift[d H + j]) in Q(skipFrac). Null otherwise.
   */
  skip: (Rescale & { frac: number }) | null;
  dirs: IntSruDirection[];
}

export interface IntGatedDirection {
  /** W x (+ b), int16 in Q(input.frac). */
  input: IntProduct;
  /** [U] (its g term is the input product) or, pytorch-kaldi GRU, [U_rz, U_n on r*h]; PyTorch GRU: [U h + b_h] without g term. */
  recurrent: IntProduct[];
  /** PyTorch GRU: the input product as it enters the gate sums, g * mult[j] + bias[j] in Q(preSumFrac) (BatchNorm folded). */
  inputAffine: { mult: Float64Array; bias: Float64Array } | null;
  stateFrac: number;
  outFrac: number;
  /** LiGRU: Q-format of the ReLU candidate. */
  candFrac: number;
  /** LSTM: fraction bits of f c' + i g. */
  stateSumFrac: number;
  /** GRU/LiGRU: fraction bits of z h' + (1 - z) n. */
  outSumFrac: number;
  /** PyTorch GRU: fraction bits of the r, z, n pre-activation sums. */
  preSumFrac: number;
}

export interface IntGatedLayer {
  type: 'lstm' | 'gru' | 'ligru';
  index: number;
  hidden: number;
  directions: number;
  /** GRU convention (null for LSTM, LiGRU). */
  convention: 'kaldi' | 'torch' | null;
  inputSize: number;
  outputSize: number;
  dirs: IntGatedDirection[];
}

export type IntLayer = IntSruLayer | IntGatedLayer;

export interface IntegerModel {
  format: typeof INTEGER_MODEL_FORMAT;
  /** The architecture with every default written out. */
  architecture: Architecture;
  /** Canonical bits spec. */
  bits: string;
  /** Quantizer options (without `integer`). */
  options: QuantOptions;
  /** The engine's input: the codes of the model's first operand, (T x dim). */
  input: { dim: number; operand: IntOperand };
  layers: IntLayer[];
  fc: IntProduct;
  /** Q-format of the int16 logits. */
  logitFrac: number;
  /** Sigmoid in Q30 at steps of 2^-7 over [0, 16] (see fixed-point.ts). */
  sigmoid: Int32Array;
}

/** What feeds a product: int16 values (or the input codes), one real scale per element. */
interface Source {
  /** Real value of one integer unit of element i. */
  scales: Float64Array;
  /** Largest |integer| of the source. */
  bound: number;
}

function uniformSource(n: number, frac: number, bound = 32768): Source {
  return { scales: new Float64Array(n).fill(2 ** -frac), bound };
}

/** The operand quantizer of an activation quantizer, fed by `source` (null: the model input, codes given). */
function intOperand(name: string, q: ActivationQuant, source: Source | null): IntOperand {
  let base: Omit<IntOperand, 'rescale'>;
  let inv: number;
  switch (q.kind) {
    case 'float':
      throw new MohaqError('UNSUPPORTED', `integer-only inference needs every operand quantized, but operand ${name} is at 32 bits (float); use 2, 4, 8 or 16 bits`);
    case 'symmetric': {
      const c = quantConstants({ bits: q.bits, clip: q.clip });
      inv = c.inv;
      base = { name, kind: 'symmetric', bits: q.bits, lo: c.lo, hi: c.hi, zero: 0, step: c.step, inv };
      break;
    }
    case 'asymmetric':
      inv = q.inv;
      base = { name, kind: 'asymmetric', bits: q.bits, lo: 0, hi: 2 ** q.bits - 1, zero: q.zero, step: q.step, inv };
      break;
    case 'fixed':
      inv = 2 ** q.fracBits;
      base = { name, kind: 'fixed', bits: 16, lo: -32768, hi: 32767, zero: 0, step: 2 ** -q.fracBits, inv };
      break;
  }
  if (!source) return { ...base, rescale: null };
  const n = source.scales.length;
  const mult = new Float64Array(n);
  const shift = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const m = source.scales[i]! * inv;
    const s = planShift([{ bound: source.bound, m }], `operand ${name}`);
    mult[i] = roundAway(m * POW2[s]!);
    shift[i] = s;
  }
  return { ...base, rescale: { mult, shift } };
}

function operandBound(op: IntOperand): number {
  return Math.max(Math.abs(op.lo - op.zero), Math.abs(op.hi - op.zero));
}

/** What `buildIntegerModel` works from: the quant hook of the model (formats, vectors), the bits, the parts per site. */
class Builder {
  readonly hook: QuantizationHook;
  readonly options: ResolvedQuantOptions;
  readonly siteParts: (site: ProductSite) => SitePart[];
  /** The engine's input is the first operand's codes (else the features in a 16-bit Q-format, requantized like any source). */
  inputIsOperand = true;

  constructor(
    readonly model: Model,
    readonly bits: BitsAssignment,
    readonly calibration: Calibration,
    quant: QuantOptions,
    private readonly stored: Readonly<Record<string, WeightParams>> | null,
  ) {
    this.options = resolveQuantOptions(quant);
    this.hook = new QuantizationHook(model, bits, calibration, quant, stored);
    this.siteParts = sitePartsOf(model, bits, quant);
  }

  outFrac(site: ProductSite): number {
    return qFractionBits(this.calibration.outputs[site.key]!);
  }

  /** A non-matrix parameter as the forward uses it (16-bit fixed point), with its codes and format. */
  vector(name: string): { values: Float32Array; codes: Int16Array; frac: number } {
    const raw = this.model.layout.view(this.model.params, name);
    let range = 0;
    for (let i = 0; i < raw.length; i++) range = Math.max(range, Math.abs(raw[i]!));
    const frac = qFractionBits(range);
    const values = this.hook.vector(name, raw, this.model);
    const codes = Int16Array.from(values, (v) => Math.round(v * 2 ** frac));
    return { values, codes, frac };
  }

  /**
   * The product of a site fed by `source`, requantized into Q(frac): bias (real, per column) and a g
   * term (g_j * gm[j] real, per column) when given.
   */
  product(site: ProductSite, source: Source | null, opts: { frac: number; bias?: Float32Array | Float64Array | null; g?: Float64Array | null }): IntProduct {
    const name = operandName(site);
    const frac = opts.frac;
    const n = site.n;
    const mult = new Float64Array(n);
    const gmult = opts.g ? new Float64Array(n) : null;
    const bias = new Float64Array(n);
    const shift = new Int8Array(n);
    const parts: IntPart[] = [];
    for (const p of this.siteParts(site)) {
      if (p.bits.w === 32) throw new MohaqError('UNSUPPORTED', `integer-only inference needs every matrix quantized, but the weights of ${site.matrix} (block ${p.site.key}) are at 32 bits (float); use 2, 4, 8 or 16 bits`);
      const act = activationQuant(this.calibration.operands[name], p.bits.a, this.options, name);
      const operand = intOperand(name, act, source);
      const { codes, steps } = blockCodes(this.model, p, this.stored?.[p.site.key] ?? null);
      parts.push({ block: p.site.key, start: p.start, n: p.site.n, k: p.site.k, operand, weightBits: p.bits.w, codes, steps });
      const ob = operandBound(operand);
      for (let j = 0; j < p.site.n; j++) {
        let sumAbs = 0;
        for (let i = 0; i < p.site.k; i++) sumAbs += Math.abs(codes[i * p.site.n + j]!);
        const col = p.start + j;
        const m = operand.step * steps[j]! * 2 ** frac;
        const gm = opts.g ? opts.g[col]! : 0;
        const b = opts.bias ? opts.bias[col]! * 2 ** frac : 0;
        const s = planShift([{ bound: ob * sumAbs, m }, { bound: 32768, m: gm }, { bound: 1, m: b }], `product ${site.key}`);
        mult[col] = roundAway(m * POW2[s]!);
        if (gmult) gmult[col] = roundAway(gm * POW2[s]!);
        bias[col] = roundAway(b * POW2[s]!);
        shift[col] = s;
      }
    }
    const covered = parts.reduce((s, p) => s + p.n, 0);
    if (covered !== n) throw new MohaqError('INTERNAL', `internal error: the parts of ${site.key} cover ${covered} of ${n} columns`);
    return { name: site.key, matrix: site.matrix, k: site.k, n, colStart: site.colStart, parts, frac, mult, gmult, bias, shift };
  }
}

/** BatchNorm in inference as mohaq's forward computes it: y * scale + shift per column (f32 constants). */
function batchNormAffine(b: Builder, prefix: string): { scale: Float32Array; shift: Float32Array } {
  const gamma = b.vector(`${prefix}.bn.gamma`).values;
  const beta = b.vector(`${prefix}.bn.beta`).values;
  const mean = b.vector(`${prefix}.bn.mean`).values;
  const variance = b.vector(`${prefix}.bn.var`).values;
  const n = gamma.length;
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const invStd = 1 / Math.sqrt(variance[j]! + BN_EPS);
    scale[j] = gamma[j]! * invStd;
    shift[j] = beta[j]! - mean[j]! * gamma[j]! * invStd;
  }
  return { scale, shift };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function recurrenceFormats(b: Builder, l: ResolvedLayer, d: number): { state: number; output: number; candidate: number } {
  const spec = b.hook.recurrence(b.model.sites.layers[l.index]!.recurrence[d]!);
  if (spec.sigmoid !== GATE_FRAC || (l.type !== 'ligru' && spec.candidate !== GATE_FRAC)) {
    throw new MohaqError('INTERNAL', `internal error: gate formats of L${l.index} are Q${spec.sigmoid}/Q${spec.candidate}, the integer engine expects Q${GATE_FRAC}`);
  }
  return { state: spec.state, output: spec.output, candidate: spec.candidate };
}

function sruLayer(b: Builder, l: ResolvedLayer, input: Source): { layer: IntSruLayer; output: Source } {
  const sites = b.model.sites.layers[l.index]!;
  const H = l.hidden;
  const K = l.inputGates;
  const what = `L${l.index}`;
  let proj: IntProduct | null = null;
  let gateSource = input;
  if (sites.proj) {
    const f = b.outFrac(sites.proj);
    proj = b.product(sites.proj, l.index === 0 && b.inputIsOperand ? null : input, { frac: f });
    gateSource = uniformSource(sites.proj.n, f);
  }
  const gateSite = sites.input[0]!;
  const fW = b.outFrac(gateSite);
  const gates = b.product(gateSite, l.index === 0 && !proj && b.inputIsOperand ? null : gateSource, { frac: fW });
  const v = b.vector(`L${l.index}.v`);
  const bias = b.vector(`L${l.index}.b`);
  let skip: IntSruLayer['skip'] = null;
  if (K === 3 && l.skipTerm) {
    const alpha = sruAlpha(l);
    const n = l.directions * H;
    // alpha x, from the layer input columns d H + j, to a common format 16 bits finer than their
    // range (its rounding stays far below a step of the output it is mixed into)
    let range = 0;
    for (let i = 0; i < n; i++) range = Math.max(range, alpha * input.scales[i]! * input.bound);
    const frac = qFractionBits(range) + 16;
    const mult = new Float64Array(n);
    const shift = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const m = alpha * input.scales[i]! * 2 ** frac;
      const s = planShift([{ bound: input.bound, m }], `${what} skip term`);
      mult[i] = roundAway(m * POW2[s]!);
      shift[i] = s;
    }
    skip = { mult, shift, frac };
  }
  const dirs: IntSruDirection[] = [];
  const scales = new Float64Array(l.outputSize);
  for (let d = 0; d < l.directions; d++) {
    const f = recurrenceFormats(b, l, d);
    const gateSumFrac = planSumFrac(
      [{ frac: fW, bound: 32768 }, { frac: v.frac + f.state, bound: 2 ** 30 }, { frac: bias.frac, bound: 32768 }],
      Math.max(fW, v.frac + f.state, bias.frac), ACT_IN_FRAC, `${what} gates`,
    );
    const stateSumFrac = planSumFrac([{ frac: GATE_FRAC + f.state, bound: 2 ** 29 }, { frac: GATE_FRAC + fW, bound: 2 ** 29 }], GATE_FRAC + Math.max(f.state, fW), f.state, `${what} state`);
    const skipFrac = K === 4 ? fW : skip ? skip.frac : f.state;
    const skipBound = K === 4 ? 32768 : skip ? maxSkip(skip, input.bound) : 0;
    const outSumFrac = planSumFrac(
      [{ frac: GATE_FRAC + f.state, bound: 2 ** 29 }, { frac: GATE_FRAC + skipFrac, bound: 2 ** 14 * skipBound }],
      GATE_FRAC + Math.max(f.state, skipFrac), f.output, `${what} output`,
    );
    dirs.push({ stateFrac: f.state, outFrac: f.output, gateSumFrac, stateSumFrac, outSumFrac });
    scales.fill(2 ** -f.output, d * H, (d + 1) * H);
  }
  const layer: IntSruLayer = {
    type: 'sru', index: l.index, hidden: H, directions: l.directions, blocks: K, inputSize: l.inputSize, outputSize: l.outputSize,
    proj, gates, v: v.codes, vFrac: v.frac, b: bias.codes, bFrac: bias.frac, skip, dirs,
  };
  return { layer, output: { scales, bound: 32768 } };
}

function maxSkip(skip: Rescale, bound: number): number {
  let m = 0;
  for (let i = 0; i < skip.mult.length; i++) m = Math.max(m, Math.ceil((bound * skip.mult[i]!) / 2 ** skip.shift[i]!) + 1);
  return m;
}

function gatedLayer(b: Builder, l: ResolvedLayer, input: Source): { layer: IntGatedLayer; output: Source } {
  const sites = b.model.sites.layers[l.index]!;
  const H = l.hidden;
  const G = l.inputGates * H;
  const torch = l.type === 'gru' && l.gru === 'torch';
  const dirs: IntGatedDirection[] = [];
  const scales = new Float64Array(l.outputSize);
  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const what = p;
    const f = recurrenceFormats(b, l, d);
    const inSite = sites.input[d]!;
    const fW = b.outFrac(inSite);
    const inBias = l.batchNorm ? null : b.vector(`${p}.b`).values;
    const inputProduct = b.product(inSite, l.index === 0 && b.inputIsOperand ? null : input, { frac: fW, bias: inBias });
    const bn = l.batchNorm ? batchNormAffine(b, p) : null;
    const own = uniformSource(H, f.output);
    const recurrent: IntProduct[] = [];
    let inputAffine: IntGatedDirection['inputAffine'] = null;
    let preSumFrac = 0;
    if (torch) {
      const uSite = sites.recurrent[d]![0]!;
      const fU = b.outFrac(uSite);
      recurrent.push(b.product(uSite, own, { frac: fU, bias: b.vector(`${p}.bh`).values }));
      const maxScale = bn ? Math.max(maxAbs(bn.scale), 2 ** -30) : 1;
      preSumFrac = planSumFrac(
        [{ frac: fW - Math.log2(maxScale), bound: 32768 }, { frac: 0, bound: bn ? maxAbs(bn.shift) : 0 }, { frac: fU, bound: 32768 }, { frac: GATE_FRAC + fU, bound: 2 ** 29 }],
        Math.max(fW, fU + GATE_FRAC, ACT_IN_FRAC), ACT_IN_FRAC, `${what} gates`,
      );
      const mult = new Float64Array(G);
      const bias = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        mult[j] = roundAway((bn ? bn.scale[j]! : 1) * 2 ** (preSumFrac - fW));
        bias[j] = bn ? roundAway(bn.shift[j]! * 2 ** preSumFrac) : 0;
      }
      inputAffine = { mult, bias };
    } else {
      for (const uSite of sites.recurrent[d]!) {
        const fU = b.outFrac(uSite);
        const g = new Float64Array(uSite.n);
        const shift = new Float64Array(uSite.n);
        for (let j = 0; j < uSite.n; j++) {
          const col = uSite.colStart + j;
          g[j] = (bn ? bn.scale[col]! : 1) * 2 ** (fU - fW);
          shift[j] = bn ? bn.shift[col]! : 0;
        }
        const source = uSite.operand === 'rh' ? uniformSource(H, GATE_FRAC + f.output, 2 ** 29) : own;
        recurrent.push(b.product(uSite, source, { frac: fU, bias: shift, g }));
      }
    }
    const stateSumFrac = l.type === 'lstm' ? planSumFrac([{ frac: GATE_FRAC + f.state, bound: 2 ** 29 }, { frac: 2 * GATE_FRAC, bound: 2 ** 28 }], GATE_FRAC + Math.max(f.state, GATE_FRAC), f.state, `${what} state`) : 0;
    const candFrac = l.type === 'ligru' ? f.candidate : GATE_FRAC;
    const outSumFrac = l.type === 'lstm' ? 0 : planSumFrac([{ frac: GATE_FRAC + f.output, bound: 2 ** 29 }, { frac: GATE_FRAC + candFrac, bound: 2 ** 29 }], GATE_FRAC + Math.max(f.output, candFrac), f.output, `${what} output`);
    dirs.push({ input: inputProduct, recurrent, inputAffine, stateFrac: l.type === 'lstm' ? f.state : 0, outFrac: f.output, candFrac, stateSumFrac, outSumFrac, preSumFrac });
    scales.fill(2 ** -f.output, d * H, (d + 1) * H);
  }
  const layer: IntGatedLayer = { type: l.type as IntGatedLayer['type'], index: l.index, hidden: H, directions: l.directions, convention: l.type === 'gru' ? l.gru : null, inputSize: l.inputSize, outputSize: l.outputSize, dirs };
  return { layer, output: { scales, bound: 32768 } };
}

export interface BuildIntegerModelOptions {
  /** Quantizer options (path skipping, clips, per-channel, asymmetric); `integer` is ignored. */
  quant?: QuantOptions;
  /** Fixed weight quantization per block (a quantized model file's `mohaq.quantization`). */
  weightParams?: Readonly<Record<string, WeightParams>> | null;
}

/**
 * The integer-only model of `model` under `bits` (every matrix at 2, 4, 8 or 16 bits, weights and
 * operands) with the calibration's clips and formats.
 */
export function buildIntegerModel(model: Model, bits: BitsAssignment | string, calibration: Calibration, opts: BuildIntegerModelOptions = {}): IntegerModel {
  const assignment = resolveBits(model, bits);
  for (const [name, mb] of Object.entries(assignment)) {
    if (mb.w === 32 || mb.a === 32) throw new MohaqError('UNSUPPORTED', `integer-only inference needs every matrix quantized, but ${name} is at ${mb.w}/${mb.a}; use 2, 4, 8 or 16 bits for weights and activations`);
  }
  const { integer: _integer, ...quant } = opts.quant ?? {};
  const b = new Builder(model, assignment, calibration, quant, opts.weightParams ?? null);
  const first = model.sites.all[0]!;
  const firstName = operandName(first);
  const firstQuant = activationQuant(calibration.operands[firstName], assignment[first.matrix]!.a, b.options, firstName);
  // An SRU skip term at layer 0 reads the input itself: then the input is the features in the 16-bit
  // Q-format of their calibrated range (exact enough for the skip term), quantized to the first
  // operand like any other source; otherwise the input is the first operand's codes.
  const l0 = model.arch.layers[0]!;
  b.inputIsOperand = !(l0.type === 'sru' && l0.inputGates === 3 && l0.skipTerm);
  const inputOperand = b.inputIsOperand ? intOperand(firstName, firstQuant, null) : intOperand('features', { kind: 'fixed', fracBits: qFractionBits(calibration.operands[firstName]!.rangeAbs) }, null);
  // the input codes as a source (for the SRU skip term of layer 0): one code is one step
  let source: Source = { scales: new Float64Array(model.arch.input).fill(inputOperand.step), bound: operandBound(inputOperand) };
  const layers: IntLayer[] = [];
  for (const l of model.arch.layers) {
    const r = l.type === 'sru' ? sruLayer(b, l, source) : gatedLayer(b, l, source);
    layers.push(r.layer);
    source = r.output;
  }
  const fcSite = model.sites.fc;
  const logitFrac = b.outFrac(fcSite);
  const fc = b.product(fcSite, source, { frac: logitFrac, bias: b.vector('FC.b').values });
  return {
    format: INTEGER_MODEL_FORMAT,
    architecture: model.spec,
    bits: formatBitsSpec(assignment, Object.keys(assignment)),
    options: quant,
    input: { dim: model.arch.input, operand: inputOperand },
    layers,
    fc,
    logitFrac,
    sigmoid: sigmoidTable(),
  };
}
