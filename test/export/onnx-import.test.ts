/**
 * `importOnnx` on graphs laid out as torch.onnx.export writes nn.LSTM / nn.GRU + nn.Linear: the
 * imported model's logits equal an independent float64 implementation of the torch equations within
 * 1e-4; unsupported graphs fail with the sentence that lists what is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/export/onnx-import.js';
import { forward } from '../../src/nn/forward.js';
import { Rng } from '../../src/util/rng.js';
import { randomTorchRnn, torchOnnx, torchReference } from './torch-onnx.js';
import type { TorchRnn } from './torch-onnx.js';

function check(m: TorchRnn, bytes: Uint8Array): { maxDiff: number; result: ReturnType<typeof importOnnx> } {
  const result = importOnnx(bytes, { file: 'model.onnx' });
  const T = 11;
  const B = 3;
  const x = new Float32Array(T * B * m.input);
  new Rng(5).fillNormal(x);
  const ours = forward(result.model, { x, T, B, lengths: new Int32Array(B).fill(T) });
  const ref = torchReference(m, Float64Array.from(x), T, B);
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - ref[i]!));
  return { maxDiff, result };
}

test('a 2-layer bidirectional LSTM exported by PyTorch imports and matches the torch equations within 1e-4', () => {
  const m = randomTorchRnn('lstm', { input: 7, hidden: 5, layers: 2, bidirectional: true, output: 9, seed: 1 });
  const { maxDiff, result } = check(m, torchOnnx(m));
  assert.ok(maxDiff < 1e-4, `max |logit difference| ${maxDiff}`);
  const a = result.model.arch;
  assert.deepEqual([a.input, a.output, a.layers.length], [7, 9, 2]);
  assert.deepEqual(a.layers.map((l) => [l.type, l.hidden, l.directions, l.batchNorm]), [['lstm', 5, 2, false], ['lstm', 5, 2, false]]);
  assert.equal(result.batchFirst, false);
  assert.deepEqual(result.dropped, []);
  assert.ok(result.checkDifference < 1e-5);
  assert.equal(result.model.metadata['mohaq.source'], 'ONNX LSTM graph: model.onnx');
});

test('a batch-first unidirectional GRU with a Gemm output layer and LogSoftmax imports with the PyTorch convention', () => {
  const m = randomTorchRnn('gru', { input: 6, hidden: 4, layers: 2, bidirectional: false, output: 5, seed: 2 });
  const { maxDiff, result } = check(m, torchOnnx(m, { batchFirst: true, gemm: true, logSoftmax: true }));
  assert.ok(maxDiff < 1e-4, `max |logit difference| ${maxDiff}`);
  assert.deepEqual(result.model.arch.layers.map((l) => [l.type, l.gru, l.directions]), [['gru', 'torch', 1], ['gru', 'torch', 1]]);
  assert.equal(result.batchFirst, true);
  assert.deepEqual(result.dropped, ['LogSoftmax']);
  assert.deepEqual(result.layers.map((l) => l.convention), ['torch', 'torch']);
});

test('a bidirectional single-layer GRU imports', () => {
  const m = randomTorchRnn('gru', { input: 4, hidden: 6, layers: 1, bidirectional: true, output: 3, seed: 3 });
  const { maxDiff } = check(m, torchOnnx(m));
  assert.ok(maxDiff < 1e-4, `max |logit difference| ${maxDiff}`);
});

test('other operators are listed by count in one error', () => {
  const m = randomTorchRnn('lstm', { input: 3, hidden: 2, layers: 1, bidirectional: false, output: 2, seed: 4 });
  const bytes = torchOnnx(m, { extra: [{ op: 'Attention', count: 1 }, { op: 'Conv', count: 2 }] });
  assert.throws(
    () => importOnnx(bytes, { file: 'model.onnx' }),
    {
      message:
        'model.onnx: unsupported nodes: Conv (2), Attention (1); mohaq imports LSTM/GRU graphs as torch.onnx.export writes them (LSTM/GRU nodes, Transpose/Squeeze/Unsqueeze/Reshape/Concat/Slice glue and a MatMul/Gemm/Add output layer)',
    },
  );
});

test('a graph without recurrent layers, or not an ONNX file, is refused with its reason', () => {
  assert.throws(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5]), { file: 'bad.onnx' }), /^MohaqError: bad\.onnx: not an ONNX model \(protobuf decoding failed/);
  assert.throws(() => importOnnx('/nonexistent/model.onnx'), /model\.onnx/);
});
