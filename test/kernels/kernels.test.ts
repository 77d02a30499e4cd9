import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKernels, createRefKernels, roundHalfEven } from '../../src/kernels/index.js';
import type { Kernels } from '../../src/kernels/index.js';
import { Rng } from '../../src/util/rng.js';

const wasm = createKernels({ backend: 'wasm', memoryMiB: 256 });
const ref = createRefKernels();
const rng = new Rng(2024);

function rand(n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  rng.fillUniform(a, lo, hi);
  return a;
}

function randI8(n: number, bits = 8): Int8Array {
  const lo = -(2 ** (bits - 1));
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + rng.int(2 ** bits);
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// shapes: 1xN, Nx1, K not a multiple of 4 or 8, sizes not multiples of the 4x8 tile, bigger than a 64-row block
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 37, 1],
  [1, 5, 300],
  [300, 5, 1],
  [7, 3, 9],
  [13, 17, 19],
  [64, 64, 64],
  [67, 129, 33],
  [130, 250, 70],
];

test('wasm is the backend under test', () => {
  assert.equal(wasm.name, 'wasm');
});

for (const [m, k, n] of SHAPES) {
  test(`gemmF32 ${m}x${k}x${n} matches the reference (plain, bias, accumulate, strides)`, () => {
    const a = rand(m * k);
    const b = rand(k * n);
    const bias = rand(n);
    const pw = wasm.packF32(b, k, n);
    const pr = ref.packF32(b, k, n);
    const tol = 1e-5 * Math.sqrt(k) + 1e-6;
    // plain
    const cw = new Float32Array(m * n);
    const cr = new Float32Array(m * n);
    wasm.gemmF32(a, m, k, pw, cw);
    ref.gemmF32(a, m, k, pr, cr);
    assert.ok(maxAbsDiff(cw, cr) < tol, `plain diff ${maxAbsDiff(cw, cr)}`);
    // bias + accumulate on top of existing values
    const init = rand(m * n);
    const cw2 = init.slice();
    const cr2 = init.slice();
    wasm.gemmF32(a, m, k, pw, cw2, { bias, accumulate: true });
    ref.gemmF32(a, m, k, pr, cr2, { bias, accumulate: true });
    assert.ok(maxAbsDiff(cw2, cr2) < tol, `bias+acc diff ${maxAbsDiff(cw2, cr2)}`);
    // lda/ldc: A is a column block of a wider matrix, C written into a column block of a wider output
    const lda = k + 3;
    const ldc = n + 5;
    const aw = rand(m * lda);
    const cw3 = new Float32Array(m * ldc).fill(7);
    const cr3 = new Float32Array(m * ldc).fill(7);
    wasm.gemmF32(aw, m, k, pw, cw3, { lda, ldc });
    ref.gemmF32(aw, m, k, pr, cr3, { lda, ldc });
    assert.ok(maxAbsDiff(cw3, cr3) < tol);
    for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) assert.equal(cw3[i * ldc + j], 7, 'columns outside the block are untouched');
    pw.dispose();
  });

  test(`gemmI8 ${m}x${k}x${n} is bit-exact`, () => {
    const a = randI8(m * k);
    const b = randI8(k * n);
    const pw = wasm.packI8(b, k, n);
    const pr = ref.packI8(b, k, n);
    const cw = new Int32Array(m * n);
    const cr = new Int32Array(m * n);
    wasm.gemmI8(a, m, k, pw, cw);
    ref.gemmI8(a, m, k, pr, cr);
    assert.deepEqual(cw, cr);
    // accumulate and strides
    const lda = k + 1;
    const ldc = n + 2;
    const a2 = randI8(m * lda);
    const cw2 = new Int32Array(m * ldc).fill(-3);
    const cr2 = new Int32Array(m * ldc).fill(-3);
    wasm.gemmI8(a2, m, k, pw, cw2, { accumulate: true, lda, ldc });
    ref.gemmI8(a2, m, k, pr, cr2, { accumulate: true, lda, ldc });
    assert.deepEqual(cw2, cr2);
    pw.dispose();
  });
}

test('gemmI8 extremes: -128 x -128 over a long k does not overflow i16 pairs', () => {
  const m = 3;
  const k = 1001;
  const n = 11;
  const a = new Int8Array(m * k).fill(-128);
  const b = new Int8Array(k * n).fill(-128);
  const c = new Int32Array(m * n);
  const p = wasm.packI8(b, k, n);
  wasm.gemmI8(a, m, k, p, c);
  for (const v of c) assert.equal(v, 128 * 128 * k);
  p.dispose();
});

test('packF32 with transpose packs B^T', () => {
  const k = 11;
  const n = 13;
  const bt = rand(n * k); // [n x k]
  const a = rand(5 * k);
  const pw = wasm.packF32(bt, k, n, true);
  const pr = ref.packF32(bt, k, n, true);
  const cw = new Float32Array(5 * n);
  const cr = new Float32Array(5 * n);
  wasm.gemmF32(a, 5, k, pw, cw);
  ref.gemmF32(a, 5, k, pr, cr);
  assert.ok(maxAbsDiff(cw, cr) < 1e-5);
  pw.dispose();
});

