/**
 * Delta-network inference as a quantization hook (src/nn/hook.ts): the quant module's integer-exact
 * scheme (weights at W bits, operands quantized to integer codes with their calibrated clips, results
 * and the element-wise recurrence in 16-bit fixed point) with every product computed incrementally
 * from the operand elements that changed.
 *
 * Per product part (a site, or its gate and candidate blocks under path skipping) and per utterance:
 * - x_hat holds the last transmitted level of every operand element (0 before the first frame);
 * - at each real frame, element i is transmitted when |level_i - x_hat_i| > threshold; its delta
 *   level_i - x_hat_i goes into the row's list and x_hat_i takes the new level;
 * - the product accumulator M (initially 0) adds delta_i * W[i, :] for the transmitted elements only
 *   (`k.deltaProductI8` / `deltaProductF64`: the weight rows of skipped elements are never read), so
 *   M = W . x_hat exactly, and the output is M rescaled by the product of the steps, plus the bias.
 *
 * Sequence operands (T*B rows) are walked in each utterance's processing order (t = 0.. for the
 * forward direction and shared matrices, t = len-1 .. 0 for a backward direction's input matrix);
 * recurrent operands keep x_hat and M across the step calls of one direction (`call.step === 0`
 * starts a new sequence). Padding rows (t >= lengths[b]) transmit nothing and count no MACs; their
 * output is the held product.
 *
 * Exactness: integer operands with integer weights accumulate integers exactly (i32 for <= 8-bit
 * operands and weights; f64, exact below 2^53, when either side is 16-bit) and rescale with the same
 * float64 arithmetic as the quant module's integer-exact mode, so threshold 0 reproduces that mode bit
 * for bit. A part with a float side (32-bit operand or weights) accumulates in f64 and equals the
 * dense product up to float rounding.
 *
 * The pytorch-kaldi GRU's candidate operand r*h (`rh`) changes with r every step; it is delta-encoded
 * as its own input (as the papers' code does for its `rt_mul`), with the threshold of `L{k}.U`. The
 * PyTorch-convention GRU multiplies h itself (`r * (U_n h + b_hn)`), so its U takes deltas on h.
 */
import { kernels } from '../kernels/backend.js';
import type { Kernels } from '../kernels/types.js';
import type { FixedPointSpec } from '../kernels/cells.js';
import { fp32Hook } from '../nn/hook.js';
import type { ProductCall, ProductSite, QuantHook, RecurrenceSite } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { activationQuant } from '../quant/activations.js';
import type { ActivationQuant } from '../quant/activations.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { operandName } from '../quant/calibration.js';
import type { Calibration } from '../quant/calibration.js';
import { QuantizationHook, isFloatAssignment, productParts, resolveBits } from '../quant/hook.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { QuantOptions, ResolvedQuantOptions } from '../quant/options.js';
import { qFractionBits } from '../quant/quantizer.js';
import { weightVariantName } from '../quant/weights.js';
import type { WeightQuantizer } from '../quant/weights.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { levelStep, operandLevels, smallIntegerLevels } from './operand.js';
import type { Levels } from './operand.js';
import { resolveThresholds } from './thresholds.js';
import type { ThresholdAssignment } from './thresholds.js';
import { deltaWeights } from './weights.js';
import type { DeltaWeights } from './weights.js';

/** What one product part transmitted: the raw counts the statistics are made of. */
export interface PartCounter {
  /** Matrix name (`L1`, `L1.U`, `FC`, ...). */
  readonly matrix: string;
  /** Operand name as in the calibration (`L1`, `L1.U.fwd`, `L1.U.fwd.rh`, `FC`). */
  readonly operand: string;
  readonly layer: number;
  /** Operand length and output columns of the part. */
  readonly k: number;
  readonly n: number;
  /** Real (non-padding) frames the part processed. */
  frames: number;
  /** Operand elements transmitted over those frames (each costs n MACs; the rest are skipped). */
  transmitted: number;
}

/** One product of a site as the delta hook computes it. */
interface DeltaPart {
  readonly site: ProductSite;
  /** First output column within the parent site's output. */
  readonly start: number;
  readonly act: ActivationQuant;
  readonly weights: WeightQuantizer;
  readonly variant: string;
  /** Transmit when |level - held| > threshold, in this part's levels. */
  readonly threshold: number;
  readonly kernel: 'i8' | 'f64';
  readonly xStep: number;
  readonly counter: PartCounter;
  /** Per column xStep * weight step, for the weights it was made from. */
  scale: { weights: DeltaWeights; scale: Float64Array } | null;
}

interface SitePlan {
  readonly parts: DeltaPart[];
  /** Fraction bits of the 16-bit product result, or null (float model: no rounding). */
  readonly outFrac: number | null;
}

