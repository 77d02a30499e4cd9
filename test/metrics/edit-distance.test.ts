import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance } from '../../src/metrics/edit-distance.js';

const seq = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const ed = (r: string, h: string) => editDistance(seq(r), seq(h));

describe('editDistance', () => {
  it('is zero for equal sequences', () => {
    assert.deepEqual(ed('abcde', 'abcde'), { distance: 0, substitutions: 0, deletions: 0, insertions: 0 });
    assert.deepEqual(ed('', ''), { distance: 0, substitutions: 0, deletions: 0, insertions: 0 });
  });

  it('counts all deletions or all insertions against an empty side', () => {
    assert.deepEqual(ed('abc', ''), { distance: 3, substitutions: 0, deletions: 3, insertions: 0 });
    assert.deepEqual(ed('', 'ab'), { distance: 2, substitutions: 0, deletions: 0, insertions: 2 });
  });

  it('splits hand-worked alignments into S, D and I', () => {
    // kitten -> sitting: k/s, e/i substitutions, g inserted.
    assert.deepEqual(ed('kitten', 'sitting'), { distance: 3, substitutions: 2, deletions: 0, insertions: 1 });
    // ref "a b c d", hyp "a c d d": b deleted, extra d inserted (2), or two substitutions (2): more matches wins.
    assert.deepEqual(ed('abcd', 'acdd'), { distance: 2, substitutions: 0, deletions: 1, insertions: 1 });
    // ref "sil b ae t sil" vs hyp "sil p ae t": b/p substitution, final sil deleted.
    assert.deepEqual(editDistance([0, 1, 2, 3, 0], [0, 4, 2, 3]), { distance: 2, substitutions: 1, deletions: 1, insertions: 0 });
    // a b -> b a: one match (b) with a deletion and an insertion rather than two substitutions.
    assert.deepEqual(ed('ab', 'ba'), { distance: 2, substitutions: 0, deletions: 1, insertions: 1 });
    // completely different, same length: substitutions only.
    assert.deepEqual(ed('abc', 'xyz'), { distance: 3, substitutions: 3, deletions: 0, insertions: 0 });
  });

  it('is symmetric in distance and swaps deletions with insertions', () => {
    const a = ed('the quick brown', 'tha quack brawn fox');
    const b = ed('tha quack brawn fox', 'the quick brown');
    assert.equal(a.distance, b.distance);
    assert.equal(a.deletions, b.insertions);
    assert.equal(a.insertions, b.deletions);
    assert.equal(a.distance, a.substitutions + a.deletions + a.insertions);
  });

  it('agrees with a full-table reference on random sequences', () => {
    let s = 12345;
    const rand = (n: number) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s % n;
    };
    for (let trial = 0; trial < 200; trial++) {
      const r = Array.from({ length: rand(12) }, () => rand(4));
      const h = Array.from({ length: rand(12) }, () => rand(4));
      const d: number[][] = Array.from({ length: r.length + 1 }, (_, i) => Array.from({ length: h.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= r.length; i++) {
        for (let j = 1; j <= h.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
      }
      const e = editDistance(r, h);
      assert.equal(e.distance, d[r.length]![h.length]);
      assert.equal(e.distance, e.substitutions + e.deletions + e.insertions);
      assert.equal(r.length - e.deletions + e.insertions, h.length, 'the alignment accounts for every hypothesis token');
    }
  });
});