for (const [m, k, n] of [
  [1, 1, 1],
  [9, 7, 5],
  [130, 33, 70],
] as const) {
  test(`gemmAtB ${m}x${k}x${n} matches the reference`, () => {
    const a = rand(m * k);
    const b = rand(m * n);
    const init = rand(k * n);
    const cw = init.slice();
    const cr = init.slice();
    wasm.gemmAtB(a, m, k, b, n, cw, true);
    ref.gemmAtB(a, m, k, b, n, cr, true);
    assert.ok(maxAbsDiff(cw, cr) < 1e-5 * Math.sqrt(m) + 1e-6);
  });
}

test('quantize and fakeQuant are bit-exact between backends, with half-to-even rounding', () => {
  for (const bits of [2, 3, 4, 8]) {
    for (const n of [1, 3, 4, 17, 1000]) {
      const x = rand(n, -2, 2);
      // exact ties: values landing on k + 0.5 quantization steps
      const clip = 1.5;
      const inv = Math.fround((2 ** (bits - 1) - 1) / clip);
      if (n > 3) {
        x[0] = Math.fround(0.5 / inv);
        x[1] = Math.fround(-1.5 / inv);
        x[2] = Math.fround(2.5 / inv);
      }
      const qw = new Int8Array(n);
      const qr = new Int8Array(n);
      wasm.quantize(x, qw, n, { bits, clip });
      ref.quantize(x, qr, n, { bits, clip });
      assert.deepEqual(qw, qr, `codes bits=${bits} n=${n}`);
      const fw = new Float32Array(n);
      const fr = new Float32Array(n);
      wasm.fakeQuant(x, fw, n, { bits, clip });
      ref.fakeQuant(x, fr, n, { bits, clip });
      assert.deepEqual(fw, fr, `fake-quant bits=${bits} n=${n}`);
      for (let i = 0; i < n; i++) {
        assert.ok(qw[i]! >= -(2 ** (bits - 1)) && qw[i]! <= 2 ** (bits - 1) - 1);
      }
    }
  }
  assert.equal(roundHalfEven(0.5), 0);
  assert.equal(roundHalfEven(1.5), 2);
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(-0.5), -0);
  assert.equal(roundHalfEven(-1.5), -2);
  assert.equal(roundHalfEven(-2.5), -2);
});

test('2-bit codes are {-2,-1,0,1}', () => {
  const x = Float32Array.from([-10, -1, -0.6, -0.2, 0, 0.2, 0.6, 1, 10]);
  const q = new Int8Array(x.length);
  wasm.quantize(x, q, x.length, { bits: 2, clip: 1 });
  assert.deepEqual([...q], [-2, -1, -1, 0, 0, 0, 1, 1, 1]);
});

test('fixedPoint is bit-exact between backends and saturates at 16 bits', () => {
  const x = rand(1003, -3, 3);
  x[0] = 1e6;
  x[1] = -1e6;
  const fw = new Float32Array(x.length);
  const fr = new Float32Array(x.length);
  wasm.fixedPoint(x, fw, x.length, 13);
  ref.fixedPoint(x, fr, x.length, 13);
  assert.deepEqual(fw, fr);
  assert.equal(fw[0], 32767 / 8192);
  assert.equal(fw[1], -32768 / 8192);
});

test('element-wise activations match the reference', () => {
  for (const n of [1, 2, 5, 8, 1001]) {
    const x = rand(n, -12, 12);
    if (n > 4) {
      x[0] = 0;
      x[1] = 1e-9;
      x[2] = -100;
      x[3] = 100;
    }
    for (const op of ['sigmoid', 'tanh', 'relu'] as const) {
      const ow = new Float32Array(n);
      const or = new Float32Array(n);
      wasm[op](x, ow, n);
      ref[op](x, or, n);
      assert.ok(maxAbsDiff(ow, or) < 2e-7, `${op} n=${n}: ${maxAbsDiff(ow, or)}`);
    }
    // tanh keeps relative accuracy near zero
    const tiny = Float32Array.from([1e-6, -3e-4, 0.01, 0.05]);
    const t = new Float32Array(4);
    wasm.tanh(tiny, t, 4);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(t[i]! - Math.tanh(tiny[i]!)) <= 2e-7 * Math.abs(tiny[i]!) + 1e-12);
  }
});

test('softmax and log-softmax rows match the reference (awkward widths, large logits)', () => {
  for (const [rows, cols] of [
    [1, 1],
    [3, 5],
    [7, 48],
    [2, 1903],
  ] as const) {
    const x = rand(rows * cols, -30, 30);
    x[0] = 80;
    const sw = new Float32Array(rows * cols);
    const sr = new Float32Array(rows * cols);
    wasm.softmaxRows(x, sw, rows, cols);
    ref.softmaxRows(x, sr, rows, cols);
    assert.ok(maxAbsDiff(sw, sr) < 1e-6);
    wasm.logSoftmaxRows(x, sw, rows, cols);
    ref.logSoftmaxRows(x, sr, rows, cols);
    assert.ok(maxAbsDiff(sw, sr) < 2e-5, `log-softmax ${rows}x${cols}: ${maxAbsDiff(sw, sr)}`);
  }
});

