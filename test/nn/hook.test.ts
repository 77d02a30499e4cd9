/**
 * The quantization hook mechanism: every product goes through it (recorded), weight variants are
 * quantized once and packed once, operands returned by the hook feed the weight gradients, products can
 * be split by gate block (path skipping), parameter vectors and the element-wise recurrence can be
 * rounded to fixed point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { quantConstants, roundHalfEven } from '../../src/kernels/ref.js';
import { backward, ForwardCache, forward } from '../../src/nn/forward.js';
import { blockSite, fp32Hook, multiply, multiplyBackward, WeightCache } from '../../src/nn/hook.js';
import type { ProductSite, QuantHook } from '../../src/nn/hook.js';
import { createModel, modelFromParams } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import type { Architecture } from '../../src/nn/arch.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff, randomBatch } from './helpers.js';

function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** Symmetric per-tensor fake quantization with clip = max|v|, written out by hand. */
function quantizeByHand(v: Float32Array, bits: number): void {
  const { inv, step, lo, hi } = quantConstants({ bits, clip: maxAbs(v) });
  for (let i = 0; i < v.length; i++) {
    const q = Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(v[i]! * inv))));
    v[i] = Math.fround(q * step);
  }
}

/** Fake-quantizes every weight block the forward multiplies (clip = max|block|), once per model version. */
function weightQuantHook(bits: number): QuantHook & { quantized: number } {
  const k = kernels();
  const cache = new WeightCache(k);
  const variant = (model: Model, site: ProductSite) =>
    cache.get(model, site, `w${bits}`, (w) => {
      hook.quantized++;
      k.fakeQuant(w, w, w.length, { bits, clip: maxAbs(w) });
    });
  const hook = {
    name: `w${bits}`,
    quantized: 0,
    product(site: ProductSite, call: Parameters<QuantHook['product']>[1]) {
      multiply(k, variant(call.model, site), site, call);
      return null;
    },
    productBackward(site: ProductSite, call: Parameters<QuantHook['productBackward']>[1]) {
      multiplyBackward(k, variant(call.model, site), site, call);
    },
  };
  return hook;
}

/** A copy of the model with its matrices quantized by hand, per tensor. */
function handQuantized(model: Model, bits: number): Model {
  const q = modelFromParams(model.spec, Float32Array.from(model.params));
  for (const e of q.layout.entries) if (e.role === 'matrix') quantizeByHand(q.layout.view(q.params, e.name), bits);
  return q;
}

const ARCHS: Record<string, Architecture> = {
  sru: { input: 5, output: 4, layers: [{ type: 'sru', hidden: 4 }, { type: 'sru', hidden: 4, projection: 3 }] },
  lstm: { input: 5, output: 4, layers: [{ type: 'lstm', hidden: 4, batchNorm: true }, { type: 'lstm', hidden: 3 }] },
  'gru (PyTorch)': { input: 5, output: 4, layers: [{ type: 'gru', hidden: 4, gru: 'torch' }] },
  ligru: { input: 5, output: 4, layers: [{ type: 'ligru', hidden: 4 }] },
};

test('a recording hook sees every product: sequence products once, recurrent products once per step', () => {
  const rng = new Rng(1);
  const model = createModel({ input: 3, output: 2, layers: [{ type: 'gru', hidden: 2 }, { type: 'sru', hidden: 2, projection: 1 }] }, rng);
  const batch = randomBatch(rng, 3, [3, 2]);
  const seen: string[] = [];
  let batches = 0;
  const recorder: QuantHook = {
    name: 'record',
    beginBatch: (_m, info) => {
      batches++;
      assert.deepEqual([info.T, info.B, info.train], [3, 2, false]);
    },
    product(site, call) {
      seen.push(`${site.matrix} d${site.direction} ${site.mode} ${site.operand} rows=${call.rows} k=${site.k} n=${site.n}${site.mode === 'step' ? ` t=${call.t} s=${call.step}` : ''}`);
      return fp32Hook.product(site, call);
    },
    productBackward: fp32Hook.productBackward,
  };
  assert.deepEqual(forward(model, batch, { hook: recorder }), forward(model, batch));
  assert.equal(batches, 1);
  const steps = (d: 0 | 1) =>
    [0, 1, 2].flatMap((s) => {
      const t = d === 0 ? s : 2 - s;
      return [`L0.U d${d} step h rows=2 k=2 n=4 t=${t} s=${s}`, `L0.U d${d} step rh rows=2 k=2 n=2 t=${t} s=${s}`];
    });
  assert.deepEqual(seen, [
    'L0 d0 sequence features rows=6 k=3 n=6',
    ...steps(0),
    'L0 d1 sequence features rows=6 k=3 n=6',
    ...steps(1),
    'L1.proj d-1 sequence x rows=6 k=4 n=1',
    'L1 d-1 sequence proj rows=6 k=1 n=12',
    'FC d-1 sequence x rows=6 k=4 n=2',
  ]);
  const u = model.sites.layers[0]!.recurrent[0]!;
  assert.deepEqual(u.map((s) => s.gates.map((g) => `${g.name}${g.candidate ? '*' : ''}`)), [['r', 'z'], ['n*']]);
});

