/**
 * The quantization hooks: integer-exact products equal fake quantization up to float rounding (per
 * product and end to end, every cell, every precision and option), weights are quantized once per
 * (block, bits) and shared by hooks, path skipping keeps the candidate block at 16 bits, QAT gets
 * straight-through gradients on the quantized weights, vectors and the recurrence are 16-bit fixed point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { makeBatches } from '../../src/data/batch.js';
import { ForwardCache, backward, forward } from '../../src/nn/forward.js';
import { blockSite, fp32Hook, weightBlock, weightCache } from '../../src/nn/hook.js';
import type { ProductSite } from '../../src/nn/hook.js';
import { touchModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import { maskedCrossEntropy } from '../../src/nn/loss.js';
import { calibrate } from '../../src/quant/calibration.js';
import type { Calibration } from '../../src/quant/calibration.js';
import { QuantizationHook, createQuantHook } from '../../src/quant/hook.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { qFractionBits } from '../../src/quant/quantizer.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff, randomSet, tinyModel } from './helpers.js';

const set = randomSet(12);
const calibrations = new Map<Model, Calibration>();
function cal(model: Model): Calibration {
  let c = calibrations.get(model);
  if (!c) calibrations.set(model, (c = calibrate(model, set)));
  return c;
}
const models = { sru: tinyModel('sru'), lstm: tinyModel('lstm'), gru: tinyModel('gru'), ligru: tinyModel('ligru') };

/** Runs one product of `site` through a hook on random operands (scaled to the calibrated range), returns y. */
function runProduct(hook: QuantizationHook, model: Model, site: ProductSite, rows: number, seed: number, accumulateOnto?: Float32Array): Float32Array {
  const k = kernels();
  const rng = new Rng(seed);
  const x = new Float32Array(rows * site.k);
  rng.fillNormal(x, 0, 1.5);
  const bias = Float32Array.from({ length: site.n }, () => rng.uniform(-0.5, 0.5));
  const y = accumulateOnto ? Float32Array.from(accumulateOnto) : new Float32Array(rows * site.n);
  k.scope(() =>
    hook.product(site, { model, x, lda: site.k, rows, y, ldy: site.n, accumulate: !!accumulateOnto, bias: accumulateOnto ? null : bias, T: rows, B: 1, lengths: Int32Array.of(rows), t: -1, step: -1, train: false }),
  );
  return y;
}

const CONFIGS: Array<{ bits: string; quant?: QuantOptions }> = [
  { bits: '*=8/8' },
  { bits: '*=4/4' },
  { bits: '*=2/2' },
  { bits: '*=16/16' },
  { bits: '*=8/16' },
  { bits: '*=16/4' },
  { bits: '*=4/8', quant: { perChannel: true } },
  { bits: '*=8/4', quant: { asymmetric: true } },
  { bits: '*=2/8', quant: { asymmetric: true, activationClip: 'percentile', weightClip: 'percentile' } },
  { bits: '*=2/4', quant: { skipCandidate: 'all', activationClip: 'minmax' } },
];

test('integer-exact products equal fake quantization up to one output step (every cell, precision and option)', () => {
  let products = 0;
  let exact = 0;
  for (const [cell, model] of Object.entries(models)) {
    for (const { bits, quant } of CONFIGS) {
      const fake = new QuantizationHook(model, createQuantBits(model, bits), cal(model), quant);
      const int = new QuantizationHook(model, createQuantBits(model, bits), cal(model), { ...quant, integer: true });
      for (const site of model.sites.all) {
        for (const acc of [false, true]) {
          const onto = acc ? Float32Array.from({ length: 7 * site.n }, (_, i) => Math.sin(i)) : undefined;
          const a = runProduct(fake, model, site, 7, site.k * 31 + site.n, onto);
          const b = runProduct(int, model, site, 7, site.k * 31 + site.n, onto);
          const lsb = 2 ** -qFractionBits(cal(model).outputs[site.key]!);
          for (let i = 0; i < a.length; i++) {
            const d = Math.abs(a[i]! - b[i]!);
            assert.ok(d <= lsb * 1.000001, `${cell} ${bits} ${JSON.stringify(quant ?? {})} ${site.key}: fake ${a[i]} vs integer ${b[i]} (step ${lsb})`);
            if (d === 0) exact++;
            products++;
          }
        }
      }
    }
  }
  // a difference needs the float sum to straddle a rounding boundary: rare
  assert.ok(exact / products > 0.99, `${exact} of ${products} outputs equal`);
});

function createQuantBits(model: Model, spec: string) {
  return (createQuantHook(model, spec, cal(model)) as QuantizationHook).bits;
}

