/**
 * The sparse row kernels of delta networks: a hand-worked example, and the WASM SIMD kernels against
 * their reference twins bit for bit (column blocks and tails, several frames of one utterance in one
 * list, strided and accumulated outputs, with and without bias).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKernels } from '../../src/kernels/backend.js';
import type { Kernels } from '../../src/kernels/types.js';
import { Rng } from '../../src/util/rng.js';

const wasm = createKernels({ backend: 'wasm' });
const ref = createKernels({ backend: 'ref' });
const BACKENDS: Array<[string, Kernels]> = [['wasm', wasm], ['ref', ref]];

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i} is ${a[i]} in one backend and ${b[i]} in the other`);
}

test('hand-worked: only the transmitted rows of W are added, scaled by their deltas', () => {
  // W [3 x 2] = [[1, 2], [3, 4], [5, 6]]; row 0 transmits (0, +2) and (2, -1); row 1 transmits nothing
  for (const [name, k] of BACKENDS) {
    const w8 = k.packDeltaI8(Int8Array.of(1, 2, 3, 4, 5, 6), 3, 2);
    const acc = Int32Array.of(10, 20, 30, 40);
    k.deltaProductI8(w8, 2, Int32Array.of(0, 2, 2), Int32Array.of(0, 2), Int32Array.of(2, -1), acc, 2);
    assert.deepEqual([...acc], [10 + 2 - 5, 20 + 4 - 6, 30, 40], name);
    const wf = k.packDeltaF32(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2);
    const accF = Float64Array.of(0.5, 0, 0, 0);
    k.deltaProductF64(wf, 2, Int32Array.of(0, 2, 2), Int32Array.of(0, 2), Float64Array.of(0.25, -1), accF, 2);
    assert.deepEqual([...accF], [0.5 + 0.25 - 5, 0.5 - 6, 0, 0], name);
    // the step kernel: two frames of utterance (slot) 1, then one of slot 0; outputs acc * scale + bias
    const acc2 = Int32Array.of(0, 0, 100, 100);
    const y = new Float32Array(3 * 2);
    k.deltaStepI8(w8, 3, Int32Array.of(0, 1, 2, 3), Int32Array.of(1, 1, 0), Int32Array.of(1, -2, 3), Int32Array.of(1, 1, 0), acc2, {
      scale: Float64Array.of(0.5, 0.25), bias: Float32Array.of(1, -1), y, yRow: Int32Array.of(2, 0, 1), ldy: 2, accumulate: false,
    });
    // slot 1: 100 + [3, 4] = [103, 104] -> row 2; then - 2 [3, 4] = [97, 96] -> row 0; slot 0: 3 [1, 2] -> row 1
    assert.deepEqual([...acc2], [3, 6, 97, 96], name);
    assert.deepEqual([...y], [97 * 0.5 + 1, 96 * 0.25 - 1, 3 * 0.5 + 1, 6 * 0.25 - 1, 103 * 0.5 + 1, 104 * 0.25 - 1], name);
  }
});

/** Random CSR lists for `rows` rows over k inputs: each element transmitted with probability p. */
function lists(rng: Rng, rows: number, k: number, p: number, maxDelta: number): { start: Int32Array; index: Int32Array; delta: Int32Array } {
  const start = new Int32Array(rows + 1);
  const index: number[] = [];
  const delta: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      if (rng.uniform(0, 1) < p) {
        index.push(i);
        delta.push(rng.intBetween(-maxDelta, maxDelta));
      }
    }
    start[r + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), delta: Int32Array.from(delta) };
}

const SHAPES: Array<[number, number]> = [[1, 1], [7, 3], [37, 8], [64, 33], [100, 77], [5, 200], [130, 96]];

test('deltaProduct: WASM equals the reference twin bit for bit (i8 / i32 and f32 / f64)', () => {
  const rng = new Rng(5);
  for (const [k, n] of SHAPES) {
    for (const p of [0, 0.1, 0.5, 1]) {
      const W8 = Int8Array.from({ length: k * n }, () => rng.intBetween(-128, 127));
      const W32 = Float32Array.from({ length: k * n }, () => rng.normal());
      const rows = 6;
      const ld = n + 3;
      const { start, index, delta } = lists(rng, rows, k, p, 510);
      const deltaF = Float64Array.from(delta, (d) => d * rng.normal());
      const acc0 = Int32Array.from({ length: rows * ld }, () => rng.intBetween(-1000, 1000));
      const accF0 = Float64Array.from(acc0, (v) => v / 7);
      const [a, b] = [Int32Array.from(acc0), Int32Array.from(acc0)];
      wasm.deltaProductI8(wasm.packDeltaI8(W8, k, n), rows, start, index, delta, a, ld);
      ref.deltaProductI8(ref.packDeltaI8(W8, k, n), rows, start, index, delta, b, ld);
      sameBits(a, b, `i8 ${k}x${n} p=${p}`);
      const [fa, fb] = [Float64Array.from(accF0), Float64Array.from(accF0)];
      wasm.deltaProductF64(wasm.packDeltaF32(W32, k, n), rows, start, index, deltaF, fa, ld);
      ref.deltaProductF64(ref.packDeltaF32(W32, k, n), rows, start, index, deltaF, fb, ld);
      sameBits(fa, fb, `f64 ${k}x${n} p=${p}`);
    }
  }
});

