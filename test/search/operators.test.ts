import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import {
  binaryTournament,
  crowdingDistance,
  defineProblem,
  distanceDuplicateElimination,
  nsga2Tournament,
  pm,
  Population,
  rankAndCrowdingSurvival,
  randomSampling,
  roundingRepair,
  sbx,
} from '../../src/search/index.js';

/** An Rng whose float() returns the given values in order (and fails when they run out). */
function scripted(values: number[]): Rng {
  let k = 0;
  return {
    float() {
      if (k >= values.length) throw new Error(`scripted rng ran out after ${values.length} draws`);
      return values[k++]!;
    },
  } as unknown as Rng;
}

const unitReal = (n: number) => defineProblem({ variables: Array.from({ length: n }, () => ({ type: 'real' as const, lower: 0, upper: 1 })), objectives: 2 });

test('SBX matches the hand-computed children (both branches of the spread factor)', () => {
  const problem = unitReal(1);
  const X = new Float64Array([0.2, 0.6]);
  const parents = new Int32Array([0, 1]);
  // draws: mating crossed (0.1 < 0.9), variable crossed (0.2 < 0.5), u, swap draw (0.9: no swap)
  let out = sbx({ eta: 15 }).cross(problem, X, parents, 1, scripted([0.1, 0.2, 0.3, 0.9]));
  assert.ok(Math.abs(out[0]! - 0.20628455804456944) < 1e-15);
  assert.ok(Math.abs(out[1]! - 0.5937155341858971) < 1e-15);
  out = sbx({ eta: 15 }).cross(problem, X, parents, 1, scripted([0.1, 0.2, 0.9, 0.9]));
  assert.ok(Math.abs(out[0]! - 0.1788363456948409) < 1e-15);
  assert.ok(Math.abs(out[1]! - 0.6211646019610464) < 1e-15);
  // the swap draw exchanges the two children
  out = sbx({ eta: 15 }).cross(problem, X, parents, 1, scripted([0.1, 0.2, 0.3, 0.1]));
  assert.ok(Math.abs(out[0]! - 0.5937155341858971) < 1e-15);
  assert.ok(Math.abs(out[1]! - 0.20628455804456944) < 1e-15);
});

test('SBX passes parents through when the mating or the variable is not crossed, or parents are equal', () => {
  const problem = unitReal(2);
  const X = new Float64Array([0.2, 0.7, 0.6, 0.7]);
  const parents = new Int32Array([0, 1]);
  // mating not crossed (0.95 >= 0.9): no further draws
  assert.deepEqual(Array.from(sbx().cross(problem, X, parents, 1, scripted([0.95]))), [0.2, 0.7, 0.6, 0.7]);
  // mating crossed, variable 0 not drawn (0.7 >= 0.5), variable 1 drawn but both parents equal there
  assert.deepEqual(Array.from(sbx().cross(problem, X, parents, 1, scripted([0.1, 0.7, 0.1]))), [0.2, 0.7, 0.6, 0.7]);
});

test('SBX offspring are offspring-major and stay within bounds', () => {
  const problem = unitReal(3);
  const rng = new Rng(5);
  const X = new Float64Array(Array.from({ length: 12 }, () => rng.float()));
  const parents = new Int32Array([0, 1, 2, 3, 1, 2]);
  const out = sbx({ prob: 0 }).cross(problem, X, parents, 3, rng);
  // without crossover: first children are parents 0, 2, 1; second children are parents 1, 3, 2
  const row = (M: Float64Array, i: number) => Array.from(M.subarray(i * 3, i * 3 + 3));
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => row(out, i)), [0, 2, 1, 1, 3, 2].map((i) => row(X, i)));
  const crossed = sbx({ prob: 1, eta: 1 }).cross(problem, X, parents, 3, rng);
  assert.ok(crossed.every((v) => v >= 0 && v <= 1));
});

