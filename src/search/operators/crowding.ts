/**
 * NSGA-II's crowding distance with pymoo's normalization (`calc_crowding_distance`): per objective the
 * gap between a point's neighbours divided by the objective's range on the front, summed over the
 * objectives and divided by their number. The first and last point of each objective's sorted order get
 * an infinite gap; an objective whose values are all equal contributes 0 (even at its boundaries);
 * fronts of at most two points are all infinite.
 */

/**
 * F: (n, m) objectives; members: the rows of one front. Returns the crowding distance of each member,
 * in the order of `members`.
 */
export function crowdingDistance(F: ArrayLike<number>, m: number, members: ArrayLike<number>): Float64Array {
  const n = members.length;
  const cd = new Float64Array(n);
  if (n <= 2) return cd.fill(Infinity);
  const order = new Int32Array(n);
  const values = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < n; k++) {
      order[k] = k;
      values[k] = F[members[k]! * m + j]!;
    }
    // stable (mergesort in pymoo): equal values keep their front order
    order.sort((a, b) => values[a]! - values[b]! || a - b);
    const norm = values[order[n - 1]!]! - values[order[0]!]!;
    for (let s = 0; s < n; s++) {
      const k = order[s]!;
      const v = values[k]!;
      const toLast = s === 0 ? Infinity : v - values[order[s - 1]!]!;
      const toNext = s === n - 1 ? Infinity : values[order[s + 1]!]! - v;
      // an all-equal objective makes both terms NaN (x / 0 with x = 0 or inf), which pymoo counts as 0
      const a = norm === 0 ? 0 : toLast / norm;
      const b = norm === 0 ? 0 : toNext / norm;
      cd[k] += (Number.isNaN(a) ? 0 : a) + (Number.isNaN(b) ? 0 : b);
    }
  }
  for (let k = 0; k < n; k++) cd[k] = cd[k]! / m;
  return cd;
}
