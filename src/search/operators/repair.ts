/**
 * Repairs change candidates in place so they are valid for the problem. Integer variables are handled as
 * pymoo does: the operators work on reals, then `roundingRepair` rounds (half to even, as numpy's
 * `around`); real variables are left alone, so the same operators serve mixed problems.
 */
import type { SearchProblem } from '../problem.js';

/** Repairs the n rows of X (n, nVar) in place. */
export type Repair = (problem: SearchProblem, X: Float64Array, n: number) => void;

/** Round half to even (numpy's `around`), so x.5 does not drift upwards. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Rounds the integer variables; bounds of integer variables are integers, so rounding stays inside. */
export const roundingRepair: Repair = (problem, X, n) => {
  const { nVar, isInteger } = problem;
  for (let i = 0; i < n; i++) {
    for (let v = 0; v < nVar; v++) {
      if (isInteger[v]) X[i * nVar + v] = roundHalfEven(X[i * nVar + v]!);
    }
  }
};

/** Clamps every variable into [lower, upper]. */
export const clampRepair: Repair = (problem, X, n) => {
  const { nVar, xl, xu } = problem;
  for (let i = 0; i < n; i++) {
    for (let v = 0; v < nVar; v++) {
      const k = i * nVar + v;
      if (X[k]! < xl[v]!) X[k] = xl[v]!;
      else if (X[k]! > xu[v]!) X[k] = xu[v]!;
    }
  }
};

/** Applies several repairs in order. */
export function chainRepairs(...repairs: Repair[]): Repair {
  return (problem, X, n) => {
    for (const r of repairs) r(problem, X, n);
  };
}
