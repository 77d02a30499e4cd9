import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  createNSGA2,
  dtlz2,
  igd,
  nsga2,
  zdt1,
  zdt2,
  zdt3,
  type BenchmarkProblem,
  type SearchProblemSpec,
  type SearchState,
} from '../../src/search/index.js';
import { GOLDEN_PATH, goldenRuns } from './fixtures/golden.js';

const frontF = (r: { front: { objectives: number[] }[] }) => r.front.map((s) => s.objectives);

async function solve(p: BenchmarkProblem, seed: number) {
  return nsga2({ ...p, evaluate: (x) => p.evaluate(x), populationSize: 100, offspringSize: 100, generations: 250, seed });
}

for (const make of [zdt1, zdt2, zdt3]) {
  test(`${make().name}: 30 variables, population 100, 250 generations reach IGD <= 0.01`, async () => {
    const p = make();
    const r = await solve(p, 1);
    assert.equal(r.evaluations, 25_000);
    assert.equal(r.generations, 250);
    const value = igd(frontF(r), p.paretoFront(1000));
    assert.ok(value <= 0.01, `IGD ${value}`);
    // measured on seed 1: ZDT1 0.0047, ZDT2 0.0053, ZDT3 0.0053 (seeds 1-10: 0.0046-0.0056)
  });
}

test('DTLZ2 (3 objectives): converged onto the sphere and spread over it', async () => {
  const p = dtlz2(3);
  const r = await solve(p, 1);
  const F = frontF(r);
  const value = igd(F, p.paretoFront(40));
  // NSGA-II's crowding distance does not spread 3-objective fronts evenly: seeds 1-10 give 0.065-0.074
  assert.ok(value <= 0.08, `IGD ${value}`);
  const radial = F.reduce((acc, f) => acc + (Math.hypot(...f) - 1), 0) / F.length;
  assert.ok(radial < 0.015, `mean distance to the sphere ${radial}`);
});

test('same seed gives the identical front, bit for bit; another seed does not', async () => {
  const p = zdt1(10);
  const run = (seed: number) => nsga2({ ...p, evaluate: (x) => p.evaluate(x), populationSize: 20, offspringSize: 10, generations: 30, seed });
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  assert.deepEqual(frontF(a), frontF(b));
  assert.deepEqual(a.front.map((s) => s.x), b.front.map((s) => s.x));
  assert.notDeepEqual(frontF(a), frontF(c));
});

test('results do not depend on the order in which evaluations complete', async () => {
  const p = zdt2(8);
  const base = { ...p, populationSize: 12, offspringSize: 6, generations: 8, seed: 2 };
  const sync = await nsga2({ ...base, evaluate: (x) => p.evaluate(x) });
  const delayed = await nsga2({
    ...base,
    // later candidates tend to finish first
    evaluate: (x) => new Promise((resolve) => setTimeout(() => resolve(p.evaluate(x)), Math.floor((1 - x[0]!) * 4))),
  });
  assert.deepEqual(frontF(delayed), frontF(sync));
});

test('evaluations count as pymoo: population + offspring per later generation (40 + 59 x 10 = 630)', async () => {
  const r = await nsga2({
    variables: Array.from({ length: 16 }, () => ({ type: 'integer' as const, lower: 0, upper: 3 })),
    objectives: 2,
    evaluate: (x) => ({ objectives: [x.reduce((a, b) => a + b), x.reduce((a, b) => a + (3 - b) ** 2, 0)] }),
    generations: 60,
    seed: 1,
    crossover: { prob: 1, eta: 3 },
    mutation: { eta: 3 },
  });
  assert.equal(r.evaluations, 630);
  assert.equal(r.generations, 60);
  assert.equal(r.population.length, 40);
});