test('polynomial mutation matches the hand-computed mutants on both sides', () => {
  const problem = unitReal(1);
  const X = new Float64Array([0.5]);
  // draws: variable mutated (0 < 1), u, individual kept mutated (0.5 <= 1)
  assert.ok(Math.abs(pm({ eta: 20 }).mutate(problem, X, 1, scripted([0, 0.25, 0.5]))[0]! - 0.46753180049317733) < 1e-15);
  assert.ok(Math.abs(pm({ eta: 20 }).mutate(problem, X, 1, scripted([0, 0.75, 0.5]))[0]! - 0.5324681995068227) < 1e-15);
  // individualProb 0.5 and an individual draw of 0.6: the original comes back
  assert.equal(pm({ eta: 20, individualProb: 0.5 }).mutate(problem, X, 1, scripted([0, 0.25, 0.6]))[0], 0.5);
  assert.equal(X[0], 0.5, 'the input is not modified');
});

test('polynomial mutation leaves fixed variables and stays within bounds', () => {
  const problem = defineProblem({
    variables: [
      { type: 'real', lower: 2, upper: 2 },
      { type: 'real', lower: -1, upper: 1 },
    ],
    objectives: 1,
  });
  const rng = new Rng(9);
  const X = new Float64Array(200);
  for (let i = 0; i < 100; i++) {
    X[2 * i] = 2;
    X[2 * i + 1] = rng.uniform(-1, 1);
  }
  const Y = pm({ prob: 1, eta: 0.5 }).mutate(problem, X, 100, rng);
  for (let i = 0; i < 100; i++) {
    assert.equal(Y[2 * i], 2);
    assert.ok(Y[2 * i + 1]! >= -1 && Y[2 * i + 1]! <= 1);
  }
  assert.ok(Array.from(Y).some((v, k) => v !== X[k]), 'prob 1 mutates');
});

test('rounding repair rounds integer variables half to even and leaves reals', () => {
  const problem = defineProblem({
    variables: [
      { type: 'integer', lower: -5, upper: 5 },
      { type: 'real', lower: -5, upper: 5 },
    ],
    objectives: 1,
  });
  const X = new Float64Array([2.5, 2.5, 3.5, 0.49, -2.5, -1.2, 0.51, 3.3]);
  roundingRepair(problem, X, 4);
  assert.deepEqual(Array.from(X), [2, 2.5, 4, 0.49, -2, -1.2, 1, 3.3]);
});

test('random sampling draws integers over the whole inclusive range and reals within bounds', () => {
  const problem = defineProblem({
    variables: [
      { type: 'integer', lower: 2, upper: 4 },
      { type: 'real', lower: -1, upper: 3 },
    ],
    objectives: 1,
  });
  const X = randomSampling.sample(problem, 300, new Rng(1));
  const ints = new Set<number>();
  for (let i = 0; i < 300; i++) {
    ints.add(X[2 * i]!);
    assert.ok(X[2 * i + 1]! >= -1 && X[2 * i + 1]! < 3);
  }
  assert.deepEqual([...ints].sort(), [2, 3, 4]);
});

test('crowding distance: pymoo normalization, infinite boundaries, constant objectives count 0', () => {
  const F = [0, 1, 0.25, 0.5, 0.5, 0.3, 1, 0];
  assert.deepEqual(Array.from(crowdingDistance(F, 2, [0, 1, 2, 3])), [Infinity, 0.6, 0.625, Infinity]);
  // only the members listed are a front: rows 1 and 3 are skipped
  assert.deepEqual(Array.from(crowdingDistance([0, 1, 9, 9, 0, 0.5, 9, 9, 0, 0], 2, [0, 2, 4])), [Infinity, 0.5, Infinity]);
  assert.deepEqual(Array.from(crowdingDistance([1, 2, 3, 4], 2, [0, 1])), [Infinity, Infinity]);
});

