/**
 * Parent selection by binary tournament (pymoo's `TournamentSelection` with pressure 2): the competitors
 * are read off concatenated random permutations of the population, so every individual competes about
 * equally often; a comparator picks each winner.
 */
import type { Rng } from '../../util/rng.js';
import type { Population } from '../population.js';

export interface Selection {
  /** Parents as (nMatings, nParents) row indices into pop. */
  select(pop: Population, nMatings: number, nParents: number, rng: Rng): Int32Array;
}

/** The index of the winner of a and b. */
export type TournamentComparator = (pop: Population, a: number, b: number, rng: Rng) => number;

export function binaryTournament(compare: TournamentComparator): Selection {
  return {
    select(pop, nMatings, nParents, rng) {
      const nSelect = nMatings * nParents;
      const competitors: number[] = [];
      while (competitors.length < 2 * nSelect) competitors.push(...rng.permutation(pop.size));
      const out = new Int32Array(nSelect);
      for (let s = 0; s < nSelect; s++) out[s] = compare(pop, competitors[2 * s]!, competitors[2 * s + 1]!, rng);
      return out;
    },
  };
}

/**
 * pymoo's `compare`: the better of two by a value (smaller or larger wins); a tie goes to a random one
 * when `randomIfEqual`, otherwise returns -1 (undecided).
 */
export function compareBy(a: number, aValue: number, b: number, bValue: number, better: 'smaller' | 'larger', rng: Rng, randomIfEqual: boolean): number {
  if (aValue !== bValue) {
    const aWins = better === 'smaller' ? aValue < bValue : aValue > bValue;
    return aWins ? a : b;
  }
  if (!randomIfEqual) return -1;
  return rng.float() < 0.5 ? a : b;
}
