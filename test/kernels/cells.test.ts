/**
 * The WASM cell kernels against the reference loops: random inputs, H not a multiple of 4, row
 * strides, padded rows, absent optional operands, fixed-point rounding, both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKernels } from '../../src/kernels/index.js';
import { refCells } from '../../src/kernels/cells.js';
import type { FixedPointSpec } from '../../src/kernels/cells.js';
import { Rng } from '../../src/util/rng.js';

const wasm = createKernels({ backend: 'wasm', memoryMiB: 128 });
const rng = new Rng(77);
const FX: FixedPointSpec = { sigmoid: 14, candidate: 14, state: 12, output: 12 };

function rand(n: number, lo = -2, hi = 2): Float32Array {
  const a = new Float32Array(n);
  rng.fillUniform(a, lo, hi);
  return a;
}

function dropMask(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.bernoulli(0.2) ? 0 : 1.25));
}

/** Max difference, allowing one fixed-point step (2^-12) where rounding may flip on f32 vs f64 math. */
function assertClose(name: string, a: Float32Array, b: Float32Array, tol: number): void {
  assert.equal(a.length, b.length, name);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${name}: max diff ${worst} at ${at} (${a[at]} vs ${b[at]})`);
}

/** Runs one kernel on wasm and ref with identical copies of the arguments and compares every array. */
function compare(name: string, args: unknown[], tol: number): void {
  const copy = (xs: unknown[]) => xs.map((x) => (x instanceof Float32Array || x instanceof Int32Array ? x.slice() : x));
  const a = copy(args);
  const b = copy(args);
  (wasm as unknown as Record<string, (...x: unknown[]) => void>)[name]!(...a);
  (refCells as unknown as Record<string, (...x: unknown[]) => void>)[name]!(...b);
  a.forEach((x, i) => {
    if (x instanceof Float32Array) assertClose(`${name} arg ${i}`, x, b[i] as Float32Array, tol);
  });
}

const SHAPES: Array<[number, number]> = [
  [1, 1],
  [3, 5],
  [4, 8],
  [5, 13],
];

for (const [B, H] of SHAPES) {
  const lengths = Int32Array.from({ length: B }, (_, b) => (b === B - 1 && B > 1 ? 1 : 3));
  for (const fx of [null, FX]) {
    const tol = fx ? 2 ** -11 : 2e-6;
    const tag = `B=${B} H=${H}${fx ? ' fixed-point' : ''}`;
    test(`lstmStep and backward ${tag}`, () => {
      const ldh = H + 2;
      for (const t of [0, 2]) {
        compare('lstmStep', [rand(B * 4 * H), t === 0 ? null : rand(B * H), rand(B * H), rand(B * ldh), ldh, B, H, lengths, t, t === 0 ? null : dropMask(B * H), fx], tol);
      }
      compare('lstmStepBackward', [rand(B * 4 * H, 0, 1), rand(B * H), rand(B * H), rand(B * ldh), ldh, rand(B * H), B, H, lengths, 2, dropMask(B * H)], 2e-6);
      compare('lstmStepBackward', [rand(B * 4 * H, 0, 1), null, rand(B * H), rand(B * H), H, rand(B * H), B, H, lengths, 0, null], 2e-6);
    });

    test(`GRU kernels (both conventions) ${tag}`, () => {
      const ld = H + 3;
      compare('gruGatesStep', [rand(B * 3 * H), rand(B * ld), ld, rand(B * H), B, H, lengths, 2, fx], tol);
      compare('gruGatesStep', [rand(B * 3 * H), null, 0, rand(B * H), B, H, lengths, 0, fx], tol);
      for (const gh of [null, 'torch'] as const) {
        compare('gruStep', [rand(B * 3 * H, 0, 1), gh ? rand(B * 3 * H) : null, rand(B * ld), ld, rand(B * ld), ld, B, H, lengths, 2, dropMask(B * H), fx], tol);
        compare('gruStep', [rand(B * 3 * H, 0, 1), gh ? rand(B * 3 * H) : null, null, 0, rand(B * H), H, B, H, lengths, 0, null, fx], tol);
        compare('gruStepBackward', [rand(B * 3 * H, 0, 1), gh ? rand(B * 3 * H) : null, rand(B * ld), ld, rand(B * ld), ld, rand(B * ld), ld, B, H, lengths, 2, dropMask(B * H)], 2e-6);
        compare('gruStepBackward', [rand(B * 3 * H, 0, 1), gh ? rand(B * 3 * H) : null, null, 0, rand(B * H), H, null, 0, B, H, lengths, 0, null], 2e-6);
      }
      compare('gruResetBackward', [rand(B * 3 * H, 0, 1), rand(B * H), rand(B * ld), ld, rand(B * ld), ld, B, H, lengths, 2], 2e-6);
      compare('gruResetBackward', [rand(B * 3 * H, 0, 1), rand(B * H), null, 0, null, 0, B, H, lengths, 0], 2e-6);
    });

    test(`LiGRU kernels ${tag}`, () => {
      const ld = H + 1;
      compare('ligruStep', [rand(B * 2 * H), rand(B * ld), ld, rand(B * ld), ld, B, H, lengths, 2, dropMask(B * H), fx], tol);
      compare('ligruStep', [rand(B * 2 * H), null, 0, rand(B * H), H, B, H, lengths, 0, null, fx], tol);
      compare('ligruStepBackward', [rand(B * 2 * H, -0.5, 1), rand(B * ld), ld, rand(B * ld), ld, rand(B * ld), ld, B, H, lengths, 2, dropMask(B * H)], 2e-6);
    });

    test(`SRU recurrence and backward ${tag}`, () => {
      const T = 4;
      const n = T * B;
      const sruLengths = Int32Array.from({ length: B }, (_, b) => (b === B - 1 && B > 1 ? 2 : T));
      for (const K of [3, 4]) {
        for (const withX of K === 3 ? [true, false] : [false]) {
          for (const reverse of [false, true]) {
            const ldu = 2 * K * H + 1; // a column block of a wider product
            const ldx = H + 2;
            const ldh = 2 * H;
            const u = rand(n * ldu);
            const x = withX ? rand(n * ldx) : null;
            const v = rand(2 * H, -0.5, 0.5);
            const bias = rand(2 * H, -1, 1);
            const drop = dropMask(B * H);
            const alpha = 1.3;
            compare('sruForward', [u, ldu, K, x, ldx, alpha, v, bias, rand(n * H), rand(n * ldh), ldh, T, B, H, sruLengths, reverse, drop, fx], tol);
            // backward on a consistent forward state
            const uf = u.slice();
            const c = new Float32Array(n * H);
            refCells.sruForward(uf, ldu, K, x, ldx, alpha, v, bias, c, new Float32Array(n * ldh), ldh, T, B, H, sruLengths, reverse, drop, null);
            const lddx = H + 1;
            compare(
              'sruBackward',
              [uf, ldu, K, x, ldx, alpha, v, c, rand(n * ldh), ldh, withX ? rand(n * lddx) : null, lddx, rand(2 * H), rand(2 * H), T, B, H, sruLengths, reverse, drop, new Float32Array(B * H)],
              2e-5,
            );
          }
        }
      }
    });
  }
}
