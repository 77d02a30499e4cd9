/**
 * The quantization hook: the one place every matrix product of a forward pass goes through, and where
 * later stages change how products (and the element-wise recurrence) are computed without touching the
 * layer code.
 *
 * A forward pass calls, per batch:
 * - `beginBatch` once, `endBatch` once;
 * - `product(site, call)` for every matrix product: whole-sequence products (`site.mode === 'sequence'`:
 *   `L{k}.proj`, `L{k}` (per direction for LSTM/GRU/LiGRU), `FC`) once with all T*B time-major rows, and
 *   recurrent products (`'step'`: `L{k}.U` per direction) once per time step with the B utterances;
 * - `vector(name, values)` for every non-matrix parameter it uses (biases, BatchNorm, SRU v and b);
 * - `recurrence(site)` once per layer direction: the 16-bit fixed-point formats of the element-wise
 *   recurrence (gates after the products, cell state, hidden state), or null for floats.
 * A backward pass calls `productBackward(site, call)` for the input gradient of every product; weight
 * gradients are `operand^T . dy` with the operand `product` returned, so a hook that quantizes operands
 * and weights gets straight-through gradients computed with the same quantized values.
 *
 * `fp32Hook` is the default (plain float products on weights packed once per model version). Hooks for
 * fake quantization, integer-exact products, delta networks or calibration implement the same interface,
 * usually by calling `WeightCache` for their weight variants.
 */
import type { Kernels, PackedF32 } from '../kernels/types.js';
import { kernels } from '../kernels/backend.js';
import type { FixedPointSpec } from '../kernels/cells.js';
import type { CellType, MatrixKind } from './arch.js';
import type { Model } from './model.js';

/** What feeds a product: network input features, a layer input, a projection output, the recurrent state, or r*h (pytorch-kaldi GRU candidate). */
export type OperandKind = 'features' | 'x' | 'proj' | 'h' | 'rh';

/** A gate block of a product's output columns (relative to the product's first column). */
export interface GateBlock {
  /** `i`, `f`, `g`, `o` (LSTM); `r`, `z`, `n` (GRU); `z`, `n` (LiGRU); `fwd.x`, `fwd.f`, `fwd.r`, `fwd.skip`, ... (SRU); `out` (FC, projection). */
  readonly name: string;
  readonly start: number;
  readonly size: number;
  /** The candidate path (LSTM g, GRU n, LiGRU n): what path skipping keeps at 16 bits on recurrent matrices. */
  readonly candidate: boolean;
}

/** One matrix product of the model. Sites are created once per model; hooks may key caches on them. */
export interface ProductSite {
  /** Matrix name of bits specs and reports: `L{k}`, `L{k}.U`, `L{k}.proj`, `FC`. */
  readonly matrix: string;
  readonly kind: MatrixKind;
  /** Recurrent layer index, -1 for FC. */
  readonly layer: number;
  readonly cell: CellType | 'linear';
  /** 0 forward, 1 backward direction; -1 for a matrix shared by both (SRU gate matrix, projection, FC). */
  readonly direction: -1 | 0 | 1;
  /** The parameter tensor holding the weights, [k x cols]. */
  readonly tensor: string;
  /** Operand length (rows of the tensor). */
  readonly k: number;
  /** Columns of the whole tensor. */
  readonly cols: number;
  /** This product computes columns [colStart, colStart + n) of the tensor (GRU pytorch-kaldi splits U). */
  readonly colStart: number;
  readonly n: number;
  readonly operand: OperandKind;
  readonly gates: readonly GateBlock[];
  readonly mode: 'sequence' | 'step';
  /** Unique per model: `tensor[colStart:colStart+n]`. */
  readonly key: string;
}

/** The element-wise recurrence of one layer direction. */
export interface RecurrenceSite {
  /** `L{k}`. */
  readonly matrix: string;
  readonly layer: number;
  readonly cell: CellType;
  readonly direction: 0 | 1;
}

