/**
 * Levenshtein alignment of a hypothesis against a reference with unit costs, reporting how the
 * distance splits into substitutions, deletions (reference tokens missing from the hypothesis) and
 * insertions (extra hypothesis tokens).
 *
 * Among alignments of the same (minimal) distance the one with the most matches, i.e. the fewest
 * substitutions, is reported (as sclite prefers): "a b" against "b a" is one deletion, one match and one
 * insertion rather than two substitutions. The distance itself never depends on this choice.
 */

export interface EditDistance {
  distance: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

/** Edit distance with its S/D/I breakdown. O(len(ref) * len(hyp)) time, O(len(hyp)) memory. */
export function editDistance(ref: ArrayLike<number>, hyp: ArrayLike<number>): EditDistance {
  const n = ref.length;
  const m = hyp.length;
  // Per cell: the cost and breakdown of the best path, ordered by (cost, substitutions); that order is
  // compatible with adding costs along a path, so the row-by-row minimum is the global one.
  let cost = new Int32Array(m + 1);
  let sub = new Int32Array(m + 1);
  let del = new Int32Array(m + 1);
  let ins = new Int32Array(m + 1);
  let nCost = new Int32Array(m + 1);
  let nSub = new Int32Array(m + 1);
  let nDel = new Int32Array(m + 1);
  let nIns = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) {
    cost[j] = j;
    ins[j] = j;
  }
  for (let i = 1; i <= n; i++) {
    nCost[0] = i;
    nSub[0] = 0;
    nDel[0] = i;
    nIns[0] = 0;
    const r = ref[i - 1];
    for (let j = 1; j <= m; j++) {
      const same = r === hyp[j - 1];
      // Diagonal (match or substitution).
      let c = cost[j - 1]! + (same ? 0 : 1);
      let s = sub[j - 1]! + (same ? 0 : 1);
      let d = del[j - 1]!;
      let k = ins[j - 1]!;
      // Deletion: ref token i unmatched (from the cell above).
      const cd = cost[j]! + 1;
      if (cd < c || (cd === c && sub[j]! < s)) {
        c = cd;
        s = sub[j]!;
        d = del[j]! + 1;
        k = ins[j]!;
      }
      // Insertion: hyp token j unmatched (from the cell to the left).
      const ci = nCost[j - 1]! + 1;
      if (ci < c || (ci === c && nSub[j - 1]! < s)) {
        c = ci;
        s = nSub[j - 1]!;
        d = nDel[j - 1]!;
        k = nIns[j - 1]! + 1;
      }
      nCost[j] = c;
      nSub[j] = s;
      nDel[j] = d;
      nIns[j] = k;
    }
    [cost, nCost] = [nCost, cost];
    [sub, nSub] = [nSub, sub];
    [del, nDel] = [nDel, del];
    [ins, nIns] = [nIns, ins];
  }
  return { distance: cost[m]!, substitutions: sub[m]!, deletions: del[m]!, insertions: ins[m]! };
}