for (const [name, arch] of Object.entries(ARCHS)) {
  test(`${name}: a weight fake-quantization hook equals quantizing the weights by hand, forward and backward (QAT)`, () => {
    const rng = new Rng(2);
    const model = createModel(arch, rng);
    const batch = randomBatch(rng, 5, [6, 4, 5]);
    const hook = weightQuantHook(4);
    const byHand = handQuantized(model, 4);
    const a = forward(model, batch, { hook });
    const b = forward(byHand, batch);
    assert.ok(maxAbsDiff(a, b) < 1e-6, `logits differ by ${maxAbsDiff(a, b)}`);
    const fp = forward(model, batch);
    assert.ok(maxAbsDiff(a, fp) > 0.01 * maxAbs(fp), '4-bit weights change the logits');
    const matrices = model.sites.all.length;
    assert.equal(hook.quantized, matrices, 'each weight block quantized once');
    forward(model, batch, { hook });
    assert.equal(hook.quantized, matrices, 'and cached across forwards');

    // straight-through training: gradients with the quantized weights, for the fp32 master weights
    const R = new Float32Array(a.length);
    rng.fillUniform(R, -1, 1);
    const k = kernels();
    const run = (m: Model, h?: QuantHook) =>
      k.scope(() => {
        const cache = new ForwardCache();
        forward(m, batch, { cache, ...(h ? { hook: h } : {}) });
        const dx = new Float32Array(batch.x.length);
        const grads = backward(m, cache, Float32Array.from(R), { dx });
        return { grads, dx };
      });
    const qat = run(model, hook);
    const ref = run(byHand);
    assert.ok(maxAbsDiff(qat.grads, ref.grads) < 1e-5, `gradients differ by ${maxAbsDiff(qat.grads, ref.grads)}`);
    assert.ok(maxAbsDiff(qat.dx, ref.dx) < 1e-6);
  });
}

test('path skipping: a hook splits recurrent products by gate block and keeps the candidate block in float', () => {
  const rng = new Rng(3);
  for (const arch of [ARCHS.lstm!, ARCHS.ligru!, { input: 5, output: 4, layers: [{ type: 'gru' as const, hidden: 4 }] }]) {
    const model = createModel(arch, rng);
    const batch = randomBatch(rng, 5, [5, 3]);
    const k = kernels();
    const cache = new WeightCache(k);
    const hook: QuantHook = {
      name: 'skip-candidate',
      product(site, call) {
        if (site.kind !== 'recurrent') return fp32Hook.product(site, call);
        for (const g of site.gates) {
          const part = blockSite(site, g);
          const w = g.candidate ? cache.get(call.model, part) : cache.get(call.model, part, 'w2', (v) => k.fakeQuant(v, v, v.length, { bits: 2, clip: maxAbs(v) }));
          multiply(k, w, part, { ...call, y: call.y.subarray(g.start), bias: call.bias ? call.bias.subarray(g.start, g.start + g.size) : null });
        }
        return null;
      },
      productBackward: fp32Hook.productBackward,
    };
    // by hand: every non-candidate gate block of every U quantized with its own clip
    const byHand = modelFromParams(model.spec, Float32Array.from(model.params));
    for (const l of byHand.sites.layers) {
      for (const sites of l.recurrent) {
        for (const site of sites) {
          const U = byHand.layout.view(byHand.params, site.tensor);
          for (const g of site.gates) {
            if (g.candidate) continue;
            const block = new Float32Array(site.k * g.size);
            for (let i = 0; i < site.k; i++) block.set(U.subarray(i * site.cols + site.colStart + g.start, i * site.cols + site.colStart + g.start + g.size), i * g.size);
            quantizeByHand(block, 2);
            for (let i = 0; i < site.k; i++) U.set(block.subarray(i * g.size, (i + 1) * g.size), i * site.cols + site.colStart + g.start);
          }
        }
      }
    }
    const a = forward(model, batch, { hook });
    assert.ok(maxAbsDiff(a, forward(byHand, batch)) < 1e-6, `${arch.layers[0]!.type}: ${maxAbsDiff(a, forward(byHand, batch))}`);
    assert.ok(maxAbsDiff(a, forward(model, batch)) > 1e-4);
  }
});

