import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createModel } from '../../src/nn/model.js';
import { calibrate, createQuantHook } from '../../src/quant/index.js';
import { Rng } from '../../src/util/rng.js';
import { setOutputs } from '../../src/train/evaluate.js';
import { trainModel } from '../../src/train/trainer.js';
import { tinyArch, tinySet } from './tiny-task.js';

// 16 close classes: 4-bit weights and activations blur the decision boundaries of the float model.
const train = tinySet('train', 60, 1, 16, 16, 0.2);
const dev = tinySet('dev', 20, 2, 16, 16, 0.2);

test('QAT at 4 bits recovers most of the post-training quantization loss', async () => {
  const fp = (await trainModel(createModel(tinyArch(16), new Rng(1).fork('init')), { train, dev }, { epochs: 5, lr: 0.01, curriculum: null })).model;
  const calibration = calibrate(fp, train);
  const bits = '*=4/4';
  const fpFer = setOutputs(fp, dev).fer;
  const ptqFer = setOutputs(fp, dev, { hook: createQuantHook(fp, bits, calibration) }).fer;
  assert.ok(ptqFer > fpFer + 0.005, `PTQ must hurt this task: float ${fpFer}, 4-bit ${ptqFer}`);

  const r = await trainModel(fp, { train, dev }, { epochs: 6, lr: 0.003, curriculum: null, qat: { bits, calibration } });
  const qatFer = setOutputs(r.model, dev, { hook: createQuantHook(r.model, bits, calibration) }).fer;
  // The trainer's dev figures are measured quantized, and pick the epoch returned.
  assert.equal(qatFer, r.history[r.bestEpoch - 1]!.devFer);
  assert.ok(qatFer - fpFer < 0.5 * (ptqFer - fpFer), `float ${fpFer}, PTQ ${ptqFer}, QAT ${qatFer}`);
  // The master weights stay float: not on the 4-bit grid.
  const fc = r.model.layout.view(r.model.params, 'FC.W');
  assert.ok(new Set(Array.from(fc)).size > 16);
  // The starting weights were scored quantized first.
  assert.equal(r.start!.fer, ptqFer);

  // A retraining that only damages the model returns the weights it started from.
  const bad = await trainModel(fp, { train, dev }, { epochs: 1, lr: 0.5, curriculum: null, qat: { bits, calibration } });
  assert.equal(bad.bestEpoch, 0);
  assert.ok(bad.history[0]!.devFer > ptqFer);
  assert.deepEqual(bad.model.params, fp.params);
});

test('QAT bits are checked against the model', async () => {
  const m = createModel(tinyArch(16), new Rng(1));
  const calibration = calibrate(m, dev);
  await assert.rejects(trainModel(m, { train, dev }, { epochs: 1, qat: { bits: 'L7=4/4', calibration } }), /L7/);
});