test('duplicate elimination: within the batch (first kept) and against other sets', () => {
  const dup = distanceDuplicateElimination();
  const X = new Float64Array([1, 2, 3, 4, 1, 2, 5, 6, 3, 4 + 1e-12]);
  assert.deepEqual(dup.keep(X, 5, 2, []), [0, 1, 3, 4]);
  assert.deepEqual(dup.keep(X, 5, 2, [new Float64Array([5, 6, 0, 0])]), [0, 1, 4]);
});

function population(F: number[][], CV: number[], crowding?: number[]): Population {
  const pop = new Population({ nVar: 1, nObj: 2, nConstr: 1 }, F.length);
  F.forEach((f, i) => {
    pop.F.set(f, 2 * i);
    pop.G[i] = CV[i]!;
    pop.X[i] = i;
  });
  pop.updateViolation();
  if (crowding) pop.crowding.set(crowding);
  return pop;
}

test('NSGA-II tournament: violation first, then domination, then crowding', () => {
  const pop = population(
    [
      [1, 1],
      [2, 2],
      [0, 3],
      [5, 5],
      [5, 5],
    ],
    [0, 0, 0, 0.5, 0.2],
    [1, 9, 2, NaN, NaN],
  );
  const rng = new Rng(1);
  assert.equal(nsga2Tournament(pop, 0, 3, rng), 0, 'feasible beats infeasible');
  assert.equal(nsga2Tournament(pop, 3, 4, rng), 4, 'smaller violation wins');
  assert.equal(nsga2Tournament(pop, 1, 0, rng), 0, 'domination beats crowding');
  assert.equal(nsga2Tournament(pop, 0, 2, rng), 2, 'non-dominated pair: larger crowding');
  // equal everything: both win about half the time
  const tie = population([[1, 1], [1, 1]], [0, 0], [3, 3]);
  let first = 0;
  for (let i = 0; i < 1000; i++) if (nsga2Tournament(tie, 0, 1, rng) === 0) first++;
  assert.ok(first > 430 && first < 570, `tie broken at random (${first}/1000)`);
});

test('binary tournament lets every individual compete (concatenated permutations)', () => {
  const pop = population(Array.from({ length: 10 }, (_, i) => [i, i]), new Array(10).fill(0), new Array(10).fill(1));
  const seen = new Set<number>();
  const chosen = binaryTournament((_p, a, b) => {
    seen.add(a);
    seen.add(b);
    return Math.min(a, b);
  }).select(pop, 5, 2, new Rng(3));
  assert.equal(chosen.length, 10);
  assert.equal(seen.size, 10);
});

test('rank-and-crowding survival: feasible by rank and crowding, then infeasible by violation', () => {
  const F = [
    [1, 4],
    [2, 3],
    [3, 2],
    [4, 1],
    [2.5, 3.5],
    [0, 0],
    [0, 0],
    [9, 9],
  ];
  const CV = [0, 0, 0, 0, 0, 3, 1, 0];
  const pop = population(F, CV);
  // 4 places: the first front (rows 0-3) fills them exactly
  let out = rankAndCrowdingSurvival.survive(pop, 4, new Rng(1));
  assert.deepEqual(Array.from(out.X), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(out.rank), [0, 0, 0, 0]);
  // 7 places: 6 feasible (fronts 0, 1, 2) then the infeasible row with the smaller violation
  out = rankAndCrowdingSurvival.survive(population(F, CV), 7, new Rng(1));
  assert.deepEqual(Array.from(out.X), [0, 1, 2, 3, 4, 7, 6]);
  assert.deepEqual(Array.from(out.rank), [0, 0, 0, 0, 1, 2, -1]);
  // 2 places from a front of 4: the two boundary points (infinite crowding) survive
  out = rankAndCrowdingSurvival.survive(population(F, CV), 2, new Rng(1));
  assert.deepEqual(Array.from(out.X).sort(), [0, 3]);
  // no feasible individual: the least violated ones
  out = rankAndCrowdingSurvival.survive(population(F, [5, 4, 3, 2, 1, 6, 7, 8]), 3, new Rng(1));
  assert.deepEqual(Array.from(out.X), [4, 3, 2]);
});