/** Held levels and accumulators of one part over B utterances (recurrent products keep them across steps). */
interface PartState {
  B: number;
  /** [B x k] last transmitted levels: Int32Array for the i8 kernel, Float64Array for the f64 kernel. */
  held: Int32Array | Float64Array;
  /** [B x n] the running products W . held (Int32Array / Float64Array likewise). */
  acc: Int32Array | Float64Array;
}

/** Reused per-call lists: kernel rows (output row, utterance slot, real or padding), CSR starts, entries. */
interface RowScratch {
  row: Int32Array;
  slot: Int32Array;
  real: Uint8Array;
  start: Int32Array;
  index: Int32Array;
  deltaI: Int32Array;
  deltaF: Float64Array;
}

/** Entries per kernel call at most (transmitted elements of a chunk of rows): bounds scratch memory. */
const CHUNK_ELEMENTS = 1 << 20;

export interface DeltaHookOptions {
  /** How to quantize (clip methods, path skipping, ...); products are always integer-exact. */
  quant?: QuantOptions;
}

export class DeltaHook implements QuantHook {
  readonly name = 'delta';
  readonly bits: BitsAssignment;
  readonly thresholds: ThresholdAssignment;
  readonly options: ResolvedQuantOptions;
  /** Transmission counts per product part (site block and operand), in forward order. */
  readonly counters = new Map<string, PartCounter>();
  private readonly plans = new Map<string, SitePlan>();
  private readonly steps = new Map<string, PartState>();
  private scratch: RowScratch = { row: new Int32Array(0), slot: new Int32Array(0), real: new Uint8Array(0), start: new Int32Array(1), index: new Int32Array(0), deltaI: new Int32Array(0), deltaF: new Float64Array(0) };
  /** The fixed-point formats of vectors and the recurrence (the quant module's), or null for the float model. */
  private readonly fixed: QuantizationHook | null;

  constructor(
    readonly model: Model,
    bits: BitsAssignment | string,
    readonly calibration: Calibration | null,
    thresholds: ThresholdAssignment | string,
    opts: DeltaHookOptions = {},
  ) {
    this.bits = resolveBits(model, bits);
    this.thresholds = resolveThresholds(thresholds, Object.keys(this.bits));
    this.options = resolveQuantOptions({ ...opts.quant, integer: true });
    const float = isFloatAssignment(this.bits);
    if (!float && !calibration) throw new MohaqError('INVALID_ARGUMENT', 'Expected a calibration (see calibrate / cachedCalibration) for a quantized model but received nothing');
    this.fixed = float ? null : new QuantizationHook(model, this.bits, calibration, { ...opts.quant, integer: true });
    const parts = productParts(model, this.bits, { ...opts.quant, integer: true });
    for (const site of model.sites.all) this.plans.set(site.key, this.plan(site, parts, float));
  }

  private plan(site: ProductSite, parts: ReturnType<typeof productParts>, float: boolean): SitePlan {
    const o = this.options;
    const name = operandName(site);
    const stats = this.calibration?.operands[name];
    const gene = this.bits[site.matrix]!;
    const theta = this.thresholds[site.matrix]!;
    const geneStep = levelStep(activationQuant(stats, gene.a, o, name));
    const own = parts.filter((p) => p.site.tensor === site.tensor && p.site.colStart >= site.colStart && p.site.colStart + p.site.n <= site.colStart + site.n);
    const plan: DeltaPart[] = own.map((p) => {
      const act = activationQuant(stats, p.bits.a, o, name);
      const step = levelStep(act);
      // a part at other bits than the matrix's (path skipping's 16-bit candidate) gets the same threshold in value
      const threshold = p.bits.a === gene.a ? theta : (theta * geneStep) / step;
      const kernel = smallIntegerLevels(act) && p.bits.w <= 8 ? 'i8' : 'f64';
      const key = `${p.site.key}|${name}`;
      const counter: PartCounter = { matrix: site.matrix, operand: name, layer: site.layer, k: p.site.k, n: p.site.n, frames: 0, transmitted: 0 };
      this.counters.set(key, counter);
      return { site: p.site, start: p.site.colStart - site.colStart, act, weights: p.weights, variant: weightVariantName(p.weights), threshold, kernel, xStep: step, counter, scale: null };
    });
    if (float) return { parts: plan, outFrac: null };
    const range = this.calibration!.outputs[site.key];
    if (range === undefined) throw new MohaqError('INVALID_ARGUMENT', `the calibration has no output range for product ${site.key} (made for another architecture?)`);
    return { parts: plan, outFrac: qFractionBits(range) };
  }

  beginBatch(): void {
    this.steps.clear();
  }

  endBatch(): void {
    this.steps.clear();
  }

