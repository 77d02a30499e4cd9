/**
 * Exact hypervolume (all objectives minimized): the measure of the region dominated by the points and
 * bounded by the reference point. Points that do not strictly dominate the reference point add nothing.
 *
 * 2 objectives: one sweep after sorting, O(n log n).
 * 3 objectives: the dimension sweep of Beume, Fonseca et al. (HV3D): points in increasing third
 * objective, the 2-D front of those seen so far kept as a staircase, the volume accumulated slice by
 * slice; O(n log n) searches plus the staircase updates.
 * More objectives: slicing along the last objective down to the 3-D case (exact, but the cost grows
 * as n^(d-2); fine for the fronts of a search, not for thousands of points in 6 dimensions).
 */
import { invalidParameter } from '../../util/errors.js';

export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const d = reference.length;
  if (d === 0 || !reference.every((r) => typeof r === 'number' && !Number.isNaN(r))) {
    throw invalidParameter('the reference point', 'a non-empty array of numbers', reference);
  }
  const kept: number[][] = [];
  points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== d) throw invalidParameter(`points[${i}]`, `an array of ${d} numbers (as the reference point)`, p);
    if (p.every((v, j) => v < reference[j]!)) kept.push(p.slice());
  });
  return hvRecursive(kept, reference as number[]);
}

function hvRecursive(points: number[][], ref: number[]): number {
  const d = ref.length;
  if (points.length === 0) return 0;
  if (d === 1) return ref[0]! - Math.min(...points.map((p) => p[0]!));
  if (d === 2) return hv2d(points, ref);
  if (d === 3) return hv3d(points, ref);
  // slices between consecutive values of the last objective: the (d-1)-D volume of the points below
  const last = d - 1;
  const sorted = [...points].sort((a, b) => a[last]! - b[last]!);
  const refBelow = ref.slice(0, last);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1]![last]! : ref[last]!;
    const height = top - sorted[i]![last]!;
    if (height > 0) volume += height * hvRecursive(sorted.slice(0, i + 1).map((p) => p.slice(0, last)), refBelow);
  }
  return volume;
}

function hv2d(points: number[][], ref: number[]): number {
  const sorted = [...points].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let area = 0;
  let bestY = ref[1]!;
  for (const p of sorted) {
    if (p[1]! < bestY) {
      area += (ref[0]! - p[0]!) * (bestY - p[1]!);
      bestY = p[1]!;
    }
  }
  return area;
}

function hv3d(points: number[][], ref: number[]): number {
  const [rx, ry, rz] = ref as [number, number, number];
  const sorted = [...points].sort((a, b) => a[2]! - b[2]!);
  // the 2-D front of the points seen so far: x strictly increasing, y strictly decreasing
  const xs: number[] = [];
  const ys: number[] = [];
  let area = 0; // of the region the staircase dominates, up to (rx, ry)
  let volume = 0;
  let z = sorted[0]![2]!;
  for (const p of sorted) {
    const [px, py, pz] = p as [number, number, number];
    volume += area * (pz - z);
    z = pz;
    // first staircase point with x > px
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! <= px) lo = mid + 1;
      else hi = mid;
    }
    // the staircase height at px (ry when nothing lies to the left)
    const heightAt = lo > 0 ? ys[lo - 1]! : ry;
    if (heightAt <= py) continue; // dominated (or equal) in x and y: adds nothing
    // walk right over the points p dominates, adding the area between their steps and py
    let end = lo;
    let x = px;
    let h = heightAt;
    while (end < xs.length && ys[end]! >= py) {
      area += (xs[end]! - x) * (h - py);
      x = xs[end]!;
      h = ys[end]!;
      end++;
    }
    const nextX = end < xs.length ? xs[end]! : rx;
    area += (nextX - x) * (h - py);
    // a staircase point exactly at px (and higher) is replaced as well
    const start = lo > 0 && xs[lo - 1] === px ? lo - 1 : lo;
    xs.splice(start, end - start, px);
    ys.splice(start, end - start, py);
  }
  return volume + area * (rz - z);
}
