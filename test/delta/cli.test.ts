/**
 * `mohaq delta` on a tiny model and store: the per-matrix table and totals, JSON equal to the library,
 * the sweep's front with its files (result and report section), and errors naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { saveModel } from '../../src/nn/io.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { loadCalibration } from '../../src/quant/calibration.js';
import { storeSplit } from '../../src/quant/store.js';
import { parseSectionFile } from '../../src/report/sections.js';
import { DeltaEvaluator } from '../../src/delta/evaluator.js';
import { runMohaq } from '../helpers/cli.js';
import { writeStore } from '../helpers/store.js';
import { driftingSet, tinyModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-delta-cli-'));
const data = join(dir, 'feats');
writeStore(data, { train: driftingSet(16, 1, 6, 20, 'train'), dev: driftingSet(12, 2, 6, 20, 'dev'), test: driftingSet(8, 3, 6, 20, 'test') });
const modelPath = join(dir, 'model.safetensors');
const model = tinyModel('gru', 4);
saveModel(modelPath, model);
const store = loadFeatureStore(data);

test('mohaq delta --thresholds: the per-matrix table, totals and PER against the dense model', () => {
  const r = runMohaq(['delta', '--model', modelPath, '--data', data, '--split', 'test', '--bits', '*=8/8', '--thresholds', '*=4,L0=0']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^tiny-gru \(.*model\.safetensors\) on test: 8 utterances$/);
  assert.equal(lines[1], 'bits *=8/8 (integer-exact)');
  assert.match(lines[2]!, /^calibration .*\.mohaq-cache\/calibration-/);
  assert.match(lines[3]!, /^thresholds \*=4,L0=0; \d+ frames, [\d.]+ s$/);
  assert.match(lines[4]!, /^matrix\s+input bits\s+threshold\s+temporal sparsity\s+MACs\/frame\s+eliminated$/);
  for (const [i, m] of ['L0', 'L0.U', 'L1', 'L1.U', 'FC'].entries()) assert.match(lines[6 + i]!, new RegExp(`^${m.replace('.', '\\.')}\\s+8\\s+${m === 'L0' ? 0 : 4}\\s+[\\d.]+ %\\s+[\\d,]+\\s+[\\d.]+ %$`));
  assert.match(lines[12]!, /^total\s+[\d.]+ %\s+[\d,]+\s+[\d.]+ %$/);
  assert.match(lines[13]!, /^PER [\d.]+ % \(without deltas [\d.]+ %, [+-][\d.]+ points\)   FER [\d.]+ % \(without deltas [\d.]+ %\)$/);
  assert.match(lines[14]!, /^eliminated operations [\d.]+ % of [\d,]+ MACs per frame \([\d,]+ remain\)$/);
});

test('mohaq delta --json equals the library', () => {
  const r = runMohaq(['delta', '--model', modelPath, '--data', data, '--bits', '*=4/4', '--thresholds', '*=1', '--opt-size', '6', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.split, 'opt');
  assert.equal(out.bits, '*=4/4');
  assert.equal(out.thresholds, '*=1');
  const calibration = loadCalibration(out.calibration.replace(/ \(cached\)$/, ''), model);
  const decoder = PhoneLoopDecoder.fromFeatureSet(store.split('train'));
  const ev = new DeltaEvaluator(model, storeSplit(store, 'opt', { size: 6 }), { calibration, decoder });
  const expected = ev.evaluate('*=4/4', '*=1');
  assert.equal(out.per, expected.per);
  assert.equal(out.eliminatedOps, expected.eliminatedOps);
  assert.deepEqual(out.perMatrix, expected.perMatrix);
  assert.equal(out.dense.per, ev.dense('*=4/4').per);
});

test('mohaq delta --sweep --out: prints the front and the headline, writes the result and a report section', () => {
  const out = join(dir, 'run');
  const r = runMohaq(['delta', '--model', modelPath, '--data', data, '--bits', '*=4/4', '--sweep', '--rounds', '1', '--out', out, '--max-increase', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\ncandidate thresholds: features 0 1 2; x 0 1 2; h 0 1 2\n/);
  assert.match(r.stdout, /\nfront of \d+ points \(of \d+ evaluated in [\d.]+ s\); without deltas PER [\d.]+ %, FER [\d.]+ %\nthresholds\s+PER\s+vs dense\s+eliminated\s+temporal sparsity\n/);
  assert.match(r.stdout, /\n(within 2\.00 points of PER: [\d.]+ % of the operations eliminated \(thresholds \S+, PER [\d.]+ %\)|no combination stays within 2\.00 points of PER)\n/);
  const file = join(out, 'delta-sweep.json');
  const section = join(out, 'sections', 'delta-sweep.json');
  assert.ok(existsSync(file) && existsSync(section));
  const result = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(result.format, 'mohaq-delta-sweep/1');
  assert.ok(result.points.length >= 9);
  const s = parseSectionFile(JSON.parse(readFileSync(section, 'utf8')), section);
  assert.equal(s.title, 'Delta networks: tiny-gru at *=4/4');
});

test('errors name the flag and exit 2', () => {
  const base = ['delta', '--model', modelPath, '--data', data, '--bits', '*=8/8'];
  const neither = runMohaq(base);
  assert.equal(neither.code, 2);
  assert.equal(neither.stderr, 'mohaq: Expected exactly one of --thresholds SPEC and --sweep for --thresholds / --sweep but received "neither"\n');
  const bad = runMohaq([...base, '--thresholds', 'L0=1,Lx=2']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'mohaq: Expected a matrix name (one of L0, L0.U, L1, L1.U, FC) for --thresholds but received "Lx"\n');
  const noBits = runMohaq(['delta', '--model', modelPath, '--data', data, '--thresholds', '*=0']);
  assert.equal(noBits.code, 2);
  assert.equal(noBits.stderr, 'mohaq: Expected a bits spec (e.g. "*=8/8"; "*=32" for the float model) for --bits but received nothing\n');
  const out = runMohaq([...base, '--thresholds', '*=0', '--out', dir]);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /^mohaq: Expected a directory only with --sweep for --out but received /);
});
