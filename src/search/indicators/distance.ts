/**
 * Distance-based quality indicators against a reference front (typically the analytic Pareto front),
 * as pymoo defines them, without normalization:
 * - IGD: the mean, over the reference points, of the Euclidean distance to the nearest solution;
 * - GD: the mean, over the solutions, of the distance to the nearest reference point;
 * - IGD+: as IGD with only the amounts by which a solution is worse than the reference point counted
 *   (weakly Pareto compliant).
 */
import { invalidParameter } from '../../util/errors.js';

type Points = readonly (readonly number[])[];

function check(front: Points, reference: Points): number {
  if (!Array.isArray(reference) || reference.length === 0) throw invalidParameter('the reference front', 'a non-empty array of points', reference);
  if (!Array.isArray(front) || front.length === 0) throw invalidParameter('the front', 'a non-empty array of points', front);
  const m = reference[0]!.length;
  reference.forEach((p, i) => {
    if (p.length !== m) throw invalidParameter(`reference front point ${i}`, `${m} coordinates`, p);
  });
  front.forEach((p, i) => {
    if (p.length !== m) throw invalidParameter(`front point ${i}`, `${m} coordinates (as the reference front)`, p);
  });
  return m;
}

/** Mean over `from` of the distance to the nearest point of `to`. */
function meanNearest(from: Points, to: Points, m: number, plus: boolean): number {
  let total = 0;
  for (const a of from) {
    let best = Infinity;
    for (const b of to) {
      let s = 0;
      for (let j = 0; j < m; j++) {
        // IGD+: only how much the solution b is worse than the reference point a
        const d = plus ? Math.max(b[j]! - a[j]!, 0) : a[j]! - b[j]!;
        s += d * d;
      }
      if (s < best) best = s;
    }
    total += Math.sqrt(best);
  }
  return total / from.length;
}

export function igd(front: Points, referenceFront: Points): number {
  return meanNearest(referenceFront, front, check(front, referenceFront), false);
}

export function gd(front: Points, referenceFront: Points): number {
  return meanNearest(front, referenceFront, check(front, referenceFront), false);
}

export function igdPlus(front: Points, referenceFront: Points): number {
  return meanNearest(referenceFront, front, check(front, referenceFront), true);
}
