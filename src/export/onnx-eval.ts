/**
 * A small reference interpreter for ONNX graphs: the operators mohaq's exporter emits and the ones
 * PyTorch's exporter writes around LSTM/GRU layers, with their ONNX semantics (opset 9 .. 17). It
 * checks exports and imports in tests without onnxruntime; it is written for clarity, not speed.
 *
 * Floats are float32 as in onnxruntime: every element-wise result is rounded to f32 once (computing
 * +, -, *, / in doubles and rounding once gives IEEE f32 results); MatMul/Gemm accumulate in doubles
 * and round once; LSTM/GRU keep their states in f32. Round and QuantizeLinear round half to even.
 * Subgraphs (Scan bodies) see the values of enclosing graphs.
 *
 * Supported: Identity Constant Cast Shape Gather Unsqueeze Squeeze Concat Slice Reshape Flatten
 * Transpose Expand ConstantOfShape Add Sub Mul Div Neg Max Min Relu Sigmoid Tanh Round Floor Clip
 * MatMul Gemm QuantizeLinear DequantizeLinear Softmax LogSoftmax LSTM GRU Scan.
 */
import { MohaqError, invalidFile } from '../util/errors.js';
import { attrFloat, attrInt, attrInts, attrString, attrStrings, attribute, decodeModel, fromProto, numberOf, size, tensor } from './onnx-proto.js';
import type { DType, OnnxGraph, OnnxModel, OnnxNode, Tensor } from './onnx-proto.js';

export const EVAL_OPS: readonly string[] = [
  'Identity', 'Constant', 'Cast', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Reshape', 'Flatten', 'Transpose', 'Expand', 'ConstantOfShape',
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Max', 'Min', 'Relu', 'Sigmoid', 'Tanh', 'Round', 'Floor', 'Clip', 'MatMul', 'Gemm', 'QuantizeLinear', 'DequantizeLinear',
  'Softmax', 'LogSoftmax', 'LSTM', 'GRU', 'Scan',
];

/** Values visible to a graph: its own, then those of the enclosing graphs. */
class Scope {
  readonly values = new Map<string, Tensor>();
  constructor(readonly parent: Scope | null) {}
  get(name: string): Tensor | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }
}

interface Context {
  opset: number;
  file: string;
}

function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function ints(t: Tensor | undefined): number[] {
  return t ? Array.from(t.data) : [];
}

