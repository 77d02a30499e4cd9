/**
 * The ZDT test problems (Zitzler, Deb and Thiele 2000) with their analytic Pareto fronts, for checking
 * and benchmarking the search. Two objectives, real variables in [0, 1], 30 of them by default.
 */
import { invalidParameter } from '../../util/errors.js';
import { nonDominated } from '../dominance.js';
import type { CandidateEvaluation, SearchVariable } from '../problem.js';

/** A test problem with a known Pareto front. */
export interface BenchmarkProblem {
  readonly name: string;
  readonly variables: SearchVariable[];
  readonly objectives: number;
  readonly constraints?: number;
  evaluate(x: number[]): CandidateEvaluation;
  /** Points on the analytic Pareto front; `n` sets the density (its meaning is given per problem). */
  paretoFront(n?: number): number[][];
}

function realVariables(n: number, lower = 0, upper = 1): SearchVariable[] {
  return Array.from({ length: n }, () => ({ type: 'real' as const, lower, upper }));
}

function checkVariableCount(name: string, nVar: number, min: number): void {
  if (!Number.isInteger(nVar) || nVar < min) throw invalidParameter(`the number of variables of ${name}`, `an integer >= ${min}`, nVar);
}

/** g(x) = 1 + 9 * mean(x[1..]). */
function zdtG(x: number[]): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += x[i]!;
  return 1 + (9.0 / (x.length - 1)) * s;
}

function linspace(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : i / (n - 1)));
}

function zdt(name: string, nVar: number, h: (f1: number, g: number) => number, front: (n: number) => number[][]): BenchmarkProblem {
  checkVariableCount(name, nVar, 2);
  return {
    name,
    variables: realVariables(nVar),
    objectives: 2,
    evaluate(x) {
      const f1 = x[0]!;
      const g = zdtG(x);
      return { objectives: [f1, g * h(f1, g)] };
    },
    paretoFront: (n = 1000) => front(n),
  };
}

/** Convex front f2 = 1 - sqrt(f1); `n` points evenly spaced in f1. */
export function zdt1(nVar = 30): BenchmarkProblem {
  return zdt('ZDT1', nVar, (f1, g) => 1 - Math.sqrt(f1 / g), (n) => linspace(n).map((f1) => [f1, 1 - Math.sqrt(f1)]));
}

/** Concave front f2 = 1 - f1^2; `n` points evenly spaced in f1. */
export function zdt2(nVar = 30): BenchmarkProblem {
  return zdt('ZDT2', nVar, (f1, g) => 1 - (f1 / g) ** 2, (n) => linspace(n).map((f1) => [f1, 1 - f1 * f1]));
}

/**
 * Disconnected front: the non-dominated part of f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) (five pieces);
 * `n` is the number of evenly spaced f1 samples before the dominated ones are removed (about a quarter
 * remain).
 */
export function zdt3(nVar = 30): BenchmarkProblem {
  const curve = (f1: number) => 1 - Math.sqrt(f1) - f1 * Math.sin(10 * Math.PI * f1);
  return zdt(
    'ZDT3',
    nVar,
    (f1, g) => 1 - Math.sqrt(f1 / g) - (f1 / g) * Math.sin(10 * Math.PI * f1),
    (n) => {
      const points = linspace(n).map((f1) => [f1, curve(f1)]);
      return nonDominated(points).map((i) => points[i]!);
    },
  );
}
