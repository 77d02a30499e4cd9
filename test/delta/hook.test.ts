/**
 * The delta hook: threshold 0 reproduces the integer-exact dense model bit for bit (every cell, both
 * GRU conventions, every precision and option) and the float model up to rounding; with larger
 * thresholds every product equals the dense product of the held vector x_hat; a hand-made sequence
 * transmits exactly the elements worked out by hand and skips their MACs; padding transmits and counts
 * nothing, so an utterance gets the same outputs alone or in any batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { quantConstants, roundHalfEven } from '../../src/kernels/ref.js';
import { makeBatches } from '../../src/data/batch.js';
import { calibrate, operandName } from '../../src/quant/calibration.js';
import type { Calibration } from '../../src/quant/calibration.js';
import { QuantizationHook, resolveBits } from '../../src/quant/hook.js';
import { activationQuant } from '../../src/quant/activations.js';
import { resolveQuantOptions } from '../../src/quant/options.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { forward } from '../../src/nn/forward.js';
import { fp32Hook } from '../../src/nn/hook.js';
import type { ProductCall, ProductSite, QuantHook } from '../../src/nn/hook.js';
import { createModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { DeltaHook, denseHook } from '../../src/delta/hook.js';
import { batchesOf, driftingSet, logitsOf, maxAbsDiff, tinyModel } from './helpers.js';

const set = driftingSet(10);
const batches = batchesOf(set);
const models = { sru: tinyModel('sru'), lstm: tinyModel('lstm'), gru: tinyModel('gru'), ligru: tinyModel('ligru') };
const calibrations = new Map<Model, Calibration>();
function cal(model: Model): Calibration {
  let c = calibrations.get(model);
  if (!c) calibrations.set(model, (c = calibrate(model, set)));
  return c;
}

const CONFIGS: Array<{ bits: string; quant?: QuantOptions }> = [
  { bits: '*=8/8' },
  { bits: '*=4/4' },
  { bits: '*=2/2' },
  { bits: '*=16/16' },
  { bits: '*=8/16' },
  { bits: '*=16/8' },
  { bits: '*=8/8,FC=32/8' },
  { bits: '*=4/8', quant: { perChannel: true } },
  { bits: '*=8/4', quant: { asymmetric: true } },
  { bits: '*=8/8', quant: { skipCandidate: 'all' } },
];

test('threshold 0 equals the integer-exact dense model bit for bit (every cell, precision and option)', () => {
  for (const [cell, model] of Object.entries(models)) {
    for (const { bits, quant } of CONFIGS) {
      const assignment = resolveBits(model, bits);
      const dense = logitsOf(model, batches, denseHook(model, assignment, cal(model), quant));
      const hook = new DeltaHook(model, assignment, cal(model), '*=0', { quant });
      const delta = logitsOf(model, batches, hook);
      const what = `${cell} ${bits} ${JSON.stringify(quant ?? {})}`;
      if (bits.includes('32/')) {
        // a float weight matrix runs in f64 here and in f32 there: equal up to float rounding
        delta.forEach((d, i) => assert.ok(maxAbsDiff(d, dense[i]!) < 1e-3, what));
        continue;
      }
      dense.forEach((d, i) => assert.deepEqual(delta[i], d, `${what} batch ${i}`));
      // identical outputs, yet the elements whose code did not change were skipped
      const skipped = [...hook.counters.values()].reduce((s, c) => s + c.frames * c.k - c.transmitted, 0);
      assert.ok(skipped > 0, `${what}: nothing skipped at threshold 0`);
    }
  }
});

test('threshold 0 on the float model equals the float model up to rounding', () => {
  for (const [cell, model] of Object.entries(models)) {
    const fp = logitsOf(model, batches, fp32Hook);
    const delta = logitsOf(model, batches, new DeltaHook(model, '*=32', null, '*=0'));
    fp.forEach((f, i) => assert.ok(maxAbsDiff(f, delta[i]!) < 1e-4, `${cell} batch ${i}: ${maxAbsDiff(f, delta[i]!)}`));
  }
});

/** Records every product call of a hook: operand, output before and after. */
interface Recorded {
  site: ProductSite;
  call: ProductCall;
  x: Float32Array;
  before: Float32Array;
  after: Float32Array;
}

