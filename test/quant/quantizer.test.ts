/**
 * The quantizers' numbers: integer ranges, the MMSE clip against a brute-force search on the same
 * histogram, percentiles, the 16-bit Q-format and its error bounds, weight parameters and codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels } from '../../src/kernels/backend.js';
import { quantConstants } from '../../src/kernels/ref.js';
import {
  HISTOGRAM_BINS,
  absHistogram,
  histogramMse,
  median,
  mmseClip,
  mmseClipFromHistogram,
  percentile,
  qFractionBits,
  qIntegerBits,
  selectKth,
} from '../../src/quant/quantizer.js';
import { fakeQuantizeWeights, weightCodes, weightParams, weightVariantName } from '../../src/quant/weights.js';
import { asymmetricQuant, fakeQuantizeActivations, integerActivations } from '../../src/quant/activations.js';
import { Rng } from '../../src/util/rng.js';

function distinct(v: ArrayLike<number>): number[] {
  return [...new Set(Array.from(v))].sort((a, b) => a - b);
}

test('integer ranges: 2-bit is {-2,-1,0,1} x step, 4-bit -8..7, 8-bit -128..127', () => {
  const rng = new Rng(1);
  const w = new Float32Array(400);
  rng.fillNormal(w, 0, 3);
  for (const [bits, lo, hi] of [[2, -2, 1], [4, -8, 7], [8, -128, 127]] as const) {
    const p = weightParams(w, 20, 20, { bits, clip: 'percentile', percentile: 95, perChannel: false });
    assert.equal(p.kind, 'integer');
    const { codes, steps } = weightCodes(w, 20, 20, p);
    const c = distinct(codes);
    assert.equal(c[0], lo);
    assert.equal(c[c.length - 1], hi);
    assert.ok(c.length <= hi - lo + 1);
    const step = quantConstants({ bits, clip: (p as { clips: Float64Array }).clips[0]! }).step;
    assert.ok(steps.every((s) => s === step));
    const fake = Float32Array.from(w);
    fakeQuantizeWeights(fake, 20, 20, p);
    // fake quantization is exactly code * step
    for (let i = 0; i < w.length; i++) assert.equal(fake[i]! + 0, Math.fround(codes[i]! * step) + 0);
  }
  // 2-bit values by hand: clip 1 -> inv = 1, step = 1
  const v = Float32Array.of(-3, -1.6, -1.4, -0.6, -0.5, -0.4, 0, 0.4, 0.5, 0.6, 1.4, 3);
  const out = new Float32Array(v.length);
  kernels().fakeQuant(v, out, v.length, { bits: 2, clip: 1 });
  assert.deepEqual(Array.from(out), [-2, -2, -1, -1, -0, -0, 0, 0, 0, 1, 1, 1]);
});

/** The brute force: expand the histogram into its bin centres, fake-quantize them with the kernels at every candidate clip, keep the least squared error. */
function bruteForceClip(values: Float32Array, bits: number): number {
  const h = absHistogram(values);
  const centres: number[] = [];
  h.counts.forEach((n, i) => {
    for (let j = 0; j < n; j++) centres.push(((i + 0.5) * h.max) / HISTOGRAM_BINS);
  });
  const x = Float32Array.from(centres);
  const q = new Float32Array(x.length);
  let best = 0;
  let bestErr = Infinity;
  for (let k = 1; k <= 100; k++) {
    const clip = (k / 100) * h.max;
    kernels().fakeQuant(x, q, x.length, { bits, clip });
    let err = 0;
    for (let i = 0; i < x.length; i++) err += (centres[i]! - q[i]!) ** 2;
    if (err < bestErr * (1 - 1e-9)) {
      bestErr = err;
      best = clip;
    }
  }
  return best;
}

test('MMSE clip equals a brute-force search on the same histogram (Gaussian, Laplace, uniform, outliers; 2/4/8 bits)', () => {
  const rng = new Rng(5);
  const sets: Record<string, Float32Array> = {};
  const n = 3000;
  sets.gauss = new Float32Array(n);
  rng.fillNormal(sets.gauss);
  sets.laplace = Float32Array.from({ length: n }, () => (rng.float() < 0.5 ? -1 : 1) * -Math.log(1 - rng.float()));
  sets.uniform = Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
  sets.outliers = Float32Array.from({ length: n }, (_, i) => (i === 0 ? 5 : rng.uniform(-1, 1)));
  for (const [name, v] of Object.entries(sets)) {
    for (const bits of [2, 4, 8]) assert.equal(mmseClip(v, bits), bruteForceClip(v, bits), `${name} at ${bits} bits`);
  }
  // clipping pays off: a lone outlier is clipped away at 2 bits; more bits keep a larger share of the range
  assert.ok(mmseClip(sets.outliers!, 2) < 0.3 * 5);
  assert.ok(mmseClip(sets.gauss!, 2) < mmseClip(sets.gauss!, 4));
  assert.ok(mmseClip(sets.gauss!, 4) < mmseClip(sets.gauss!, 8));
  // the histogram objective by hand: 2 bins at centres 0.25 and 0.75 (max 1), 2-bit, clip 0.5 -> inv 2
  const h = { max: 1, counts: Float64Array.of(1, 1), total: 2 };
  // 0.25 -> round(0.5) = 0 -> error 0.25^2; 0.75 above the clip -> (0.75 - 0.5)^2
  assert.equal(histogramMse(h, 2, 0.5), (0.0625 + 0.0625) / 2);
  assert.equal(mmseClipFromHistogram({ max: 0, counts: new Float64Array(201), total: 10 }, 4), 0);
});