test('integer variables: every candidate integral, within bounds, and new (no duplicates in a batch or the population)', () => {
  const problem: SearchProblemSpec = {
    variables: [
      ...Array.from({ length: 6 }, () => ({ type: 'integer' as const, lower: 2, upper: 4 })),
      { type: 'integer' as const, lower: -2, upper: 5 },
    ],
    objectives: 3,
  };
  const evaluate = (x: number[]) => ({ objectives: [x[0]! + x[1]! - x[6]!, (x[2]! - 3) ** 2 + x[6]! ** 2, x[3]! * x[4]! - x[5]!] });
  const algorithm = createNSGA2(problem, { generations: 40, seed: 9, populationSize: 20, offspringSize: 8, crossover: { prob: 1, eta: 3 }, mutation: { eta: 3 } });
  const key = (x: number[]) => x.join(',');
  let batches = 0;
  while (algorithm.hasNext()) {
    const X = algorithm.ask();
    if (X.length === 0) break;
    const inPopulation = new Set((algorithm.population?.solutions() ?? []).map((s) => key(s.x)));
    const inBatch = new Set<string>();
    for (const x of X) {
      x.forEach((v, j) => {
        assert.ok(Number.isInteger(v), `x[${j}] = ${v} is integral`);
        assert.ok(v >= problem.variables[j]!.lower && v <= problem.variables[j]!.upper, `x[${j}] = ${v} within bounds`);
      });
      assert.ok(!inBatch.has(key(x)) && !inPopulation.has(key(x)), `${key(x)} is new`);
      inBatch.add(key(x));
    }
    algorithm.tell(X.map(evaluate));
    batches++;
  }
  assert.equal(batches, 40);
  const final = algorithm.result().population.map((s) => key(s.x));
  assert.equal(new Set(final).size, final.length);
});

test('a space too small for new offspring ends the search early instead of looping', async () => {
  // 2 binary variables: 4 distinct candidates in all
  const r = await nsga2({
    variables: [
      { type: 'integer', lower: 0, upper: 1 },
      { type: 'integer', lower: 0, upper: 1 },
    ],
    objectives: 2,
    evaluate: (x) => ({ objectives: [x[0]!, 1 - x[0]! + x[1]!] }),
    populationSize: 10,
    generations: 50,
    seed: 1,
  });
  // the initial sample of 10 collapses to the 4 distinct points; no new offspring can be made
  assert.equal(r.evaluations, 4);
  assert.equal(r.generations, 1);
  assert.deepEqual(r.front.map((s) => s.x).sort(), [[0, 0], [1, 0]]);
});

/** BNH (Binh and Korn): two constraints, a known convex front. */
const bnh: SearchProblemSpec & { evaluate: (x: number[]) => { objectives: number[]; constraints: number[] } } = {
  variables: [
    { type: 'real', lower: 0, upper: 5 },
    { type: 'real', lower: 0, upper: 3 },
  ],
  objectives: 2,
  constraints: 2,
  evaluate: ([x1, x2]) => ({
    objectives: [4 * x1! ** 2 + 4 * x2! ** 2, (x1! - 5) ** 2 + (x2! - 5) ** 2],
    constraints: [(x1! - 5) ** 2 + x2! ** 2 - 25, 7.7 - (x1! - 8) ** 2 - (x2! + 3) ** 2],
  }),
};

test('constraints: the whole front is feasible and spans the BNH front', async () => {
  const r = await nsga2({ ...bnh, populationSize: 40, offspringSize: 40, generations: 60, seed: 3 });
  assert.ok(r.front.length >= 30, `front of ${r.front.length}`);
  for (const s of r.front) {
    assert.ok(s.feasible && s.constraintViolation === 0);
    assert.ok(s.constraints.every((g) => g <= 0));
    assert.equal(s.rank, 0);
  }
  const f1 = r.front.map((s) => s.objectives[0]!);
  // BNH's front runs from f1 = 0 to about 136
  assert.ok(Math.min(...f1) < 1 && Math.max(...f1) > 120, `f1 from ${Math.min(...f1)} to ${Math.max(...f1)}`);
});

test('no feasible candidate: the front is empty and the population is ordered by violation', async () => {
  const r = await nsga2({
    variables: [{ type: 'real', lower: 0, upper: 1 }],
    objectives: 2,
    constraints: 1,
    evaluate: ([x]) => ({ objectives: [x!, 1 - x!], constraints: [1 + x!] }),
    populationSize: 8,
    offspringSize: 4,
    generations: 10,
    seed: 1,
  });
  assert.deepEqual(r.front, []);
  const cv = r.population.map((s) => s.constraintViolation);
  assert.deepEqual(cv, [...cv].sort((a, b) => a - b));
  assert.ok(r.population.every((s) => !s.feasible && s.rank === -1));
  // selection pressure on the violation alone drives x to 0
  assert.ok(cv[0]! < 1.05, `least violation ${cv[0]}`);
});

