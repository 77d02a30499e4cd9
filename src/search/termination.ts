/**
 * When a search stops. A criterion reports progress in [0, 1] from the algorithm's counters alone, so it
 * holds no state of its own and a resumed run needs nothing but the counters. Generations count as in
 * pymoo: the evaluated initial population is generation 1.
 */
import { invalidParameter } from '../util/errors.js';

export interface SearchStatus {
  /** Generations completed (1 after the initial population is evaluated). */
  generation: number;
  /** Candidates evaluated so far. */
  evaluations: number;
}

export interface Termination {
  /** Progress in [0, 1]; the search stops at 1. */
  progress(status: SearchStatus): number;
  /** A short description for logs and states ("60 generations"). */
  readonly description: string;
}

export function maxGenerations(n: number): Termination {
  if (!Number.isInteger(n) || n < 1) throw invalidParameter('generations', 'a positive integer', n);
  return { progress: (s) => Math.min(1, s.generation / n), description: `${n} generations` };
}

export function maxEvaluations(n: number): Termination {
  if (!Number.isInteger(n) || n < 1) throw invalidParameter('evaluations', 'a positive integer', n);
  return { progress: (s) => Math.min(1, s.evaluations / n), description: `${n} evaluations` };
}

/** Stops as soon as any criterion does. */
export function terminateOnAny(...criteria: Termination[]): Termination {
  return {
    progress: (s) => Math.max(...criteria.map((c) => c.progress(s))),
    description: criteria.map((c) => c.description).join(' or '),
  };
}
