/**
 * DeltaEvaluator (the fast repeated evaluation of sweeps and searches) against direct forwards with the
 * delta hook; reuse of cached layer outputs; the dense baseline; the eliminated-operations accounting
 * and the delta-aware speedup worked by hand; the sweep's front and its report section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBatches } from '../../src/data/batch.js';
import { forward } from '../../src/nn/forward.js';
import { calibrate } from '../../src/quant/calibration.js';
import { SetScorer, scoreBatch } from '../../src/quant/scoring.js';
import { GenomeEvaluator } from '../../src/quant/genome.js';
import { buildInventory } from '../../src/hw/inventory.js';
import { builtinPlatform } from '../../src/hw/platforms/index.js';
import { platformCost } from '../../src/hw/cost.js';
import { parseBitsSpec } from '../../src/quant/bits-spec.js';
import { parseSectionFile } from '../../src/report/sections.js';
import { DeltaHook } from '../../src/delta/hook.js';
import type { PartCounter } from '../../src/delta/hook.js';
import { DeltaEvaluator } from '../../src/delta/evaluator.js';
import { deltaSpeedup, summarizeDelta } from '../../src/delta/stats.js';
import { deltaFront, deltaSweep, deltaSweepSection, operandGroups } from '../../src/delta/sweep.js';
import { uniformThresholds } from '../../src/delta/thresholds.js';
import { decoderFor, driftingSet, tinyModel } from './helpers.js';

const set = driftingSet(14, 21, 6, 25);
const decoder = decoderFor(set);
const lstm = tinyModel('lstm');
const lstmCal = calibrate(lstm, set);

test('evaluate equals a direct forward with the delta hook: PER, FER and the hook\'s counts', () => {
  const ev = new DeltaEvaluator(lstm, set, { calibration: lstmCal, decoder, batchFrames: 90 });
  const r = ev.evaluate('*=8/8', '*=4,L0=0');
  const hook = new DeltaHook(lstm, '*=8/8', lstmCal, '*=4,L0=0');
  const scorer = new SetScorer(set);
  for (const b of makeBatches(set, { maxFrames: 90 })) scorer.add(scoreBatch(forward(lstm, b, { hook }), b, 48, decoder));
  const direct = scorer.result(0);
  assert.equal(r.per, direct.per);
  assert.equal(r.fer, direct.fer);
  const summary = summarizeDelta(lstm, hook.bits, hook.thresholds, hook.counters.values());
  assert.equal(r.eliminatedOps, summary.eliminatedOps);
  assert.deepEqual(r.perMatrix, summary.perMatrix);
  assert.ok(r.eliminatedOps > 0.05 && r.eliminatedOps < 1);
  assert.equal(r.perMatrix.L0!.threshold, 0);
  assert.equal(r.perMatrix.L1!.threshold, 4);
  assert.equal(r.frames, set.utterances.reduce((s, u) => s + u.frames, 0));
});

test('cached layers give the same figures as a fresh evaluation; repeated calls come from the result cache', () => {
  const ev = new DeltaEvaluator(lstm, set, { calibration: lstmCal, decoder });
  ev.evaluate('*=4/4', '*=1');
  const fcOnly = ev.evaluate('*=4/4', '*=1,FC=2');
  assert.equal(fcOnly.reusedLayers, 2);
  const upper = ev.evaluate('*=4/4', '*=1,L1=0');
  assert.equal(upper.reusedLayers, 1);
  for (const [r, th] of [[fcOnly, '*=1,FC=2'], [upper, '*=1,L1=0']] as const) {
    const f = new DeltaEvaluator(lstm, set, { calibration: lstmCal, decoder }).evaluate('*=4/4', th);
    assert.equal(f.reusedLayers, 0);
    for (const key of ['per', 'fer', 'eliminatedOps', 'sparsity', 'frames'] as const) assert.equal(r[key], f[key], `${th} ${key}`);
    assert.deepEqual(r.perMatrix, f.perMatrix);
  }
  const again = ev.evaluate('*=4/4', '*=1,FC=2');
  assert.equal(again.cached, true);
  assert.equal(again.per, fcOnly.per);
});

test('dense() is the integer-exact evaluation without deltas, which threshold 0 reproduces', () => {
  const ev = new DeltaEvaluator(lstm, set, { calibration: lstmCal, decoder });
  const dense = ev.dense('*=8/8');
  const zero = ev.evaluate('*=8/8', '*=0');
  assert.equal(zero.per, dense.per);
  assert.equal(zero.fer, dense.fer);
  const integer = new GenomeEvaluator(lstm, set, { calibration: lstmCal, decoder, quant: { integer: true } }).evaluate('*=8/8');
  assert.equal(dense.per, integer.per);
  assert.deepEqual(ev.candidates('*=8/8,FC=4/4').FC, [0, 1, 2]);
});

test('eliminated operations: matrix shares weighted by the inventory MACs, worked by hand', () => {
  const model = tinyModel('ligru');
  const inv = buildInventory(model.arch);
  const macs = Object.fromEntries(inv.matrices.map((m) => [m.name, m.macsPerFrame]));
  // L0 (5 -> 2x6 gates, both directions): 10 frames, 40 of 50 elements per direction transmitted
  const c = (matrix: string, operand: string, layer: number, k: number, n: number, frames: number, transmitted: number): PartCounter => ({ matrix, operand, layer, k, n, frames, transmitted });
  const counters = [
    c('L0', 'L0', 0, 5, 12, 10, 40), c('L0', 'L0', 0, 5, 12, 10, 40),
    c('L0.U', 'L0.U.fwd', 0, 6, 12, 10, 30), c('L0.U', 'L0.U.bwd', 0, 6, 12, 10, 15),
    c('L1', 'L1', 1, 12, 10, 10, 60),
    c('L1.U', 'L1.U.fwd', 1, 5, 10, 10, 50),
    c('FC', 'FC', -1, 5, 48, 10, 10),
  ];
  const bits = parseBitsSpec('*=8/8', inv.matrices);
  const s = summarizeDelta(model, bits, uniformThresholds(inv.matrices.map((m) => m.name), 2), counters);
  const share = { L0: 1 - 80 / 100, 'L0.U': 1 - 45 / 120, L1: 1 - 60 / 120, 'L1.U': 0, FC: 1 - 10 / 50 };
  for (const [m, e] of Object.entries(share)) assert.ok(Math.abs(s.perMatrix[m]!.eliminated - e) < 1e-12, m);
  const expected = Object.entries(share).reduce((t, [m, e]) => t + macs[m]! * e, 0) / inv.totalMacs;
  assert.ok(Math.abs(s.eliminatedOps - expected) < 1e-12);
  assert.deepEqual(s.perMatrix['L0.U']!.operands, [{ name: 'L0.U.fwd', sparsity: 0.5 }, { name: 'L0.U.bwd', sparsity: 0.75 }]);
  assert.equal(s.perMatrix.L0!.macsPerFrame, 120);
});

test('delta-aware speedup: the platform speedup times the compute time saved', () => {
  const model = tinyModel('ligru');
  const inv = buildInventory(model.arch);
  const cost = platformCost(builtinPlatform('bitfusion')!, inv, parseBitsSpec('*=8/8,FC=4/4', inv.matrices));
  assert.equal(deltaSpeedup(cost, {}), cost.speedup);
  const time = (m: (typeof cost.matrices)[number]) => m.macsPerFrame / m.speedup;
  const dense = cost.matrices.reduce((s, m) => s + time(m), 0);
  const sparse = cost.matrices.reduce((s, m) => s + time(m) * (m.name === 'FC' ? 0.25 : 0.5), 0);
  const eliminated = Object.fromEntries(cost.matrices.map((m) => [m.name, m.name === 'FC' ? 0.75 : 0.5]));
  assert.ok(Math.abs(deltaSpeedup(cost, eliminated) - (cost.speedup * dense) / sparse) < 1e-9);
});

test('the front keeps exactly the non-dominated points, by eliminated operations ascending', () => {
  const p = (per: number, eliminatedOps: number) => ({ per, eliminatedOps });
  const pts = [p(0.2, 0.1), p(0.25, 0.5), p(0.22, 0.5), p(0.2, 0.05), p(0.3, 0.4), p(0.5, 0.9), p(0.19, 0)];
  assert.deepEqual(deltaFront(pts), [p(0.19, 0), p(0.2, 0.1), p(0.22, 0.5), p(0.5, 0.9)]);
});

test('a sweep evaluates a bounded grid plus per-matrix variations and returns its front, headline and report section', () => {
  const ev = new DeltaEvaluator(lstm, set, { calibration: lstmCal, decoder });
  const groups = operandGroups(ev);
  assert.deepEqual(groups, { features: ['L0'], x: ['L1', 'FC'], h: ['L0.U', 'L1.U'] });
  const r = deltaSweep(ev, '*=4/4', { maxIncrease: 0.02, rounds: 1 });
  assert.equal(r.bits, '*=4/4');
  // grid: 3 h levels x 3 x levels; L0 (the features) stays at 0
  const grid = r.points.slice(0, 9);
  assert.deepEqual(grid.map((p) => [p.assignment['L0.U'], p.assignment.L1, p.assignment.FC, p.assignment.L0]), [0, 1, 2].flatMap((h) => [0, 1, 2].map((x) => [h, x, x, 0])));
  assert.ok(r.points.length > 9, 'per-matrix variations were evaluated');
  assert.equal(new Set(r.points.map((p) => p.thresholds)).size, r.points.length, 'no combination twice');
  const zero = r.points[0]!;
  assert.equal(zero.thresholds, '*=0');
  assert.equal(zero.per, r.dense.per);
  for (const f of r.front) for (const q of r.points) assert.ok(!(q.per <= f.per && q.eliminatedOps >= f.eliminatedOps && (q.per < f.per || q.eliminatedOps > f.eliminatedOps)), `${f.thresholds} is dominated by ${q.thresholds}`);
  assert.ok(r.best && r.best.per <= r.dense.per + 0.02 + 1e-12);
  for (const q of r.points) if (q.per <= r.dense.per + 0.02) assert.ok(q.eliminatedOps <= r.best.eliminatedOps);
  const section = parseSectionFile(JSON.parse(JSON.stringify(deltaSweepSection(r, 'tiny-lstm'))), 'delta-sweep.json');
  assert.equal(section.table!.rows.length, r.front.length);
  assert.match(section.text!, /delta networks eliminate/);
  const capped = deltaSweep(ev, '*=4/4', { maxEvaluations: 4 });
  assert.equal(capped.points.length, 4);
});
