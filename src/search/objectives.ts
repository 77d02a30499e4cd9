/**
 * From a genome's metrics to what NSGA-II minimises and to the normalised space the hypervolume is
 * measured in.
 *
 * Objectives are all minimised: error, -speedup, energy, memory, -compression, -eliminated operations.
 * Constraints are normalised, g = value / limit - 1 (<= 0 is feasible), so memory (bytes) and error
 * (percent) weigh alike in the constraint violation.
 *
 * Hypervolume space: every objective mapped to [0, 1] with 1 the worst (error / 100; 1 - s / sMax for
 * speedup; E / E(all-16) for energy; M / M(all-16) for memory; 1 - c / cMax for compression; 1 - e for
 * eliminated operations), reference point (1, ..., 1). The same mapping serves every generation and the
 * exhaustive front, so their hypervolumes compare directly.
 */
import { MohaqError } from '../util/errors.js';
import type { MetricName, ObjectiveName } from './run-format.js';
import { OBJECTIVE_METRIC } from './run-format.js';

export interface GenomeMetrics {
  /** PER in percent. */
  error: number;
  speedup: number;
  /** pJ per frame; null on platforms without an energy model. */
  energy: number | null;
  memoryBytes: number;
  compression: number;
  eliminatedOps?: number;
}

export interface Constraints {
  maxMemoryBytes?: number;
  maxError?: number;
}

/** The scales of the normalised (hypervolume) space. */
export interface ObjectiveScales {
  /** Speedup of the cheapest genome. */
  maxSpeedup: number;
  /** Energy of all-16 (pJ/frame), or null without an energy model. */
  energyAll16: number | null;
  /** Memory of all-16 (bytes). */
  memoryAll16: number;
  /** Compression of the smallest genome. */
  maxCompression: number;
}

export const OBJECTIVE_NAMES: readonly ObjectiveName[] = ['error', 'speedup', 'energy', 'memory', 'compression', 'eliminated'];

function metricValue(m: GenomeMetrics, metric: MetricName): number {
  const v = metric === 'energy' ? m.energy : m[metric];
  if (v === null || v === undefined) throw new MohaqError('INVALID_ARGUMENT', `the objective ${metric} is not available for this platform or search (no ${metric} figure)`);
  return v;
}

/** The minimised objective vector of a genome. */
export function objectiveVector(objectives: readonly ObjectiveName[], m: GenomeMetrics): number[] {
  return objectives.map((o) => {
    const { metric, sense } = OBJECTIVE_METRIC[o];
    const v = metricValue(m, metric);
    return sense === 'max' ? -v : v;
  });
}

/** Names of the active constraints, in the order of `constraintVector`. */
export function constraintNames(c: Constraints): string[] {
  const out: string[] = [];
  if (c.maxMemoryBytes !== undefined) out.push('memory');
  if (c.maxError !== undefined) out.push('error');
  return out;
}

export function constraintVector(c: Constraints, m: GenomeMetrics): number[] {
  const g: number[] = [];
  if (c.maxMemoryBytes !== undefined) g.push(m.memoryBytes / c.maxMemoryBytes - 1);
  if (c.maxError !== undefined) g.push(m.error / c.maxError - 1);
  return g;
}

/** Why a genome violates the search constraints (empty when it satisfies them). */
export function constraintViolations(c: Constraints, m: GenomeMetrics): string[] {
  const out: string[] = [];
  if (c.maxMemoryBytes !== undefined && m.memoryBytes > c.maxMemoryBytes) out.push(`memory ${m.memoryBytes} bytes exceeds the limit of ${c.maxMemoryBytes} bytes`);
  if (c.maxError !== undefined && m.error > c.maxError) out.push(`error ${m.error.toFixed(2)}% exceeds the limit of ${c.maxError}%`);
  return out;
}

/** A genome's point in the normalised space of the hypervolume. */
export function normalisedPoint(objectives: readonly ObjectiveName[], m: GenomeMetrics, s: ObjectiveScales): number[] {
  return objectives.map((o) => {
    switch (o) {
      case 'error':
        return Math.min(1, m.error / 100);
      case 'speedup':
        // delta-aware speedups can pass the cheapest genome's
        return Math.max(0, 1 - m.speedup / s.maxSpeedup);
      case 'energy':
        return s.energyAll16 ? Math.min(1, (m.energy ?? 0) / s.energyAll16) : 1;
      case 'memory':
        return Math.min(1, m.memoryBytes / s.memoryAll16);
      case 'compression':
        return 1 - m.compression / s.maxCompression;
      case 'eliminated':
        return 1 - (m.eliminatedOps ?? 0);
    }
  });
}