async function runAskTell(algorithm: ReturnType<typeof createNSGA2>, evaluate: (x: number[]) => { objectives: number[] }, untilGeneration = Infinity) {
  while (algorithm.hasNext() && algorithm.generation < untilGeneration) {
    const X = algorithm.ask();
    if (X.length === 0) break;
    algorithm.tell(X.map(evaluate));
  }
}

test('a search resumed from a JSON state after generation k ends with exactly the same front', async () => {
  const p = zdt3(12);
  const options = { generations: 40, seed: 21, populationSize: 24, offspringSize: 12 };
  const whole = createNSGA2(p, options);
  await runAskTell(whole, p.evaluate);

  const first = createNSGA2(p, options);
  await runAskTell(first, p.evaluate, 17);
  const saved = JSON.stringify(first.getState());
  const resumed = createNSGA2(p, options);
  resumed.setState(JSON.parse(saved) as SearchState);
  assert.equal(resumed.generation, 17);
  await runAskTell(resumed, p.evaluate);

  assert.deepEqual(resumed.result(), whole.result());
  assert.equal(resumed.evaluations, 24 + 39 * 12);
});

test('a state saved between ask and tell resumes with the same pending batch', async () => {
  const p = zdt1(5);
  const options = { generations: 12, seed: 4, populationSize: 10, offspringSize: 6 };
  const whole = createNSGA2(p, options);
  await runAskTell(whole, p.evaluate);

  const first = createNSGA2(p, options);
  await runAskTell(first, p.evaluate, 6);
  const asked = first.ask();
  const state = JSON.parse(JSON.stringify(first.getState())) as SearchState;
  assert.equal(state.pending?.length, 6);
  const resumed = createNSGA2(p, options);
  resumed.setState(state);
  assert.deepEqual(resumed.ask(), asked);
  resumed.tell(asked.map(p.evaluate));
  await runAskTell(resumed, p.evaluate);
  assert.deepEqual(resumed.result(), whole.result());
});

test('nsga2({ resume }) continues a checkpoint written by onGeneration, and can extend a finished run', async () => {
  const p = zdt2(6);
  const base = { ...p, evaluate: (x: number[]) => p.evaluate(x), populationSize: 10, offspringSize: 5, seed: 8 };
  let checkpoint = '';
  const seen: number[] = [];
  const whole = await nsga2({
    ...base,
    generations: 20,
    onGeneration: (info) => {
      seen.push(info.generation);
      assert.ok(info.front.every((s) => s.rank === 0));
      if (info.generation === 9) checkpoint = JSON.stringify(info.algorithm.getState());
    },
  });
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
  const resumed = await nsga2({ ...base, generations: 20, resume: JSON.parse(checkpoint) as SearchState });
  assert.deepEqual(resumed, whole);

  // a 20-generation run extended to 30 equals a 30-generation run
  let at20 = '';
  await nsga2({ ...base, generations: 20, onGeneration: (info) => void (info.generation === 20 && (at20 = JSON.stringify(info.algorithm.getState()))) });
  const extended = await nsga2({ ...base, generations: 30, resume: JSON.parse(at20) as SearchState });
  assert.deepEqual(extended, await nsga2({ ...base, generations: 30 }));
});

test('a state restores only into a search with the same settings', () => {
  const p = zdt1(5);
  const a = createNSGA2(p, { generations: 5, seed: 1, populationSize: 10 });
  a.tell(a.ask().map(p.evaluate));
  const state = a.getState();
  assert.throws(() => createNSGA2(p, { generations: 5, seed: 1, populationSize: 12 }).setState(state), {
    message: 'Expected populationSize = 12 (as this search is set up) for settings.populationSize of the search state but received 10',
  });
  assert.throws(() => createNSGA2(p, { generations: 5, seed: 2, populationSize: 10 }).setState(state), {
    message: 'Expected seed = 2 (as this search is set up) for settings.seed of the search state but received 1',
  });
  assert.throws(() => createNSGA2(p, { generations: 5, seed: 1, populationSize: 10 }).setState({ ...state, format: 'x' } as unknown as SearchState), {
    message: 'Expected an object with format "mohaq-search-state" for the search state but received "x"',
  });
});