/** Numpy broadcasting of two shapes. */
function broadcastDims(a: readonly number[], b: readonly number[], node: OnnxNode): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new MohaqError('INVALID_ARGUMENT', `${node.opType} ${node.name ?? ''}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For every element of `dims`, the offset into a tensor of shape `src` broadcast to it. */
function broadcastIndex(src: readonly number[], dims: readonly number[]): Int32Array {
  const n = size(dims);
  const out = new Int32Array(n);
  const r = dims.length;
  const s = strides(src);
  const pad = r - src.length;
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let k = pad; k < r; k++) if (src[k - pad] !== 1) o += idx[k]! * s[k - pad]!;
    out[i] = o;
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

function binary(node: OnnxNode, a: Tensor, b: Tensor, fn: (x: number, y: number) => number): Tensor {
  const dims = broadcastDims(a.dims, b.dims, node);
  const out = tensor(a.dtype, dims);
  const n = out.data.length;
  const same = (t: Tensor) => t.dims.length === dims.length && t.dims.every((d, i) => d === dims[i]);
  const ia = same(a) ? null : broadcastIndex(a.dims, dims);
  const ib = same(b) ? null : broadcastIndex(b.dims, dims);
  for (let i = 0; i < n; i++) out.data[i] = fn(a.data[ia ? ia[i]! : i]!, b.data[ib ? ib[i]! : i]!);
  if (!isFloat(a.dtype)) for (let i = 0; i < n; i++) out.data[i] = Math.trunc(out.data[i]!);
  return out;
}

function unary(t: Tensor, fn: (x: number) => number): Tensor {
  const out = tensor(t.dtype, t.dims);
  for (let i = 0; i < t.data.length; i++) out.data[i] = fn(t.data[i]!);
  return out;
}

function transpose(t: Tensor, perm: readonly number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]!);
  const out = tensor(t.dtype, dims);
  const s = strides(t.dims);
  const r = dims.length;
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.data.length; i++) {
    let o = 0;
    for (let k = 0; k < r; k++) o += idx[k]! * s[perm[k]!]!;
    out.data[i] = t.data[o]!;
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

function reshape(t: Tensor, dims: number[]): Tensor {
  return { dtype: t.dtype, dims, data: t.data };
}

/** out[..., M, N] = a[..., M, K] . b[..., K, N] (b 2-D, or the same batch as a). */
function matmul(node: OnnxNode, a: Tensor, b: Tensor): Tensor {
  if (a.dims.length < 1 || b.dims.length < 1) throw new MohaqError('INVALID_ARGUMENT', `MatMul ${node.name ?? ''}: scalar operand`);
  const aDims = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const bDims = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const K = aDims[aDims.length - 1]!;
  const M = aDims[aDims.length - 2]!;
  const N = bDims[bDims.length - 1]!;
  if (bDims[bDims.length - 2] !== K) throw new MohaqError('INVALID_ARGUMENT', `MatMul ${node.name ?? ''}: [${a.dims.join(', ')}] x [${b.dims.join(', ')}] do not multiply`);
  const aBatch = aDims.slice(0, -2);
  const bBatch = bDims.slice(0, -2);
  const batch = broadcastDims(aBatch, bBatch, node);
  const nb = size(batch);
  const ia = broadcastIndex(aBatch, batch);
  const ib = broadcastIndex(bBatch, batch);
  const outDims = [...batch, M, N];
  const out = tensor(a.dtype, outDims);
  const row = new Float64Array(N);
  for (let q = 0; q < nb; q++) {
    const ao = ia[q]! * M * K;
    const bo = ib[q]! * K * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let p = 0; p < K; p++) {
        const x = a.data[ao + i * K + p]!;
        if (x === 0) continue;
        const o = bo + p * N;
        for (let j = 0; j < N; j++) row[j]! += x * b.data[o + j]!;
      }
      out.data.set(row, (q * M + i) * N);
    }
  }
  let dims = outDims;
  if (a.dims.length === 1) dims = [...batch, N];
  if (b.dims.length === 1) dims = a.dims.length === 1 ? batch : [...batch, M];
  return { ...out, dims };
}

function castTo(t: Tensor, dtype: DType): Tensor {
  const out = tensor(dtype, t.dims);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    out.data[i] = isFloat(dtype) ? v : dtype === 'bool' ? (v !== 0 ? 1 : 0) : Math.trunc(v);
  }
  return out;
}

const SATURATE: Partial<Record<DType, [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// ---- recurrent layers ----------------------------------------------------------------------------

/** ONNX LSTM (gates i, o, f, c) and GRU (z, r, h), forward/reverse/bidirectional, default activations. */
function recurrent(node: OnnxNode, inputs: (Tensor | undefined)[], ctx: Context): Tensor[] {
  const lstm = node.opType === 'LSTM';
  const H = attrInt(node, 'hidden_size', 0);
  const direction = attrString(node, 'direction', 'forward');
  const lbr = attrInt(node, 'linear_before_reset', 0);
  const what = `${node.opType} ${node.name ?? ''}`.trim();
  if (attribute(node, 'clip')) throw new MohaqError('UNSUPPORTED', `${ctx.file}: ${what}: the clip attribute is not supported`);
  if (attrInt(node, 'input_forget', 0) !== 0) throw new MohaqError('UNSUPPORTED', `${ctx.file}: ${what}: input_forget is not supported`);
  if (attrInt(node, 'layout', 0) !== 0) throw new MohaqError('UNSUPPORTED', `${ctx.file}: ${what}: layout = 1 (batch-major) is not supported`);
  const acts = attrStrings(node, 'activations');
  const expected = lstm ? ['Sigmoid', 'Tanh', 'Tanh'] : ['Sigmoid', 'Tanh'];
  if (acts && acts.some((a, i) => a !== expected[i % expected.length])) throw new MohaqError('UNSUPPORTED', `${ctx.file}: ${what}: activations ${acts.join(', ')} (only the default ${expected.join(', ')} are supported)`);
  const [X, W, R, Bias, seqLens, h0, c0, P] = inputs;
  if (!X || !W || !R) throw invalidFile(ctx.file, `${what}: inputs X, W and R are required`);
  if (P) throw new MohaqError('UNSUPPORTED', `${ctx.file}: ${what}: peephole weights (input P) are not supported`);
  const [T, B, I] = X.dims as [number, number, number];
  const G = lstm ? 4 : 3;
  const D = direction === 'bidirectional' ? 2 : 1;
  if (W.dims[0] !== D || W.dims[1] !== G * H || W.dims[2] !== I) throw invalidFile(ctx.file, `${what}: W has shape [${W.dims.join(', ')}], expected [${D}, ${G * H}, ${I}]`);
  const Y = tensor('float32', [T, D, B, H]);
  const Yh = tensor('float32', [D, B, H]);
  const Yc = tensor('float32', [D, B, H]);
  const gates = new Float64Array(G * H);
  const rgates = new Float64Array(G * H);
  const zv = new Float64Array(H);
  const rv = new Float64Array(H);
  for (let d = 0; d < D; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const w = W.data.subarray(d * G * H * I);
    const r = R.data.subarray(d * G * H * H);
    const wb = Bias ? Bias.data.subarray(d * 2 * G * H) : null;
    for (let b = 0; b < B; b++) {
      const len = seqLens ? seqLens.data[b]! : T;
      const h = new Float32Array(H);
      const c = new Float32Array(H);
      if (h0) h.set(h0.data.subarray((d * B + b) * H, (d * B + b + 1) * H));
      if (c0) c.set(c0.data.subarray((d * B + b) * H, (d * B + b + 1) * H));
      for (let s = 0; s < len; s++) {
        const t = reverse ? len - 1 - s : s;
        const xo = (t * B + b) * I;
        for (let g = 0; g < G * H; g++) {
          let sx = wb ? wb[g]! : 0;
          for (let i = 0; i < I; i++) sx += X.data[xo + i]! * w[g * I + i]!;
          let sh = wb ? wb[G * H + g]! : 0;
          for (let i = 0; i < H; i++) sh += h[i]! * r[g * H + i]!;
          gates[g] = sx;
          rgates[g] = sh;
        }
        if (lstm) {
          for (let j = 0; j < H; j++) {
            const it = sigmoid(gates[j]! + rgates[j]!);
            const ot = sigmoid(gates[H + j]! + rgates[H + j]!);
            const ft = sigmoid(gates[2 * H + j]! + rgates[2 * H + j]!);
            const ct = Math.tanh(gates[3 * H + j]! + rgates[3 * H + j]!);
            c[j] = ft * c[j]! + it * ct;
            h[j] = ot * Math.tanh(c[j]!);
          }
        } else {
          const hp = Float32Array.from(h);
          for (let j = 0; j < H; j++) {
            zv[j] = sigmoid(gates[j]! + rgates[j]!);
            rv[j] = sigmoid(gates[H + j]! + rgates[H + j]!);
          }
          for (let j = 0; j < H; j++) {
            let ht: number;
            if (lbr) ht = Math.tanh(gates[2 * H + j]! + rv[j]! * rgates[2 * H + j]!);
            else {
              // (r . h_{t-1}) R_h^T + Rb_h
              let sh = wb ? wb[G * H + 2 * H + j]! : 0;
              for (let i = 0; i < H; i++) sh += rv[i]! * hp[i]! * r[(2 * H + j) * H + i]!;
              ht = Math.tanh(gates[2 * H + j]! + sh);
            }
            h[j] = (1 - zv[j]!) * ht + zv[j]! * hp[j]!;
          }
        }
        Y.data.set(h, ((t * D + d) * B + b) * H);
      }
      Yh.data.set(h, (d * B + b) * H);
      Yc.data.set(c, (d * B + b) * H);
    }
  }
  return lstm ? [Y, Yh, Yc] : [Y, Yh];
}

// ---- Scan --------------------------------------------------------------------------------------------

function sliceAxis0(t: Tensor, i: number): Tensor {
  const inner = size(t.dims.slice(1));
  return { dtype: t.dtype, dims: t.dims.slice(1), data: t.data.slice(i * inner, (i + 1) * inner) as Tensor['data'] };
}

function scan(node: OnnxNode, inputs: (Tensor | undefined)[], scope: Scope, ctx: Context): Tensor[] {
  const body = attribute(node, 'body')?.g;
  if (!body) throw invalidFile(ctx.file, `Scan ${node.name ?? ''}: no body`);
  const M = attrInt(node, 'num_scan_inputs', 0);
  const N = inputs.length - M;
  const inDirs = attrInts(node, 'scan_input_directions') ?? new Array(M).fill(0);
  const outDirs = attrInts(node, 'scan_output_directions');
  if ((attrInts(node, 'scan_input_axes') ?? []).some((a) => a !== 0) || (attrInts(node, 'scan_output_axes') ?? []).some((a) => a !== 0)) throw new MohaqError('UNSUPPORTED', `${ctx.file}: Scan ${node.name ?? ''}: scan axes other than 0 are not supported`);
  const seq = inputs.slice(N) as Tensor[];
  const T = seq.length ? seq[0]!.dims[0]! : 0;
  let states = inputs.slice(0, N) as Tensor[];
  const K = (body.output ?? []).length - N;
  const collected: Tensor[][] = Array.from({ length: K }, () => new Array<Tensor>(T));
  for (let s = 0; s < T; s++) {
    const feeds = new Map<string, Tensor>();
    (body.input ?? []).forEach((vi, i) => {
      const v = i < N ? states[i]! : sliceAxis0(seq[i - N]!, inDirs[i - N] === 1 ? T - 1 - s : s);
      feeds.set(vi.name!, v);
    });
    const out = runGraph(body, feeds, scope, ctx);
    const outs = (body.output ?? []).map((vi) => out.get(vi.name!)!);
    states = outs.slice(0, N);
    for (let k = 0; k < K; k++) collected[k]![outDirs?.[k] === 1 ? T - 1 - s : s] = outs[N + k]!;
  }
  const stacked = collected.map((list, k) => {
    if (T === 0) throw new MohaqError('UNSUPPORTED', `${ctx.file}: Scan ${node.name ?? ''}: an empty sequence has no output shape (scan output ${k})`);
    const first = list[0]!;
    const out = tensor(first.dtype, [T, ...first.dims]);
    list.forEach((t, i) => out.data.set(t.data, i * t.data.length));
    return out;
  });
  return [...states, ...stacked];
}

// ---- operators ---------------------------------------------------------------------------------------

function softmax(t: Tensor, axis: number, log: boolean, ctx: Context): Tensor {
  const r = t.dims.length;
  const a = normAxis(axis, r);
  const out = tensor(t.dtype, t.dims);
  // opset < 13: the input is flattened to 2-D at `axis`; opset >= 13: along `axis`
  const outer = size(t.dims.slice(0, a));
  const inner = ctx.opset < 13 ? 1 : size(t.dims.slice(a + 1));
  const len = ctx.opset < 13 ? size(t.dims.slice(a)) : t.dims[a]!;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (j: number) => o * len * inner + j * inner + q;
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, t.data[at(j)]!);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp(t.data[at(j)]! - max);
      for (let j = 0; j < len; j++) out.data[at(j)] = log ? t.data[at(j)]! - max - Math.log(sum) : Math.exp(t.data[at(j)]! - max) / sum;
    }
  }
  return out;
}

function quantizeLinear(node: OnnxNode, x: Tensor, scale: Tensor, zp: Tensor | undefined): Tensor {
  const dtype = zp?.dtype ?? 'uint8';
  const [lo, hi] = SATURATE[dtype] ?? [-Infinity, Infinity];
  const out = tensor(dtype, x.dims);
  const axis = normAxis(attrInt(node, 'axis', 1), x.dims.length);
  const perAxis = scale.data.length > 1;
  const inner = perAxis ? size(x.dims.slice(axis + 1)) : 1;
  const n = perAxis ? x.dims[axis]! : 1;
  for (let i = 0; i < x.data.length; i++) {
    const c = perAxis ? Math.floor(i / inner) % n : 0;
    const v = roundHalfEven(Math.fround(x.data[i]! / scale.data[c]!)) + (zp ? zp.data[zp.data.length > 1 ? c : 0]! : 0);
    out.data[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

function dequantizeLinear(node: OnnxNode, x: Tensor, scale: Tensor, zp: Tensor | undefined): Tensor {
  const out = tensor('float32', x.dims);
  const axis = normAxis(attrInt(node, 'axis', 1), x.dims.length);
  const perAxis = scale.data.length > 1;
  const inner = perAxis ? size(x.dims.slice(axis + 1)) : 1;
  const n = perAxis ? x.dims[axis]! : 1;
  for (let i = 0; i < x.data.length; i++) {
    const c = perAxis ? Math.floor(i / inner) % n : 0;
    out.data[i] = (x.data[i]! - (zp ? zp.data[zp.data.length > 1 ? c : 0]! : 0)) * scale.data[c]!;
  }
  return out;
}

function slice(node: OnnxNode, x: Tensor, inputs: (Tensor | undefined)[], ctx: Context): Tensor {
  const r = x.dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[];
  let steps: number[];
  if (ctx.opset < 10) {
    starts = attrInts(node, 'starts') ?? [];
    ends = attrInts(node, 'ends') ?? [];
    axes = attrInts(node, 'axes') ?? starts.map((_, i) => i);
    steps = starts.map(() => 1);
  } else {
    starts = ints(inputs[1]);
    ends = ints(inputs[2]);
    axes = inputs[3] ? ints(inputs[3]) : starts.map((_, i) => i);
    steps = inputs[4] ? ints(inputs[4]) : starts.map(() => 1);
  }
  const lo = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const dims = [...x.dims];
  axes.forEach((ax, i) => {
    const a = normAxis(ax, r);
    const d = x.dims[a]!;
    const st = steps[i]!;
    const clampIdx = (v: number, forEnd: boolean) => {
      let q = v < 0 ? v + d : v;
      if (st > 0) q = Math.min(Math.max(q, 0), d);
      else q = Math.min(Math.max(q, -1), d - 1);
      return forEnd ? q : st > 0 ? Math.min(q, d) : Math.min(q, d - 1);
    };
    const s0 = clampIdx(starts[i]!, false);
    const e0 = clampIdx(ends[i]!, true);
    lo[a] = s0;
    step[a] = st;
    dims[a] = st > 0 ? Math.max(0, Math.ceil((e0 - s0) / st)) : Math.max(0, Math.ceil((s0 - e0) / -st));
  });
  const out = tensor(x.dtype, dims);
  const s = strides(x.dims);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.data.length; i++) {
    let o = 0;
    for (let k = 0; k < r; k++) o += (lo[k]! + idx[k]! * step[k]!) * s[k]!;
    out.data[i] = x.data[o]!;
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.dims.length);
  const outer = size(x.dims.slice(0, a));
  const inner = size(x.dims.slice(a + 1));
  const d = x.dims[a]!;
  const dims = [...x.dims.slice(0, a), ...indices.dims, ...x.dims.slice(a + 1)];
  const out = tensor(x.dtype, dims);
  const ni = indices.data.length;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < ni; q++) {
      let k = indices.data[q]!;
      if (k < 0) k += d;
      out.data.set(x.data.subarray((o * d + k) * inner, (o * d + k + 1) * inner), (o * ni + q) * inner);
    }
  }
  return out;
}

function runNode(node: OnnxNode, scope: Scope, ctx: Context): Tensor[] {
  const inputs = (node.input ?? []).map((name) => {
    if (!name) return undefined;
    const v = scope.get(name);
    if (!v) throw invalidFile(ctx.file, `${node.opType} ${node.name ?? ''}: input "${name}" is not computed before it`);
    return v;
  });
  const x = inputs[0]!;
  const op = node.opType!;
  const f32 = (v: number) => Math.fround(v);
  switch (op) {
    case 'Identity':
      return [x];
    case 'Constant': {
      const t = attribute(node, 'value')?.t;
      if (t) return [fromProto(t, ctx.file)];
      const vf = attribute(node, 'value_float');
      if (vf) return [tensor('float32', [], [vf.f ?? 0])];
      const vfs = attribute(node, 'value_floats');
      if (vfs) return [tensor('float32', [vfs.floats?.length ?? 0], vfs.floats ?? [])];
      const vi = attribute(node, 'value_int');
      if (vi) return [tensor('int64', [], [numberOf(vi.i as number)])];
      const vis = attrInts(node, 'value_ints');
      if (vis) return [tensor('int64', [vis.length], vis)];
      throw new MohaqError('UNSUPPORTED', `${ctx.file}: Constant ${node.name ?? ''}: unsupported value attribute`);
    }
    case 'Cast': {
      const to = attrInt(node, 'to', 1);
      const dtype = ({ 1: 'float32', 11: 'float64', 3: 'int8', 2: 'uint8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool' } as Record<number, DType>)[to];
      if (!dtype) throw new MohaqError('UNSUPPORTED', `${ctx.file}: Cast ${node.name ?? ''}: target type ${to} is not supported`);
      return [castTo(x, dtype)];
    }
    case 'Shape': {
      const r = x.dims.length;
      const start = normAxis(attrInt(node, 'start', 0), r);
      const end = attribute(node, 'end') ? normAxis(attrInt(node, 'end', r), r) : r;
      const d = x.dims.slice(Math.max(0, start), Math.min(r, end));
      return [tensor('int64', [d.length], d)];
    }
    case 'Gather':
      return [gather(x, inputs[1]!, attrInt(node, 'axis', 0))];
    case 'Unsqueeze': {
      const axes = ctx.opset >= 13 ? ints(inputs[1]) : attrInts(node, 'axes') ?? [];
      const r = x.dims.length + axes.length;
      const set = new Set(axes.map((a) => normAxis(a, r)));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) dims.push(set.has(i) ? 1 : x.dims[k++]!);
      return [reshape(x, dims)];
    }
    case 'Squeeze': {
      const axes = ctx.opset >= 13 ? (inputs[1] ? ints(inputs[1]) : null) : attrInts(node, 'axes') ?? null;
      const set = axes ? new Set(axes.map((a) => normAxis(a, x.dims.length))) : null;
      return [reshape(x, x.dims.filter((d, i) => (set ? !set.has(i) : d !== 1)))];
    }
    case 'Concat': {
      const parts = inputs.filter((t): t is Tensor => t !== undefined);
      const a = normAxis(attrInt(node, 'axis', 0), parts[0]!.dims.length);
      const dims = [...parts[0]!.dims];
      dims[a] = parts.reduce((s, t) => s + t.dims[a]!, 0);
      const out = tensor(parts[0]!.dtype, dims);
      const outer = size(dims.slice(0, a));
      let o = 0;
      for (let q = 0; q < outer; q++) {
        for (const t of parts) {
          const chunk = size(t.dims.slice(a));
          out.data.set(t.data.subarray(q * chunk, (q + 1) * chunk), o);
          o += chunk;
        }
      }
      return [out];
    }
    case 'Slice':
      return [slice(node, x, inputs, ctx)];
    case 'Reshape': {
      const shape = ints(inputs[1]);
      const allowZero = attrInt(node, 'allowzero', 0) === 1;
      const dims = shape.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
      const known = dims.reduce((s, d) => (d === -1 ? s : s * d), 1);
      const full = dims.map((d) => (d === -1 ? x.data.length / known : d));
      if (size(full) !== x.data.length) throw invalidFile(ctx.file, `Reshape ${node.name ?? ''}: [${x.dims.join(', ')}] cannot become [${shape.join(', ')}]`);
      return [reshape(x, full)];
    }
    case 'Flatten': {
      const a = normAxis(attrInt(node, 'axis', 1), x.dims.length);
      return [reshape(x, [size(x.dims.slice(0, a)), size(x.dims.slice(a))])];
    }
    case 'Transpose':
      return [transpose(x, attrInts(node, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i))];
    case 'Expand': {
      const dims = broadcastDims(x.dims, ints(inputs[1]), node);
      const idx = broadcastIndex(x.dims, dims);
      const out = tensor(x.dtype, dims);
      for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[idx[i]!]!;
      return [out];
    }
    case 'ConstantOfShape': {
      const t = attribute(node, 'value')?.t;
      const v = t ? fromProto(t, ctx.file) : tensor('float32', [1], [0]);
      const out = tensor(v.dtype, ints(x));
      out.data.fill(v.data[0]!);
      return [out];
    }
    case 'Add':
      return [binary(node, x, inputs[1]!, (a, b) => f32(a + b))];
    case 'Sub':
      return [binary(node, x, inputs[1]!, (a, b) => f32(a - b))];
    case 'Mul':
      return [binary(node, x, inputs[1]!, (a, b) => f32(a * b))];
    case 'Div':
      return [binary(node, x, inputs[1]!, (a, b) => (isFloat(x.dtype) ? f32(a / b) : Math.trunc(a / b)))];
    case 'Max':
      return [inputs.slice(1).reduce<Tensor>((acc, t) => binary(node, acc, t!, Math.max), x)];
    case 'Min':
      return [inputs.slice(1).reduce<Tensor>((acc, t) => binary(node, acc, t!, Math.min), x)];
    case 'Neg':
      return [unary(x, (v) => -v)];
    case 'Relu':
      return [unary(x, (v) => (v > 0 ? v : 0))];
    case 'Sigmoid':
      return [unary(x, (v) => f32(sigmoid(v)))];
    case 'Tanh':
      return [unary(x, (v) => f32(Math.tanh(v)))];
    case 'Round':
      return [unary(x, roundHalfEven)];
    case 'Floor':
      return [unary(x, Math.floor)];
    case 'Clip': {
      const lo = ctx.opset >= 11 ? (inputs[1] ? inputs[1].data[0]! : -Infinity) : attrFloat(node, 'min', -Infinity);
      const hi = ctx.opset >= 11 ? (inputs[2] ? inputs[2].data[0]! : Infinity) : attrFloat(node, 'max', Infinity);
      return [unary(x, (v) => (v < lo ? lo : v > hi ? hi : v))];
    }
    case 'MatMul':
      return [matmul(node, x, inputs[1]!)];
    case 'Gemm': {
      let a = x;
      let b = inputs[1]!;
      if (attrInt(node, 'transA', 0)) a = transpose(a, [1, 0]);
      if (attrInt(node, 'transB', 0)) b = transpose(b, [1, 0]);
      const alpha = attrFloat(node, 'alpha', 1);
      const beta = attrFloat(node, 'beta', 1);
      const y = matmul(node, a, b);
      if (alpha !== 1) for (let i = 0; i < y.data.length; i++) y.data[i] = f32(alpha * y.data[i]!);
      if (!inputs[2]) return [y];
      const c = inputs[2];
      return [binary(node, y, c, (p, q) => f32(p + beta * q))];
    }
    case 'QuantizeLinear':
      return [quantizeLinear(node, x, inputs[1]!, inputs[2])];
    case 'DequantizeLinear':
      return [dequantizeLinear(node, x, inputs[1]!, inputs[2])];
    case 'Softmax':
    case 'LogSoftmax':
      return [softmax(x, attrInt(node, 'axis', ctx.opset < 13 ? 1 : -1), op === 'LogSoftmax', ctx)];
    case 'LSTM':
    case 'GRU':
      return recurrent(node, inputs, ctx);
    case 'Scan':
      return scan(node, inputs, scope, ctx);
    default:
      throw new MohaqError('UNSUPPORTED', `${ctx.file}: operator ${op} (node ${node.name || '(unnamed)'}) is not supported by mohaq's ONNX interpreter`);
  }
}