test('in-place element-wise ops work on resident and foreign arrays', () => {
  const x = rand(37, -3, 3);
  const expect = new Float32Array(37);
  ref.sigmoid(x, expect, 37);
  const foreign = x.slice();
  wasm.sigmoid(foreign, foreign, 37);
  assert.ok(maxAbsDiff(foreign, expect) < 2e-7);
  wasm.scope(() => {
    const resident = wasm.f32(37);
    resident.set(x);
    wasm.sigmoid(resident, resident, 37);
    assert.ok(maxAbsDiff(resident, expect) < 2e-7);
  });
});

test('scope releases working arrays; allocation outside a scope is an error', () => {
  assert.throws(() => wasm.f32(4), /inside kernels.scope/);
  let first = 0;
  wasm.scope(() => {
    first = wasm.f32(100).byteOffset;
    wasm.scope(() => {
      assert.ok(wasm.f32(10).byteOffset > first);
    });
  });
  wasm.scope(() => {
    const a = wasm.f32(100);
    assert.equal(a.byteOffset, first);
    assert.ok(a.every((v) => v === 0), 'working arrays start zeroed');
  });
});

test('packed matrices are freed on dispose and the heap is reused', () => {
  const k = wasm as Kernels & { heapInUse(): number };
  const before = k.heapInUse();
  const p1 = wasm.packF32(rand(64 * 64), 64, 64);
  const p2 = wasm.packI8(randI8(33 * 9), 33, 9);
  assert.ok(k.heapInUse() > before);
  p1.dispose();
  p2.dispose();
  assert.equal(k.heapInUse(), before);
  const p3 = wasm.packF32(rand(64 * 64), 64, 64);
  p3.dispose();
  p3.dispose();
  assert.equal(k.heapInUse(), before);
  assert.throws(() => wasm.gemmF32(rand(64), 1, 64, p3, new Float32Array(64)), /disposed/);
});

test('running out of kernel memory is a clear error', () => {
  const small = createKernels({ backend: 'wasm', memoryMiB: 4 });
  assert.throws(
    () => small.scope(() => small.f32(2_000_000)),
    (e: Error) => /kernel memory exhausted/.test(e.message) && /MOHAQ_KERNEL_MEMORY_MIB/.test(e.message),
  );
});

test('a short array is rejected instead of reading neighbouring memory', () => {
  const p = wasm.packF32(rand(8 * 8), 8, 8);
  assert.throws(() => wasm.gemmF32(rand(7), 1, 8, p, new Float32Array(8)), /shorter than/);
  p.dispose();
});

test('viterbiForward is bit-exact between backends (odd and even phone counts, with and without priors)', () => {
  for (const [T, P] of [
    [1, 3],
    [7, 5],
    [40, 48],
  ] as const) {
    const lp = rand(T * P, -12, 0);
    const bigram = Float64Array.from(rand(P * P, -6, -0.1));
    bigram[1] = -Infinity; // an impossible transition
    const initial = Float64Array.from(rand(P, -3, -1));
    for (const priors of [null, Float64Array.from(rand(P, -5, -1))]) {
      const out = [wasm, ref].map((k) => {
        const back = new Int32Array(T * P);
        const entered = new Uint8Array(T * P);
        const last = new Float64Array(P);
        k.viterbiForward(lp, T, P, bigram, initial, priors, 1.3, 0.7, back, entered, last);
        return { back, entered, last };
      });
      assert.deepEqual(out[0], out[1], `T=${T} P=${P}`);
    }
  }
});

test('gemmF32 with fixedFrac rounds the stored outputs exactly like fixedPoint', () => {
  for (const [m, k, n] of [
    [5, 9, 13],
    [67, 33, 8],
  ] as const) {
    const a = rand(m * k, -3, 3);
    const b = rand(k * n, -3, 3);
    const bias = rand(n);
    const init = rand(m * (n + 3));
    const pw = wasm.packF32(b, k, n);
    for (const accumulate of [false, true]) {
      const plain = init.slice();
      wasm.gemmF32(a, m, k, pw, plain, { bias, accumulate, ldc: n + 3 });
      for (let r = 0; r < m; r++) wasm.fixedPoint(plain.subarray(r * (n + 3)), plain.subarray(r * (n + 3)), n, 11);
      const fused = init.slice();
      wasm.gemmF32(a, m, k, pw, fused, { bias, accumulate, ldc: n + 3, fixedFrac: 11 });
      assert.deepEqual(fused, plain);
      const viaRef = init.slice();
      ref.gemmF32(a, m, k, ref.packF32(b, k, n), viaRef, { bias, accumulate, ldc: n + 3, fixedFrac: 11 });
      assert.ok(maxAbsDiff(viaRef, fused) <= 2 ** -11 + 1e-6, 'ref and wasm agree up to one fixed-point step');
    }
    pw.dispose();
  }
});
