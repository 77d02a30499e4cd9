/**
 * The integer primitives of the integer-only engine: rounding (half to even, both signs, beyond
 * int32), alignment between Q-formats, the sigmoid/tanh tables against Math, and the plans that keep
 * every intermediate below 2^52.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACT_IN_FRAC, ACT_OUT_FRAC, GATE_FRAC, SAFE_MAGNITUDE, align, planShift, planSumFrac, roundShift, sigmoid30, sigmoidTable, tanh30 } from '../../src/export/fixed-point.js';
import { packCodes, unpackCodes } from '../../src/export/packing.js';

test('roundShift rounds half to even for both signs, in and beyond the int32 range', () => {
  const cases: Array<[number, number, number]> = [
    [5, 1, 2], // 2.5 -> 2
    [7, 1, 4], // 3.5 -> 4
    [-5, 1, -2],
    [-7, 1, -4],
    [6, 2, 2], // 1.5 -> 2
    [10, 2, 2], // 2.5 -> 2
    [-10, 2, -2],
    [11, 2, 3], // 2.75 -> 3
    [-11, 2, -3],
    [9, 2, 2], // 2.25 -> 2
    [123, 0, 123],
    [2 ** 40 + 2 ** 9, 10, 2 ** 30], // exactly half: 2^30 + 0.5 -> even 2^30
    [2 ** 40 + 3 * 2 ** 9, 10, 2 ** 30 + 2], // 2^30 + 1.5 -> 2^30 + 2
    [-(2 ** 51) - 2 ** 20, 21, -(2 ** 30) - 0], // -2^30 - 0.5 -> -2^30
    [2 ** 51 + 2 ** 30 + 1, 31, 2 ** 20 + 1], // above half -> up
  ];
  for (const [v, n, want] of cases) assert.equal(roundShift(v, n), want, `roundShift(${v}, ${n})`);
  // against a slow exact reference on random values of every size
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20000; i++) {
    const n = 1 + Math.floor(rand() * 40);
    const v = Math.round((rand() - 0.5) * 2 ** (1 + rand() * 51));
    const exact = v / 2 ** n;
    const fl = Math.floor(exact);
    const frac = exact - fl;
    const want = frac > 0.5 || (frac === 0.5 && fl % 2 !== 0) ? fl + 1 : fl;
    assert.ok(roundShift(v, n) === want, `roundShift(${v}, ${n}) = ${roundShift(v, n)}, expected ${want}`);
  }
});

test('align is exact towards finer formats and rounds towards coarser ones', () => {
  assert.equal(align(3, 4, 10), 3 * 64);
  assert.equal(align(-3, 4, 4), -3);
  assert.equal(align(24, 10, 6), 2); // 1.5 -> 2
  assert.equal(align(40, 10, 6), 2); // 2.5 -> 2
  assert.equal(align(-40, 10, 6), -2);
});

test('sigmoid and tanh tables: within 5e-9 of Math inside the table, saturated beyond, exact symmetry', () => {
  const t = sigmoidTable();
  assert.equal(t.length, 16 * 128 + 2);
  assert.equal(t[0], 2 ** 29);
  const err = { sig: 0, tanh: 0, sigOut: 0, tanhOut: 0 };
  for (let x = -24; x <= 24; x += 1e-3) {
    const q = Math.round(x * 2 ** ACT_IN_FRAC);
    const xq = q / 2 ** ACT_IN_FRAC;
    const es = Math.abs(sigmoid30(t, q) / 2 ** ACT_OUT_FRAC - 1 / (1 + Math.exp(-xq)));
    const et = Math.abs(tanh30(t, q) / 2 ** ACT_OUT_FRAC - Math.tanh(xq));
    if (Math.abs(xq) < 16) err.sig = Math.max(err.sig, es);
    else err.sigOut = Math.max(err.sigOut, es);
    if (Math.abs(xq) < 8) err.tanh = Math.max(err.tanh, et);
    else err.tanhOut = Math.max(err.tanhOut, et);
    assert.equal(sigmoid30(t, q) + sigmoid30(t, -q), 2 ** ACT_OUT_FRAC);
    assert.ok(tanh30(t, q) === -tanh30(t, -q));
  }
  assert.ok(err.sig < 5e-9, `sigmoid error ${err.sig}`);
  assert.ok(err.tanh < 1e-8, `tanh error ${err.tanh}`);
  // beyond the table: sigmoid(16) = 1 - 1.1e-7, 0.002 of a Q14 gate step
  assert.ok(err.sigOut < 1.2e-7 && err.tanhOut < 2.3e-7, `saturation ${err.sigOut}, ${err.tanhOut}`);
  // a Q14 gate step is 6.1e-5: inside the table a rounding moves only within 1e-4 of a step of a boundary
  assert.ok(err.sig * 2 ** GATE_FRAC < 1e-4);
  assert.equal(sigmoid30(t, 2 ** 50), t[t.length - 2]);
  assert.equal(sigmoid30(t, -(2 ** 50)), 2 ** 30 - t[t.length - 2]!);
});

test('plans keep sums of bounded terms below 2^52 and pick the finest format that does', () => {
  // 8-bit codes x 8-bit weights over 256 rows: bound 2^22; multiplier m = 2^-20 -> M < 2^30
  const n = planShift([{ bound: 2 ** 22, m: 2 ** -20 }], 'test');
  assert.ok(2 ** 22 * Math.round(2 ** -20 * 2 ** n) + 2 ** (n - 1) < SAFE_MAGNITUDE);
  assert.ok(2 ** 22 * Math.round(2 ** -20 * 2 ** (n + 1)) + 2 ** n >= SAFE_MAGNITUDE);
  // an all-zero column (bound 0) still gets a multiplier below 2^52
  assert.ok(Math.round(1e-3 * 2 ** planShift([{ bound: 0, m: 1e-3 }], 'test')) < SAFE_MAGNITUDE);
  // two Q-formats a few bits apart: exact at the finer one
  assert.equal(planSumFrac([{ frac: 25, bound: 2 ** 29 }, { frac: 22, bound: 2 ** 29 }], 25, 11, 'test'), 25);
  // values too large for any format are an error naming what
  assert.throws(() => planShift([{ bound: 2 ** 60, m: 1 }], 'product L0.W'), { message: 'product L0.W: values too large for the 64-bit fixed-point plan of the integer-only engine' });
});

test('2- and 4-bit packing: first code in the lowest bits, two\'s complement, partial last byte', () => {
  assert.deepEqual(Array.from(packCodes([1, -1, -8, 7, 3], 4)), [0xf1, 0x78, 0x03]);
  assert.deepEqual(Array.from(packCodes([1, -1, -2, 0, 1], 2)), [0b00101101, 0b01]);
  const codes = Int8Array.from({ length: 37 }, (_, i) => ((i * 5) % 16) - 8);
  assert.deepEqual(unpackCodes(packCodes(codes, 4), 4, 37), codes);
  const c2 = Int8Array.from({ length: 13 }, (_, i) => (i % 4) - 2);
  assert.deepEqual(unpackCodes(packCodes(c2, 2), 2, 13), c2);
  assert.throws(() => packCodes([8], 4), { message: 'Expected a 4-bit code in -8..7 for code 0 but received 8' });
});
