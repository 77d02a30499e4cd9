/** `mohaq import torch` and `mohaq run` end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/data/npy.js';
import { forward } from '../../src/nn/forward.js';
import { loadModel } from '../../src/nn/io.js';
import { writeSafetensors } from '../../src/nn/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { runMohaq } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-nn-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const rng = new Rng(77);
const rand = (n: number) => {
  const a = new Float32Array(n);
  rng.fillUniform(a, -0.5, 0.5);
  return a;
};

const D = 6;
const H = 4;
const state = join(dir, 'state.safetensors');
writeSafetensors(state, [
  { name: 'lstm.weight_ih_l0', dtype: 'F32', shape: [4 * H, D], data: rand(4 * H * D) },
  { name: 'lstm.weight_hh_l0', dtype: 'F32', shape: [4 * H, H], data: rand(4 * H * H) },
  { name: 'lstm.bias_ih_l0', dtype: 'F32', shape: [4 * H], data: rand(4 * H) },
  { name: 'lstm.bias_hh_l0', dtype: 'F32', shape: [4 * H], data: rand(4 * H) },
  { name: 'lstm.weight_ih_l0_reverse', dtype: 'F32', shape: [4 * H, D], data: rand(4 * H * D) },
  { name: 'lstm.weight_hh_l0_reverse', dtype: 'F32', shape: [4 * H, H], data: rand(4 * H * H) },
  { name: 'lstm.bias_ih_l0_reverse', dtype: 'F32', shape: [4 * H], data: rand(4 * H) },
  { name: 'lstm.bias_hh_l0_reverse', dtype: 'F32', shape: [4 * H], data: rand(4 * H) },
  { name: 'out.weight', dtype: 'F32', shape: [5, 2 * H], data: rand(5 * 2 * H) },
  { name: 'out.bias', dtype: 'F32', shape: [5], data: rand(5) },
  { name: 'out.num_calls', dtype: 'I64', shape: [], data: BigInt64Array.of(3n) },
]);
const model = join(dir, 'lstm.safetensors');

test('mohaq import torch converts a torch.nn.LSTM state_dict', () => {
  const r = runMohaq(['import', 'torch', '--cell', 'lstm', '--weights', state, '--out', model]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^lstm-torch: 1 LSTM layer, 6 inputs -> 5 outputs, 397 parameters$/m);
  assert.match(r.stdout, /L0 {2}lstm 4 units x 2 directions, input 6/);
  assert.match(r.stdout, /ignored 1 tensor not part of the model: out\.num_calls/);
  const m = loadModel(model);
  assert.equal(m.arch.layers[0]!.directions, 2);
});

test('mohaq run writes the logits of [T, D] and [B, T, D] inputs, identical for any thread count', () => {
  const m = loadModel(model);
  const one = join(dir, 'one.npy');
  const x1 = rand(7 * D);
  writeFileSync(one, writeNpy({ dtype: 'f4', shape: [7, D], data: x1 }));
  const out1 = join(dir, 'one-logits.npy');
  let r = runMohaq(['run', '--model', model, '--input', one, '--output', out1]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote .*one-logits\.npy: logits \[7, 5\] for 7 frames/);
  const y1 = readNpy(readFileSync(out1));
  assert.deepEqual(y1.shape, [7, 5]);
  assert.deepEqual(y1.data, forward(m, { x: x1, T: 7, B: 1, lengths: Int32Array.of(7) }));

  const many = join(dir, 'many.npy');
  const B = 5;
  const T = 6;
  const xb = rand(B * T * D);
  writeFileSync(many, writeNpy({ dtype: 'f4', shape: [B, T, D], data: xb }));
  const outs = [1, 2, 3].map((threads) => {
    const out = join(dir, `many-${threads}.npy`);
    r = runMohaq(['run', '--model', model, '--input', many, '--output', out, '--threads', String(threads), '--batch-size', '2']);
    assert.equal(r.code, 0, r.stderr);
    return readFileSync(out);
  });
  assert.deepEqual(outs[1], outs[0]);
  assert.deepEqual(outs[2], outs[0]);
  const y = readNpy(outs[0]!);
  assert.deepEqual(y.shape, [B, T, 5]);
  // utterance 3 alone
  const x3 = xb.subarray(3 * T * D, 4 * T * D);
  assert.deepEqual((y.data as Float32Array).subarray(3 * T * 5, 4 * T * 5), forward(m, { x: Float32Array.from(x3), T, B: 1, lengths: Int32Array.of(T) }));
});

test('mohaq run and import report bad input in one line', () => {
  const bad = join(dir, 'bad.npy');
  writeFileSync(bad, writeNpy({ dtype: 'f4', shape: [3, 4], data: new Float32Array(12) }));
  let r = runMohaq(['run', '--model', model, '--input', bad, '--output', join(dir, 'x.npy')]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "mohaq: Expected 6 (the model's input size) for input features per frame but received 4\n");
  r = runMohaq(['run', '--model', model, '--input', bad, '--output', join(dir, 'x.npy'), '--threads', '2']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "mohaq: Expected 6 (the model's input size) for input features per frame but received 4\n");
  const flat = join(dir, 'flat.npy');
  writeFileSync(flat, writeNpy({ dtype: 'f4', shape: [12], data: new Float32Array(12) }));
  r = runMohaq(['run', '--model', model, '--input', flat, '--output', join(dir, 'x.npy')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `mohaq: ${flat}: expected features of shape [T, D] or [B, T, D] but found [12]\n`);
  r = runMohaq(['run', '--model', state, '--input', bad, '--output', join(dir, 'x.npy')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `mohaq: ${state}: not a mohaq model: the header has no "mohaq.format" metadata (convert PyTorch weights with \`mohaq import torch\`)\n`);
  r = runMohaq(['import', 'torch', '--cell', 'rnn', '--weights', state, '--out', join(dir, 'y.safetensors')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Expected one of lstm, gru, sru, ligru for --cell but received "rnn"/);
  r = runMohaq(['import', 'torch', '--cell', 'gru', '--weights', state, '--out', join(dir, 'y.safetensors')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `mohaq: ${state}: tensor "lstm.weight_ih_l0": expected shape [3 x hidden, inputs] (GRU has 3 gates) but found [16, 6]\n`);
  r = runMohaq(['import', 'torch', '--cell', 'lstm', '--weights', join(dir, 'none.safetensors'), '--out', join(dir, 'y.safetensors')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `mohaq: safetensors file not found: ${join(dir, 'none.safetensors')}\n`);
});
