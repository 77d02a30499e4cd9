/** Batching with padding, dropout, parameter layout and BatchNorm statistics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { backward, ForwardCache, forward } from '../../src/nn/forward.js';
import { createModel, touchModel } from '../../src/nn/model.js';
import { extraParameterCount, listMatrices, presetArchitecture, presetNames, resolveArchitecture } from '../../src/nn/arch.js';
import type { Architecture } from '../../src/nn/arch.js';
import { maskedCrossEntropy } from '../../src/nn/loss.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff, randomBatch, utterance } from './helpers.js';

const SMALL: Record<string, Architecture['layers']> = {
  sru: [{ type: 'sru', hidden: 6 }, { type: 'sru', hidden: 6, projection: 4 }],
  lstm: [{ type: 'lstm', hidden: 5, batchNorm: true }, { type: 'lstm', hidden: 4 }],
  'gru (pytorch-kaldi)': [{ type: 'gru', hidden: 5, batchNorm: true }, { type: 'gru', hidden: 4 }],
  'gru (PyTorch)': [{ type: 'gru', hidden: 5, gru: 'torch' }],
  ligru: [{ type: 'ligru', hidden: 5 }, { type: 'ligru', hidden: 4, bidirectional: false }],
};

for (const [name, layers] of Object.entries(SMALL)) {
  test(`${name}: a padded batch gives exactly each utterance's own logits and gradients`, () => {
    const rng = new Rng(21);
    const D = 7;
    const model = createModel({ input: D, output: 4, layers }, rng);
    const lengths = [9, 3, 6, 1];
    const batch = randomBatch(rng, D, lengths);
    // garbage in padding frames must not matter either
    for (let t = 0; t < batch.T; t++) for (let b = 0; b < batch.B; b++) if (t >= lengths[b]!) batch.x.fill(5, (t * batch.B + b) * D, (t * batch.B + b + 1) * D);
    const out = model.arch.output;
    const logits = forward(model, batch);
    const R = new Float32Array(logits.length);
    rng.fillUniform(R, -1, 1);
    const k = kernels();
    const gradBatch = k.scope(() => {
      const cache = new ForwardCache();
      forward(model, batch, { cache });
      return backward(model, cache, Float32Array.from(R));
    });
    const gradSum = model.layout.zeros();
    for (let b = 0; b < lengths.length; b++) {
      const u = utterance(batch, b, D);
      const alone = forward(model, u);
      for (let t = 0; t < batch.T; t++) {
        const row = logits.subarray((t * batch.B + b) * out, (t * batch.B + b + 1) * out);
        if (t < lengths[b]!) assert.deepEqual(row, alone.subarray(t * out, (t + 1) * out), `utterance ${b} frame ${t}`);
        else assert.ok(row.every((v) => v === 0), `padding frame ${t} of utterance ${b} is zero`);
      }
      const Ru = new Float32Array(u.T * out);
      for (let t = 0; t < u.T; t++) Ru.set(R.subarray((t * batch.B + b) * out, (t * batch.B + b + 1) * out), t * out);
      k.scope(() => {
        const cache = new ForwardCache();
        forward(model, u, { cache });
        backward(model, cache, Ru, { grads: gradSum });
      });
    }
    const scale = Math.max(...Array.from(gradSum, Math.abs));
    assert.ok(maxAbsDiff(gradBatch, gradSum) <= 1e-5 * scale, `gradients differ by ${maxAbsDiff(gradBatch, gradSum)} (scale ${scale})`);
  });
}

test('dropout masks come from the training stream: same seed same logits, another seed others, rate 0 is inference', () => {
  const rng = new Rng(3);
  const model = createModel({ input: 4, output: 3, layers: [{ type: 'sru', hidden: 5, dropout: 0.5 }, { type: 'lstm', hidden: 4, dropout: 0.5 }] }, rng);
  const batch = randomBatch(rng, 4, [6, 4]);
  const a = forward(model, batch, { train: { rng: new Rng(1) } });
  const b = forward(model, batch, { train: { rng: new Rng(1) } });
  const c = forward(model, batch, { train: { rng: new Rng(2) } });
  assert.deepEqual(a, b);
  assert.ok(maxAbsDiff(a, c) > 1e-3);
  assert.deepEqual(forward(model, batch, { train: { rng: new Rng(1), dropout: 0 } }), forward(model, batch));
  assert.throws(() => forward(model, batch, { train: { rng: new Rng(1), dropout: 1 } }), { message: 'Expected a rate in [0, 1) for train.dropout but received 1' });
});

test('BatchNorm: training uses batch statistics of real frames and updates the running ones (momentum 0.05, unbiased)', () => {
  const rng = new Rng(8);
  const model = createModel({ input: 3, output: 2, layers: [{ type: 'ligru', hidden: 2, batchNorm: true, bidirectional: false }] }, rng);
  const batch = randomBatch(rng, 3, [4, 2]);
  const W = model.layout.view(model.params, 'L0.fwd.W');
  // the statistics of column j of x.W over the 6 real frames, by hand
  const col = (j: number) => {
    const v: number[] = [];
    for (let t = 0; t < batch.T; t++) {
      for (let b = 0; b < batch.B; b++) {
        if (t >= batch.lengths[b]!) continue;
        let s = 0;
        for (let i = 0; i < 3; i++) s += batch.x[(t * batch.B + b) * 3 + i]! * W[i * 4 + j]!;
        v.push(s);
      }
    }
    return v;
  };
  forward(model, batch, { train: { rng: new Rng(0) } });
  const mean = model.layout.view(model.params, 'L0.fwd.bn.mean');
  const variance = model.layout.view(model.params, 'L0.fwd.bn.var');
  for (let j = 0; j < 4; j++) {
    const v = col(j);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const unbiased = v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
    assert.ok(Math.abs(mean[j]! - 0.05 * m) < 1e-6);
    assert.ok(Math.abs(variance[j]! - (0.95 + 0.05 * unbiased)) < 1e-6);
  }
  const before = Float32Array.from(model.params);
  forward(model, batch, { train: { rng: new Rng(0), updateStatistics: false } });
  assert.deepEqual(model.params, before);
});

test('the layout holds every matrix of listMatrices and the 16-bit extras of extraParameterCount', () => {
  for (const name of presetNames()) {
    const arch = resolveArchitecture(presetArchitecture(name));
    const model = createModel(name.startsWith('paper') ? { ...presetArchitecture(name), layers: presetArchitecture(name).layers.map((l) => ({ ...l, hidden: 8 })) } : arch, new Rng(1));
    const a = model.arch;
    const matrices = model.layout.entries.filter((e) => e.role === 'matrix').reduce((s, e) => s + e.size, 0);
    const extras = model.layout.entries.filter((e) => e.role !== 'matrix').reduce((s, e) => s + e.size, 0);
    assert.equal(matrices, listMatrices(a).reduce((s, m) => s + m.weights, 0), name);
    assert.equal(extras, extraParameterCount(a), name);
    for (const m of listMatrices(a)) assert.ok(model.sites.all.some((s) => s.matrix === m.name), `${name}: a product site for ${m.name}`);
  }
});

test('createModel follows the reference initialisations', () => {
  const model = createModel(presetArchitecture('sru-small'), new Rng(1));
  const b = model.layout.view(model.params, 'L1.b');
  assert.deepEqual(Array.from(b.subarray(0, 128)), new Array(128).fill(0)); // b_f
  assert.deepEqual(Array.from(b.subarray(128, 256)), new Array(128).fill(-1)); // b_r = highway bias
  const w = model.layout.view(model.params, 'L1.W'); // rows = projection 64, K = 3
  const bound = Math.sqrt(3 / 64);
  let maxX = 0;
  let maxF = 0;
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 128; j++) {
      maxX = Math.max(maxX, Math.abs(w[i * 768 + j]!));
      maxF = Math.max(maxF, Math.abs(w[i * 768 + 128 + j]!));
    }
  }
  assert.ok(maxX <= bound * Math.sqrt(0.9) && maxX > 0.9 * bound * Math.sqrt(0.9)); // x~ scaled by sqrt(1 - dropout)
  assert.ok(maxF <= bound * Math.SQRT1_2 && maxF > 0.9 * bound * Math.SQRT1_2); // f scaled by sqrt(1/2)
  const lstm = createModel({ input: 3, output: 2, layers: [{ type: 'lstm', hidden: 6 }] }, new Rng(2));
  const U = lstm.layout.view(lstm.params, 'L0.fwd.U'); // [6 x 24], each 6x6 gate block orthogonal
  for (let m = 0; m < 4; m++) {
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        let dot = 0;
        for (let q = 0; q < 6; q++) dot += U[i * 24 + m * 6 + q]! * U[j * 24 + m * 6 + q]!;
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5);
      }
    }
  }
});

test('maskedCrossEntropy averages over real frames and its gradient sums to zero per frame', () => {
  const logits = Float32Array.from([0, 0, 1, 2, 9, 9, 0, Math.log(3)]); // T=2, B=2, classes 2
  const shape = { T: 2, B: 2, lengths: Int32Array.from([2, 1]) };
  const { loss, frames, dLogits } = maskedCrossEntropy(logits, Int32Array.from([0, 1, 1, 0]), shape, 2);
  assert.equal(frames, 3);
  // rows: (t0,b0) label 0, (t0,b1) label 1, (t1,b0) label 1, (t1,b1) padding
  const expected = (Math.log(2) + Math.log(1 + Math.exp(-1)) + Math.log(2)) / 3;
  assert.ok(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
  assert.deepEqual(Array.from(dLogits.subarray(6, 8)), [0, 0]);
  for (const r of [0, 1, 2]) assert.ok(Math.abs(dLogits[2 * r]! + dLogits[2 * r + 1]!) < 1e-7);
  assert.ok(Math.abs(dLogits[0]! - (0.5 - 1) / 3) < 1e-7);
});

test('touchModel makes the next forward use changed weights', () => {
  const rng = new Rng(6);
  const model = createModel({ input: 3, output: 2, layers: [{ type: 'gru', hidden: 3 }] }, rng);
  const batch = randomBatch(rng, 3, [4]);
  const a = forward(model, batch);
  model.layout.view(model.params, 'L0.fwd.U').fill(0.5);
  assert.deepEqual(forward(model, batch), a, 'packed weights are reused until touchModel');
  touchModel(model);
  assert.ok(maxAbsDiff(forward(model, batch), a) > 1e-4);
});

test('batch shapes are checked', () => {
  const model = createModel({ input: 3, output: 2, layers: [{ type: 'sru', hidden: 2 }] }, new Rng(1));
  assert.throws(() => forward(model, { x: new Float32Array(10), T: 2, B: 2, lengths: Int32Array.from([2, 2]) }), { message: 'Expected 2 x 2 x 3 = 12 values (T x B x features) for batch x but received a Float32Array of 10' });
  assert.throws(() => forward(model, { x: new Float32Array(12), T: 2, B: 2, lengths: Int32Array.from([2, 3]) }), { message: 'Expected a length in 0..2 for batch lengths[1] but received 3' });
});
