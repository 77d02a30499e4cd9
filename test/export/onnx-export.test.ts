/**
 * The ONNX export, run by mohaq's reference interpreter, against mohaq's own results: Scan layers
 * compute fake quantization exactly (QDQ operands, rounded products, the 16-bit recurrence); LSTM/GRU
 * operators (only weights quantized) compute the float recurrence on the quantized weights. The graph
 * has QuantizeLinear/DequantizeLinear around every quantized product. And the interpreter's operators
 * on known answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportOnnx } from '../../src/export/onnx-export.js';
import { runOnnx } from '../../src/export/onnx-eval.js';
import { attr, encodeModel, tensor, toProto, valueInfo } from '../../src/export/onnx-proto.js';
import type { OnnxModel, OnnxNode, Tensor } from '../../src/export/onnx-proto.js';
import { forward } from '../../src/nn/forward.js';
import { createModel } from '../../src/nn/model.js';
import { createQuantHook } from '../../src/quant/hook.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import { Rng } from '../../src/util/rng.js';
import { fixture } from './helpers.js';
import type { ARCHS } from './helpers.js';

/** An equal-length batch of B utterances of the fixture's set, time-major. */
function batchOf(name: keyof typeof ARCHS, T: number, B: number): Float32Array {
  const { set } = fixture(name);
  const D = set.dim;
  const x = new Float32Array(T * B * D);
  for (let b = 0; b < B; b++) {
    const u = set.utterances[b]!;
    for (let t = 0; t < Math.min(T, u.frames); t++) x.set(set.feats.subarray((u.offset + t) * D, (u.offset + t + 1) * D), (t * B + b) * D);
  }
  return x;
}

function compare(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; identical: number } {
  let max = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
    if (a[i] === b[i]) same++;
  }
  return { max, identical: same / a.length };
}

const SCAN_CASES: Array<[keyof typeof ARCHS, string, QuantOptions]> = [
  ['sru', '*=8/8', {}],
  ['sru-skip0', '*=4/4', { perChannel: true }],
  ['sru-proj0', '*=4/8', { asymmetric: true }],
  ['lstm', '*=4/4', { skipCandidate: 'all' }],
  ['gru', '*=2/8,FC=16/16', {}],
  ['ligru', '*=8/4', { asymmetric: true }],
];

test('Scan layers compute mohaq\'s fake quantization (every cell)', () => {
  for (const [name, spec, quant] of SCAN_CASES) {
    const { model, calibration } = fixture(name);
    const ex = exportOnnx(model, spec, calibration, { quant });
    assert.ok(ex.layers.every((l) => l.form === 'Scan'));
    const T = 6;
    const B = 2;
    const x = batchOf(name, T, B);
    const out = runOnnx(ex.bytes, { features: tensor('float32', [T, B, model.arch.input], x) }).outputs.logits!;
    assert.deepEqual(out.dims, [T, B, model.arch.output]);
    const fq = forward(model, { x, T, B, lengths: new Int32Array(B).fill(T) }, { hook: createQuantHook(model, spec, calibration, quant) });
    const c = compare(out.data, fq);
    // float rounding may move a product across a rounding boundary: at most a few logit steps, rarely
    assert.ok(c.identical >= 0.99 && c.max < 1e-2, `${name} ${spec}: identical ${c.identical}, max ${c.max}`);
  }
});

test('LSTM and GRU layers with only weights quantized become LSTM/GRU operators with folded BatchNorm', () => {
  for (const name of ['lstm', 'gru'] as const) {
    const { model, calibration } = fixture(name);
    const spec = '*=4/32,FC=32/32';
    const ex = exportOnnx(model, spec, calibration);
    const ops = ex.model.graph!.node!.map((n) => n.opType);
    assert.deepEqual(ex.layers.map((l) => l.form), model.arch.layers.map(() => (name === 'lstm' ? 'LSTM' : 'GRU')));
    if (name === 'gru') {
      const grus = ex.model.graph!.node!.filter((n) => n.opType === 'GRU');
      assert.deepEqual(grus.map((n) => n.attribute!.find((a) => a.name === 'linear_before_reset')!.i), [0, 1, 1]);
    }
    assert.ok(!ops.includes('Scan') && !ops.includes('QuantizeLinear'));
    const T = 5;
    const B = 2;
    const x = batchOf(name, T, B);
    const out = runOnnx(ex.bytes, { features: tensor('float32', [T, B, model.arch.input], x) }).outputs.logits!;
    // float recurrence on the fake-quantized weights (the operator cannot round to 16 bits inside)
    const fw = forward(quantizeModel(model, spec, calibration).model, { x, T, B, lengths: new Int32Array(B).fill(T) });
    const c = compare(out.data, fw);
    assert.ok(c.max < 1e-4, `${name}: max ${c.max}`);
    // and mohaq's fake quantization, which also rounds the recurrence to 16 bits, within a few of its steps
    const fq = forward(model, { x, T, B, lengths: new Int32Array(B).fill(T) }, { hook: createQuantHook(model, spec, calibration) });
    assert.ok(compare(out.data, fq).max < 1e-2);
  }
});