function recording(hook: QuantHook, log: Recorded[]): QuantHook {
  const copy = (a: Float32Array, rows: number, n: number, ld: number) => {
    const out = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) out.set(a.subarray(r * ld, r * ld + n), r * n);
    return out;
  };
  return {
    name: 'recording',
    beginBatch: (m, info) => hook.beginBatch?.(m, info),
    endBatch: (m) => hook.endBatch?.(m),
    vector: (name, v, m) => (hook.vector ? hook.vector(name, v, m) : v),
    recurrence: (site, m) => (hook.recurrence ? hook.recurrence(site, m) : null),
    productBackward: (site, call) => hook.productBackward(site, call),
    product(site, call) {
      const before = copy(call.y, call.rows, site.n, call.ldy);
      const r = hook.product(site, call);
      log.push({ site, call, x: copy(call.x, call.rows, site.k, call.lda), before, after: copy(call.y, call.rows, site.n, call.ldy) });
      return r;
    },
  };
}

test('with thresholds > 0 every product equals the dense integer product of the held vector x_hat (every cell)', () => {
  const k = kernels();
  for (const [cell, model] of Object.entries(models)) {
    const bits = resolveBits(model, '*=8/8');
    const theta = 3;
    const log: Recorded[] = [];
    const batch = batches[0]!;
    forward(model, batch, { hook: recording(new DeltaHook(model, bits, cal(model), `*=${theta}`), log) });
    const dense = new QuantizationHook(model, bits, cal(model), { integer: true });
    const o = resolveQuantOptions();
    const held = new Map<string, Int32Array>();
    let changedSomething = false;
    for (const { site, call, x, before, after } of log) {
      const q = activationQuant(cal(model).operands[operandName(site)], 8, o, operandName(site));
      assert.equal(q.kind, 'symmetric');
      const { inv, step, lo, hi } = quantConstants({ bits: 8, clip: (q as { clip: number }).clip });
      const code = (v: number) => Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(v * inv))));
      const { T, B, lengths } = call;
      const K = site.k;
      // x_hat per utterance, walked in processing order (the state of a recurrent site lives across its steps)
      const xHat = new Float32Array(call.rows * K);
      const visit = (row: number, b: number, h: Int32Array) => {
        for (let i = 0; i < K; i++) {
          const c = code(x[row * K + i]!);
          if (Math.abs(c - h[b * K + i]!) > theta) h[b * K + i] = c;
          if (c !== h[b * K + i]) changedSomething = true;
        }
      };
      const fill = (row: number, b: number, h: Int32Array) => {
        for (let i = 0; i < K; i++) xHat[row * K + i] = Math.fround(h[b * K + i]! * step);
      };
      if (site.mode === 'step') {
        const key = site.key;
        if (call.step === 0) held.set(key, new Int32Array(B * K));
        const h = held.get(key)!;
        for (let b = 0; b < B; b++) {
          if (call.t < lengths[b]!) visit(b, b, h);
          fill(b, b, h);
        }
      } else {
        const h = new Int32Array(B * K);
        for (let s = 0; s < T; s++) {
          const t = site.direction === 1 ? T - 1 - s : s;
          for (let b = 0; b < B; b++) {
            if (t < lengths[b]!) visit(t * B + b, b, h);
            fill(t * B + b, b, h);
          }
        }
      }
      const y = Float32Array.from(before);
      k.scope(() => dense.product(site, { ...call, x: xHat, lda: K, y, ldy: site.n }));
      for (let r = 0; r < call.rows; r++) {
        const t = site.mode === 'step' ? call.t : Math.floor(r / B);
        if (t >= lengths[r % B]!) continue; // padding rows output the held product, not W . 0
        for (let j = 0; j < site.n; j++) assert.equal(after[r * site.n + j], y[r * site.n + j], `${cell} ${site.key} row ${r} column ${j}`);
      }
    }
    assert.ok(changedSomething, `${cell}: the threshold never held back a change`);
  }
});

