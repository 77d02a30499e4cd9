import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { dasDennis, dominanceRelation, gd, hypervolume, igd, igdPlus, nonDominated, nonDominatedSort } from '../../src/search/index.js';

test('dominance relation', () => {
  const F = [1, 2, 2, 3, 1, 3, 2, 1, 1, 2];
  assert.equal(dominanceRelation(F, 0, 1, 2), 1);
  assert.equal(dominanceRelation(F, 1, 0, 2), -1);
  assert.equal(dominanceRelation(F, 0, 2, 2), 1, 'better in one, equal in the other');
  assert.equal(dominanceRelation(F, 0, 3, 2), 0, 'trade-off');
  assert.equal(dominanceRelation(F, 0, 4, 2), 0, 'equal points');
});

test('non-dominated sorting gives the known fronts, and stops early when asked', () => {
  const F = [1, 1, 2, 2, 0, 3, 3, 0, 2, 2, 3, 3].map(Number);
  assert.deepEqual(nonDominatedSort(F, 6, 2), [[0, 2, 3], [1, 4], [5]]);
  assert.deepEqual(nonDominatedSort(F, 6, 2, 3), [[0, 2, 3]]);
  assert.deepEqual(nonDominatedSort(F, 6, 2, 4), [[0, 2, 3], [1, 4]]);
});

test('non-dominated filter keeps duplicates on the front, in 2 and 3 objectives', () => {
  const two = [[1, 1], [2, 2], [0, 3], [1, 1], [0, 3.5], [3, 0], [1, 2]];
  assert.deepEqual(nonDominated(two), [0, 2, 3, 5]);
  const three = two.map((p) => [...p, 0]);
  assert.deepEqual(nonDominated(three), [0, 2, 3, 5]);
  assert.deepEqual(nonDominated([]), []);
});

/** Exact hypervolume by inclusion-exclusion over all subsets (the boxes' intersections). */
function bruteForceHv(points: number[][], ref: number[]): number {
  const inside = points.filter((p) => p.every((v, j) => v < ref[j]!));
  let total = 0;
  for (let mask = 1; mask < 1 << inside.length; mask++) {
    let size = 0;
    const corner = ref.map(() => -Infinity);
    inside.forEach((p, i) => {
      if (mask & (1 << i)) {
        size++;
        p.forEach((v, j) => (corner[j] = Math.max(corner[j]!, v)));
      }
    });
    const volume = corner.reduce((acc, c, j) => acc * (ref[j]! - c), 1);
    total += size % 2 === 1 ? volume : -volume;
  }
  return total;
}

test('hypervolume of hand-worked examples in 2 and 3 objectives', () => {
  assert.equal(hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4]), 6);
  assert.equal(hypervolume([[1, 3], [2, 2], [3, 1], [2.5, 2.5], [2, 2]], [4, 4]), 6, 'dominated and repeated points add nothing');
  assert.equal(hypervolume([[0, 0, 0]], [1, 2, 3]), 6);
  assert.equal(hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2]), 5);
  assert.equal(hypervolume([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [2, 2, 2]), 7);
  assert.equal(hypervolume([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [1, 1, 1]), 0, 'points on the reference boundary add nothing');
  assert.equal(hypervolume([], [1, 1]), 0);
  assert.equal(hypervolume([[0.5]], [2]), 1.5);
});

test('hypervolume equals inclusion-exclusion on random sets (2 to 5 objectives)', () => {
  const rng = new Rng(11);
  for (const d of [2, 3, 4, 5]) {
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + rng.int(10);
      // coarse grid values: many ties in every coordinate
      const points = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.int(6) / 5));
      const ref = Array.from({ length: d }, () => 1);
      const exact = bruteForceHv(points, ref);
      const got = hypervolume(points, ref);
      assert.ok(Math.abs(got - exact) < 1e-12, `d=${d} n=${n}: ${got} vs ${exact}`);
    }
  }
});

test('3-D hypervolume agrees with a Monte Carlo estimate on a random front', () => {
  const rng = new Rng(4);
  // points near the sphere octant: a realistic 3-objective front of 40 points
  const points = Array.from({ length: 40 }, () => {
    const v = [rng.float(), rng.float(), rng.float()];
    const r = Math.hypot(...v);
    return v.map((x) => x / r);
  });
  const ref = [1.2, 1.2, 1.2];
  const exact = hypervolume(points, ref);
  const samples = 200_000;
  let hits = 0;
  for (let s = 0; s < samples; s++) {
    const q = [rng.uniform(0, 1.2), rng.uniform(0, 1.2), rng.uniform(0, 1.2)];
    if (points.some((p) => p[0]! <= q[0]! && p[1]! <= q[1]! && p[2]! <= q[2]!)) hits++;
  }
  const boxVolume = 1.2 ** 3;
  const estimate = (hits / samples) * boxVolume;
  const p = hits / samples;
  const sigma = boxVolume * Math.sqrt((p * (1 - p)) / samples);
  assert.ok(Math.abs(estimate - exact) < 4 * sigma, `exact ${exact}, Monte Carlo ${estimate} +- ${sigma}`);
});

test('hypervolume rejects points whose dimension differs from the reference point', () => {
  assert.throws(() => hypervolume([[1, 2, 3]], [4, 4]), { message: 'Expected an array of 2 numbers (as the reference point) for points[0] but received an array of 3' });
});

test('IGD, GD and IGD+ of hand-worked examples', () => {
  assert.equal(igd([[0, 0]], [[1, 0], [0, 1]]), 1);
  assert.equal(igd([[1, 0], [0, 1]], [[1, 0], [0, 1]]), 0);
  assert.equal(gd([[0, 0], [3, 4]], [[0, 0]]), 2.5);
  assert.equal(igdPlus([[0, 2]], [[1, 1]]), 1, 'only the worse coordinate counts');
  assert.equal(igd([[0, 2]], [[1, 1]]), Math.SQRT2);
  assert.throws(() => igd([[0, 0, 0]], [[1, 0]]), { message: 'Expected 2 coordinates (as the reference front) for front point 0 but received an array of 3' });
});

test('Das-Dennis points: count and sum to one', () => {
  const w = dasDennis(3, 12);
  assert.equal(w.length, 91);
  for (const p of w) assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-12);
});