test('integer-exact and fake-quant models agree end to end (logits within a few output steps, same argmax)', () => {
  const batches = makeBatches(set, { maxFrames: 60 });
  for (const [cell, model] of Object.entries(models)) {
    for (const { bits, quant } of [CONFIGS[0]!, CONFIGS[1]!, CONFIGS[7]!, CONFIGS[9]!]) {
      const fake = createQuantHook(model, bits, cal(model), quant);
      const int = createQuantHook(model, bits, cal(model), { ...quant, integer: true });
      let frames = 0;
      let same = 0;
      let worst = 0;
      for (const b of batches) {
        const la = forward(model, b, { hook: fake });
        const lb = forward(model, b, { hook: int });
        worst = Math.max(worst, maxAbsDiff(la, lb));
        for (let r = 0; r < b.T * b.B; r++) {
          if (b.labels[r]! < 0) continue;
          frames++;
          let ia = 0;
          let ib = 0;
          for (let c = 1; c < 48; c++) {
            if (la[r * 48 + c]! > la[r * 48 + ia]!) ia = c;
            if (lb[r * 48 + c]! > lb[r * 48 + ib]!) ib = c;
          }
          if (ia === ib) same++;
        }
      }
      assert.ok(worst < 0.02, `${cell} ${bits}: logits differ by ${worst}`);
      assert.ok(same / frames > 0.97, `${cell} ${bits}: argmax agrees on ${same} of ${frames} frames`);
    }
  }
});

test('all matrices at 32/32 is the float model; 16/16 stays close to it; 2/2 does not', () => {
  const model = models.lstm;
  assert.equal(createQuantHook(model, '*=32/32', null), fp32Hook);
  const b = makeBatches(set, { maxFrames: 1000 })[0]!;
  const ref = forward(model, b);
  const q16 = forward(model, b, { hook: createQuantHook(model, '*=16/16', cal(model)) });
  const q2 = forward(model, b, { hook: createQuantHook(model, '*=2/2', cal(model)) });
  assert.ok(maxAbsDiff(ref, q16) < 0.01, `16/16 differs by ${maxAbsDiff(ref, q16)}`);
  assert.ok(maxAbsDiff(ref, q2) > 10 * maxAbsDiff(ref, q16));
  assert.throws(() => createQuantHook(model, '*=4/4', null), /Expected a calibration .* for a quantized model but received nothing/);
  assert.throws(() => createQuantHook(model, '*=4/4,L7=8', cal(model)), /Expected a matrix name \(one of L0, L0\.U, L1, L1\.U, FC\) for bits but received "L7"/);
  assert.throws(() => createQuantHook(model, '*=3/4', cal(model)), /Expected one of 2, 4, 8, 16, 32 bits for the weights of \* \(every other matrix\) in bits but received "3"/);
});

function distinctCount(v: ArrayLike<number>): number {
  return new Set(Array.from(v)).size;
}

test('weights are quantized once per (block, bits) and shared by every hook of the model', () => {
  const model = tinyModel('sru', 7);
  const c = calibrate(model, set);
  const k = kernels();
  const b = makeBatches(set, { maxFrames: 1000 })[0]!;
  forward(model, b, { hook: createQuantHook(model, '*=4/8,FC=2/8', c) });
  const site = model.sites.all[0]!;
  const v1 = weightCache(k).get(model, site, 'w4:mmse');
  assert.ok(distinctCount(v1.values) <= 16);
  assert.ok(distinctCount(weightCache(k).get(model, model.sites.fc, 'w2:mmse').values) <= 4);
  forward(model, b, { hook: createQuantHook(model, '*=4/4', c) });
  assert.equal(weightCache(k).get(model, site, 'w4:mmse'), v1, 'a second hook reuses the quantized block');
  // a parameter change re-quantizes (QAT: after every optimizer step)
  model.layout.view(model.params, site.tensor)[0]! += 0.5;
  touchModel(model);
  forward(model, b, { hook: createQuantHook(model, '*=4/4', c) });
  const v2 = weightCache(k).get(model, site, 'w4:mmse');
  assert.notEqual(v2, v1);
  assert.ok(distinctCount(v2.values) <= 16);
});

