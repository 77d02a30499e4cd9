/**
 * ONNX graphs laid out the way `torch.onnx.export` writes nn.LSTM / nn.GRU + nn.Linear
 * (torch/onnx/symbolic_opset9.py `_generic_rnn`): PyTorch-order initializers (`rnn.weight_ih_l0`
 * [G*H, in], gates i,f,g,o or r,z,n), Slice + Concat reforming them into ONNX gate order (i,o,f,c /
 * z,r,h), Unsqueeze, Concat of the directions, B = Concat(b_ih, b_hh), zero initial states built from
 * the input's Shape (Gather, Unsqueeze, Concat, ConstantOfShape, Slice per layer), the LSTM/GRU node
 * with an empty sequence_lens, Transpose + Reshape (bidirectional) or Squeeze after it, and the
 * Linear as MatMul with a transposed weight + Add (3-D input) or Gemm transB (2-D input).
 * Also: an independent float64 implementation of the torch equations to check imports against.
 */
import { attr, encodeModel, tensor, toProto, valueInfo } from '../../src/export/onnx-proto.js';
import type { OnnxAttribute, OnnxNode, OnnxTensorProto } from '../../src/export/onnx-proto.js';
import { Rng } from '../../src/util/rng.js';

export interface TorchRnn {
  cell: 'lstm' | 'gru';
  input: number;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  output: number;
  /** PyTorch state_dict: rnn.weight_ih_l{k}[_reverse] [G*H, in], weight_hh [G*H, H], bias_ih, bias_hh [G*H]; fc.weight [out, in], fc.bias. */
  weights: Map<string, Float32Array>;
}

export function randomTorchRnn(cell: 'lstm' | 'gru', o: { input: number; hidden: number; layers: number; bidirectional: boolean; output: number; seed: number }): TorchRnn {
  const rng = new Rng(o.seed);
  const G = cell === 'lstm' ? 4 : 3;
  const H = o.hidden;
  const dirs = o.bidirectional ? 2 : 1;
  const weights = new Map<string, Float32Array>();
  const fill = (n: number, a: number) => {
    const v = new Float32Array(n);
    rng.fillUniform(v, -a, a);
    return v;
  };
  let inSize = o.input;
  for (let k = 0; k < o.layers; k++) {
    for (let d = 0; d < dirs; d++) {
      const s = d ? '_reverse' : '';
      const a = 1 / Math.sqrt(H);
      weights.set(`rnn.weight_ih_l${k}${s}`, fill(G * H * inSize, a));
      weights.set(`rnn.weight_hh_l${k}${s}`, fill(G * H * H, a));
      weights.set(`rnn.bias_ih_l${k}${s}`, fill(G * H, a));
      weights.set(`rnn.bias_hh_l${k}${s}`, fill(G * H, a));
    }
    inSize = dirs * H;
  }
  weights.set('fc.weight', fill(o.output * inSize, 1 / Math.sqrt(inSize)));
  weights.set('fc.bias', fill(o.output, 0.1));
  return { cell, ...o, weights };
}

class G {
  nodes: OnnxNode[] = [];
  inits: OnnxTensorProto[] = [];
  private n = 0;
  name(p: string): string {
    return `${p}_${this.n++}`;
  }
  op(type: string, inputs: string[], attributes: OnnxAttribute[] = [], outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.name(`onnx::${type}`));
    this.nodes.push({ opType: type, input: inputs, output: outs, name: this.name(`/${type}`), attribute: attributes });
    return outs;
  }
  one(type: string, inputs: string[], attributes: OnnxAttribute[] = []): string {
    return this.op(type, inputs, attributes)[0]!;
  }
  init(name: string, dims: number[], data: ArrayLike<number>, dtype: 'float32' | 'int64' = 'float32'): string {
    this.inits.push(toProto(name, tensor(dtype, dims, data)));
    return name;
  }
  i64(values: number[]): string {
    // torch writes small int64 constants as Constant nodes
    return this.one('Constant', [], [attr.tensor('value', toProto('value', tensor('int64', [values.length], values)))]);
  }
}

export interface TorchOnnxOptions {
  /** Input [B, T, D] with a Transpose at each end (nn.LSTM(batch_first=True)). */
  batchFirst?: boolean;
  /** The Linear as Reshape to 2-D + Gemm(transB) + Reshape back (else MatMul + Add on 3-D). */
  gemm?: boolean;
  /** A LogSoftmax after the Linear. */
  logSoftmax?: boolean;
  /** Extra nodes the importer must reject. */
  extra?: Array<{ op: string; count: number }>;
}