  product(site: ProductSite, call: ProductCall): Float32Array | null {
    if (call.train) throw new MohaqError('UNSUPPORTED', 'delta networks are inference only (no training pass through the delta hook)');
    const plan = this.plans.get(site.key);
    if (!plan) throw invalidParameter('product site', `a site of the hook's model (${this.model.arch.name})`, site.key);
    const k = kernels();
    for (const part of plan.parts) {
      k.scope(() => (site.mode === 'step' ? this.stepProduct(k, part, call) : this.sequenceProduct(k, part, call, site.direction === 1)));
    }
    if (plan.outFrac !== null) roundRows(k, call.y, call.rows, site.n, call.ldy, plan.outFrac);
    return null;
  }

  /** One step of a recurrent product: the B rows continue the sequence of the previous step call. */
  private stepProduct(k: Kernels, part: DeltaPart, call: ProductCall): void {
    const { B, lengths, t } = call;
    const key = part.counter.operand + part.site.key;
    let state = this.steps.get(key);
    if (call.step === 0 || !state || state.B !== B) {
      state = newState(part, B, null);
      this.steps.set(key, state);
    }
    const levels = operandLevels(k, part.act, call.x, B, part.site.k, call.lda);
    const rows = this.rows(B);
    for (let b = 0; b < B; b++) {
      rows.row[b] = b;
      rows.slot[b] = b;
      rows.real[b] = t < lengths[b]! ? 1 : 0;
    }
    this.deltaRows(k, part, call, state, levels, B);
  }

  /** A whole-sequence product: each utterance walked in its processing order, in chunks of steps. */
  private sequenceProduct(k: Kernels, part: DeltaPart, call: ProductCall, reverse: boolean): void {
    const { T, B, lengths } = call;
    if (call.rows !== T * B) throw invalidParameter(`the rows of product ${part.site.key}`, `T x B = ${T * B} (a sequence product)`, call.rows);
    const state = newState(part, B, k);
    const levels = operandLevels(k, part.act, call.x, call.rows, part.site.k, call.lda);
    const stepsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / (B * part.site.k)));
    for (let s0 = 0; s0 < T; s0 += stepsPerChunk) {
      const S = Math.min(stepsPerChunk, T - s0);
      const rows = this.rows(S * B);
      // kernel row q = (s - s0) * B + b holds frame t(s) of utterance b
      for (let s = 0; s < S; s++) {
        const tt = reverse ? T - 1 - (s0 + s) : s0 + s;
        for (let b = 0; b < B; b++) {
          const q = s * B + b;
          rows.row[q] = tt * B + b;
          rows.slot[q] = b;
          rows.real[q] = tt < lengths[b]! ? 1 : 0;
        }
      }
      this.deltaRows(k, part, call, state, levels, S * B);
    }
  }

  /** Row scratch for `count` kernel rows (grown as needed, reused). */
  private rows(count: number): RowScratch {
    if (this.scratch.row.length < count) this.scratch = { ...this.scratch, row: new Int32Array(count), slot: new Int32Array(count), real: new Uint8Array(count), start: new Int32Array(count + 1) };
    return this.scratch;
  }

  /** List scratch for `entries` transmitted elements at most. */
  private lists(entries: number, float: boolean): { index: Int32Array; deltaI: Int32Array; deltaF: Float64Array } {
    const sc = this.scratch;
    if (sc.index.length < entries) sc.index = new Int32Array(entries);
    if (float && sc.deltaF.length < entries) sc.deltaF = new Float64Array(entries);
    if (!float && sc.deltaI.length < entries) sc.deltaI = new Int32Array(entries);
    return sc;
  }

  /**
   * The delta product of the first `count` rows of the row scratch: row q reads operand row row[q] of
   * `levels` (when real[q]) against the held levels of utterance slot[q], and writes output row
   * row[q]. Rows of one slot come in processing order.
   */
  private deltaRows(k: Kernels, part: DeltaPart, call: ProductCall, state: PartState, levels: Levels, count: number): void {
    const K = part.site.k;
    const { row, slot, real, start } = this.scratch;
    const float = part.kernel === 'f64';
    const { index, deltaI, deltaF } = this.lists(count * K, float);
    const e = float
      ? encodeFloat(levels, state.held as Float64Array, K, part.threshold, count, row, slot, real, start, index, deltaF)
      : encodeInt(levels, state.held as Int32Array, K, part.threshold, count, row, slot, real, start, index, deltaI);
    let frames = 0;
    for (let q = 0; q < count; q++) frames += real[q]!;
    part.counter.frames += frames;
    part.counter.transmitted += e;

    const W = deltaWeights(k, call.model, part.site, part.weights, part.variant, part.kernel);
    if (part.scale?.weights !== W) {
      const scale = new Float64Array(part.site.n);
      for (let j = 0; j < scale.length; j++) scale[j] = part.xStep * W.steps[j]!;
      part.scale = { weights: W, scale };
    }
    const out = {
      scale: part.scale.scale,
      bias: call.bias ? call.bias.subarray(part.start, part.start + part.site.n) : null,
      y: part.start === 0 ? call.y : call.y.subarray(part.start),
      yRow: row.subarray(0, count),
      ldy: call.ldy,
      accumulate: call.accumulate,
    };
    const starts = start.subarray(0, count + 1);
    const slots = slot.subarray(0, count);
    if (float) k.deltaStepF64(W.packed, count, starts, index, deltaF, slots, state.acc as Float64Array, out);
    else k.deltaStepI8(W.packed, count, starts, index, deltaI, slots, state.acc as Int32Array, out);
  }

  productBackward(): void {
    throw new MohaqError('UNSUPPORTED', 'delta networks are inference only (no backward pass through the delta hook)');
  }

  vector(name: string, values: Float32Array, model: Model): Float32Array {
    return this.fixed ? this.fixed.vector(name, values, model) : values;
  }

  recurrence(site: RecurrenceSite): FixedPointSpec | null {
    return this.fixed ? this.fixed.recurrence(site) : null;
  }

  /** Zeroes the transmission counters (e.g. between evaluations that share a hook). */
  resetCounters(): void {
    for (const c of this.counters.values()) {
      c.frames = 0;
      c.transmitted = 0;
    }
  }
}

