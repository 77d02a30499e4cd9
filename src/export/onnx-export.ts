/**
 * ONNX export of a quantized model (opset 13): what mohaq's fake quantization computes, with standard
 * operators, for onnxruntime and other engines.
 *
 * - Weights: integer initializers with DequantizeLinear (int8 codes for 2..8 bits with their scale,
 *   per tensor or per output column; int32 codes with scale 2^-f for 16-bit Q-formats: ONNX has no
 *   int16 or int4 quantization before opset 21); float initializers at 32 bits.
 * - Operands: QuantizeLinear/DequantizeLinear before each product (int8 with zero point 0, or uint8
 *   with the asymmetric zero point; a Clip first for 2 and 4 bits, whose code range is narrower than
 *   int8's); 16-bit operands as the float Q-format emulation x -> Round(x 2^f) clamped / 2^f; none at
 *   32 bits.
 * - Products: MatMul (+ bias), the result rounded to its 16-bit Q-format (Mul, Round, Clip, Mul), as
 *   mohaq rounds every product result; BatchNorm as Mul/Add with mohaq's inference constants.
 * - Recurrences: an LSTM/GRU layer whose input and recurrent operands are both at 32 bits (only the
 *   weights quantized) is the standard LSTM/GRU operator (GRU linear_before_reset = 1 for PyTorch's
 *   convention, 0 for pytorch-kaldi's), weights dequantized with BatchNorm folded into their scales and
 *   biases; its element-wise recurrence runs in float (the fused operator has no place for mohaq's
 *   16-bit rounding). Every other layer (SRU always, LiGRU, quantized operands) is a Scan over time
 *   per direction whose body is the step of mohaq's fake quantization: the recurrent product with its
 *   QDQ operand, gates rounded to Q14, state and output rounded to their Q-formats.
 *
 * Graph input `features` [T, B, D] float (time-major, equal lengths), output `logits` [T, B, outputs].
 */
import { sruAlpha } from '../nn/arch.js';
import type { ResolvedLayer } from '../nn/arch.js';
import { BN_EPS } from '../nn/batchnorm.js';
import { weightBlock } from '../nn/hook.js';
import type { ProductSite } from '../nn/hook.js';
import type { Model } from '../nn/model.js';
import { DIRECTION_NAMES } from '../nn/sites.js';
import { activationQuant } from '../quant/activations.js';
import type { ActivationQuant } from '../quant/activations.js';
import { formatBitsSpec } from '../quant/bits-spec.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { operandName } from '../quant/calibration.js';
import type { Calibration } from '../quant/calibration.js';
import { QuantizationHook, isFloatAssignment, resolveBits } from '../quant/hook.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { QuantOptions, ResolvedQuantOptions } from '../quant/options.js';
import { qFractionBits } from '../quant/quantizer.js';
import type { WeightParams } from '../quant/weights.js';
import { quantConstants } from '../kernels/ref.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { blockCodes, sitePartsOf } from './blocks.js';
import type { SitePart } from './blocks.js';
import { GATE_FRAC } from './fixed-point.js';
import { attr, encodeModel, tensor, toProto, valueInfo } from './onnx-proto.js';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensorProto, OnnxValueInfo, Tensor } from './onnx-proto.js';

export const ONNX_OPSET = 13;

export interface OnnxExportOptions {
  quant?: QuantOptions;
  /** Fixed weight quantization per block (a quantized model file's). */
  weightParams?: Readonly<Record<string, WeightParams>> | null;
  /** `auto`: LSTM/GRU operators where only weights are quantized; `scan`: every layer as a Scan of mohaq's fake-quantized step. @default 'auto' */
  recurrence?: 'auto' | 'scan';
}

export interface OnnxExportResult {
  model: OnnxModel;
  bytes: Uint8Array;
  /** How each recurrent layer was expressed. */
  layers: Array<{ layer: number; type: string; form: 'LSTM' | 'GRU' | 'Scan' }>;
}

