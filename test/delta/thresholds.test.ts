/** Threshold specs (parse, format, errors with their exact messages) and candidate thresholds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { THRESHOLD_CANDIDATES, formatThresholdSpec, parseThresholdSpec, resolveThresholds, thresholdCandidates, uniformThresholds } from '../../src/delta/thresholds.js';
import type { Calibration } from '../../src/quant/calibration.js';

const NAMES = ['L0', 'L0.U', 'L1', 'L1.U', 'FC'];

test('parses NAME=VALUE entries, * for the rest, a lone value, case-insensitive names, decimals', () => {
  assert.deepEqual(parseThresholdSpec('*=16,L0=0,FC=32', NAMES), { L0: 0, 'L0.U': 16, L1: 16, 'L1.U': 16, FC: 32 });
  assert.deepEqual(parseThresholdSpec('8', NAMES), uniformThresholds(NAMES, 8));
  assert.deepEqual(parseThresholdSpec(' l1.u = 2 , *=1.5 ', NAMES), { L0: 1.5, 'L0.U': 1.5, L1: 1.5, 'L1.U': 2, FC: 1.5 });
  assert.deepEqual(parseThresholdSpec('L0=0,L0.U=1,L1=2,L1.U=3,FC=.25', NAMES), { L0: 0, 'L0.U': 1, L1: 2, 'L1.U': 3, FC: 0.25 });
  assert.deepEqual(parseThresholdSpec('FC=4', NAMES, { rest: 0 }), { L0: 0, 'L0.U': 0, L1: 0, 'L1.U': 0, FC: 4 });
  assert.deepEqual(parseThresholdSpec('*=1e-3', NAMES).FC, 0.001);
});

test('formats the shortest canonical spec, which parses back to the same assignment', () => {
  const a = { L0: 0, 'L0.U': 16, L1: 16, 'L1.U': 16, FC: 32 };
  assert.equal(formatThresholdSpec(a, NAMES), '*=16,L0=0,FC=32');
  assert.deepEqual(parseThresholdSpec(formatThresholdSpec(a, NAMES), NAMES), a);
  assert.equal(formatThresholdSpec(uniformThresholds(NAMES, 0.5), NAMES), '*=0.5');
  // ties: the earliest matrix's value
  assert.equal(formatThresholdSpec({ L0: 1, 'L0.U': 2, L1: 1, 'L1.U': 2, FC: 3 }, NAMES), '*=1,L0.U=2,L1.U=2,FC=3');
});

test('errors name the flag, the entry and what was expected', () => {
  const flag = { flag: '--thresholds' };
  assert.throws(() => parseThresholdSpec('', NAMES, flag), { message: 'Expected a threshold spec such as "*=16,L0=0,FC=32" for --thresholds but received ""' });
  assert.throws(() => parseThresholdSpec('L0=1,L2=3,*=0', NAMES, flag), { message: 'Expected a matrix name (one of L0, L0.U, L1, L1.U, FC) for --thresholds but received "L2"' });
  assert.throws(() => parseThresholdSpec('*=-1', NAMES, flag), {
    message: 'Expected a threshold >= 0 (quantization steps, or an absolute value for a float input) for * (every other matrix) in --thresholds but received "-1"',
  });
  assert.throws(() => parseThresholdSpec('*=0,FC=x', NAMES, flag), { message: 'Expected a threshold >= 0 (quantization steps, or an absolute value for a float input) for FC in --thresholds but received "x"' });
  assert.throws(() => parseThresholdSpec('*=0,FC=1,fc=2', NAMES, flag), { message: 'Expected each matrix at most once (FC appears twice) for --thresholds but received "*=0,FC=1,fc=2"' });
  assert.throws(() => parseThresholdSpec('*=0,*=1', NAMES, flag), { message: 'Expected at most one "*" entry for --thresholds but received "*=0,*=1"' });
  assert.throws(() => parseThresholdSpec('*=0,,FC=1', NAMES, flag), { message: 'Expected comma-separated NAME=VALUE entries such as "*=16,L0=0,FC=32" (no empty entry) for --thresholds but received "*=0,,FC=1"' });
  assert.throws(() => parseThresholdSpec('L0=1,FC=2', NAMES, flag), {
    message: 'Expected a threshold for every matrix in --thresholds (missing L0.U, L1, L1.U; add "*=VALUE" to set the rest) but received "L0=1,FC=2"',
  });
  assert.throws(() => parseThresholdSpec('*=Infinity', NAMES, flag), /received "Infinity"/);
});

test('resolveThresholds checks assignments as strictly as specs', () => {
  assert.deepEqual(resolveThresholds('*=2', NAMES), uniformThresholds(NAMES, 2));
  assert.throws(() => resolveThresholds({ L0: 1 }, NAMES), { message: 'Expected a threshold for every matrix (no entry for L0.U) for thresholds but received an object' });
  assert.throws(() => resolveThresholds({ ...uniformThresholds(NAMES, 1), FC: -2 }, NAMES), { message: 'Expected a number >= 0 for the threshold of FC in thresholds but received -2' });
  assert.throws(() => resolveThresholds({ ...uniformThresholds(NAMES, 1), L9: 2 }, NAMES), { message: 'Expected matrix names (L0, L0.U, L1, L1.U, FC) for thresholds but received "L9"' });
});

test('candidate thresholds per activation precision; float inputs in units of their 8-bit step', () => {
  assert.deepEqual(THRESHOLD_CANDIDATES[4], [0, 1, 2]);
  for (const c of [0, 8, 16, 32, 48]) assert.ok(THRESHOLD_CANDIDATES[8]!.includes(c), `DESIGN's 8-bit candidate ${c}`);
  assert.deepEqual(THRESHOLD_CANDIDATES[16], THRESHOLD_CANDIDATES[8]!.map((c) => 256 * c));
  const bits = { L0: { w: 8, a: 2 }, FC: { w: 8, a: 32 } };
  const calibration = { operands: { FC: { mmse: { '2': 1, '4': 2, '8': 2.54 } } } } as unknown as Calibration;
  const c = thresholdCandidates(bits, calibration);
  assert.deepEqual(c.L0, [0, 1]);
  assert.deepEqual(c.FC, [0, 0.04, 0.08, 0.16, 0.32, 0.64, 0.96]);
  assert.throws(() => thresholdCandidates(bits, null), { message: 'Expected a calibration with the 8-bit clip of operand "FC" (its input is a float) for the candidate thresholds of FC but received "no calibration"' });
});