test('QDQ around every quantized product: int8 weight codes with DequantizeLinear, QuantizeLinear on operands', () => {
  const { model, calibration } = fixture('lstm');
  const ex = exportOnnx(model, '*=4/8,FC=16/16', calibration, { recurrence: 'scan' });
  const g = ex.model.graph!;
  const producer = new Map<string, OnnxNode>();
  const walk = (nodes: OnnxNode[]) => {
    for (const n of nodes) {
      for (const o of n.output ?? []) producer.set(o, n);
      for (const a of n.attribute ?? []) if (a.g) walk(a.g.node ?? []);
    }
  };
  walk(g.node!);
  const matmuls: OnnxNode[] = [];
  const collect = (nodes: OnnxNode[]) => {
    for (const n of nodes) {
      if (n.opType === 'MatMul') matmuls.push(n);
      for (const a of n.attribute ?? []) if (a.g) collect(a.g.node ?? []);
    }
  };
  collect(g.node!);
  assert.equal(matmuls.length, 2 * 2 + 1 * 2 + 1); // L0 (2 dirs x W, U), L1 (1 dir x W, U), FC
  for (const m of matmuls) {
    assert.equal(producer.get(m.input![1]!)?.opType, 'DequantizeLinear', `weights of ${m.name}`);
    const x = producer.get(m.input![0]!);
    // 8-bit operands: QuantizeLinear -> DequantizeLinear; FC's 16-bit operand: the float Q-format emulation
    assert.ok(x?.opType === 'DequantizeLinear' || (m.name!.startsWith('FC') && x?.opType === 'Mul'), `operand of ${m.name}: ${x?.opType}`);
  }
  const inits = new Map(g.initializer!.map((t) => [t.name!, t.dataType]));
  assert.equal(inits.get('L0.fwd.W[0:24].codes'), 3); // INT8
  assert.equal(inits.get('FC.W[0:48].codes'), 6); // INT32 (16-bit codes)
  assert.deepEqual(ex.model.opsetImport, [{ domain: '', version: 13 }]);
  assert.equal(ex.model.metadataProps!.find((p) => p.key === 'mohaq.bits')!.value, '*=4/8,FC=16/16');
});

// ---- the interpreter's operators ----------------------------------------------------------------------

function one(node: OnnxNode, inputs: Record<string, Tensor>, inits: Record<string, Tensor> = {}, opset = 13): Tensor {
  const m: OnnxModel = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      node: [node],
      initializer: Object.entries(inits).map(([n, t]) => toProto(n, t)),
      input: Object.entries(inputs).map(([n, t]) => valueInfo(n, t.dims, t.dtype)),
      output: [valueInfo(node.output![0]!, [])],
    },
  };
  return runOnnx(encodeModel(m), inputs).outputs[node.output![0]!]!;
}

test('interpreter: QuantizeLinear rounds half to even and saturates; DequantizeLinear per axis', () => {
  const q = one({ opType: 'QuantizeLinear', input: ['x', 's', 'z'], output: ['y'] }, { x: tensor('float32', [6], [0.25, 0.75, -0.25, 100, -100, 0.3]) }, { s: tensor('float32', [], [0.5]), z: tensor('int8', [], [0]) });
  assert.deepEqual(Array.from(q.data), [0, 2, 0, 127, -128, 1]);
  assert.equal(q.dtype, 'int8');
  const dq = one({ opType: 'DequantizeLinear', input: ['x', 's', 'z'], output: ['y'], attribute: [attr.int('axis', 1)] }, { x: tensor('int8', [2, 3], [1, 2, 3, -1, -2, -3]) }, { s: tensor('float32', [3], [1, 0.5, 0.25]), z: tensor('int8', [3], [0, 0, 1]) });
  assert.deepEqual(Array.from(dq.data), [1, 1, 0.5, -1, -1, -1]);
});

