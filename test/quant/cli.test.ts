/**
 * `mohaq eval`, `mohaq calibrate`, `mohaq quantize` on a tiny model and store: the figures equal the
 * library's, a quantized file evaluates like its original with the same bits, errors name the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import { loadFeatureStore, phone48Labels, writeStoreIndex, writeStoreSplit } from '../../src/data/store/store.js';
import { saveModel } from '../../src/nn/io.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { evaluateModel } from '../../src/quant/evaluate.js';
import { runMohaq } from '../helpers/cli.js';
import { DIM, randomSet, tinyModel } from './helpers.js';

function splitArrays(set: FeatureSet) {
  const offsets = [0, ...set.utterances.map((u) => u.offset + u.frames)];
  const refs = set.utterances.map((_, i) => set.refPhones(i));
  const phoneOffsets = [0];
  for (const r of refs) phoneOffsets.push(phoneOffsets[phoneOffsets.length - 1]! + r.length);
  const phones = new Int32Array(phoneOffsets[phoneOffsets.length - 1]!);
  refs.forEach((r, i) => phones.set(r, phoneOffsets[i]!));
  return { ids: set.utterances.map((u) => u.id), speakers: set.utterances.map((u) => u.speaker), offsets, feats: set.feats, labels: set.labels, phones, phoneOffsets };
}

const dir = mkdtempSync(join(tmpdir(), 'mohaq-quant-cli-'));
const data = join(dir, 'feats');
const splits = { train: writeStoreSplit(data, 'train', DIM, splitArrays(randomSet(20, 1))), dev: writeStoreSplit(data, 'dev', DIM, splitArrays(randomSet(12, 2))), test: writeStoreSplit(data, 'test', DIM, splitArrays(randomSet(8, 3))) };
writeStoreIndex(data, { dim: DIM, features: { kind: 'random' }, cmvn: 'none', labels: phone48Labels(), source: { kind: 'test' }, splits });
const modelPath = join(dir, 'model.safetensors');
const model = tinyModel('sru', 4);
saveModel(modelPath, model);
const store = loadFeatureStore(data);
const decoder = PhoneLoopDecoder.fromFeatureSet(store.split('train'));

function json(args: string[]): Record<string, unknown> {
  const r = runMohaq(args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('mohaq eval: float and quantized figures equal the library, calibration cached in the store', async () => {
  const f = json(['eval', '--model', modelPath, '--data', data, '--split', 'test', '--json']);
  const expected = await evaluateModel(model, store.split('test'), { decoder });
  assert.equal(f.per, expected.per);
  assert.equal(f.fer, expected.fer);
  assert.equal(f.utterances, 8);
  assert.equal((f.size as { compression: number }).compression, 1);

  const r = runMohaq(['eval', '--model', modelPath, '--data', data, '--split', 'opt', '--opt-size', '5', '--bits', '*=4/8,FC=8/8']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^tiny-sru \(.*model\.safetensors\) on opt: 5 utterances, \d+ frames, [\d.]+ s\nbits \*=4\/8,FC=8\/8 \(fake quantization\)\ncalibration .*\.mohaq-cache\/calibration-[0-9a-f]{16}-[0-9a-f]{8}-p99\.99\.json\nFER [\d.]+ %   PER [\d.]+ %  \(S \d+, D \d+, I \d+ of \d+ phones\)\nsize [\d.]+ KiB \(fp32 [\d.]+ KiB, compression [\d.]+x\)\n$/);
  assert.ok(existsSync(join(data, '.mohaq-cache')));
});

test('mohaq calibrate + eval --calibration --integer, and mohaq quantize: the file evaluates as the original with the same bits', () => {
  const calib = join(dir, 'calib.json');
  const c = runMohaq(['calibrate', '--model', modelPath, '--data', data, '--out', calib, '--opt-size', '6']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^wrote .*calib\.json: 4 operands, 6 utterances \(\d+ frames\) of .* dev, opt subset \(size 6, seed 1\)/);
  const bits = '*=2/4,L0=8/8';
  const fake = json(['eval', '--model', modelPath, '--data', data, '--bits', bits, '--calibration', calib, '--json']);
  const int = json(['eval', '--model', modelPath, '--data', data, '--bits', bits, '--calibration', calib, '--integer', '--json']);
  assert.equal(int.integer, true);
  assert.ok(Math.abs((int.fer as number) - (fake.fer as number)) < 0.02);
  const out = join(dir, 'q.safetensors');
  const q = runMohaq(['quantize', '--model', modelPath, '--bits', bits, '--calibration', calib, '--out', out]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^wrote .*q\.safetensors: \*=2\/4,L0=8\/8, [\d.]+ (B|KiB) quantized \(fp32 [\d.]+ KiB, compression [\d.]+x\)\nmatrix/);
  const stored = json(['eval', '--model', out, '--data', data, '--json']);
  assert.equal(stored.per, fake.per);
  assert.equal(stored.fer, fake.fer);
  assert.equal(stored.bits, '*=2/4,L0=8/8');
  const again = runMohaq(['eval', '--model', out, '--data', data, '--bits', '*=8/8']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /Expected no --bits for .*q\.safetensors: it is already quantized \(\*=2\/4,L0=8\/8\) for --bits but received "\*=8\/8"/);
});

test('bad flags are usage errors that name the flag', () => {
  const unknown = runMohaq(['eval', '--model', modelPath, '--data', data, '--bits', '*=4/4,L9=2']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'mohaq: Expected a matrix name (one of L0, L1.proj, L1, FC) for --bits but received "L9"\n');
  const skip = runMohaq(['quantize', '--model', modelPath, '--data', data, '--bits', '*=4/4', '--skip-candidate', 'some', '--out', join(dir, 'x.safetensors')]);
  assert.equal(skip.code, 2);
  assert.equal(skip.stderr, 'mohaq: Expected "all" or a number of layers for --skip-candidate but received "some"\n');
  const nobits = runMohaq(['quantize', '--model', modelPath, '--data', data, '--out', join(dir, 'x.safetensors')]);
  assert.equal(nobits.code, 2);
  assert.equal(nobits.stderr, 'mohaq: Expected a bits spec such as "*=8/8,FC=4/8" for --bits but received nothing\n');
});