/** Runs a graph: every value it computes, by name (inputs and initializers included). */
export function runGraph(graph: OnnxGraph, feeds: ReadonlyMap<string, Tensor>, parent: Scope | null, ctx: Context): Map<string, Tensor> {
  const scope = new Scope(parent);
  for (const t of graph.initializer ?? []) scope.values.set(t.name!, fromProto(t, ctx.file));
  for (const [name, t] of feeds) scope.values.set(name, t);
  for (const node of graph.node ?? []) {
    const outs = runNode(node, scope, ctx);
    (node.output ?? []).forEach((name, i) => {
      if (name && outs[i]) scope.values.set(name, outs[i]!);
    });
  }
  return scope.values;
}

export interface OnnxRunResult {
  /** The graph outputs, by name. */
  outputs: Record<string, Tensor>;
  /** Every value of the main graph, by name. */
  values: Map<string, Tensor>;
}

/** Runs an ONNX model (bytes or decoded) on named inputs. */
export function runOnnx(model: OnnxModel | Uint8Array, inputs: Record<string, Tensor>, file = 'model.onnx'): OnnxRunResult {
  const m = model instanceof Uint8Array ? decodeModel(model, file) : model;
  const opset = numberOf((m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version as number) || 13;
  const graph = m.graph;
  if (!graph) throw invalidFile(file, 'the model has no graph');
  const values = runGraph(graph, new Map(Object.entries(inputs)), null, { opset, file });
  const outputs: Record<string, Tensor> = {};
  for (const o of graph.output ?? []) {
    const v = values.get(o.name!);
    if (!v) throw invalidFile(file, `graph output "${o.name}" is not computed`);
    outputs[o.name!] = v;
  }
  return { outputs, values };
}