/** Nodes of one graph (the main graph or a Scan body); initializers all go to the main graph. */
class Graph {
  readonly nodes: OnnxNode[] = [];
  constructor(private readonly b: Builder) {}

  op(type: string, inputs: string[], attributes: OnnxAttribute[] = [], outputs = 1, hint = type): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.b.name(`${hint}${outputs > 1 ? `_${i}` : ''}`));
    this.nodes.push({ opType: type, input: inputs, output: outs, name: this.b.name(`${hint}:${type}`), attribute: attributes });
    return outs;
  }

  one(type: string, inputs: string[], attributes: OnnxAttribute[] = [], hint = type): string {
    return this.op(type, inputs, attributes, 1, hint)[0]!;
  }

  /** x rounded to the 16-bit Q-format with `frac` fraction bits: clamp(round(x 2^f), -32768, 32767) / 2^f. */
  roundQ(x: string, frac: number, hint: string): string {
    const b = this.b;
    const scaled = this.one('Mul', [x, b.f32(2 ** frac)], [], hint);
    const r = this.one('Round', [scaled], [], hint);
    const c = this.one('Clip', [r, b.f32(-32768), b.f32(32767)], [], hint);
    return this.one('Mul', [c, b.f32(2 ** -frac)], [], hint);
  }

  /** The operand x as its quantizer makes it (QDQ, or the Q-format emulation at 16 bits). */
  operand(x: string, q: ActivationQuant, hint: string): string {
    const b = this.b;
    switch (q.kind) {
      case 'float':
        return x;
      case 'fixed':
        return this.roundQ(x, q.fracBits, `${hint}.q16`);
      case 'symmetric': {
        const c = quantConstants({ bits: q.bits, clip: q.clip });
        const scale = b.f32(c.step);
        const zero = b.int8(0);
        const input = q.bits < 8 ? this.one('Clip', [x, b.f32(Math.fround(c.lo * c.step)), b.f32(Math.fround(c.hi * c.step))], [], `${hint}.clip`) : x;
        const codes = this.one('QuantizeLinear', [input, scale, zero], [], `${hint}.q${q.bits}`);
        return this.one('DequantizeLinear', [codes, scale, zero], [], `${hint}.dq`);
      }
      case 'asymmetric': {
        const scale = b.f32(q.step);
        const zero = b.uint8(q.zero);
        const top = 2 ** q.bits - 1;
        const input = q.bits < 8 ? this.one('Clip', [x, b.f32(Math.fround(-q.zero * q.step)), b.f32(Math.fround((top - q.zero) * q.step))], [], `${hint}.clip`) : x;
        const codes = this.one('QuantizeLinear', [input, scale, zero], [], `${hint}.q${q.bits}u`);
        return this.one('DequantizeLinear', [codes, scale, zero], [], `${hint}.dq`);
      }
    }
  }

  slice(x: string, axis: number, start: number, end: number, hint: string): string {
    const b = this.b;
    return this.one('Slice', [x, b.i64([start]), b.i64([end]), b.i64([axis])], [], hint);
  }
}

class Builder {
  readonly initializers: OnnxTensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  readonly main: Graph;
  readonly hook: QuantizationHook;
  readonly options: ResolvedQuantOptions;
  readonly siteParts: (site: ProductSite) => SitePart[];
  /** Dequantized weights per block key (computed once in the main graph). */
  private readonly weights = new Map<string, string>();

  constructor(
    readonly model: Model,
    readonly bits: BitsAssignment,
    readonly calibration: Calibration,
    quant: QuantOptions,
    readonly stored: Readonly<Record<string, WeightParams>> | null,
  ) {
    this.options = resolveQuantOptions(quant);
    this.hook = new QuantizationHook(model, bits, calibration, quant, stored);
    this.siteParts = sitePartsOf(model, bits, quant);
    this.main = new Graph(this);
  }