test('golden snapshot: tiny seeded runs give the committed fronts', async () => {
  const golden = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { node: string; runs: { name: string; front: number[][]; evaluations: number }[] };
  const runs = await goldenRuns();
  assert.deepEqual(
    runs,
    golden.runs,
    `fronts differ from the snapshot recorded on Node ${golden.node} (this is ${process.version}); if the search changed on purpose, regenerate with test/search/fixtures/golden.ts --write`,
  );
});

test('invalid options and evaluations are reported with the field, the expectation and the value', async () => {
  const ok = { variables: [{ type: 'real' as const, lower: 0, upper: 1 }], objectives: 2, generations: 2, seed: 1, evaluate: (x: number[]) => ({ objectives: [x[0]!, 1 - x[0]!] }) };
  const rejects = (options: object, message: string | RegExp) => assert.rejects(nsga2({ ...ok, ...options }), { name: 'MohaqError', message });
  await rejects({ variables: [] }, 'Expected a non-empty array of { type, lower, upper } for variables but received an array of 0');
  await rejects({ variables: [{ type: 'real', lower: 0, upper: 1 }, { type: 'real', lower: 2, upper: 1 }] }, 'Expected a finite number >= lower (2) for variables[1].upper but received 1');
  await rejects({ variables: [{ type: 'integer', lower: 0.5, upper: 3 }] }, 'Expected an integer for variables[0].lower but received 0.5');
  await rejects({ variables: [{ type: 'float', lower: 0, upper: 1 }] }, 'Expected "real" or "integer" for variables[0].type but received "float"');
  await rejects({ objectives: 0 }, 'Expected a positive integer (how many objectives) for objectives but received 0');
  await rejects({ generations: 0 }, 'Expected a positive integer for generations but received 0');
  await rejects({ seed: 1.5 }, 'Expected an integer for seed but received 1.5');
  await rejects({ crossover: { prob: 1.5 } }, 'Expected a probability in [0, 1] for crossover.prob but received 1.5');
  await rejects({ mutation: { eta: -1 } }, 'Expected a finite number >= 0 for mutation.eta but received -1');
  await rejects(
    { evaluate: () => ({ objectives: [1] }) },
    /^Expected an array of 2 numbers for objectives of candidate 0 of generation 1 \(x = \[0\.\d+\]\) but received an array of 1$/,
  );
  await rejects({ evaluate: () => ({ objectives: [1, NaN] }) }, /^Expected a finite number for objectives\[1\] of candidate 0 of generation 1 \(x = \[.*\]\) but received NaN$/);
  await rejects(
    { constraints: 1 },
    /^Expected an array of 1 numbers \(g <= 0 is feasible\) for constraints of candidate 0 of generation 1 \(x = \[.*\]\) but received nothing$/,
  );
  const algorithm = createNSGA2(ok, { generations: 2, seed: 1 });
  assert.throws(() => algorithm.tell([]), { message: 'Expected candidates from ask() before tell() but received evaluations with nothing pending' });
  algorithm.ask();
  assert.throws(() => algorithm.tell([]), { message: 'Expected an array of 40 (one per candidate from ask()) for the evaluations given to tell() but received an array of 0' });
});

test('progress: one start, an update per generation with evaluations and front size, one stop', async () => {
  const calls: string[] = [];
  const p = zdt1(4);
  await nsga2({
    ...p,
    evaluate: (x) => p.evaluate(x),
    populationSize: 6,
    offspringSize: 3,
    generations: 3,
    seed: 1,
    progress: {
      start: (total, label) => calls.push(`start ${label} ${total}`),
      update: (done, fields) => calls.push(`update ${done} ${fields?.evaluations} ${typeof fields?.front}`),
      stop: () => calls.push('stop'),
      log: () => {},
    },
  });
  assert.deepEqual(calls, ['start nsga2 3', 'update 1 6 number', 'update 2 9 number', 'update 3 12 number', 'stop']);
});
