import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../src/nn/model.js';
import { MohaqError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { trainModel } from '../../src/train/trainer.js';
import type { TrainModelOptions, TrainResult } from '../../src/train/trainer.js';
import { tinyArch, tinySet } from './tiny-task.js';

const train = tinySet('train', 60, 1);
const dev = tinySet('dev', 20, 2);
const lstm = { ...tinyArch(4, 'lstm', 12), layers: [{ type: 'lstm' as const, hidden: 12, batchNorm: true, dropout: 0.2 }] };

function fresh(arch = tinyArch()) {
  return createModel(arch, new Rng(1).fork('init'));
}

/** The deterministic part of a history (not timings). */
function figures(r: TrainResult) {
  return r.history.map(({ seconds: _s, framesPerSecond: _f, ...rest }) => rest);
}

test('a tiny task trains to near-zero frame error', async () => {
  const r = await trainModel(fresh(), { train, dev }, { epochs: 5, lr: 0.01, curriculum: null });
  const last = r.history[r.history.length - 1]!;
  assert.ok(last.devFer < 0.02, `dev FER ${last.devFer}`);
  assert.ok(r.history[0]!.trainLoss > 3 * last.trainLoss);
  assert.equal(last.devPer, null, 'no PER for a non-phone label set');
  assert.equal(r.bestEpoch, r.schedule.bestEpoch + 1);
});

test('the weights do not depend on the number of workers (LSTM with BatchNorm and dropout)', async () => {
  const opts: TrainModelOptions = { epochs: 2, lr: 0.01, curriculum: { start: 20, growth: 2, max: 0 }, batchSize: 8, microBatch: 3 };
  const one = await trainModel(fresh(lstm), { train, dev }, { ...opts, workers: 1 });
  const two = await trainModel(fresh(lstm), { train, dev }, { ...opts, workers: 2 });
  assert.deepEqual(two.finalParams, one.finalParams);
  assert.deepEqual(figures(two), figures(one));
});

test('resume after a stop continues to the same weights as an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-train-'));
  try {
    const opts: TrainModelOptions = { epochs: 4, lr: 0.01, curriculum: { start: 15, growth: 2, max: 0 } };
    const whole = await trainModel(fresh(lstm), { train, dev }, { ...opts, checkpoint: join(dir, 'a.ckpt') });
    const ckpt = join(dir, 'b.ckpt');
    const controller = new AbortController();
    await assert.rejects(
      trainModel(fresh(lstm), { train, dev }, { ...opts, checkpoint: ckpt, signal: controller.signal, onEpoch: (r) => r.epoch === 2 && controller.abort() }),
      (e: unknown) => e instanceof MohaqError && e.code === 'INTERRUPTED' && e.message === `training stopped during epoch 3; the checkpoint ${ckpt} holds the last finished epoch (2), continue with --resume`,
    );
    const resumed = await trainModel(fresh(lstm), { train, dev }, { ...opts, checkpoint: ckpt, resume: true });
    assert.equal(resumed.resumedFrom, 2);
    assert.deepEqual(resumed.finalParams, whole.finalParams);
    assert.deepEqual(resumed.model.params, whole.model.params);
    assert.deepEqual(figures(resumed), figures(whole));
    assert.equal(resumed.steps, whole.steps);

    await assert.rejects(trainModel(fresh(lstm), { train, dev }, { ...opts, lr: 0.02, checkpoint: ckpt, resume: true }), {
      message: `Expected lr 0.01 (as in the checkpoint ${ckpt}) but received 0.02; resume with the same settings, or start afresh without --resume`,
    });
    await assert.rejects(trainModel(createModel(lstm, new Rng(99)), { train, dev }, { ...opts, checkpoint: ckpt, resume: true }), /^MohaqError: Expected initialWeights "[0-9a-f]{16}" \(as in the checkpoint/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an auxiliary head trains beside the output layer and leaves the model file layout alone', async () => {
  // Auxiliary labels: a coarser 2-class view of the 4 classes.
  const aux = Int32Array.from(train.labels, (c) => c % 2);
  const r = await trainModel(fresh(), { train, dev }, { epochs: 3, lr: 0.01, curriculum: null, auxiliary: { train: aux, classes: 2, weight: 0.5 } });
  assert.equal(r.model.params.length, fresh().params.length);
  const h = r.history.map((e) => e.auxLoss!);
  assert.ok(h[2]! < 0.5 * h[0]!, `aux loss ${h}`);
  assert.ok(r.history[2]!.devFer < 0.05);
});

test('option errors name the option', async () => {
  await assert.rejects(trainModel(fresh(), { train, dev }, { epochs: 1, batchSize: 0 }), { message: 'Expected an integer >= 1 for batchSize but received 0' });
  await assert.rejects(trainModel(fresh(tinyArch(3)), { train, dev }, { epochs: 1 }), { message: 'Expected at most 3 classes (the model\'s output size) for train labels but received 4' });
  await assert.rejects(trainModel(fresh(), { train, dev }, { epochs: 1, resume: true }), { message: 'Expected a checkpoint path to resume from for resume but received nothing' });
});
