import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkUtterances, maxSequenceLength, PYTORCH_KALDI_CURRICULUM } from '../../src/train/curriculum.js';
import { initialSchedule, scheduleStep } from '../../src/train/schedule.js';
import { frameCrossEntropy } from '../../src/nn/loss.js';
import { maskedCrossEntropy } from '../../src/nn/loss.js';
import { createFeatureSet } from '../../src/data/store/feature-set.js';

test('curriculum: 100, x2 per epoch, up to 1000', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((e) => maxSequenceLength(e, PYTORCH_KALDI_CURRICULUM)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(maxSequenceLength(3, null), Infinity);
});

test('chunking cuts long utterances into equal chunks that view the same rows', () => {
  const frames = [250, 100, 30];
  const total = 380;
  const set = createFeatureSet({
    name: 'x',
    dim: 1,
    numLabels: 2,
    ids: ['a', 'b', 'c'],
    speakers: ['s', 's', 's'],
    offsets: [0, 250, 350, 380],
    feats: Float32Array.from({ length: total }, (_, i) => i),
    labels: new Int32Array(total),
  });
  const c = chunkUtterances(set, 100);
  assert.deepEqual(c.utterances.map((u) => [u.id, u.offset, u.frames]), [
    ['a#0', 0, 84],
    ['a#1', 84, 83],
    ['a#2', 167, 83],
    ['b', 250, 100],
    ['c', 350, 30],
  ]);
  assert.equal(c.feats, set.feats, 'no copy');
  assert.equal(chunkUtterances(set, 250), set);
  assert.equal(frames.reduce((a, b) => a + b), c.utterances.reduce((a, u) => a + u.frames, 0));
});

test('schedule: halving below the relative improvement threshold, best epoch, patience', () => {
  const opts = { lr: 1, improvementThreshold: 0.01, patience: 2 };
  const s = initialSchedule(opts);
  const steps = [0.5, 0.4, 0.399, 0.45, 0.41].map((e, i) => scheduleStep(s, opts, i, e));
  // 0.4 -> 0.399 is a 0.25 % improvement (< 1 %): halve; 0.399 -> 0.45 worse: halve; 0.45 -> 0.41: +9.8 %, keep.
  assert.deepEqual(steps.map((d) => d.halved), [false, false, true, true, false]);
  assert.deepEqual(steps.map((d) => d.best), [true, true, true, false, false]);
  assert.equal(s.lr, 0.25);
  assert.equal(s.bestEpoch, 2);
  assert.equal(steps[4]!.stop, true);
  assert.equal(s.stopped, 'no new best dev error for 2 epochs');
});

test('frame cross-entropy with a normaliser: micro-batch gradients add up to the batch gradient', () => {
  const classes = 3;
  const shape = { T: 2, B: 2, lengths: Int32Array.from([2, 1]) };
  const logits = Float32Array.from([0.1, 0.5, -0.2, 1, 0, 0, 0.3, 0.3, 0.9, 7, 7, 7]);
  const labels = Int32Array.from([1, 0, 2, -1]);
  const d = new Float32Array(logits.length);
  const l = frameCrossEntropy(logits, labels, shape, classes, 3, d);
  const ref = maskedCrossEntropy(logits, labels, shape, classes);
  assert.equal(l.frames, 3);
  assert.ok(Math.abs(l.nll / 3 - ref.loss) < 1e-12);
  for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i]! - ref.dLogits[i]!) < 1e-7);
  assert.deepEqual(Array.from(d.subarray(9)), [0, 0, 0], 'padding row has no gradient');
  // Frame errors: row 0 argmax 1 (= label), row 1 argmax 0 (= label), row 2 argmax 2 (= label).
  assert.equal(l.errors, 0);
});