test('operands returned by the hook are what the weight gradients use (activation quantization)', () => {
  const rng = new Rng(4);
  const model = createModel(ARCHS.lstm!, rng);
  const batch = randomBatch(rng, 5, [4, 2]);
  const k = kernels();
  let fcInput: Float32Array | null = null;
  let fcQuantized: Float32Array | null = null;
  const hook: QuantHook = {
    name: 'a4-fc',
    product(site, call) {
      if (site.matrix !== 'FC') return fp32Hook.product(site, call);
      fcInput = Float32Array.from(call.x.subarray(0, call.rows * site.k));
      const q = k.f32(call.rows * site.k); // lives in the caller's scope until backward
      k.fakeQuant(call.x, q, call.rows * site.k, { bits: 4, clip: 0.5 });
      fcQuantized = Float32Array.from(q);
      fp32Hook.product(site, { ...call, x: q, lda: site.k });
      return q;
    },
    productBackward: fp32Hook.productBackward,
  };
  const R = new Float32Array(batch.T * batch.B * 4);
  rng.fillUniform(R, -1, 1);
  const grads = k.scope(() => {
    const cache = new ForwardCache();
    forward(model, batch, { hook, cache });
    return backward(model, cache, Float32Array.from(R));
  });
  assert.ok(maxAbsDiff(fcInput!, fcQuantized!) > 1e-3, 'the operand was quantized');
  // FC.W gradient = Q(x)^T . dLogits (padding rows of dLogits ignored)
  const dW = model.layout.view(grads, 'FC.W');
  const k6 = model.sites.fc.k;
  for (let i = 0; i < k6; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let t = 0; t < batch.T; t++) for (let b = 0; b < batch.B; b++) if (t < batch.lengths[b]!) s += fcQuantized![(t * batch.B + b) * k6 + i]! * R[(t * batch.B + b) * 4 + j]!;
      assert.ok(Math.abs(dW[i * 4 + j]! - s) < 1e-5);
    }
  }
});

test('vector and recurrence hooks: 16-bit fixed point of biases, gates, cell state and outputs', () => {
  const rng = new Rng(5);
  for (const arch of Object.values(ARCHS)) {
    const model = createModel(arch, rng);
    const batch = randomBatch(rng, 5, [5, 3]);
    const outputs: Float32Array[] = [];
    const vectors: string[] = [];
    const hook: QuantHook = {
      name: 'q16',
      product(site, call) {
        if (site.operand === 'x' && site.mode === 'sequence') outputs.push(Float32Array.from(call.x.subarray(0, call.rows * site.k)));
        return fp32Hook.product(site, call);
      },
      productBackward: fp32Hook.productBackward,
      vector(name, values) {
        vectors.push(name);
        const out = new Float32Array(values.length);
        kernels().fixedPoint(values, out, values.length, 12);
        return out;
      },
      recurrence: () => ({ sigmoid: 15, candidate: 14, state: 12, output: 10 }),
    };
    const a = forward(model, batch, { hook });
    assert.ok(maxAbsDiff(a, forward(model, batch)) > 1e-6, 'rounding changes the logits');
    assert.ok(maxAbsDiff(a, forward(model, batch)) < 1e-2, 'but only a little');
    for (const o of outputs) for (const v of o) assert.equal(v * 1024, Math.round(v * 1024), 'layer outputs are multiples of 2^-10');
    const expected = model.layout.entries.filter((e) => e.role !== 'matrix').map((e) => e.name);
    assert.deepEqual([...new Set(vectors)].sort(), expected.sort(), 'every non-matrix parameter goes through vector()');
  }
});
