/**
 * Duplicate elimination (pymoo's `DefaultDuplicateElimination`): a candidate is a duplicate when its
 * Euclidean distance in variable space to an earlier candidate of the same batch, or to any row of the
 * given other sets (the population, offspring already accepted), is at most epsilon (1e-16).
 */

export interface DuplicateElimination {
  /** Indices (ascending) of the rows of X (n, nVar) to keep. others: row sets X (k, nVar) to compare against. */
  keep(X: Float64Array, n: number, nVar: number, others: readonly Float64Array[]): number[];
}

export function distanceDuplicateElimination(epsilon = 1e-16): DuplicateElimination {
  // partial sums above this are certainly farther than epsilon (sqrt rounding aside)
  const cutoff = 4 * epsilon * epsilon;
  const within = (A: Float64Array, i: number, B: Float64Array, j: number, nVar: number): boolean => {
    let s = 0;
    for (let v = 0; v < nVar; v++) {
      const d = A[i * nVar + v]! - B[j * nVar + v]!;
      s += d * d;
      if (s > cutoff) return false;
    }
    return Math.sqrt(s) <= epsilon;
  };
  return {
    keep(X, n, nVar, others) {
      const kept: number[] = [];
      candidates: for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) if (within(X, i, X, j, nVar)) continue candidates;
        for (const O of others) {
          const rows = O.length / nVar;
          for (let j = 0; j < rows; j++) if (within(X, i, O, j, nVar)) continue candidates;
        }
        kept.push(i);
      }
      return kept;
    },
  };
}

/** Keeps every candidate. */
export const noDuplicateElimination: DuplicateElimination = {
  keep(_X, n) {
    return Array.from({ length: n }, (_, i) => i);
  },
};