  name(base: string): string {
    let n = base;
    for (let i = 1; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  init(base: string, t: Tensor): string {
    const n = this.name(base);
    this.initializers.push(toProto(n, t));
    return n;
  }

  private constant(key: string, make: () => Tensor, base: string): string {
    let n = this.constants.get(key);
    if (!n) {
      n = this.init(base, make());
      this.constants.set(key, n);
    }
    return n;
  }

  f32(v: number): string {
    return this.constant(`f32:${Object.is(v, -0) ? '-0' : v}`, () => tensor('float32', [], [v]), 'c');
  }
  int8(v: number): string {
    return this.constant(`i8:${v}`, () => tensor('int8', [], [v]), 'zp');
  }
  uint8(v: number): string {
    return this.constant(`u8:${v}`, () => tensor('uint8', [], [v]), 'zp');
  }
  i64(v: number[]): string {
    return this.constant(`i64:${v.join(',')}`, () => tensor('int64', [v.length], v), 'i');
  }

  outFrac(site: ProductSite): number {
    return qFractionBits(this.calibration.outputs[site.key]!);
  }

  act(site: ProductSite, bitsA: number): ActivationQuant {
    const name = operandName(site);
    return activationQuant(this.calibration.operands[name], bitsA, this.options, name);
  }

  vector(name: string): Float32Array {
    return this.hook.vector(name, this.model.layout.view(this.model.params, name), this.model);
  }

  /** The float weights [k x n] of a part, dequantized from its codes (DequantizeLinear) or as they are at 32 bits. */
  partWeights(part: SitePart): string {
    const key = part.site.key;
    const hit = this.weights.get(key);
    if (hit) return hit;
    const { k, n } = part.site;
    let out: string;
    if (part.bits.w === 32) {
      out = this.init(`${key}`, tensor('float32', [k, n], weightBlock(this.model, part.site)));
    } else {
      const c = blockCodes(this.model, part, this.stored?.[key] ?? null);
      const wide = c.codes instanceof Int16Array;
      const codes = this.init(`${key}.codes`, tensor(wide ? 'int32' : 'int8', [k, n], c.codes));
      const scale = c.perChannel ? this.init(`${key}.scale`, tensor('float32', [n], c.steps)) : this.init(`${key}.scale`, tensor('float32', [], [c.steps[0]!]));
      const zero = c.perChannel ? this.init(`${key}.zero`, tensor(wide ? 'int32' : 'int8', [n])) : this.init(`${key}.zero`, tensor(wide ? 'int32' : 'int8', []));
      out = this.main.one('DequantizeLinear', [codes, scale, zero], c.perChannel ? [attr.int('axis', 1)] : [], `${key}.w`);
    }
    this.weights.set(key, out);
    return out;
  }

  /**
   * The product of a site in graph g: every part's QDQ operand times its dequantized weights, the
   * parts side by side, plus `bias` and `add` (the g term), rounded to the site's Q-format.
   */
  product(g: Graph, site: ProductSite, x: string, opts: { bias?: Float32Array | null; add?: string | null } = {}): string {
    const parts = this.siteParts(site);
    const outs = parts.map((p) => g.one('MatMul', [g.operand(x, this.act(site, p.bits.a), `${p.site.key}.x`), this.partWeights(p)], [], `${p.site.key}:y`));
    let y = outs.length === 1 ? outs[0]! : g.one('Concat', outs, [attr.int('axis', -1)], `${site.key}:y`);
    if (opts.bias) y = g.one('Add', [y, this.init(`${site.key}.bias`, tensor('float32', [site.n], opts.bias))], [], `${site.key}:y`);
    if (opts.add) y = g.one('Add', [opts.add, y], [], `${site.key}:y`);
    return g.roundQ(y, this.outFrac(site), `${site.key}:y`);
  }

  private readonly zeroStates = new Map<number, string>();

  /** Zeros [B, H] for a Scan's initial state (B from the input features). */
  zeros(H: number): string {
    const hit = this.zeroStates.get(H);
    if (hit) return hit;
    const shape = this.main.one('Shape', ['features'], [], 'shape');
    const b = this.main.slice(shape, 0, 1, 2, 'batch');
    const dims = this.main.one('Concat', [b, this.i64([H])], [attr.int('axis', 0)], `zeros${H}.shape`);
    const z = this.main.one('ConstantOfShape', [dims], [attr.tensor('value', toProto('value', tensor('float32', [1], [0])))], `zeros${H}`);
    this.zeroStates.set(H, z);
    return z;
  }
}

function bodyGraph(name: string, g: Graph, inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): OnnxGraph {
  return { name, node: g.nodes, input: inputs, output: outputs };
}

/** A Scan over the time axis of `seq` inputs with `states` initial states; returns [final states..., scan outputs...]. */
function scanNode(b: Builder, name: string, body: OnnxGraph, states: string[], seq: string[], reverse: boolean, outputs: number): string[] {
  const attrs: OnnxAttribute[] = [attr.graph('body', body), attr.int('num_scan_inputs', seq.length)];
  if (reverse) {
    attrs.push(attr.ints('scan_input_directions', seq.map(() => 1)));
    attrs.push(attr.ints('scan_output_directions', Array.from({ length: outputs }, () => 1)));
  }
  return b.main.op('Scan', [...states, ...seq], attrs, states.length + outputs, name);
}

// ---- SRU -------------------------------------------------------------------------------------------

function sruLayer(b: Builder, l: ResolvedLayer, x: string): string {
  const sites = b.model.sites.layers[l.index]!;
  const H = l.hidden;
  const K = l.inputGates;
  let operand = x;
  if (sites.proj) operand = b.product(b.main, sites.proj, x);
  const u = b.product(b.main, sites.input[0]!, operand);
  const v = b.vector(`L${l.index}.v`);
  const bias = b.vector(`L${l.index}.b`);
  const alpha = sruAlpha(l);
  const outs: string[] = [];
  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const fx = b.hook.recurrence(sites.recurrence[d]!);
    const ud = b.main.slice(u, 2, d * K * H, (d + 1) * K * H, `${p}.u`);
    const seq = [ud];
    const skipX = K === 3 && l.skipTerm;
    if (skipX) seq.push(b.main.one('Mul', [b.main.slice(x, 2, d * H, (d + 1) * H, `${p}.x`), b.f32(alpha)], [], `${p}.alpha_x`));
    const vf = b.init(`${p}.v_f`, tensor('float32', [H], v.subarray((2 * d) * H, (2 * d + 1) * H)));
    const vr = b.init(`${p}.v_r`, tensor('float32', [H], v.subarray((2 * d + 1) * H, (2 * d + 2) * H)));
    const bf = b.init(`${p}.b_f`, tensor('float32', [H], bias.subarray((2 * d) * H, (2 * d + 1) * H)));
    const br = b.init(`${p}.b_r`, tensor('float32', [H], bias.subarray((2 * d + 1) * H, (2 * d + 2) * H)));
    const g = new Graph(b);
    const c0 = b.name(`${p}.c_prev`);
    const ut = b.name(`${p}.u_t`);
    const xt = skipX ? b.name(`${p}.ax_t`) : '';
    const block = (m: number) => g.slice(ut, 1, m * H, (m + 1) * H, `${p}.u${m}`);
    const gate = (m: number, vv: string, bb: string) => g.roundQ(g.one('Sigmoid', [g.one('Add', [g.one('Add', [block(m), g.one('Mul', [vv, c0])]), bb])]), fx.sigmoid, `${p}.${m === 1 ? 'f' : 'r'}`);
    const f = gate(1, vf, bf);
    const r = gate(2, vr, br);
    const oneMinusF = g.one('Sub', [b.f32(1), f]);
    const c = g.roundQ(g.one('Add', [g.one('Mul', [f, c0]), g.one('Mul', [oneMinusF, block(0)])]), fx.state, `${p}.c`);
    let h: string;
    if (K === 4 || skipX) {
      const xp = K === 4 ? block(3) : xt;
      h = g.roundQ(g.one('Add', [xp, g.one('Mul', [g.one('Sub', [c, xp]), r])]), fx.output, `${p}.h`);
    } else {
      h = g.roundQ(g.one('Mul', [c, r]), fx.output, `${p}.h`);
    }
    const hOut = g.one('Identity', [h], [], `${p}.h_t`);
    const body = bodyGraph(`${p}.step`, g, [valueInfo(c0, ['B', H]), valueInfo(ut, ['B', K * H]), ...(skipX ? [valueInfo(xt, ['B', H])] : [])], [valueInfo(c, ['B', H]), valueInfo(hOut, ['B', H])]);
    const [, y] = scanNode(b, `${p}.scan`, body, [b.zeros(H)], seq, d === 1, 1);
    outs.push(y!);
  }
  return outs.length === 1 ? outs[0]! : b.main.one('Concat', outs, [attr.int('axis', 2)], `L${l.index}.out`);
}

// ---- LSTM, GRU, LiGRU --------------------------------------------------------------------------------

function batchNorm(b: Builder, prefix: string): { scale: Float32Array; shift: Float32Array } {
  const gamma = b.vector(`${prefix}.bn.gamma`);
  const beta = b.vector(`${prefix}.bn.beta`);
  const mean = b.vector(`${prefix}.bn.mean`);
  const variance = b.vector(`${prefix}.bn.var`);
  const scale = new Float32Array(gamma.length);
  const shift = new Float32Array(gamma.length);
  for (let j = 0; j < gamma.length; j++) {
    const invStd = 1 / Math.sqrt(variance[j]! + BN_EPS);
    scale[j] = gamma[j]! * invStd;
    shift[j] = beta[j]! - mean[j]! * gamma[j]! * invStd;
  }
  return { scale, shift };
}

/** ONNX gate order from mohaq's: LSTM i,o,f,c from i,f,g,o; GRU z,r,h from r,z,n. */
const ONNX_GATES = { lstm: [0, 3, 1, 2], gru: [1, 0, 2] } as const;

/** A weight tensor [k x G*H] of one direction as ONNX's [1, G*H, k] (gates reordered), dequantized, BatchNorm scale folded per row. */
function onnxWeights(b: Builder, site: ProductSite, order: readonly number[], H: number, rowScale: Float32Array | null, hint: string): string {
  const parts = b.siteParts(site);
  const G = order.length;
  const k = site.k;
  const float = parts.some((p) => p.bits.w === 32);
  // per mohaq column j: its code (or float value) and step
  const vals = new Float64Array(k * G * H);
  const steps = new Float32Array(G * H);
  let wide = false;
  for (const p of parts) {
    if (p.bits.w === 32) {
      const w = weightBlock(b.model, p.site);
      for (let i = 0; i < k; i++) for (let j = 0; j < p.site.n; j++) vals[i * G * H + p.start + j] = w[i * p.site.n + j]!;
      steps.fill(1, p.start, p.start + p.site.n);
      continue;
    }
    const c = blockCodes(b.model, p, b.stored?.[p.site.key] ?? null);
    wide ||= c.codes instanceof Int16Array;
    for (let i = 0; i < k; i++) for (let j = 0; j < p.site.n; j++) vals[i * G * H + p.start + j] = c.codes[i * p.site.n + j]!;
    for (let j = 0; j < p.site.n; j++) steps[p.start + j] = c.steps[j]!;
  }
  const rows = new Float64Array(G * H * k);
  const scale = new Float32Array(G * H);
  order.forEach((m, g) => {
    for (let j = 0; j < H; j++) {
      const col = m * H + j;
      const row = g * H + j;
      for (let i = 0; i < k; i++) rows[row * k + i] = vals[i * G * H + col]!;
      scale[row] = rowScale ? Math.fround(steps[col]! * rowScale[col]!) : steps[col]!;
    }
  });
  if (float) {
    // a float block: the values themselves (times the folded scale)
    const w = new Float32Array(G * H * k);
    for (let r = 0; r < G * H; r++) for (let i = 0; i < k; i++) w[r * k + i] = rows[r * k + i]! * scale[r]!;
    return b.init(`${hint}`, tensor('float32', [1, G * H, k], w));
  }
  const codes = b.init(`${hint}.codes`, tensor(wide ? 'int32' : 'int8', [1, G * H, k], rows));
  const s = b.init(`${hint}.scale`, tensor('float32', [G * H], scale));
  const z = b.init(`${hint}.zero`, tensor(wide ? 'int32' : 'int8', [G * H]));
  return b.main.one('DequantizeLinear', [codes, s, z], [attr.int('axis', 1)], hint);
}

/** A layer whose operands are all at 32 bits as the ONNX LSTM/GRU operator. */
function rnnOperator(b: Builder, l: ResolvedLayer, x: string): string {
  const sites = b.model.sites.layers[l.index]!;
  const H = l.hidden;
  const lstm = l.type === 'lstm';
  const order = lstm ? ONNX_GATES.lstm : ONNX_GATES.gru;
  const G = order.length;
  const Ws: string[] = [];
  const Rs: string[] = [];
  const bias = new Float32Array(l.directions * 2 * G * H);
  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const bn = l.batchNorm ? batchNorm(b, p) : null;
    Ws.push(onnxWeights(b, sites.input[d]!, order, H, bn ? bn.scale : null, `${p}.W`));
    Rs.push(onnxWeights(b, { ...sites.recurrent[d]![0]!, colStart: 0, n: G * H, key: `${p}.U` }, order, H, null, `${p}.R`));
    const wb = bn ? bn.shift : b.vector(`${p}.b`);
    const rb = l.type === 'gru' && l.gru === 'torch' ? b.vector(`${p}.bh`) : null;
    order.forEach((m, g) => {
      for (let j = 0; j < H; j++) {
        bias[d * 2 * G * H + g * H + j] = wb[m * H + j]!;
        if (rb) bias[d * 2 * G * H + G * H + g * H + j] = rb[m * H + j]!;
      }
    });
  }
  const W = Ws.length === 1 ? Ws[0]! : b.main.one('Concat', Ws, [attr.int('axis', 0)], `L${l.index}.W`);
  const R = Rs.length === 1 ? Rs[0]! : b.main.one('Concat', Rs, [attr.int('axis', 0)], `L${l.index}.R`);
  const B = b.init(`L${l.index}.B`, tensor('float32', [l.directions, 2 * G * H], bias));
  const attrs = [attr.int('hidden_size', H)];
  if (l.directions === 2) attrs.push(attr.string('direction', 'bidirectional'));
  if (!lstm) attrs.push(attr.int('linear_before_reset', l.gru === 'torch' ? 1 : 0));
  const [y] = b.main.op(lstm ? 'LSTM' : 'GRU', [x, W, R, B], attrs, 1, `L${l.index}`);
  if (l.directions === 1) return b.main.one('Squeeze', [y!, b.i64([1])], [], `L${l.index}.out`);
  const t = b.main.one('Transpose', [y!], [attr.ints('perm', [0, 2, 1, 3])], `L${l.index}.out`);
  return b.main.one('Reshape', [t, b.i64([0, 0, -1])], [], `L${l.index}.out`);
}

