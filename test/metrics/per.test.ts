import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHONE48_INDEX, PHONES48 } from '../../src/data/phones.js';
import { createFeatureSet } from '../../src/data/store/feature-set.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { argmaxRows, frameErrors, frameErrorRate, phoneErrorRate, scoreFeatureSet, scorePhoneSequences, tunePhoneLoop } from '../../src/metrics/per.js';

const ix = (names: string) => names.split(' ').map((n) => PHONE48_INDEX.get(n)!);
const P = PHONES48.length;

/** (T, 48) log posteriors putting `conf` on the frame label and the rest evenly elsewhere. */
function posteriorsFor(labels: number[], conf = 0.95): Float32Array {
  const out = new Float32Array(labels.length * P).fill(Math.log((1 - conf) / (P - 1)));
  labels.forEach((l, t) => (out[t * P + l] = Math.log(conf)));
  return out;
}

const expand = (seq: number[], frames = 5) => seq.flatMap((q) => Array<number>(frames).fill(q));

describe('phone error rate', () => {
  const train = [ix('sil dh ax k ae t sil'), ix('sil s ae t sil'), ix('sil ax k ae t s ae t sil'), ix('sil ix n ao l sil')];
  const decoder = PhoneLoopDecoder.fromSequences(train, P);

  it('is 0 for perfect posteriors', () => {
    const refs = [ix('sil dh ax k ae t sil'), ix('sil k ae t s sil')];
    const r = phoneErrorRate(refs.map((ref) => posteriorsFor(expand(ref))), refs, decoder);
    assert.equal(r.per, 0);
    assert.deepEqual([r.errors, r.refPhones, r.utterances], [0, 13, 2]);
  });

  it('folds to 39 phones before aligning (ao/aa, ix/ih, cl/vcl/sil count as equal)', () => {
    const refs = [ix('sil ao ix cl')];
    const hyps = [ix('sil aa ih vcl')];
    assert.equal(scorePhoneSequences(refs, hyps).per, 0);
    const unfolded = scorePhoneSequences(refs, hyps, { fold39: false });
    assert.deepEqual([unfolded.substitutions, unfolded.per], [3, 0.75]);
  });

  it('sums S, D and I over utterances and divides by reference phones (hand-worked)', () => {
    // utt 1: "sil k ae t sil" vs "sil k eh t": ae/eh substitution, final sil deleted.
    // utt 2: "sil s ae t sil" vs "sil s ae ae t sil": one insertion.
    const r = scorePhoneSequences([ix('sil k ae t sil'), ix('sil s ae t sil')], [ix('sil k eh t'), ix('sil s ae ae t sil')]);
    assert.deepEqual([r.substitutions, r.deletions, r.insertions, r.errors, r.refPhones], [1, 1, 1, 3, 10]);
    assert.equal(r.per, 0.3);
    assert.deepEqual(r.perUtterance, [2, 1]);
  });

  it('decodes, collapses and scores noisy posteriors', () => {
    const ref = ix('sil k ae t sil');
    const labels = expand(ref, 6);
    const lp = posteriorsFor(labels, 0.8);
    // Two frames of "ae" lean to "eh" (0.5 vs 0.4): too little evidence to pay for the unseen ae->eh->ae
    // transitions at acoustic scale 1.
    const eh = PHONE48_INDEX.get('eh')!;
    const ae = PHONE48_INDEX.get('ae')!;
    for (const t of [14, 15]) {
      lp.fill(Math.log(0.1 / (P - 2)), t * P, (t + 1) * P);
      lp[t * P + eh] = Math.log(0.5);
      lp[t * P + ae] = Math.log(0.4);
    }
    assert.equal(phoneErrorRate([lp], [ref], decoder).per, 0);
    // A large acoustic scale believes every frame: ae eh ae -> 2 extra phones (1 sub + 1 ins, or 2 ins).
    assert.equal(phoneErrorRate([lp], [ref], decoder.withOptions({ acousticScale: 30 })).errors, 2);
  });

  it('scores a FeatureSet: frame errors and PER together', () => {
    const refs = [ix('sil k ae t sil'), ix('sil s ae t sil')];
    const labels = refs.map((r) => expand(r, 3));
    const set = createFeatureSet({
      name: 'dev',
      dim: 1,
      numLabels: P,
      ids: ['A_1', 'B_1'],
      speakers: ['A', 'B'],
      offsets: [0, 15, 30],
      feats: new Float32Array(30),
      labels: Int32Array.from(labels.flat()),
    });
    const post = labels.map((l) => posteriorsFor(l));
    // Break 3 frames of utterance 2 (argmax wrong, one frame only each, so decoding still recovers).
    for (const t of [1, 7, 13]) {
      const row = post[1]!.subarray(t * P, (t + 1) * P);
      const wrong = (labels[1]![t]! + 1) % P;
      row[wrong] = Math.log(0.97);
      row[labels[1]![t]!] = Math.log(0.02);
    }
    const s = scoreFeatureSet(set, post, decoder);
    assert.deepEqual(s.fer, { fer: 3 / 30, errors: 3, frames: 30 });
    assert.equal(s.per.per, 0);
    assert.throws(() => scoreFeatureSet(set, [post[0]!, new Float32Array(3)], decoder), /log posteriors of utterance "B_1"/);
  });

  it('tunes acoustic scale and insertion penalty on held-out data', () => {
    const ref = ix('sil k ae t sil');
    const lp = posteriorsFor(expand(ref, 6), 0.6);
    const t = tunePhoneLoop(decoder, [lp], [ref], { acousticScales: [0.5, 1], insertionPenalties: [0, 1] });
    assert.equal(t.grid.length, 4);
    assert.equal(t.per, 0);
  });
});

describe('frame error rate', () => {
  it('counts wrong frames and skips padding', () => {
    assert.deepEqual(frameErrors([1, 2, 3, 0], [1, 0, 3, -1]), { fer: 1 / 3, errors: 1, frames: 3 });
    assert.equal(frameErrorRate([], []), 0);
  });

  it('takes the argmax of score rows', () => {
    const scores = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.4, 0.1]);
    assert.deepEqual(Array.from(argmaxRows(scores, 3)), [1, 0]);
    assert.equal(frameErrorRate(scores, [1, 2], 3), 0.5);
    assert.throws(() => frameErrors([1, 2], [1]), /Expected 2 labels \(one per predicted frame\) for labels but received 1/);
  });
});
