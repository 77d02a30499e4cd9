/**
 * A population as flat arrays, one row per individual. Survival writes `rank` and `crowding`; they are
 * carried along when individuals are taken into the next population (the binary tournament reads them).
 */
import type { SearchProblem } from './problem.js';

/** One individual as the public results show it. */
export interface Solution {
  x: number[];
  objectives: number[];
  constraints: number[];
  /** Sum of the positive parts of the constraints (0 when feasible). */
  constraintViolation: number;
  feasible: boolean;
  /** Non-domination rank among the feasible individuals (0 = first front); -1 for infeasible ones. */
  rank: number;
  /** Crowding distance within its front (Infinity at the boundaries); NaN when not ranked. */
  crowding: number;
}

export class Population {
  readonly size: number;
  readonly nVar: number;
  readonly nObj: number;
  readonly nConstr: number;
  // X: (size, nVar), F: (size, nObj), G: (size, nConstr), CV/rank/crowding: (size)
  readonly X: Float64Array;
  readonly F: Float64Array;
  readonly G: Float64Array;
  readonly CV: Float64Array;
  readonly rank: Int32Array;
  readonly crowding: Float64Array;

  constructor(problem: Pick<SearchProblem, 'nVar' | 'nObj' | 'nConstr'>, size: number) {
    this.size = size;
    this.nVar = problem.nVar;
    this.nObj = problem.nObj;
    this.nConstr = problem.nConstr;
    this.X = new Float64Array(size * this.nVar);
    this.F = new Float64Array(size * this.nObj);
    this.G = new Float64Array(size * this.nConstr);
    this.CV = new Float64Array(size);
    this.rank = new Int32Array(size).fill(-1);
    this.crowding = new Float64Array(size).fill(NaN);
  }

  /** Recomputes CV from G: the sum of max(0, g) (pymoo's default, no equality constraints). */
  updateViolation(): void {
    const { nConstr, G, CV } = this;
    for (let i = 0; i < this.size; i++) {
      let cv = 0;
      for (let j = 0; j < nConstr; j++) {
        const g = G[i * nConstr + j]!;
        if (g > 0) cv += g;
      }
      CV[i] = cv;
    }
  }

  isFeasible(i: number): boolean {
    return this.CV[i]! <= 0;
  }

  /** A new population with the given rows, in the given order (rank and crowding included). */
  take(indices: ArrayLike<number>): Population {
    const out = new Population(this, indices.length);
    const { nVar, nObj, nConstr } = this;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      out.X.set(this.X.subarray(i * nVar, (i + 1) * nVar), k * nVar);
      out.F.set(this.F.subarray(i * nObj, (i + 1) * nObj), k * nObj);
      out.G.set(this.G.subarray(i * nConstr, (i + 1) * nConstr), k * nConstr);
      out.CV[k] = this.CV[i]!;
      out.rank[k] = this.rank[i]!;
      out.crowding[k] = this.crowding[i]!;
    }
    return out;
  }

  static merge(a: Population, b: Population): Population {
    const out = new Population(a, a.size + b.size);
    out.X.set(a.X);
    out.X.set(b.X, a.X.length);
    out.F.set(a.F);
    out.F.set(b.F, a.F.length);
    out.G.set(a.G);
    out.G.set(b.G, a.G.length);
    out.CV.set(a.CV);
    out.CV.set(b.CV, a.size);
    out.rank.set(a.rank);
    out.rank.set(b.rank, a.size);
    out.crowding.set(a.crowding);
    out.crowding.set(b.crowding, a.size);
    return out;
  }

  x(i: number): number[] {
    return Array.from(this.X.subarray(i * this.nVar, (i + 1) * this.nVar));
  }

  solution(i: number): Solution {
    return {
      x: this.x(i),
      objectives: Array.from(this.F.subarray(i * this.nObj, (i + 1) * this.nObj)),
      constraints: Array.from(this.G.subarray(i * this.nConstr, (i + 1) * this.nConstr)),
      constraintViolation: this.CV[i]!,
      feasible: this.isFeasible(i),
      rank: this.rank[i]!,
      crowding: this.crowding[i]!,
    };
  }

  solutions(): Solution[] {
    return Array.from({ length: this.size }, (_, i) => this.solution(i));
  }
}
