/**
 * Mutation: pymoo's polynomial mutation (`mutation/pm.py`, Deb and Goyal's bounded variant).
 */
import type { Rng } from '../../util/rng.js';
import type { SearchProblem } from '../problem.js';
import type { Repair } from './repair.js';

export interface Mutation {
  /** Returns the mutated copy of the n rows of X (n, nVar). */
  mutate(problem: SearchProblem, X: Float64Array, n: number, rng: Rng): Float64Array;
}

export interface PmOptions {
  /** Distribution index: larger keeps mutants closer to the original (pymoo default 20). */
  eta?: number;
  /** Probability that a variable is mutated; default 1 / (number of variables). */
  prob?: number;
  /**
   * Probability that an individual is mutated at all. Default 1, as the pymoo 0.4 that the MOHAQ papers
   * used; pymoo 0.6's `PM` defaults to 0.9.
   */
  individualProb?: number;
  repair?: Repair;
}

/**
 * Polynomial mutation within bounds: each variable mutated with `prob` (not where the bounds coincide);
 * the perturbation's spread shrinks near the bounds so the mutant stays inside.
 */
export function pm(options: PmOptions = {}): Mutation {
  const eta = options.eta ?? 20;
  const individualProb = options.individualProb ?? 1;
  return {
    mutate(problem, X, n, rng) {
      const { nVar, xl, xu } = problem;
      const probVar = options.prob ?? 1 / nVar;
      const Y = X.slice(0, n * nVar);
      const mutated: number[] = [];
      for (let k = 0; k < n * nVar; k++) {
        const draw = rng.float() < probVar;
        if (draw && xl[k % nVar] !== xu[k % nVar]) mutated.push(k);
      }
      const mutPow = 1.0 / (eta + 1.0);
      for (const k of mutated) {
        const v = k % nVar;
        const lo = xl[v]!;
        const hi = xu[v]!;
        const x = Y[k]!;
        const u = rng.float();
        let deltaq: number;
        if (u <= 0.5) {
          const xy = 1.0 - (x - lo) / (hi - lo);
          const val = 2.0 * u + (1.0 - 2.0 * u) * Math.pow(xy, eta + 1.0);
          deltaq = Math.pow(val, mutPow) - 1.0;
        } else {
          const xy = 1.0 - (hi - x) / (hi - lo);
          const val = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * Math.pow(xy, eta + 1.0);
          deltaq = 1.0 - Math.pow(val, mutPow);
        }
        Y[k] = Math.min(Math.max(x + deltaq * (hi - lo), lo), hi);
      }
      // whole individuals that keep their original values (pymoo draws this after the mutation itself)
      for (let i = 0; i < n; i++) {
        if (!(rng.float() <= individualProb)) Y.set(X.subarray(i * nVar, (i + 1) * nVar), i * nVar);
      }
      options.repair?.(problem, Y, n);
      return Y;
    },
  };
}
