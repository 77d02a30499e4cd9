import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { viterbiAlign, viterbiPhoneLoop } from '../../src/metrics/viterbi.js';

const L = Math.log;
/** (T, P) log posteriors from per-frame probability rows. */
const logPost = (rows: number[][]) => Float32Array.from(rows.flatMap((r) => r.map((p) => L(p))));
const sticky = [L(0.9), L(0.1), L(0.1), L(0.9)]; // 2x2 bigram that prefers staying with the same phone

describe('viterbiPhoneLoop', () => {
  it('segments a clear two-phone utterance', () => {
    const lp = logPost([[0.8, 0.2], [0.7, 0.3], [0.2, 0.8], [0.1, 0.9]]);
    const a = viterbiAlign(lp, 2, { bigram: [L(0.5), L(0.5), L(0.5), L(0.5)] });
    assert.deepEqual(Array.from(a.phones), [0, 1]);
    assert.deepEqual(Array.from(a.starts), [0, 2]);
    // Hand-worked score: initial log(1/2) + transition log(1/2) + the four best frames.
    assert.ok(Math.abs(a.score - (L(0.5) + L(0.5) + L(0.8) + L(0.7) + L(0.8) + L(0.9))) < 1e-6);
  });

  it('trades a one-frame blip against two phone transitions (hand-worked)', () => {
    // Frame 2 prefers phone 1 by log(0.6/0.4) = 0.405; entering and leaving it costs 2 log(0.1) = -4.605.
    const lp = logPost([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.9, 0.1], [0.9, 0.1]]);
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram: sticky })), [0]);
    // acousticScale 20: 20 * 0.405 = 8.11 > 4.605, so the blip is kept.
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram: sticky, acousticScale: 20 })), [0, 1, 0]);
    // ...unless each extra phone also pays 2: 8.11 - 4.605 - 4 < 0.
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram: sticky, acousticScale: 20, insertionPenalty: 2 })), [0]);
  });

  it('lets a phone follow itself only when a new occurrence scores better than staying', () => {
    const lp = logPost([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1]]);
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram: sticky })), [0]);
    // An insertion bonus of 1 beats log(0.9) = -0.105: every frame starts a new "0".
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram: sticky, insertionPenalty: -1 })), [0, 0, 0]);
  });

  it('respects the minimum duration', () => {
    // Phone 1 is clearly present for only two frames.
    const rows = [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.05, 0.95], [0.05, 0.95], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]];
    const flat = [L(0.5), L(0.5), L(0.5), L(0.5)];
    const free = viterbiAlign(logPost(rows), 2, { bigram: flat });
    assert.deepEqual(Array.from(free.phones), [0, 1, 0]);
    assert.deepEqual(Array.from(free.starts), [0, 3, 5]);
    const three = viterbiAlign(logPost(rows), 2, { bigram: flat, minDuration: 3 });
    const ends = [...Array.from(three.starts).slice(1), rows.length];
    three.starts.forEach((s, i) => assert.ok(ends[i]! - s >= 3, `phone ${i} lasts ${ends[i]! - s} frames`));
  });

  it('finds the best path of an exhaustive search (random problems)', () => {
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const P = 3;
    const T = 5;
    for (let trial = 0; trial < 20; trial++) {
      const lp = Array.from({ length: T * P }, () => L(0.05 + rand()));
      const bigram = Array.from({ length: P * P }, () => L(0.05 + rand()));
      const initial = Array.from({ length: P }, () => L(0.05 + rand()));
      const acousticScale = 0.5 + rand();
      const insertionPenalty = rand() - 0.5;
      let best = -Infinity;
      // Every phone-per-frame assignment and every choice of "new phone" at unchanged frames.
      for (let code = 0; code < P ** T; code++) {
        const q = Array.from({ length: T }, (_, t) => Math.floor(code / P ** t) % P);
        for (let flags = 0; flags < 2 ** (T - 1); flags++) {
          let ok = true;
          let s = initial[q[0]!]! - insertionPenalty + acousticScale * lp[q[0]!]!;
          for (let t = 1; t < T; t++) {
            const isNew = (flags >> (t - 1)) & 1;
            if (!isNew && q[t] !== q[t - 1]) ok = false;
            if (isNew) s += bigram[q[t - 1]! * P + q[t]!]! - insertionPenalty;
            s += acousticScale * lp[t * P + q[t]!]!;
          }
          if (ok && s > best) best = s;
        }
      }
      const a = viterbiAlign(lp, P, { bigram, initial, acousticScale, insertionPenalty });
      assert.ok(Math.abs(a.score - best) < 1e-9, `trial ${trial}: viterbi ${a.score} vs exhaustive ${best}`);
    }
  });

  it('subtracts log priors when given (hybrid scaled likelihoods)', () => {
    // Frame posteriors lean to the frequent phone 0, but divided by priors (0.9 vs 0.1) phone 1 wins.
    const lp = logPost([[0.7, 0.3], [0.7, 0.3]]);
    const bigram = [L(0.5), L(0.5), L(0.5), L(0.5)];
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram })), [0]);
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram, logPriors: [L(0.9), L(0.1)] })), [1]);
    assert.deepEqual(Array.from(viterbiPhoneLoop(lp, { bigram, priors: [0.9, 0.1] })), [1]);
  });

  it('returns nothing for no frames and names bad shapes', () => {
    assert.equal(viterbiPhoneLoop(new Float32Array(0), { bigram: sticky }).length, 0);
    assert.throws(() => viterbiAlign(new Float32Array(5), 2, { bigram: sticky }), /Expected a multiple of 2 values \(T x 2\) for logPost/);
    assert.throws(() => viterbiAlign(new Float32Array(4), 2, { bigram: [0, 0, 0] }), /Expected 2 x 2 = 4 log probabilities for bigram/);
  });
});