test('a hand-made sequence transmits the elements worked out by hand and skips the rest of the MACs', () => {
  // one unidirectional LiGRU layer on 3 features: the input product L0 is [3 x 4] (gates z, n of 2 units)
  const model = createModel({ name: 'hand', input: 3, output: 48, layers: [{ type: 'ligru', hidden: 2, bidirectional: false }] }, new Rng(4));
  const hook = new DeltaHook(model, '*=32', null, '*=0.3,L0.U=0,FC=0');
  const site = model.sites.layers[0]!.input[0]!;
  // T = 4, B = 2, time-major rows t*2 + b; utterance 1 has 2 frames (rows 5 and 7 are padding)
  const x = Float32Array.of(
    0.5, 0.0, -1.0, /* */ 0.0, 0.2, 0.0,
    0.6, 0.1, -1.0, /* */ 0.0, 0.6, 0.35,
    0.9, 0.1, -0.5, /* */ 9, 9, 9,
    0.9, -0.4, -0.5, /**/ 9, 9, 9,
  );
  const bias = Float32Array.of(0.1, -0.2, 0.3, -0.4);
  const y = new Float32Array(8 * 4);
  kernels().scope(() => hook.product(site, { model, x, lda: 3, rows: 8, y, ldy: 4, accumulate: false, bias, T: 4, B: 2, lengths: Int32Array.of(4, 2), t: -1, step: -1, train: false }));
  // |x - x_hat| > 0.3: utterance 0 sends {0, 2}, {}, {0, 2}, {1}; utterance 1 sends {}, {1, 2}
  const xHat = [
    [0.5, 0, -1], [0, 0, 0],
    [0.5, 0, -1], [0, 0.6, 0.35],
    [0.9, 0, -0.5], [0, 0.6, 0.35],
    [0.9, -0.4, -0.5], [0, 0.6, 0.35],
  ];
  const counter = [...hook.counters.values()].find((c) => c.matrix === 'L0')!;
  assert.equal(counter.frames, 6);
  assert.equal(counter.transmitted, 7);
  // MACs: 6 frames x 3 inputs x 4 outputs = 72, of which (18 - 7) x 4 = 44 skipped
  assert.equal((counter.frames * counter.k - counter.transmitted) * counter.n, 44);
  const W = model.layout.view(model.params, 'L0.fwd.W');
  xHat.forEach((h, row) => {
    for (let j = 0; j < 4; j++) {
      const expected = h.reduce((s, v, i) => s + Math.fround(v) * W[i * 4 + j]!, 0) + bias[j]!;
      assert.ok(Math.abs(y[row * 4 + j]! - expected) < 1e-6, `row ${row} column ${j}: ${y[row * 4 + j]} vs ${expected}`);
    }
  });
});

test('padding transmits nothing: an utterance gets the same logits alone as in any batch, and frames count once', () => {
  for (const [cell, model] of Object.entries(models)) {
    const bits = resolveBits(model, '*=4/8');
    const hook = new DeltaHook(model, bits, cal(model), '*=2');
    const together = makeBatches(set, { maxFrames: 1000 });
    const alone = makeBatches(set, { batchSize: 1 });
    const byUtterance = (bs: typeof together) => {
      const out = new Map<number, Float32Array>();
      for (const b of bs) {
        const logits = forward(model, b, { hook });
        b.utterances.forEach((u, i) => {
          const rows = new Float32Array(b.lengths[i]! * 48);
          for (let t = 0; t < b.lengths[i]!; t++) rows.set(logits.subarray((t * b.B + i) * 48, (t * b.B + i + 1) * 48), t * 48);
          out.set(u, rows);
        });
      }
      return out;
    };
    const a = byUtterance(together);
    const counts = [...hook.counters.values()].map((c) => ({ ...c }));
    hook.resetCounters();
    const b = byUtterance(alone);
    for (const [u, rows] of a) assert.deepEqual(b.get(u), rows, `${cell} utterance ${u}`);
    const frames = set.utterances.reduce((s, u) => s + u.frames, 0);
    const after = [...hook.counters.values()];
    counts.forEach((c, i) => {
      assert.equal(c.transmitted, after[i]!.transmitted, `${cell} ${c.operand}: transmitted`);
      assert.equal(c.frames, frames, `${cell} ${c.operand}: every real frame once, no padding`);
    });
  }
});

test('the delta hook is inference only and needs a calibration for quantized bits', () => {
  const model = models.lstm;
  const hook = new DeltaHook(model, '*=8/8', cal(model), '*=1');
  const site = model.sites.fc;
  const call = { model, x: new Float32Array(site.k), lda: site.k, rows: 1, y: new Float32Array(site.n), ldy: site.n, accumulate: false, bias: null, T: 1, B: 1, lengths: Int32Array.of(1), t: -1, step: -1, train: true };
  assert.throws(() => hook.product(site, call), { message: 'delta networks are inference only (no training pass through the delta hook)' });
  assert.throws(() => hook.productBackward(), { message: 'delta networks are inference only (no backward pass through the delta hook)' });
  assert.throws(() => new DeltaHook(model, '*=8/8', null, '*=1'), { message: 'Expected a calibration (see calibrate / cachedCalibration) for a quantized model but received nothing' });
  assert.throws(() => new DeltaHook(model, '*=8/8', cal(model), 'L9=1'), { message: 'Expected a matrix name (one of L0, L0.U, L1, L1.U, FC) for thresholds but received "L9"' });
});