/** The ONNX model bytes of a TorchRnn as torch.onnx.export (opset 13) writes it. */
export function torchOnnx(m: TorchRnn, opts: TorchOnnxOptions = {}): Uint8Array {
  const g = new G();
  const H = m.hidden;
  const dirs = m.bidirectional ? 2 : 1;
  const G_ = m.cell === 'lstm' ? 4 : 3;
  // pytorch i,f,g,o -> onnx i,o,f,c; pytorch r,z,n -> onnx z,r,n (intervals of symbolic_opset9.reform_permutation)
  const intervals = m.cell === 'lstm' ? [[0, 1], [3, 4], [1, 3]] : [[1, 2], [0, 1], [2, 3]];
  for (const [name, w] of m.weights) {
    const rows = name.startsWith('fc.weight') ? m.output : name.includes('bias') ? 0 : G_ * H;
    const dims = name.includes('bias') ? [w.length] : [rows, w.length / rows];
    if (name === 'fc.weight') continue;
    g.init(name, dims, w);
  }
  const reform = (w: string) => {
    const parts = intervals.map(([a, b]) => g.one('Slice', [w, g.i64([a! * H]), g.i64([b! * H]), g.i64([0])]));
    return g.one('Concat', parts, [attr.int('axis', 0)]);
  };
  const unsq = (x: string) => g.one('Unsqueeze', [x, g.i64([0])]);
  let x = 'input';
  if (opts.batchFirst) x = g.one('Transpose', [x], [attr.ints('perm', [1, 0, 2])]);
  // zero initial states: Shape -> Gather(1) -> Unsqueeze -> Concat([L*D], B, [H]) -> ConstantOfShape
  const shape = g.one('Shape', [x]);
  const batch = unsq(g.one('Gather', [shape, g.one('Constant', [], [attr.tensor('value', toProto('value', tensor('int64', [], [1])))])], [attr.int('axis', 0)]));
  const stateShape = g.one('Concat', [g.i64([m.layers * dirs]), batch, g.i64([H])], [attr.int('axis', 0)]);
  const zeros = () => g.one('ConstantOfShape', [stateShape], [attr.tensor('value', toProto('value', tensor('float32', [1], [0])))]);
  const h0all = zeros();
  const c0all = m.cell === 'lstm' ? zeros() : '';
  for (let k = 0; k < m.layers; k++) {
    const W: string[] = [];
    const R: string[] = [];
    const Bs: string[] = [];
    for (let d = 0; d < dirs; d++) {
      const s = d ? '_reverse' : '';
      W.push(unsq(reform(`rnn.weight_ih_l${k}${s}`)));
      R.push(unsq(reform(`rnn.weight_hh_l${k}${s}`)));
      Bs.push(unsq(g.one('Concat', [reform(`rnn.bias_ih_l${k}${s}`), reform(`rnn.bias_hh_l${k}${s}`)], [attr.int('axis', 0)])));
    }
    const cat = (list: string[]) => (list.length === 1 ? list[0]! : g.one('Concat', list, [attr.int('axis', 0)]));
    const sl = (all: string) => (m.layers === 1 ? all : g.one('Slice', [all, g.i64([k * dirs]), g.i64([(k + 1) * dirs]), g.i64([0])]));
    const inputs = [x, cat(W), cat(R), cat(Bs), '', sl(h0all)];
    if (m.cell === 'lstm') inputs.push(sl(c0all));
    const attrs = [attr.int('hidden_size', H)];
    if (m.bidirectional) attrs.push(attr.string('direction', 'bidirectional'));
    if (m.cell === 'gru') attrs.push(attr.int('linear_before_reset', 1));
    const [y] = g.op(m.cell === 'lstm' ? 'LSTM' : 'GRU', inputs, attrs, m.cell === 'lstm' ? 3 : 2);
    if (m.bidirectional) x = g.one('Reshape', [g.one('Transpose', [y!], [attr.ints('perm', [0, 2, 1, 3])]), g.i64([0, 0, -1])]);
    else x = g.one('Squeeze', [y!, g.i64([1])]);
  }
  if (opts.batchFirst) x = g.one('Transpose', [x], [attr.ints('perm', [1, 0, 2])]);
  const inSize = dirs * H;
  const fcW = m.weights.get('fc.weight')!;
  let out: string;
  if (opts.gemm) {
    g.init('fc.weight', [m.output, inSize], fcW);
    const shape3 = g.one('Shape', [x]);
    const flat = g.one('Reshape', [x, g.i64([-1, inSize])]);
    const y2 = g.one('Gemm', [flat, 'fc.weight', 'fc.bias'], [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', 1)]);
    const lead = g.one('Slice', [shape3, g.i64([0]), g.i64([2]), g.i64([0])]);
    out = g.one('Reshape', [y2, g.one('Concat', [lead, g.i64([m.output])], [attr.int('axis', 0)])]);
  } else {
    const wt = new Float32Array(inSize * m.output);
    for (let o = 0; o < m.output; o++) for (let i = 0; i < inSize; i++) wt[i * m.output + o] = fcW[o * inSize + i]!;
    g.init('onnx::MatMul_1234', [inSize, m.output], wt);
    out = g.one('Add', [g.one('MatMul', [x, 'onnx::MatMul_1234']), 'fc.bias']);
  }
  if (opts.logSoftmax) out = g.one('LogSoftmax', [out], [attr.int('axis', 2)]);
  for (const e of opts.extra ?? []) for (let i = 0; i < e.count; i++) out = g.one(e.op, [out]);
  g.nodes.push({ opType: 'Identity', input: [out], output: ['output'], name: '/Identity_out' });
  const T = opts.batchFirst ? 'batch' : 'time';
  const B = opts.batchFirst ? 'time' : 'batch';
  return encodeModel({
    irVersion: 7,
    producerName: 'pytorch',
    producerVersion: '2.1.0',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'main_graph', node: g.nodes, initializer: g.inits, input: [valueInfo('input', [T, B, m.input])], output: [valueInfo('output', [T, B, m.output])] },
  });
}

/** The torch equations in float64: logits (T x B x out, time-major) of x (T x B x in, time-major). */
export function torchReference(m: TorchRnn, x: Float64Array, T: number, B: number): Float64Array {
  const H = m.hidden;
  const dirs = m.bidirectional ? 2 : 1;
  const Gn = m.cell === 'lstm' ? 4 : 3;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let inp = x;
  let inSize = m.input;
  for (let k = 0; k < m.layers; k++) {
    const out = new Float64Array(T * B * dirs * H);
    for (let d = 0; d < dirs; d++) {
      const s = d ? '_reverse' : '';
      const wih = m.weights.get(`rnn.weight_ih_l${k}${s}`)!;
      const whh = m.weights.get(`rnn.weight_hh_l${k}${s}`)!;
      const bih = m.weights.get(`rnn.bias_ih_l${k}${s}`)!;
      const bhh = m.weights.get(`rnn.bias_hh_l${k}${s}`)!;
      for (let b = 0; b < B; b++) {
        const h = new Float64Array(H);
        const c = new Float64Array(H);
        for (let st = 0; st < T; st++) {
          const t = d ? T - 1 - st : st;
          const gi = new Float64Array(Gn * H);
          const gh = new Float64Array(Gn * H);
          for (let r = 0; r < Gn * H; r++) {
            let a = bih[r]!;
            for (let i = 0; i < inSize; i++) a += wih[r * inSize + i]! * inp[(t * B + b) * inSize + i]!;
            let q = bhh[r]!;
            for (let i = 0; i < H; i++) q += whh[r * H + i]! * h[i]!;
            gi[r] = a;
            gh[r] = q;
          }
          if (m.cell === 'lstm') {
            for (let j = 0; j < H; j++) {
              const ig = sig(gi[j]! + gh[j]!);
              const fg = sig(gi[H + j]! + gh[H + j]!);
              const gg = Math.tanh(gi[2 * H + j]! + gh[2 * H + j]!);
              const og = sig(gi[3 * H + j]! + gh[3 * H + j]!);
              c[j] = fg * c[j]! + ig * gg;
              h[j] = og * Math.tanh(c[j]!);
            }
          } else {
            const hp = Float64Array.from(h);
            for (let j = 0; j < H; j++) {
              const r = sig(gi[j]! + gh[j]!);
              const z = sig(gi[H + j]! + gh[H + j]!);
              const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
              h[j] = (1 - z) * n + z * hp[j]!;
            }
          }
          out.set(h, (t * B + b) * dirs * H + d * H);
        }
      }
    }
    inp = out;
    inSize = dirs * H;
  }
  const w = m.weights.get('fc.weight')!;
  const bias = m.weights.get('fc.bias')!;
  const logits = new Float64Array(T * B * m.output);
  for (let r = 0; r < T * B; r++) {
    for (let o = 0; o < m.output; o++) {
      let a = bias[o]!;
      for (let i = 0; i < inSize; i++) a += w[o * inSize + i]! * inp[r * inSize + i]!;
      logits[r * m.output + o] = a;
    }
  }
  return logits;
}
