import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBatch, makeBatches, planBatches } from '../../src/data/batch.js';
import { collapseLabels, createFeatureSet, subsetFeatureSet } from '../../src/data/store/feature-set.js';
import { Rng } from '../../src/util/rng.js';

/** Utterance u has `lengths[u]` frames; feature (t, d) = 100u + 10t + d, label = u. */
function toySet(lengths: number[], dim = 2) {
  const offsets = [0];
  for (const l of lengths) offsets.push(offsets[offsets.length - 1]! + l);
  const total = offsets[lengths.length]!;
  const feats = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  lengths.forEach((l, u) => {
    for (let t = 0; t < l; t++) {
      for (let d = 0; d < dim; d++) feats[(offsets[u]! + t) * dim + d] = 100 * u + 10 * t + d;
      labels[offsets[u]! + t] = u;
    }
  });
  return createFeatureSet({ name: 'toy', dim, numLabels: 48, ids: lengths.map((_, u) => `S${u % 2}_${u}`), speakers: lengths.map((_, u) => `S${u % 2}`), offsets, feats, labels });
}

describe('batches', () => {
  it('lays a batch out time-major with zero padding and -1 labels', () => {
    const set = toySet([2, 3]);
    const b = makeBatch(set, [0, 1]);
    assert.deepEqual([b.T, b.B, b.dim], [3, 2, 2]);
    assert.deepEqual(b.utterances, [1, 0], 'longest first');
    assert.deepEqual(Array.from(b.lengths), [3, 2]);
    // row t*B + b: t=0 -> utt1, utt0; t=1 -> utt1, utt0; t=2 -> utt1, padding
    assert.deepEqual(Array.from(b.x), [100, 101, 0, 1, 110, 111, 10, 11, 120, 121, 0, 0]);
    assert.deepEqual(Array.from(b.labels), [1, 0, 1, 0, 1, -1]);
  });

  it('groups by length and respects batchSize and maxFrames', () => {
    const set = toySet([5, 1, 4, 2, 3, 6]);
    assert.deepEqual(planBatches(set, { batchSize: 2 }), [[3, 1], [2, 4], [5, 0]]);
    // maxFrames 8: [1, 2] -> 2*2 = 4 ok, adding 3 -> 3*3 = 9 > 8, so [3 4] next (T=4, 2x4 = 8), then 5 alone, 6 alone.
    assert.deepEqual(planBatches(set, { maxFrames: 8 }), [[3, 1], [2, 4], [0], [5]]);
    assert.deepEqual(planBatches(set, { batchSize: 4, sortByLength: false }), [[0, 2, 3, 1], [5, 4]]);
    assert.deepEqual(planBatches(set, { batchSize: 10, utterances: [5, 1] }), [[5, 1]]);
    const all = makeBatches(set, { maxFrames: 8 }).flatMap((b) => b.utterances).sort();
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5], 'every utterance exactly once');
  });

  it('fixes the order from the seed and changes it with another seed', () => {
    const set = toySet(Array.from({ length: 40 }, (_, i) => 1 + (i % 7)));
    const a = planBatches(set, { batchSize: 4, rng: new Rng(5) });
    const b = planBatches(set, { batchSize: 4, rng: new Rng(5) });
    const c = planBatches(set, { batchSize: 4, rng: new Rng(6) });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Still bucketed: within a batch lengths differ by at most 1 (7 lengths, ~6 utterances each).
    for (const batch of a) {
      const lens = batch.map((i) => set.utterances[i]!.frames);
      assert.ok(Math.max(...lens) - Math.min(...lens) <= 1, `lengths ${lens}`);
    }
    // The same rng object gives a different order for the next epoch.
    const rng = new Rng(5);
    assert.notDeepEqual(planBatches(set, { batchSize: 4, rng }), planBatches(set, { batchSize: 4, rng }));
  });

  it('rejects bad options', () => {
    const set = toySet([1, 2]);
    assert.throws(() => planBatches(set, {}), /Expected batchSize or maxFrames for batch options/);
    assert.throws(() => planBatches(set, { batchSize: 0 }), /Expected an integer >= 1 for batchSize but received 0/);
    assert.throws(() => planBatches(set, { batchSize: 1, utterances: [7] }), /Expected indices in 0\.\.1 for utterances but received 7/);
  });
});

describe('feature sets', () => {
  it('derive reference phones from labels when none are stored, and subset exactly', () => {
    assert.deepEqual(Array.from(collapseLabels([3, 3, 1, 1, 1, 3, -1, -1])), [3, 1, 3]);
    const set = toySet([2, 3, 4]);
    assert.deepEqual(Array.from(set.refPhones(2)), [2]);
    const sub = subsetFeatureSet(set, [2, 0], 'opt');
    assert.deepEqual(sub.utterances.map((u) => [u.id, u.offset, u.frames]), [['S0_2', 0, 4], ['S0_0', 4, 2]]);
    assert.deepEqual(Array.from(sub.feats.subarray(8, 10)), [0, 1]);
    assert.deepEqual(Array.from(sub.refPhones(1)), [0]);
  });

  it('check that the arrays agree', () => {
    assert.throws(
      () => createFeatureSet({ name: 'x', dim: 2, numLabels: 48, ids: ['a'], speakers: ['s'], offsets: [0, 3], feats: new Float32Array(5), labels: new Int32Array(3) }),
      /Expected 3 x 2 = 6 values for feats but received a Float32Array of 5/,
    );
  });
});