export interface ProductCall {
  readonly model: Model;
  /** Operand rows [rows x k], row stride lda. */
  readonly x: Float32Array;
  readonly lda: number;
  readonly rows: number;
  /** Output [rows x n], row stride ldy: y = x.W (+ bias), or y += x.W (+ bias) when accumulate. */
  readonly y: Float32Array;
  readonly ldy: number;
  readonly accumulate: boolean;
  readonly bias: Float32Array | null;
  /** Batch shape: sequence rows are time-major (t*B + b); step rows are the B utterances. */
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array;
  /** Step products: the time index (rows b with lengths[b] <= t are padding); -1 for sequence products. */
  readonly t: number;
  /** Step products: 0, 1, ... in processing order (the backward direction starts at t = T-1); -1 for sequence products. */
  readonly step: number;
  /** A backward pass will follow: an operand returned by `product` must stay valid until then. */
  readonly train: boolean;
}

export interface ProductBackwardCall {
  readonly model: Model;
  /** Gradient of the product's output [rows x n], row stride ldy. */
  readonly dy: Float32Array;
  readonly ldy: number;
  readonly rows: number;
  /** Gradient of the operand [rows x k], row stride ldx: dx = dy.W^T, or dx += dy.W^T when accumulate. */
  readonly dx: Float32Array;
  readonly ldx: number;
  readonly accumulate: boolean;
}

export interface BatchInfo {
  readonly T: number;
  readonly B: number;
  readonly lengths: Int32Array;
  readonly train: boolean;
}

export interface QuantHook {
  readonly name: string;
  beginBatch?(model: Model, info: BatchInfo): void;
  endBatch?(model: Model): void;
  /**
   * Computes the product of a site. Returns the operand it actually multiplied when that is not `x`
   * itself (a quantized copy, [rows x k] contiguous), else null; the layers keep it for the weight
   * gradient. A returned array must stay valid until the backward pass when `call.train` (allocate it
   * with `kernels().f32` in the caller's scope), and until the next call of the same site otherwise.
   */
  product(site: ProductSite, call: ProductCall): Float32Array | null;
  /** dx (+)= dy . W^T with the weights the forward used (straight-through for any quantizer). */
  productBackward(site: ProductSite, call: ProductBackwardCall): void;
  /** The values of a non-matrix parameter (bias, BatchNorm, SRU vector) as the forward uses them. */
  vector?(name: string, values: Float32Array, model: Model): Float32Array;
  /** Fixed-point formats of one layer direction's element-wise recurrence, or null (float). */
  recurrence?(site: RecurrenceSite, model: Model): FixedPointSpec | null;
}

// ---- weight variants, packed once -----------------------------------------------------------------

/** One variant of a site's weights (fp32, 4-bit, ...): the values and their packed forms. */
export interface WeightVariant {
  /** The effective weights [k x n] of the site's column block (after the variant's transform). */
  readonly values: Float32Array;
  /** Packed for y = x.W. */
  readonly packed: PackedF32;
  /** Packed W^T for dx = dy.W^T (made on first use). */
  transposed(): PackedF32;
}

class CachedVariant implements WeightVariant {
  private packedT: PackedF32 | null = null;
  constructor(
    private readonly k: Kernels,
    readonly site: ProductSite,
    readonly version: number,
    readonly values: Float32Array,
    readonly packed: PackedF32,
  ) {}
  transposed(): PackedF32 {
    if (!this.packedT) this.packedT = this.k.packF32(this.values, this.site.n, this.site.k, true);
    return this.packedT;
  }
  dispose(): void {
    this.packed.dispose();
    this.packedT?.dispose();
    this.packedT = null;
  }
}

/** Copies the site's column block [k x n] out of its tensor. */
export function weightBlock(model: Model, site: ProductSite): Float32Array {
  const w = model.layout.view(model.params, site.tensor);
  const out = new Float32Array(site.k * site.n);
  if (site.colStart === 0 && site.n === site.cols) {
    out.set(w);
    return out;
  }
  for (let i = 0; i < site.k; i++) out.set(w.subarray(i * site.cols + site.colStart, i * site.cols + site.colStart + site.n), i * site.n);
  return out;
}