/** A gated layer as a Scan per direction of mohaq's fake-quantized step. */
function gatedScan(b: Builder, l: ResolvedLayer, x: string): string {
  const sites = b.model.sites.layers[l.index]!;
  const H = l.hidden;
  const G = l.inputGates * H;
  const torch = l.type === 'gru' && l.gru === 'torch';
  const outs: string[] = [];
  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const fx = b.hook.recurrence(sites.recurrence[d]!);
    let gin = b.product(b.main, sites.input[d]!, x, { bias: l.batchNorm ? null : b.vector(`${p}.b`) });
    if (l.batchNorm) {
      const bn = batchNorm(b, p);
      gin = b.main.one('Add', [b.main.one('Mul', [gin, b.init(`${p}.bn.scale`, tensor('float32', [G], bn.scale))], [], `${p}.bn`), b.init(`${p}.bn.shift`, tensor('float32', [G], bn.shift))], [], `${p}.bn`);
    }
    const g = new Graph(b);
    const h0 = b.name(`${p}.h_prev`);
    const c0 = l.type === 'lstm' ? b.name(`${p}.c_prev`) : '';
    const gt = b.name(`${p}.g_t`);
    const sl = (v: string, from: number, to: number, hint: string) => g.slice(v, 1, from, to, hint);
    const q14 = (v: string, hint: string) => g.roundQ(v, GATE_FRAC, hint);
    const mix = (z: string, n: string) => g.roundQ(g.one('Add', [g.one('Mul', [z, h0]), g.one('Mul', [g.one('Sub', [b.f32(1), z]), n])]), fx.output, `${p}.h`);
    const [U, Un] = sites.recurrent[d]!;
    let h: string;
    let c = '';
    if (l.type === 'lstm') {
      const s = b.product(g, U!, h0, { add: gt });
      const i = q14(g.one('Sigmoid', [sl(s, 0, H, `${p}.i`)]), `${p}.i`);
      const f = q14(g.one('Sigmoid', [sl(s, H, 2 * H, `${p}.f`)]), `${p}.f`);
      const gg = q14(g.one('Tanh', [sl(s, 2 * H, 3 * H, `${p}.g`)]), `${p}.g`);
      const o = q14(g.one('Sigmoid', [sl(s, 3 * H, 4 * H, `${p}.o`)]), `${p}.o`);
      c = g.roundQ(g.one('Add', [g.one('Mul', [f, c0]), g.one('Mul', [i, gg])]), fx.state, `${p}.c`);
      h = g.roundQ(g.one('Mul', [o, g.one('Tanh', [c])]), fx.output, `${p}.h`);
    } else if (torch) {
      const gh = b.product(g, U!, h0, { bias: b.vector(`${p}.bh`) });
      const r = q14(g.one('Sigmoid', [g.one('Add', [sl(gt, 0, H, `${p}.gr`), sl(gh, 0, H, `${p}.hr`)])]), `${p}.r`);
      const z = q14(g.one('Sigmoid', [g.one('Add', [sl(gt, H, 2 * H, `${p}.gz`), sl(gh, H, 2 * H, `${p}.hz`)])]), `${p}.z`);
      const n = q14(g.one('Tanh', [g.one('Add', [sl(gt, 2 * H, 3 * H, `${p}.gn`), g.one('Mul', [r, sl(gh, 2 * H, 3 * H, `${p}.hn`)])])]), `${p}.n`);
      h = mix(z, n);
    } else if (l.type === 'gru') {
      const rz = b.product(g, U!, h0, { add: sl(gt, 0, 2 * H, `${p}.grz`) });
      const r = q14(g.one('Sigmoid', [sl(rz, 0, H, `${p}.r`)]), `${p}.r`);
      const z = q14(g.one('Sigmoid', [sl(rz, H, 2 * H, `${p}.z`)]), `${p}.z`);
      const rh = g.one('Mul', [r, h0], [], `${p}.rh`);
      const ns = b.product(g, Un!, rh, { add: sl(gt, 2 * H, 3 * H, `${p}.gn`) });
      const n = q14(g.one('Tanh', [ns]), `${p}.n`);
      h = mix(z, n);
    } else {
      const s = b.product(g, U!, h0, { add: gt });
      const z = q14(g.one('Sigmoid', [sl(s, 0, H, `${p}.z`)]), `${p}.z`);
      const n = g.roundQ(g.one('Relu', [sl(s, H, 2 * H, `${p}.n`)]), fx.candidate, `${p}.n`);
      h = mix(z, n);
    }
    const hOut = g.one('Identity', [h], [], `${p}.h_t`);
    const states = [valueInfo(h0, ['B', H]), ...(c0 ? [valueInfo(c0, ['B', H])] : [])];
    const next = [valueInfo(h, ['B', H]), ...(c ? [valueInfo(c, ['B', H])] : [])];
    const body = bodyGraph(`${p}.step`, g, [...states, valueInfo(gt, ['B', G])], [...next, valueInfo(hOut, ['B', H])]);
    const init = c0 ? [b.zeros(H), b.zeros(H)] : [b.zeros(H)];
    const res = scanNode(b, `${p}.scan`, body, init, [gin], d === 1, 1);
    outs.push(res[res.length - 1]!);
  }
  return outs.length === 1 ? outs[0]! : b.main.one('Concat', outs, [attr.int('axis', 2)], `L${l.index}.out`);
}