test('path skipping: the candidate block of recurrent products at 16 bits, the gates at their bits', () => {
  const model = models.lstm;
  const k = kernels();
  const b = makeBatches(set, { maxFrames: 1000 })[0]!;
  const plain = forward(model, b, { hook: createQuantHook(model, '*=8/8,L0.U=2/2,L1.U=2/2', cal(model)) });
  const skip = forward(model, b, { hook: createQuantHook(model, '*=8/8,L0.U=2/2,L1.U=2/2', cal(model), { skipCandidate: 1 }) });
  assert.ok(maxAbsDiff(plain, skip) > 0);
  const u = model.sites.layers[0]!.recurrent[0]![0]!;
  const H = 6;
  const gates = blockSite(u, { name: 'i+f', start: 0, size: 2 * H, candidate: false });
  const cand = blockSite(u, { name: 'g', start: 2 * H, size: H, candidate: true });
  const cq = weightCache(k).get(model, cand, 'w16').values;
  assert.ok(distinctCount(weightCache(k).get(model, gates, 'w2:mmse').values) <= 4);
  assert.ok(distinctCount(cq) > 4);
  // 16-bit candidate weights: the Q-format of that block, within half a step of the float weights
  const f = qFractionBits(Math.max(...Array.from(weightBlock(model, cand), Math.abs)));
  assert.ok(maxAbsDiff(cq, weightBlock(model, cand)) <= 2 ** -(f + 1));
  // layer 1 is not skipped with --skip-candidate 1: its whole U is one 2-bit product
  const u1 = model.sites.layers[1]!.recurrent[0]![0]!;
  assert.ok(distinctCount(weightCache(k).get(model, u1, 'w2:mmse').values) <= 4);
});

test('QAT: the hook returns quantized operands and multiplies gradients by the quantized weights (straight through)', () => {
  const model = tinyModel('gru', 3);
  const c = calibrate(model, set);
  const hook = new QuantizationHook(model, createQuantBits(model, '*=4/4'), c, {});
  const k = kernels();
  const b = makeBatches(set, { maxFrames: 1000 })[0]!;
  k.scope(() => {
    const cache = new ForwardCache();
    const logits = forward(model, b, { hook, cache, train: { rng: new Rng(1), dropout: 0 } });
    const { dLogits } = maskedCrossEntropy(logits, b.labels, b, model.arch.output);
    const grads = backward(model, cache, dLogits);
    for (const e of model.layout.entries) {
      if (e.role !== 'matrix') continue;
      const g = grads.subarray(e.offset, e.offset + e.size);
      assert.ok(g.every(Number.isFinite) && g.some((v) => v !== 0), `gradient of ${e.name}`);
    }
  });
  // productBackward: dx = dy . Wq^T with the 4-bit weights
  const site = model.sites.fc;
  const wq = weightCache(k).get(model, site, 'w4:mmse').values;
  assert.ok(distinctCount(wq) <= 16);
  const rows = 3;
  const dy = Float32Array.from({ length: rows * site.n }, (_, i) => Math.cos(i));
  const dx = new Float32Array(rows * site.k);
  k.scope(() => hook.productBackward(site, { model, dy, ldy: site.n, rows, dx, ldx: site.k, accumulate: false }));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < site.k; i++) {
      let s = 0;
      for (let j = 0; j < site.n; j++) s += dy[r * site.n + j]! * wq[i * site.n + j]!;
      assert.ok(Math.abs(dx[r * site.k + i]! - s) < 1e-5);
    }
  }
  // the operand returned for the weight gradient is the 4-bit operand
  const x = Float32Array.from({ length: rows * site.k }, (_, i) => Math.sin(i) * 2);
  k.scope(() => {
    const op = hook.product(site, { model, x, lda: site.k, rows, y: new Float32Array(rows * site.n), ldy: site.n, accumulate: false, bias: null, T: rows, B: 1, lengths: Int32Array.of(rows), t: -1, step: -1, train: true });
    assert.ok(op && op !== x && distinctCount(op) <= 16);
  });
});

test('vectors and the recurrence are 16-bit fixed point in the formats of their ranges', () => {
  const model = models.ligru;
  const hook = new QuantizationHook(model, createQuantBits(model, '*=8/8'), cal(model), {});
  const name = 'L0.fwd.bn.beta';
  const raw = model.layout.view(model.params, name);
  const f = qFractionBits(Math.max(...Array.from(raw, Math.abs)));
  const q = hook.vector(name, raw, model);
  for (let i = 0; i < raw.length; i++) {
    assert.ok(Math.abs(q[i]! - raw[i]!) <= 2 ** -(f + 1));
    assert.ok(Number.isInteger(q[i]! * 2 ** f));
  }
  const r = cal(model).recurrence['L0.bwd']!;
  assert.deepEqual(hook.recurrence({ matrix: 'L0', layer: 0, cell: 'ligru', direction: 1 }), {
    sigmoid: 14,
    candidate: qFractionBits(r.candidate),
    state: qFractionBits(r.state),
    output: qFractionBits(r.output),
  });
  assert.ok(r.candidate > 0 && r.output > 0);
});
