/**
 * Initial sampling: uniform within the bounds, per variable type as pymoo's `FloatRandomSampling` (real
 * variables) and `IntegerRandomSampling` (integers drawn uniformly from lower..upper inclusive).
 */
import type { Rng } from '../../util/rng.js';
import type { SearchProblem } from '../problem.js';

export interface Sampling {
  /** n candidates as X (n, nVar). */
  sample(problem: SearchProblem, n: number, rng: Rng): Float64Array;
}

export const randomSampling: Sampling = {
  sample(problem, n, rng) {
    const { nVar, xl, xu, isInteger } = problem;
    const X = new Float64Array(n * nVar);
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < nVar; v++) {
        X[i * nVar + v] = isInteger[v] ? rng.intBetween(xl[v]!, xu[v]!) : xl[v]! + (xu[v]! - xl[v]!) * rng.float();
      }
    }
    return X;
  },
};

/**
 * Starts from given candidates (as many as fit), the rest drawn by `rest`: e.g. the uniform genomes of a
 * quantization search (all-2, all-4, ...), which anchor both ends of the front and give a constrained
 * search feasible points from the first generation.
 */
export function seededSampling(seeds: readonly (readonly number[])[], rest: Sampling = randomSampling): Sampling {
  return {
    sample(problem, n, rng) {
      const X = rest.sample(problem, n, rng);
      seeds.slice(0, n).forEach((s, i) => {
        if (s.length !== problem.nVar) throw new Error(`seed ${i} has ${s.length} variables, the problem ${problem.nVar}`);
        X.set(s, i * problem.nVar);
      });
      return X;
    },
  };
}