describe('PhoneLoopDecoder', () => {
  it('estimates the smoothed bigram, initial and prior distributions (hand-worked)', () => {
    const d = PhoneLoopDecoder.fromSequences([[0, 1, 0], [0, 1]], 2, [0, 0, 1, 1, 1]);
    const m = d.toJSON().model;
    // unigram add-one: u0 = 4/7, u1 = 3/7; row 0 has 3 events (0->1 twice, 0->end once), mass 5/7 to phones, 2/7 to end.
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    near(Math.exp(m.bigram[0]!), 5 / 49); // (0 + 4/7 * 5/7) / (3 + 1)
    near(Math.exp(m.bigram[1]!), 113 / 196); // (2 + 3/7 * 5/7) / 4
    near(Math.exp(m.final[0]!), 9 / 28); // (1 + 2/7) / 4
    near(Math.exp(m.bigram[0]!) + Math.exp(m.bigram[1]!) + Math.exp(m.final[0]!), 1);
    near(Math.exp(m.bigram[2]!) + Math.exp(m.bigram[3]!) + Math.exp(m.final[1]!), 1);
    near(Math.exp(m.initial[0]!), 6 / 7); // (2 + 4/7) / 3
    near(Math.exp(m.logPriors[0]!), 3 / 7); // (2 + 1) / (5 + 2)
    near(Math.exp(m.logPriors[1]!), 4 / 7);
  });

  it('decodes perfect posteriors to the reference and round-trips through JSON', () => {
    const refs = [[3, 1, 4, 1, 5], [2, 6, 5, 3]];
    const d = PhoneLoopDecoder.fromSequences(refs, 7);
    for (const ref of refs) {
      const rows: number[][] = [];
      for (const q of ref) for (let k = 0; k < 4; k++) rows.push(Array.from({ length: 7 }, (_, p) => (p === q ? 0.97 : 0.005)));
      assert.deepEqual(Array.from(d.decode(logPost(rows))), ref);
    }
    const j = JSON.parse(JSON.stringify(d.toJSON()));
    const back = new PhoneLoopDecoder(j.model, j.options);
    assert.deepEqual(back.toJSON(), d.toJSON());
  });

  it('rejects bad inputs with the parameter named', () => {
    assert.throws(() => PhoneLoopDecoder.fromSequences([[0, 9]], 3), /Expected an index in 0\.\.2 for reference phone but received 9/);
    assert.throws(() => PhoneLoopDecoder.fromSequences([[]], 3), /at least one non-empty reference phone sequence/);
    assert.throws(() => PhoneLoopDecoder.fromSequences([[0]], 2, undefined, { acousticScale: 0 }), /Expected a number > 0 for acousticScale/);
  });
});