test('interpreter: Slice, Gemm, Transpose, Reshape, Squeeze on known answers', () => {
  const x = tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
  const s = one({ opType: 'Slice', input: ['x', 'st', 'en', 'ax', 'sp'], output: ['y'] }, { x }, { st: tensor('int64', [1], [-1]), en: tensor('int64', [1], [-4]), ax: tensor('int64', [1], [1]), sp: tensor('int64', [1], [-2]) });
  assert.deepEqual([s.dims, Array.from(s.data)], [[2, 2], [3, 1, 6, 4]]);
  const gm = one({ opType: 'Gemm', input: ['a', 'b', 'c'], output: ['y'], attribute: [attr.int('transB', 1), attr.float('beta', 2)] }, { a: x }, { b: tensor('float32', [1, 3], [1, 0, -1]), c: tensor('float32', [1], [0.5]) });
  assert.deepEqual(Array.from(gm.data), [-1, -1]);
  const tr = one({ opType: 'Transpose', input: ['x'], output: ['y'], attribute: [attr.ints('perm', [1, 0])] }, { x });
  assert.deepEqual([tr.dims, Array.from(tr.data)], [[3, 2], [1, 4, 2, 5, 3, 6]]);
  const rs = one({ opType: 'Reshape', input: ['x', 's'], output: ['y'] }, { x }, { s: tensor('int64', [2], [0, -1]) });
  assert.deepEqual(rs.dims, [2, 3]);
  const sq = one({ opType: 'Squeeze', input: ['x', 'a'], output: ['y'] }, { x: tensor('float32', [1, 3, 1], [1, 2, 3]) }, { a: tensor('int64', [1], [0]) });
  assert.deepEqual(sq.dims, [3, 1]);
});

test('interpreter: the LSTM and GRU operators compute mohaq\'s float cells (both GRU conventions)', () => {
  const rng = new Rng(9);
  for (const [type, gru] of [['lstm', undefined], ['gru', 'torch'], ['gru', 'kaldi']] as const) {
    const model = createModel({ input: 3, output: 2, layers: [{ type, hidden: 4, ...(gru ? { gru } : {}) }] }, rng);
    // mohaq's own ONNX export of the float model's weights at 16/32 would quantize; build the operator directly
    const l = model.arch.layers[0]!;
    const H = 4;
    const order = type === 'lstm' ? [0, 3, 1, 2] : [1, 0, 2];
    const G = order.length;
    const W = new Float32Array(2 * G * H * 3);
    const R = new Float32Array(2 * G * H * H);
    const Bv = new Float32Array(2 * 2 * G * H);
    for (let d = 0; d < 2; d++) {
      const p = `L0.${d ? 'bwd' : 'fwd'}`;
      const w = model.layout.view(model.params, `${p}.W`);
      const u = model.layout.view(model.params, `${p}.U`);
      const b = model.layout.view(model.params, `${p}.b`);
      const bh = l.gru === 'torch' ? model.layout.view(model.params, `${p}.bh`) : null;
      order.forEach((m, g) => {
        for (let j = 0; j < H; j++) {
          for (let i = 0; i < 3; i++) W[((d * G + g) * H + j) * 3 + i] = w[i * G * H + m * H + j]!;
          for (let i = 0; i < H; i++) R[((d * G + g) * H + j) * H + i] = u[i * G * H + m * H + j]!;
          Bv[d * 2 * G * H + g * H + j] = b[m * H + j]!;
          if (bh) Bv[d * 2 * G * H + G * H + g * H + j] = bh[m * H + j]!;
        }
      });
    }
    const T = 5;
    const x = new Float32Array(T * 3);
    rng.fillNormal(x);
    const attrs = [attr.int('hidden_size', H), attr.string('direction', 'bidirectional'), ...(type === 'gru' ? [attr.int('linear_before_reset', gru === 'torch' ? 1 : 0)] : [])];
    const y = one({ opType: type === 'lstm' ? 'LSTM' : 'GRU', input: ['x', 'W', 'R', 'B'], output: ['y'], attribute: attrs }, { x: tensor('float32', [T, 1, 3], x) }, { W: tensor('float32', [2, G * H, 3], W), R: tensor('float32', [2, G * H, H], R), B: tensor('float32', [2, 2 * G * H], Bv) });
    // mohaq's layer output: the FC input; run the layer alone through a model whose FC is the identity on 2H
    const probe = createModel({ input: 3, output: 2 * H, layers: [{ type, hidden: H, ...(gru ? { gru } : {}) }] }, new Rng(1));
    probe.params.set(model.params.subarray(0, model.layout.entry('FC.W').offset));
    const fcw = probe.layout.view(probe.params, 'FC.W');
    fcw.fill(0);
    for (let i = 0; i < 2 * H; i++) fcw[i * 2 * H + i] = 1;
    const h = forward(probe, { x, T, B: 1, lengths: Int32Array.of(T) });
    let max = 0;
    for (let t = 0; t < T; t++) for (let d = 0; d < 2; d++) for (let j = 0; j < H; j++) max = Math.max(max, Math.abs(y.data[(t * 2 + d) * H + j]! - h[t * 2 * H + d * H + j]!));
    assert.ok(max < 1e-5, `${type} ${gru ?? ''}: ${max}`);
  }
});