/**
 * Weight variants per (model, site, variant name), computed and packed once per model version (the
 * version changes when parameters change: `touchModel`). Packed matrices belong to one kernels
 * instance, so a cache is per instance too.
 */
export class WeightCache {
  private readonly models = new WeakMap<Model, Map<string, Map<string, CachedVariant>>>();
  constructor(readonly k: Kernels) {}

  /**
   * The site's weights for `variant`; `transform` (in place on a fresh copy of the fp32 block, [k x n])
   * runs once per model version: e.g. fake quantization at 4 bits for variant `'w4'`. Entries are keyed
   * by `site.key` (a precomputed string, so lookups allocate nothing), so blocks made by `blockSite`
   * share their variants.
   */
  get(model: Model, site: ProductSite, variant = 'fp32', transform?: (values: Float32Array, site: ProductSite) => void): WeightVariant {
    let bySite = this.models.get(model);
    if (!bySite) {
      bySite = new Map();
      this.models.set(model, bySite);
    }
    let byVariant = bySite.get(site.key);
    if (!byVariant) {
      byVariant = new Map();
      bySite.set(site.key, byVariant);
    }
    const hit = byVariant.get(variant);
    if (hit && hit.version === model.version) return hit;
    hit?.dispose();
    const values = weightBlock(model, site);
    transform?.(values, site);
    const v = new CachedVariant(this.k, site, model.version, values, this.k.packF32(values, site.k, site.n));
    byVariant.set(variant, v);
    return v;
  }

  /** Drops (and frees) every variant of a model. */
  clear(model: Model): void {
    const bySite = this.models.get(model);
    if (!bySite) return;
    for (const m of bySite.values()) for (const v of m.values()) v.dispose();
    this.models.delete(model);
  }
}

const caches = new WeakMap<Kernels, WeightCache>();

/** The shared weight cache of a kernels instance (used by the fp32 hook). */
export function weightCache(k: Kernels = kernels()): WeightCache {
  let c = caches.get(k);
  if (!c) {
    c = new WeightCache(k);
    caches.set(k, c);
  }
  return c;
}

/**
 * The part of a site that computes one gate block: for hooks that split a product, e.g. to keep the
 * candidate path at higher precision (path skipping). Its columns start `block.start` columns into the
 * site's output, so the hook writes `y.subarray(block.start)` with the same ldy.
 */
export function blockSite(site: ProductSite, block: GateBlock): ProductSite {
  const colStart = site.colStart + block.start;
  return { ...site, colStart, n: block.size, gates: [{ ...block, start: 0 }], key: `${site.tensor}[${colStart}:${colStart + block.size}]` };
}

/** y (+)= x.W (+ bias) with a weight variant: the fp32 product every hook can fall back to. */
export function multiply(k: Kernels, w: WeightVariant, site: ProductSite, call: ProductCall, x: Float32Array = call.x, lda: number = call.lda): void {
  k.gemmF32(x, call.rows, site.k, w.packed, call.y, { accumulate: call.accumulate, bias: call.bias ?? undefined, lda, ldc: call.ldy });
}

/** dx (+)= dy.W^T with a weight variant. */
export function multiplyBackward(k: Kernels, w: WeightVariant, site: ProductSite, call: ProductBackwardCall): void {
  k.gemmF32(call.dy, call.rows, site.n, w.transposed(), call.dx, { accumulate: call.accumulate, lda: call.ldy, ldc: call.ldx });
}

/** Plain float products on the model's weights (the default hook). */
export const fp32Hook: QuantHook = {
  name: 'fp32',
  product(site, call) {
    const k = kernels();
    multiply(k, weightCache(k).get(call.model, site), site, call);
    return null;
  },
  productBackward(site, call) {
    const k = kernels();
    multiplyBackward(k, weightCache(k).get(call.model, site), site, call);
  },
};
