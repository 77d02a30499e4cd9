/**
 * NSGA-II speed: a whole ZDT1 run (30 variables, population 100, 100 offspring, 250 generations =
 * 25,000 evaluations), the search's own cost per generation (ask + tell, evaluation excluded), and the
 * exact hypervolume on fronts of typical and large size.
 */
import { measure, report, type Measurement } from './harness.js';
import { Rng } from '../src/util/rng.js';
import { createNSGA2, hypervolume, nsga2, zdt1, type SearchProblemSpec } from '../src/search/index.js';

const zdt = zdt1(30);

/** Runs ask/tell to the end; returns the seconds spent outside evaluation. */
function searchOnly(problem: SearchProblemSpec & { evaluate: (x: number[]) => { objectives: number[] } }, options: Parameters<typeof createNSGA2>[1]): number {
  const algorithm = createNSGA2(problem, options);
  let inSearch = 0;
  for (;;) {
    const t0 = performance.now();
    const X = algorithm.ask();
    inSearch += performance.now() - t0;
    if (X.length === 0) break;
    const evaluations = X.map(problem.evaluate);
    const t1 = performance.now();
    algorithm.tell(evaluations);
    inSearch += performance.now() - t1;
    if (!algorithm.hasNext()) break;
  }
  return inSearch / 1000;
}

/** A measurement of the search-only time per generation over `repeats` runs. */
function perGeneration(name: string, run: () => number, generations: number, repeats = 5): Measurement {
  run();
  const times = Array.from({ length: repeats }, () => run() / generations).sort((a, b) => a - b);
  return { name, median: times[repeats >> 1]!, min: times[0]!, max: times[repeats - 1]!, runs: repeats };
}

const bitfusionLike = {
  variables: Array.from({ length: 16 }, () => ({ type: 'integer' as const, lower: 0, upper: 3 })),
  objectives: 2,
  constraints: 1,
  evaluate: (x: number[]) => ({
    objectives: [x.reduce((a, b) => a + (3 - b) ** 2, 0), -x.reduce((a, b) => a + b, 0)],
    constraints: [x.reduce((a, b) => a + b, 0) - 40],
  }),
};

const rng = new Rng(1);
const sphereFront = (n: number, d: number) =>
  Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => rng.float());
    const r = Math.hypot(...v);
    return v.map((x) => x / r);
  });
const front2 = sphereFront(10_000, 2);
const front3 = sphereFront(100, 3);
const front3big = sphereFront(2_000, 3);
const front4 = sphereFront(100, 4);

const rows: Measurement[] = [
  await measure('ZDT1 full run: pop 100, 100 offspring, 250 gen (25,000 evaluations)', () =>
    nsga2({ ...zdt, evaluate: (x) => zdt.evaluate(x), populationSize: 100, offspringSize: 100, generations: 250, seed: 1 }), { target: 'quick (< 1 s)' }),
  perGeneration('search only, per generation: ZDT1 pop 100 + 100 offspring', () =>
    searchOnly(zdt, { populationSize: 100, offspringSize: 100, generations: 250, seed: 1 }), 250),
  perGeneration('search only, per generation: 16 integer genes, pop 40 + 10 offspring (papers)', () =>
    searchOnly(bitfusionLike, { generations: 60, seed: 1, crossover: { prob: 1, eta: 3 }, mutation: { eta: 3 } }), 60, 9),
  await measure('hypervolume 2-D, 10,000 points', () => hypervolume(front2, [1.1, 1.1]), { repeats: 9 }),
  await measure('hypervolume 3-D, 100 points', () => hypervolume(front3, [1.1, 1.1, 1.1]), { repeats: 9 }),
  await measure('hypervolume 3-D, 2,000 points', () => hypervolume(front3big, [1.1, 1.1, 1.1]), { repeats: 9 }),
  await measure('hypervolume 4-D, 100 points', () => hypervolume(front4, [1.1, 1.1, 1.1, 1.1]), { repeats: 5 }),
];
report('NSGA-II (src/search)', rows);
