/**
 * Crossover: pymoo's template (`core/crossover.py`) and its simulated binary crossover (`crossover/sbx.py`).
 *
 * The template draws, per mating, whether crossover happens at all (`prob`); matings without crossover
 * pass their parents through unchanged. Offspring come out offspring-major, as pymoo's reshape of its
 * (nOffspring, nMatings, nVar) array: first child of every mating, then the second child of every mating.
 */
import { invalidParameter } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import type { SearchProblem } from '../problem.js';
import type { Repair } from './repair.js';

export interface Crossover {
  readonly nParents: number;
  readonly nOffspring: number;
  /**
   * X: the population's variables (rows); parents: (nMatings, nParents) row indices into X.
   * Returns the offspring X (nOffspring * nMatings, nVar), offspring-major.
   */
  cross(problem: SearchProblem, X: Float64Array, parents: Int32Array, nMatings: number, rng: Rng): Float64Array;
}

/**
 * The recombination itself: from parents[p] (nMatings, nVar) for every parent p, the children (one
 * (nMatings, nVar) array per offspring slot). Computed for every mating; the template keeps only the
 * matings whose crossover was drawn.
 */
export type Recombine = (problem: SearchProblem, parents: Float64Array[], nMatings: number, rng: Rng) => Float64Array[];

export interface ProbabilisticCrossoverOptions {
  nParents: number;
  /** Must equal nParents: matings without crossover copy their parents. */
  nOffspring: number;
  /** Probability that a mating is recombined at all. */
  prob: number;
  recombine: Recombine;
  /** Applied to the offspring (pymoo's operator-level repair, e.g. rounding for integer variables). */
  repair?: Repair;
}

export function probabilisticCrossover(options: ProbabilisticCrossoverOptions): Crossover {
  const { nParents, nOffspring, prob, recombine, repair } = options;
  if (nOffspring !== nParents) throw invalidParameter('nOffspring', `${nParents} (as many offspring as parents)`, nOffspring);
  return {
    nParents,
    nOffspring,
    cross(problem, X, parents, nMatings, rng) {
      const { nVar } = problem;
      // parentX[p]: (nMatings, nVar), the p-th parent of every mating
      const parentX = Array.from({ length: nParents }, (_, p) => {
        const out = new Float64Array(nMatings * nVar);
        for (let k = 0; k < nMatings; k++) {
          const row = parents[k * nParents + p]!;
          out.set(X.subarray(row * nVar, (row + 1) * nVar), k * nVar);
        }
        return out;
      });
      const doCross = new Uint8Array(nMatings);
      let any = false;
      for (let k = 0; k < nMatings; k++) {
        doCross[k] = rng.float() < prob ? 1 : 0;
        if (doCross[k]) any = true;
      }
      const children = any ? recombine(problem, parentX, nMatings, rng) : parentX;
      const out = new Float64Array(nOffspring * nMatings * nVar);
      for (let o = 0; o < nOffspring; o++) {
        for (let k = 0; k < nMatings; k++) {
          const source = doCross[k] ? children[o]! : parentX[o]!;
          out.set(source.subarray(k * nVar, (k + 1) * nVar), (o * nMatings + k) * nVar);
        }
      }
      repair?.(problem, out, nOffspring * nMatings);
      return out;
    },
  };
}

export interface SbxOptions {
  /** Probability that a mating is recombined (pymoo default 0.9). */
  prob?: number;
  /** Distribution index: larger keeps children closer to their parents (pymoo default 15). */
  eta?: number;
  /** Probability that a variable of a recombined mating is crossed (pymoo default 0.5). */
  probVar?: number;
  /** Probability that the two children swap the crossed variable (pymoo default 0.5). */
  probBin?: number;
  repair?: Repair;
}

/** Parents closer than this in a variable are not crossed in it. */
const SBX_EPS = 1e-14;

/** SBX's spread factor for one side: `beta` measures the distance to the bound on that side. */
function sbxBetaQ(beta: number, eta: number, u: number): number {
  const alpha = 2.0 - Math.pow(beta, -(eta + 1.0));
  if (u <= 1.0 / alpha) return Math.pow(u * alpha, 1.0 / (eta + 1.0));
  return Math.pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
}

/**
 * Simulated binary crossover with bounds (Deb and Agrawal), pymoo's variant: each variable crossed with
 * `probVar`, not where the parents are (nearly) equal or the bounds coincide; one uniform draw per crossed
 * variable shapes both children; the children then swap with `probBin`; the result is clamped to bounds.
 */
export function sbx(options: SbxOptions = {}): Crossover {
  const eta = options.eta ?? 15;
  const probVar = options.probVar ?? 0.5;
  const probBin = options.probBin ?? 0.5;
  const recombine: Recombine = (problem, parents, nMatings, rng) => {
    const { nVar, xl, xu } = problem;
    const [P1, P2] = parents as [Float64Array, Float64Array];
    const C1 = P1.slice();
    const C2 = P2.slice();
    // which variables to cross, drawn for all of them first (as pymoo), then disabled where not possible
    const crossed: number[] = [];
    for (let k = 0; k < nMatings * nVar; k++) {
      const draw = rng.float() < probVar;
      const v = k % nVar;
      if (draw && Math.abs(P1[k]! - P2[k]!) > SBX_EPS && xl[v] !== xu[v]) crossed.push(k);
    }
    const u = crossed.map(() => rng.float());
    const swap = crossed.map(() => rng.float() < probBin);
    crossed.forEach((k, t) => {
      const v = k % nVar;
      const p1 = P1[k]!;
      const p2 = P2[k]!;
      const y1 = Math.min(p1, p2);
      const y2 = Math.max(p1, p2);
      const delta = y2 - y1;
      const c1 = 0.5 * (y1 + y2 - sbxBetaQ(1.0 + (2.0 * (y1 - xl[v]!)) / delta, eta, u[t]!) * delta);
      const c2 = 0.5 * (y1 + y2 + sbxBetaQ(1.0 + (2.0 * (xu[v]! - y2)) / delta, eta, u[t]!) * delta);
      // child of parent 1 is the one on its side; the swap draw is xor-ed with the parents' order (pymoo)
      let child1 = p1 < p2 ? c1 : c2;
      let child2 = p1 < p2 ? c2 : c1;
      if (swap[t] !== (p1 > p2)) [child1, child2] = [child2, child1];
      C1[k] = Math.min(Math.max(child1, xl[v]!), xu[v]!);
      C2[k] = Math.min(Math.max(child2, xl[v]!), xu[v]!);
    });
    return [C1, C2];
  };
  return probabilisticCrossover({ nParents: 2, nOffspring: 2, prob: options.prob ?? 0.9, recombine, ...(options.repair ? { repair: options.repair } : {}) });
}