/** A fresh state (nothing transmitted yet); in the kernels' scope when `k` is given (one call), else on the heap (kept across step calls). */
function newState(part: DeltaPart, B: number, k: Kernels | null): PartState {
  const K = part.site.k;
  const n = part.site.n;
  if (part.kernel === 'i8') return { B, held: new Int32Array(B * K), acc: k ? k.i32(B * n) : new Int32Array(B * n) };
  return { B, held: new Float64Array(B * K), acc: k ? f64(k, B * n) : new Float64Array(B * n) };
}

/**
 * Transmission lists of `count` rows (integer levels): element i of a real row goes into the list when
 * |level - held| > threshold, and held takes the level. Returns the number of entries.
 */
function encodeInt(levels: Levels, held: Int32Array, K: number, threshold: number, count: number, row: Int32Array, slot: Int32Array, real: Uint8Array, start: Int32Array, index: Int32Array, delta: Int32Array): number {
  let e = 0;
  start[0] = 0;
  for (let q = 0; q < count; q++) {
    if (real[q]) {
      const lo = row[q]! * K;
      const ho = slot[q]! * K;
      for (let i = 0; i < K; i++) {
        const v = levels[lo + i]!;
        const d = v - held[ho + i]!;
        if (d > threshold || d < -threshold) {
          index[e] = i;
          delta[e] = d;
          e++;
          held[ho + i] = v;
        }
      }
    }
    start[q + 1] = e;
  }
  return e;
}

/**
 * encodeInt for the f64 kernel (16-bit codes or float levels; differences exact in f64). A twin rather
 * than a generic: each hot loop then sees one typed-array kind and V8 keeps it monomorphic.
 */
function encodeFloat(levels: Levels, held: Float64Array, K: number, threshold: number, count: number, row: Int32Array, slot: Int32Array, real: Uint8Array, start: Int32Array, index: Int32Array, delta: Float64Array): number {
  let e = 0;
  start[0] = 0;
  for (let q = 0; q < count; q++) {
    if (real[q]) {
      const lo = row[q]! * K;
      const ho = slot[q]! * K;
      for (let i = 0; i < K; i++) {
        const v = levels[lo + i]!;
        const d = v - held[ho + i]!;
        if (d > threshold || d < -threshold) {
          index[e] = i;
          delta[e] = d;
          e++;
          held[ho + i] = v;
        }
      }
    }
    start[q + 1] = e;
  }
  return e;
}

/** A zeroed f64 working array in the kernels' scope (the interface allocates 32-bit words: two per f64). */
function f64(k: Kernels, n: number): Float64Array {
  const words = k.i32(2 * n);
  return new Float64Array(words.buffer, words.byteOffset, n);
}

/** Rounds rows x n values (row stride ld) to 16-bit fixed point with `frac` fraction bits (as the quant module's hook). */
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

/** The dense counterpart of a delta hook (what threshold 0 must reproduce): the quant module's integer-exact hook, or fp32. */
export function denseHook(model: Model, bits: BitsAssignment, calibration: Calibration | null, quant: QuantOptions = {}): QuantHook {
  return isFloatAssignment(bits) ? fp32Hook : new QuantizationHook(model, bits, calibration, { ...quant, integer: true });
}
