/**
 * DTLZ2 (Deb, Thiele, Laumanns and Zitzler 2002): any number of objectives, real variables in [0, 1];
 * the Pareto front is the part of the unit sphere in the positive orthant.
 */
import { invalidParameter } from '../../util/errors.js';
import type { BenchmarkProblem } from './zdt.js';

/**
 * Das and Dennis's evenly spread points on the unit simplex: every vector of `m` non-negative multiples
 * of 1/partitions that sum to 1; C(partitions + m - 1, m - 1) of them.
 */
export function dasDennis(m: number, partitions: number): number[][] {
  if (!Number.isInteger(m) || m < 1) throw invalidParameter('the number of objectives', 'a positive integer', m);
  if (!Number.isInteger(partitions) || partitions < 1) throw invalidParameter('partitions', 'a positive integer', partitions);
  const out: number[][] = [];
  const parts = new Array<number>(m).fill(0);
  const fill = (j: number, left: number): void => {
    if (j === m - 1) {
      parts[j] = left;
      out.push(parts.map((p) => p / partitions));
      return;
    }
    for (let k = 0; k <= left; k++) {
      parts[j] = k;
      fill(j + 1, left - k);
    }
  };
  fill(0, partitions);
  return out;
}

/**
 * nObj objectives, nObj + k - 1 variables (k = 10 by default, 12 variables for 3 objectives).
 * `paretoFront(n)` gives the Das-Dennis points with n partitions, projected onto the sphere.
 */
export function dtlz2(nObj = 3, k = 10): BenchmarkProblem {
  if (!Number.isInteger(nObj) || nObj < 2) throw invalidParameter('the number of objectives of DTLZ2', 'an integer >= 2', nObj);
  if (!Number.isInteger(k) || k < 1) throw invalidParameter('k of DTLZ2', 'a positive integer', k);
  const nVar = nObj + k - 1;
  return {
    name: 'DTLZ2',
    variables: Array.from({ length: nVar }, () => ({ type: 'real' as const, lower: 0, upper: 1 })),
    objectives: nObj,
    evaluate(x) {
      let g = 0;
      for (let i = nObj - 1; i < nVar; i++) g += (x[i]! - 0.5) ** 2;
      const f: number[] = [];
      for (let i = 0; i < nObj; i++) {
        let v = 1 + g;
        for (let j = 0; j < nObj - 1 - i; j++) v *= Math.cos((x[j]! * Math.PI) / 2);
        if (i > 0) v *= Math.sin((x[nObj - 1 - i]! * Math.PI) / 2);
        f.push(v);
      }
      return { objectives: f };
    },
    paretoFront(n = 40) {
      return dasDennis(nObj, n).map((w) => {
        const norm = Math.hypot(...w);
        return w.map((v) => v / norm);
      });
    },
  };
}