/** The ONNX model of `model` under `bits` (see the module comment). */
export function exportOnnx(model: Model, bits: BitsAssignment | string, calibration: Calibration, opts: OnnxExportOptions = {}): OnnxExportResult {
  const assignment = resolveBits(model, bits);
  if (isFloatAssignment(assignment)) throw new MohaqError('INVALID_ARGUMENT', 'Expected a bits spec with at least one quantized matrix for the ONNX export but received every matrix at 32/32');
  const recurrence = opts.recurrence ?? 'auto';
  if (recurrence !== 'auto' && recurrence !== 'scan') throw invalidParameter('recurrence', 'auto or scan', recurrence);
  const { integer: _integer, ...quant } = opts.quant ?? {};
  const b = new Builder(model, assignment, calibration, quant, opts.weightParams ?? null);
  let x = 'features';
  const layers: OnnxExportResult['layers'] = [];
  for (const l of model.arch.layers) {
    const operandsFloat = assignment[`L${l.index}`]!.a === 32 && assignment[`L${l.index}.U`]?.a === 32;
    if (l.type === 'sru') {
      x = sruLayer(b, l, x);
      layers.push({ layer: l.index, type: l.type, form: 'Scan' });
    } else if (recurrence === 'auto' && (l.type === 'lstm' || l.type === 'gru') && operandsFloat) {
      x = rnnOperator(b, l, x);
      layers.push({ layer: l.index, type: l.type, form: l.type === 'lstm' ? 'LSTM' : 'GRU' });
    } else {
      x = gatedScan(b, l, x);
      layers.push({ layer: l.index, type: l.type, form: 'Scan' });
    }
  }
  const logits = b.product(b.main, model.sites.fc, x, { bias: b.vector('FC.b') });
  b.main.nodes.push({ opType: 'Identity', input: [logits], output: ['logits'], name: 'logits' });
  const graph: OnnxGraph = {
    name: model.arch.name,
    node: b.main.nodes,
    initializer: b.initializers,
    input: [valueInfo('features', ['T', 'B', model.arch.input])],
    output: [valueInfo('logits', ['T', 'B', model.arch.output])],
    docString: `${model.arch.name} quantized by mohaq (${formatBitsSpec(assignment, Object.keys(assignment))}): features [T, B, ${model.arch.input}] time-major -> logits [T, B, ${model.arch.output}]`,
  };
  const onnxModel: OnnxModel = {
    irVersion: 7,
    producerName: 'mohaq',
    producerVersion: VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph,
    metadataProps: [
      { key: 'mohaq.bits', value: formatBitsSpec(assignment, Object.keys(assignment)) },
      { key: 'mohaq.architecture', value: JSON.stringify(model.spec) },
      { key: 'mohaq.options', value: JSON.stringify(quant) },
    ],
  };
  return { model: onnxModel, bytes: encodeModel(onnxModel), layers };
}
