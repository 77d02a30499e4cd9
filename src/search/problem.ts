/**
 * A search problem is data plus one function: the variables (type and bounds), how many objectives (all
 * minimized) and inequality constraints (g <= 0 is feasible) there are, and `evaluate(x)`. The algorithm
 * itself never calls `evaluate` (it asks for candidates and is told their values), so `evaluate` is optional
 * for ask/tell users.
 */
import { invalidParameter } from '../util/errors.js';

export type VariableType = 'real' | 'integer';

export interface SearchVariable {
  type: VariableType;
  lower: number;
  upper: number;
}

/** What evaluating one candidate gives: `objectives` (minimized) and `constraints` (g <= 0 is feasible). */
export interface CandidateEvaluation {
  objectives: number[];
  constraints?: number[];
}

export type Evaluate = (x: number[]) => CandidateEvaluation | Promise<CandidateEvaluation>;

export interface SearchProblemSpec {
  variables: readonly SearchVariable[];
  /** How many objectives; all are minimized. */
  objectives: number;
  /** How many inequality constraints; g <= 0 is feasible. Default 0. */
  constraints?: number;
  evaluate?: Evaluate;
}

/** A validated problem with its bounds as flat arrays, as the operators use them. */
export interface SearchProblem {
  readonly variables: readonly SearchVariable[];
  readonly nVar: number;
  readonly nObj: number;
  readonly nConstr: number;
  readonly xl: Float64Array;
  readonly xu: Float64Array;
  /** 1 where the variable is an integer. */
  readonly isInteger: Uint8Array;
  readonly evaluate?: Evaluate;
}

export function isSearchProblem(p: SearchProblemSpec | SearchProblem): p is SearchProblem {
  return 'nVar' in p && p.xl instanceof Float64Array;
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

/** Validates a problem description once, at the API edge, so the operators can trust it. */
export function defineProblem(spec: SearchProblemSpec | SearchProblem): SearchProblem {
  if (isSearchProblem(spec)) return spec;
  if (spec === null || typeof spec !== 'object') throw invalidParameter('the problem', 'an object with variables and objectives', spec);
  const { variables } = spec;
  if (!Array.isArray(variables) || variables.length === 0) {
    throw invalidParameter('variables', 'a non-empty array of { type, lower, upper }', variables);
  }
  const nVar = variables.length;
  const xl = new Float64Array(nVar);
  const xu = new Float64Array(nVar);
  const isInteger = new Uint8Array(nVar);
  const copies: SearchVariable[] = [];
  variables.forEach((v: SearchVariable, i) => {
    const name = `variables[${i}]`;
    if (v === null || typeof v !== 'object') throw invalidParameter(name, 'an object { type, lower, upper }', v);
    if (v.type !== 'real' && v.type !== 'integer') throw invalidParameter(`${name}.type`, '"real" or "integer"', v.type);
    const integer = v.type === 'integer';
    const kind = integer ? 'an integer' : 'a finite number';
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && (!integer || Number.isInteger(x));
    if (!ok(v.lower)) throw invalidParameter(`${name}.lower`, kind, v.lower);
    if (!ok(v.upper)) throw invalidParameter(`${name}.upper`, `${kind} >= lower (${v.lower})`, v.upper);
    if (v.upper < v.lower) throw invalidParameter(`${name}.upper`, `${kind} >= lower (${v.lower})`, v.upper);
    xl[i] = v.lower;
    xu[i] = v.upper;
    isInteger[i] = integer ? 1 : 0;
    copies.push({ type: v.type, lower: v.lower, upper: v.upper });
  });
  if (!isCount(spec.objectives, 1)) throw invalidParameter('objectives', 'a positive integer (how many objectives)', spec.objectives);
  const nConstr = spec.constraints ?? 0;
  if (!isCount(nConstr, 0)) throw invalidParameter('constraints', 'a non-negative integer (how many constraints)', spec.constraints);
  if (spec.evaluate !== undefined && typeof spec.evaluate !== 'function') throw invalidParameter('evaluate', 'a function', spec.evaluate);
  const problem: SearchProblem = { variables: copies, nVar, nObj: spec.objectives, nConstr, xl, xu, isInteger };
  return spec.evaluate ? { ...problem, evaluate: spec.evaluate } : problem;
}

/** A short printable x for error messages. */
export function describeX(x: ArrayLike<number>): string {
  const parts = Array.from(x, (v) => String(v));
  return parts.length > 8 ? `[${parts.slice(0, 8).join(', ')}, ...]` : `[${parts.join(', ')}]`;
}

/**
 * Checks one evaluation and writes it into F (nObj values) and G (nConstr values) at the given offsets.
 * `which` names the candidate in the error ("candidate 3 of generation 7 (x = [...])").
 */
export function readEvaluation(
  problem: SearchProblem,
  evaluation: CandidateEvaluation,
  which: string,
  F: Float64Array,
  fOffset: number,
  G: Float64Array,
  gOffset: number,
): void {
  if (evaluation === null || typeof evaluation !== 'object') {
    throw invalidParameter(`the evaluation of ${which}`, 'an object { objectives, constraints }', evaluation);
  }
  const { objectives, constraints } = evaluation;
  if (!Array.isArray(objectives) || objectives.length !== problem.nObj) {
    throw invalidParameter(`objectives of ${which}`, `an array of ${problem.nObj} numbers`, objectives);
  }
  for (let j = 0; j < problem.nObj; j++) {
    const f = objectives[j];
    if (typeof f !== 'number' || !Number.isFinite(f)) throw invalidParameter(`objectives[${j}] of ${which}`, 'a finite number', f);
    F[fOffset + j] = f;
  }
  if (problem.nConstr === 0) {
    if (constraints !== undefined && (!Array.isArray(constraints) || constraints.length !== 0)) {
      throw invalidParameter(`constraints of ${which}`, 'nothing (the problem declares 0 constraints)', constraints);
    }
    return;
  }
  if (!Array.isArray(constraints) || constraints.length !== problem.nConstr) {
    throw invalidParameter(`constraints of ${which}`, `an array of ${problem.nConstr} numbers (g <= 0 is feasible)`, constraints);
  }
  for (let j = 0; j < problem.nConstr; j++) {
    const g = constraints[j];
    if (typeof g !== 'number' || Number.isNaN(g)) throw invalidParameter(`constraints[${j}] of ${which}`, 'a number', g);
    G[gOffset + j] = g;
  }
}