test('deltaStep: WASM equals the reference twin bit for bit (slots, output rows, bias, accumulate, strided output)', () => {
  const rng = new Rng(9);
  for (const [k, n] of SHAPES) {
    for (const accumulate of [false, true]) {
      for (const withBias of [false, true]) {
        const W8 = Int8Array.from({ length: k * n }, () => rng.intBetween(-128, 127));
        const W32 = Float32Array.from({ length: k * n }, () => rng.normal());
        const rows = 9;
        const { start, index, delta } = lists(rng, rows, k, 0.4, 255);
        const deltaF = Float64Array.from(delta, (d) => d * 0.37);
        const slot = Int32Array.from({ length: rows }, (_, r) => r % 3);
        // every other output row: the rows in between must survive (staged copies included)
        const yRow = Int32Array.from({ length: rows }, (_, r) => 2 * ((r * 4) % rows));
        const ldy = n + 5;
        const out = (y: Float32Array) => ({ scale: Float64Array.from({ length: n }, (_, j) => 1e-3 * (j + 1)), bias: withBias ? Float32Array.from({ length: n }, (_, j) => Math.sin(j)) : null, y, yRow, ldy, accumulate });
        const y0 = Float32Array.from({ length: 2 * rows * ldy }, () => rng.normal());
        const acc0 = Int32Array.from({ length: 3 * n }, () => rng.intBetween(-500, 500));
        const [a, b, ya, yb] = [Int32Array.from(acc0), Int32Array.from(acc0), Float32Array.from(y0), Float32Array.from(y0)];
        wasm.deltaStepI8(wasm.packDeltaI8(W8, k, n), rows, start, index, delta, slot, a, out(ya));
        ref.deltaStepI8(ref.packDeltaI8(W8, k, n), rows, start, index, delta, slot, b, out(yb));
        sameBits(a, b, `i8 acc ${k}x${n}`);
        sameBits(ya, yb, `i8 y ${k}x${n} accumulate=${accumulate} bias=${withBias}`);
        for (let r = 1; r < 2 * rows; r += 2) sameBits(ya.subarray(r * ldy, (r + 1) * ldy), y0.subarray(r * ldy, (r + 1) * ldy), `row ${r} untouched`);
        const [fa, fb, za, zb] = [Float64Array.from(acc0, (v) => v / 3), Float64Array.from(acc0, (v) => v / 3), Float32Array.from(y0), Float32Array.from(y0)];
        wasm.deltaStepF64(wasm.packDeltaF32(W32, k, n), rows, start, index, deltaF, slot, fa, out(za));
        ref.deltaStepF64(ref.packDeltaF32(W32, k, n), rows, start, index, deltaF, slot, fb, out(zb));
        sameBits(fa, fb, `f64 acc ${k}x${n}`);
        sameBits(za, zb, `f64 y ${k}x${n} accumulate=${accumulate} bias=${withBias}`);
      }
    }
  }
});

test('kernel arrays in WASM memory work without copies and give the same results', () => {
  const rng = new Rng(2);
  const [k, n, rows] = [50, 40, 4];
  const W8 = Int8Array.from({ length: k * n }, () => rng.intBetween(-128, 127));
  const { start, index, delta } = lists(rng, rows, k, 0.3, 100);
  const expected = new Int32Array(rows * n);
  ref.deltaProductI8(ref.packDeltaI8(W8, k, n), rows, start, index, delta, expected, n);
  const got = wasm.scope(() => {
    const s = wasm.i32(start.length);
    s.set(start);
    const ix = wasm.i32(index.length);
    ix.set(index);
    const d = wasm.i32(delta.length);
    d.set(delta);
    const acc = wasm.i32(rows * n);
    wasm.deltaProductI8(wasm.packDeltaI8(W8, k, n), rows, s, ix, d, acc, n);
    return Int32Array.from(acc);
  });
  sameBits(got, expected, 'resident arrays');
});

test('misuse is an internal error naming the kernel', () => {
  const w = wasm.packDeltaI8(new Int8Array(6), 3, 2);
  assert.throws(() => ref.deltaProductI8(w, 1, Int32Array.of(0, 0), new Int32Array(0), new Int32Array(0), new Int32Array(2), 2), { message: 'deltaProductI8: packed weights belong to another kernel backend' });
  assert.throws(() => wasm.deltaProductF64(w, 1, Int32Array.of(0, 0), new Int32Array(0), new Float64Array(0), new Float64Array(2), 2), { message: 'deltaProductF64: expected f32 delta weights but received i8' });
  assert.throws(() => wasm.deltaProductI8(w, 2, Int32Array.of(0, 0, 0), new Int32Array(0), new Int32Array(0), new Int32Array(3), 2), { message: 'deltaProductI8 acc: array of 3 elements is shorter than the 4 the call needs' });
  w.dispose();
  assert.throws(() => wasm.deltaProductI8(w, 1, Int32Array.of(0, 0), new Int32Array(0), new Int32Array(0), new Int32Array(2), 2), { message: 'deltaProductI8: packed weights were disposed' });
});