test('percentiles by nearest rank and selection agree with sorting', () => {
  const rng = new Rng(9);
  const v = Float32Array.from({ length: 1001 }, () => rng.uniform(-5, 5));
  const sorted = Float32Array.from(v).sort();
  const abs = Float32Array.from(v, Math.abs).sort();
  for (const p of [1, 50, 90, 99.9, 100]) {
    const rank = Math.ceil((p / 100) * v.length);
    assert.equal(percentile(v, p), sorted[rank - 1]);
    assert.equal(percentile(v, p, true), abs[rank - 1]);
  }
  for (const k of [0, 1, 500, 999, 1000]) assert.equal(selectKth(Float32Array.from(v), k), sorted[k]);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => percentile(v, 0), /Expected a number in \(0, 100\] for percentile but received 0/);
});

test('16-bit Q-format: integer bits from the range, round trip within half a step, saturation beyond the range', () => {
  assert.deepEqual([0.9, 1, 3, 4, 0.01, 1e-9, 1e6].map(qIntegerBits), [0, 1, 2, 3, -6, -16, 15]);
  assert.equal(qFractionBits(1), 14);
  const k = kernels();
  const rng = new Rng(2);
  for (const range of [0.3, 1, 5.5, 100, 20000]) {
    const f = qFractionBits(range);
    const x = Float32Array.from({ length: 2000 }, () => rng.uniform(-range, range));
    const y = new Float32Array(x.length);
    k.fixedPoint(x, y, x.length, f);
    const half = 2 ** -(f + 1);
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(y[i]! - x[i]!) <= half * (1 + 1e-6), `range ${range}: ${x[i]} -> ${y[i]}`);
      assert.equal(Number.isInteger(y[i]! * 2 ** f), true);
    }
    // 16 bits: codes within int16, nothing lost to saturation inside the range
    assert.ok(Math.abs(range * 2 ** f) < 32768);
    const big = Float32Array.of(2 * 2 ** qIntegerBits(range), -2 * 2 ** qIntegerBits(range));
    k.fixedPoint(big, big, 2, f);
    assert.deepEqual(Array.from(big), [32767 * 2 ** -f, -32768 * 2 ** -f]);
  }
  // 16-bit weights: Q-format of the tensor, codes are the fixed-point words
  const w = Float32Array.of(0.5, -1.25, 3.9, 0.001);
  const p = weightParams(w, 2, 2, { bits: 16, clip: 'mmse', percentile: 100, perChannel: false });
  assert.deepEqual(p, { kind: 'fixed', fracBits: 13 });
  const codes = weightCodes(w, 2, 2, p);
  assert.deepEqual(Array.from(codes.codes), [4096, -10240, 31949, 8]);
});

test('per-channel weights: one clip per column, each column with its own range', () => {
  const k = 50;
  const n = 4;
  const w = new Float32Array(k * n);
  const rng = new Rng(4);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) w[i * n + j] = rng.uniform(-1, 1) * 10 ** j;
  const p = weightParams(w, k, n, { bits: 4, clip: 'minmax', percentile: 100, perChannel: true });
  assert.equal(p.kind, 'integer');
  const clips = (p as { clips: Float64Array }).clips;
  for (let j = 0; j < n; j++) {
    let m = 0;
    for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(w[i * n + j]!));
    assert.equal(clips[j], m);
  }
  const q = Float32Array.from(w);
  fakeQuantizeWeights(q, k, n, p);
  const codes = weightCodes(w, k, n, p);
  for (let i = 0; i < k * n; i++) assert.equal(q[i]! + 0, Math.fround(codes.codes[i]! * codes.steps[i % n]!) + 0);
  assert.equal(weightVariantName({ bits: 4, clip: 'percentile', percentile: 99.9, perChannel: true }), 'w4:percentile99.9:pc');
});

test('asymmetric activations: zero point, codes in 0..2^n-1, integer form equals the fake values', () => {
  const k = kernels();
  const q = asymmetricQuant(4, -0.5, 2.5);
  assert.equal(q.kind, 'asymmetric');
  const x = Float32Array.of(-1, -0.5, 0, 0.1, 1, 2.5, 3);
  const fake = new Float32Array(x.length);
  fakeQuantizeActivations(k, q, x, fake, x.length);
  const a = q as { inv: number; step: number; zero: number };
  assert.equal(a.inv, Math.fround(15 / 3));
  assert.equal(a.zero, 2); // round(0.5 * 5) = round(2.5) = 2 (half to even)
  // -1 clamps to code 0 = -zero steps; 0 stays exact; 3 clamps to 15
  assert.equal(fake[0], Math.fround(-2 * a.step));
  assert.equal(fake[2], 0);
  assert.equal(fake[6], Math.fround(13 * a.step));
  k.scope(() => {
    const int = integerActivations(k, q, x, x.length);
    for (let i = 0; i < x.length; i++) {
      const code = int.pieces.reduce((s, p) => s + p.mult * p.codes[i]!, 0) + int.offset;
      assert.equal(Math.fround(code * int.step), fake[i]);
    }
    // 16-bit operands split into two int8 pieces plus an offset, exactly
    const x16 = Float32Array.of(3.999, -4, 0.00012, -0.5, 1.23456);
    const fq = { kind: 'fixed' as const, fracBits: qFractionBits(4) };
    const fake16 = new Float32Array(x16.length);
    fakeQuantizeActivations(k, fq, x16, fake16, x16.length);
    const int16 = integerActivations(k, fq, x16, x16.length);
    for (let i = 0; i < x16.length; i++) {
      const code = int16.pieces.reduce((s, p) => s + p.mult * p.codes[i]!, 0) + int16.offset;
      assert.equal(code * int16.step, fake16[i]);
    }
  });
});
