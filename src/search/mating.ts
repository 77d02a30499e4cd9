/**
 * Making offspring (pymoo's `Mating` inside its `InfillCriterion`): select parents, cross, mutate,
 * repair, drop duplicates (within the batch, against the population and against offspring already
 * accepted), and repeat until there are enough new offspring or `maxIterations` rounds have passed.
 * The result can therefore hold fewer offspring than asked for, or none.
 */
import type { Rng } from '../util/rng.js';
import type { Crossover } from './operators/crossover.js';
import type { DuplicateElimination } from './operators/duplicates.js';
import type { Mutation } from './operators/mutation.js';
import type { Repair } from './operators/repair.js';
import type { Selection } from './operators/selection.js';
import type { Population } from './population.js';
import type { SearchProblem } from './problem.js';

export interface MatingOptions {
  selection: Selection;
  crossover: Crossover;
  mutation: Mutation;
  /** Algorithm-level repair, applied after mutation (e.g. mapping invalid genomes to valid ones). */
  repair?: Repair;
  duplicates: DuplicateElimination;
  /** Rounds of mating before giving up on filling the batch (pymoo: 100). */
  maxIterations?: number;
}

export interface Offspring {
  /** (n, nVar) */
  X: Float64Array;
  n: number;
}

export function mate(problem: SearchProblem, pop: Population, nOffspring: number, rng: Rng, options: MatingOptions): Offspring {
  const { nVar } = problem;
  const maxIterations = options.maxIterations ?? 100;
  const X = new Float64Array(nOffspring * nVar);
  let n = 0;
  for (let iteration = 0; n < nOffspring && iteration < maxIterations; iteration++) {
    const remaining = nOffspring - n;
    const nMatings = Math.ceil(remaining / options.crossover.nOffspring);
    const parents = options.selection.select(pop, nMatings, options.crossover.nParents, rng);
    const crossed = options.crossover.cross(problem, pop.X, parents, nMatings, rng);
    const count = nMatings * options.crossover.nOffspring;
    const batch = options.mutation.mutate(problem, crossed, count, rng);
    options.repair?.(problem, batch, count);
    const keep = options.duplicates.keep(batch, count, nVar, [pop.X, X.subarray(0, n * nVar)]);
    for (const i of keep.slice(0, remaining)) {
      X.set(batch.subarray(i * nVar, (i + 1) * nVar), n * nVar);
      n++;
    }
  }
  return { X: X.slice(0, n * nVar), n };
}
