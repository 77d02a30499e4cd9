/**
 * Survival: NSGA-II's rank-and-crowding selection with pymoo's constraint handling (`core/survival.py`,
 * `survival/rank_and_crowding`). Feasible individuals always come first: they are ranked by
 * non-dominated sorting and the front that does not fit entirely is cut by crowding distance (ties broken
 * at random). Remaining places go to infeasible individuals by increasing constraint violation.
 */
import type { Rng } from '../../util/rng.js';
import { nonDominatedSort } from '../dominance.js';
import type { Population } from '../population.js';
import { crowdingDistance } from './crowding.js';

export interface Survival {
  /** The nSurvive individuals (at most pop.size) that go on, with rank and crowding set. */
  survive(pop: Population, nSurvive: number, rng: Rng): Population;
}

/** Indices sorted by descending value; ties in random order (pymoo's `randomized_argsort`). */
function randomizedArgsortDescending(values: Float64Array, rng: Rng): number[] {
  const order = rng.permutation(values.length);
  // stable ascending sort of the shuffled indices, then reversed
  const ascending = order.map((idx, pos) => ({ idx, pos })).sort((a, b) => values[a.idx]! - values[b.idx]! || a.pos - b.pos);
  return ascending.map((e) => e.idx).reverse();
}

/** Ranks `members` (rows of pop) and returns up to n of them; writes rank and crowding into pop. */
function rankAndCrowd(pop: Population, members: number[], n: number, rng: Rng): number[] {
  const m = pop.nObj;
  // objectives of the members only: (members.length, m)
  const F = new Float64Array(members.length * m);
  members.forEach((row, k) => F.set(pop.F.subarray(row * m, (row + 1) * m), k * m));
  const fronts = nonDominatedSort(F, members.length, m, n);
  const survivors: number[] = [];
  fronts.forEach((front, rank) => {
    const cd = crowdingDistance(F, m, front);
    let chosen = front.map((_, k) => k);
    if (survivors.length + front.length > n) {
      const nRemove = survivors.length + front.length - n;
      chosen = randomizedArgsortDescending(cd, rng).slice(0, front.length - nRemove);
    }
    front.forEach((k, j) => {
      pop.rank[members[k]!] = rank;
      pop.crowding[members[k]!] = cd[j]!;
    });
    for (const j of chosen) survivors.push(members[front[j]!]!);
  });
  return survivors;
}

export const rankAndCrowdingSurvival: Survival = {
  survive(pop, nSurvive, rng) {
    const n = Math.min(nSurvive, pop.size);
    const feasible: number[] = [];
    const infeasible: number[] = [];
    for (let i = 0; i < pop.size; i++) {
      if (pop.isFeasible(i)) feasible.push(i);
      else infeasible.push(i);
    }
    // infeasible individuals carry no rank; sorted (stably) by their violation
    for (const i of infeasible) {
      pop.rank[i] = -1;
      pop.crowding[i] = NaN;
    }
    infeasible.sort((a, b) => pop.CV[a]! - pop.CV[b]! || a - b);
    const survivors = feasible.length > 0 ? rankAndCrowd(pop, feasible, Math.min(feasible.length, n), rng) : [];
    for (let k = 0; survivors.length < n; k++) survivors.push(infeasible[k]!);
    return pop.take(survivors);
  },
};
