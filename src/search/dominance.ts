/**
 * Pareto dominance (all objectives minimized), fast non-dominated sorting and a non-dominated filter.
 * F is always a flat (n, m) row-major array of objective values.
 */

/** 1 if row a dominates row b, -1 if b dominates a, 0 if neither (equal rows included). */
export function dominanceRelation(F: ArrayLike<number>, a: number, b: number, m: number): -1 | 0 | 1 {
  let rel: -1 | 0 | 1 = 0;
  const oa = a * m;
  const ob = b * m;
  for (let j = 0; j < m; j++) {
    const fa = F[oa + j]!;
    const fb = F[ob + j]!;
    if (fa < fb) {
      if (rel === -1) return 0;
      rel = 1;
    } else if (fb < fa) {
      if (rel === 1) return 0;
      rel = -1;
    }
  }
  return rel;
}

/**
 * Deb's fast non-dominated sort: the fronts (each listed by ascending index), first front first. Sorting
 * stops once at least `stopAfter` individuals are ranked (survival needs no more fronts than that).
 */
export function nonDominatedSort(F: ArrayLike<number>, n: number, m: number, stopAfter = n): number[][] {
  const dominatedBy = new Int32Array(n); // how many individuals dominate i
  const dominates: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const rel = dominanceRelation(F, i, j, m);
      if (rel === 1) {
        dominates[i]!.push(j);
        dominatedBy[j]!++;
      } else if (rel === -1) {
        dominates[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  let ranked = 0;
  while (current.length > 0) {
    fronts.push(current);
    ranked += current.length;
    if (ranked >= stopAfter) break;
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominates[i]!) {
        if (--dominatedBy[j]! === 0) next.push(j);
      }
    }
    next.sort((a, b) => a - b);
    current = next;
  }
  return fronts;
}

/**
 * Indices (ascending) of the points that no other point dominates. Equal points do not dominate each
 * other, so duplicates on the front are all kept. O(n log n) for two objectives, O(m n^2) otherwise.
 */
export function nonDominated(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  if (n === 0) return [];
  const m = points[0]!.length;
  if (m === 2) return nonDominated2d(points);
  const F = new Float64Array(n * m);
  points.forEach((p, i) => F.set(p, i * m));
  const keep: number[] = [];
  outer: for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j !== i && dominanceRelation(F, j, i, m) === 1) continue outer;
    }
    keep.push(i);
  }
  return keep;
}

function nonDominated2d(points: readonly (readonly number[])[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a]![0]! - points[b]![0]! || points[a]![1]! - points[b]![1]!);
  const keep: number[] = [];
  // best f2 among the points sorted before the current group of identical points
  let bestBefore = Infinity;
  let k = 0;
  while (k < order.length) {
    const p = points[order[k]!]!;
    let end = k + 1;
    while (end < order.length && points[order[end]!]![0] === p[0] && points[order[end]!]![1] === p[1]) end++;
    if (p[1]! < bestBefore) for (let t = k; t < end; t++) keep.push(order[t]!);
    if (p[1]! < bestBefore) bestBefore = p[1]!;
    k = end;
  }
  return keep.sort((a, b) => a - b);
}
