/**
 * What a report shows of one run, derived from its run directory: the fronts (final, and
 * inference-only when beacons corrected errors), the reference points, the plots to draw (one per pair
 * of objectives) and the run's state. Pure data; plots.ts draws it and page.ts lays it out.
 */
import { nonDominated } from '../search/dominance.js';
import type { RunDirContents } from '../search/run-dir.js';
import type { EvaluationRecord, FrontEntry, MetricName, ObjectiveName, ReferencePoint, RunState } from '../search/run-format.js';
import { parseBitsSpec } from '../quant/bits-spec.js';
import { metricDisplay, metricOfObjective, metricSense, type MetricDisplay } from './format.js';

/** A solution as plots and tables use it (front entries and evaluations alike). */
export interface ReportSolution {
  id: number;
  bits: string;
  /** Per-matrix bits in forward order, or null when `bits` could not be read against the matrices. */
  perMatrix: Record<string, { w: number; a: number }> | null;
  error: number;
  speedup: number;
  energy: number;
  memoryBytes: number;
  compression: number;
  eliminatedOps?: number;
  baseError?: number;
  beacon?: string;
  fromBeacon: boolean;
}

export interface PlotPair {
  /** File-name friendly: `error-vs-speedup`. */
  name: string;
  x: MetricDisplay;
  y: MetricDisplay;
  /** Constraint bounds on either axis (raw units). */
  limits: Array<{ axis: 'x' | 'y'; value: number; label: string }>;
}

export interface RunStateSummary {
  state: RunState;
  finished: boolean;
  generation: number;
  generations: number;
  /** The banner sentence of an unfinished run, or null for a finished one. */
  banner: string | null;
}

export interface RunReportModel {
  run: RunDirContents;
  /** `<model> on <platform>` */
  title: string;
  objectives: ObjectiveName[];
  /** Displays of every metric, with units chosen from this run's values. */
  displays: Record<MetricName, MetricDisplay>;
  evaluations: EvaluationRecord[];
  /** The front: final errors (beacon-corrected when beacons were used), from front.json or, before it exists, from the evaluations. */
  front: ReportSolution[];
  frontSource: 'front.json' | 'evaluations';
  /** The front of the base model's PTQ errors alone, when the run used beacons. */
  inferenceFront: ReportSolution[] | null;
  references: ReferencePoint[];
  plots: PlotPair[];
  state: RunStateSummary;
  /** Notes for the reader (from reading the directory and from building the model). */
  problems: string[];
}

const ALL_METRICS: MetricName[] = ['error', 'speedup', 'energy', 'memoryBytes', 'compression', 'eliminatedOps'];

function metricValue(s: Pick<ReportSolution, MetricName>, metric: MetricName): number {
  return s[metric] ?? 0;
}

/** Objective vectors as minimised (maximised objectives negated), for dominance. */
function minimisedVector(s: Pick<ReportSolution, MetricName>, objectives: readonly ObjectiveName[], errorOf: (s: Pick<ReportSolution, MetricName>) => number): number[] {
  return objectives.map((o) => {
    const metric = metricOfObjective(o);
    const v = metric === 'error' ? errorOf(s) : metricValue(s, metric);
    return metricSense(metric) === 'min' ? v : -v;
  });
}

function readPerMatrix(bits: string, matrices: readonly string[]): ReportSolution['perMatrix'] {
  try {
    return parseBitsSpec(bits, matrices);
  } catch {
    return null;
  }
}

function solutionOfEvaluation(e: EvaluationRecord, matrices: readonly string[]): ReportSolution {
  return {
    id: e.index,
    bits: e.bits,
    perMatrix: readPerMatrix(e.bits, matrices),
    error: e.error,
    speedup: e.speedup,
    energy: e.energy,
    memoryBytes: e.memoryBytes,
    compression: e.compression,
    eliminatedOps: e.eliminatedOps,
    baseError: e.baseError,
    beacon: e.beacon,
    fromBeacon: e.beacon !== undefined && e.beaconError !== undefined && e.baseError !== undefined && e.beaconError < e.baseError,
  };
}

function solutionOfEntry(e: FrontEntry, matrices: readonly string[]): ReportSolution {
  const perMatrix = matrices.every((m) => e.perMatrix[m] !== undefined) ? e.perMatrix : readPerMatrix(e.bits, matrices);
  return { ...e, perMatrix };
}

/** Feasible, distinct (by bits), non-dominated solutions under `errorOf`. */
function frontOf(candidates: ReportSolution[], objectives: readonly ObjectiveName[], errorOf: (s: ReportSolution) => number): ReportSolution[] {
  const seen = new Set<string>();
  const distinct = candidates.filter((c) => !seen.has(c.bits) && seen.add(c.bits) && Number.isFinite(errorOf(c)));
  const keep = nonDominated(distinct.map((s) => minimisedVector(s, objectives, errorOf as (s: Pick<ReportSolution, MetricName>) => number)));
  return keep.map((i) => distinct[i]!).sort((a, b) => errorOf(a) - errorOf(b) || a.id - b.id);
}

function pairName(x: MetricName, y: MetricName): string {
  const n = (m: MetricName) => (m === 'memoryBytes' ? 'memory' : m === 'eliminatedOps' ? 'eliminated' : m);
  return `${n(y)}-vs-${n(x)}`;
}

/**
 * The pairs to plot: every pair of objectives (error, when present, on the y axis), plus error (or the
 * first objective) against memory when memory is a constraint but not an objective.
 */
function plotPairs(objectives: readonly ObjectiveName[], displays: Record<MetricName, MetricDisplay>, constraints: { maxMemoryBytes?: number; maxError?: number }): PlotPair[] {
  const metrics = objectives.map(metricOfObjective);
  const pairs: Array<[MetricName, MetricName]> = [];
  for (let i = 0; i < metrics.length; i++) {
    for (let j = i + 1; j < metrics.length; j++) {
      const [a, b] = [metrics[i]!, metrics[j]!];
      pairs.push(b === 'error' ? [a, b] : [b, a]); // [x, y]
    }
  }
  if (!metrics.includes('memoryBytes') && (constraints.maxMemoryBytes !== undefined || metrics.length < 2)) {
    pairs.push(['memoryBytes', metrics.includes('error') ? 'error' : metrics[0]!]);
  }
  return pairs.map(([x, y]) => {
    const limits: PlotPair['limits'] = [];
    for (const [axis, metric] of [['x', x], ['y', y]] as const) {
      if (metric === 'error' && constraints.maxError !== undefined) limits.push({ axis, value: constraints.maxError, label: 'max PER' });
      if (metric === 'memoryBytes' && constraints.maxMemoryBytes !== undefined) limits.push({ axis, value: constraints.maxMemoryBytes, label: 'memory limit' });
    }
    return { name: pairName(x, y), x: displays[x], y: displays[y], limits };
  });
}

function stateSummary(run: RunDirContents): RunStateSummary {
  const { status } = run;
  const where = `generation ${status.generation} of ${status.generations}`;
  let banner: string | null = null;
  if (status.state === 'running') banner = `This run is unfinished (${where}); the front shows what exists.`;
  else if (status.state === 'interrupted') banner = `This run is unfinished (interrupted at ${where}); the front shows what exists.`;
  else if (status.state === 'failed') banner = `This run failed (at ${where}${status.message ? `: ${status.message}` : ''}); the front shows what exists.`;
  return { state: status.state, finished: status.state === 'finished', generation: status.generation, generations: status.generations, banner };
}

export function buildRunModel(run: RunDirContents): RunReportModel {
  const { config } = run;
  const problems = [...run.problems];
  const objectives = config.objectives;
  const evaluated = run.evaluations.map((e) => solutionOfEvaluation(e, config.matrices));
  const maxError = config.constraints.maxError;

  let front: ReportSolution[];
  let frontSource: RunReportModel['frontSource'];
  if (run.front) {
    front = run.front.entries.map((e) => solutionOfEntry(e, config.matrices)).sort((a, b) => a.error - b.error || a.id - b.id);
    frontSource = 'front.json';
  } else {
    const feasible = evaluated.filter((_s, i) => run.evaluations[i]!.feasible);
    front = frontOf(feasible, objectives, (s) => s.error);
    frontSource = 'evaluations';
    problems.push(`front.json does not exist yet: the front is computed from the ${run.evaluations.length} evaluations so far`);
  }

  const usedBeacons = config.beacons !== undefined || run.evaluations.some((e) => e.baseError !== undefined);
  let inferenceFront: ReportSolution[] | null = null;
  if (usedBeacons) {
    // a beacon only lowers the error, so an infeasible row stays infeasible with its base error
    const inferenceError = (s: ReportSolution) => s.baseError ?? s.error;
    const feasible = evaluated.filter((s, i) => run.evaluations[i]!.feasible && (maxError === undefined || inferenceError(s) <= maxError));
    inferenceFront = frontOf(feasible, objectives, inferenceError).map((s) => ({ ...s, error: inferenceError(s), fromBeacon: false }));
  }

  const references = run.front?.references ?? [];
  const shown: Array<Pick<ReportSolution, MetricName>> = [...evaluated, ...front, ...references];
  const largest = (m: MetricName) => shown.reduce((mx, s) => Math.max(mx, Math.abs(metricValue(s, m)) || 0), 0);
  const displays = Object.fromEntries(ALL_METRICS.map((m) => [m, metricDisplay(m, largest(m))])) as Record<MetricName, MetricDisplay>;

  return {
    run,
    title: `${config.model.name} on ${config.platform.name}`,
    objectives,
    displays,
    evaluations: run.evaluations,
    front,
    frontSource,
    inferenceFront,
    references,
    plots: plotPairs(objectives, displays, config.constraints),
    state: stateSummary(run),
    problems,
  };
}

/** Metric value of a solution or reference point (eliminated operations default to 0). */
export function valueOf(s: Pick<ReportSolution, MetricName>, metric: MetricName): number {
  return metricValue(s, metric);
}

/**
 * The 2-D non-dominated subset of `points` for a plot's pair of axes, sorted by x, and the corner
 * points of the staircase through them (each step goes through the corner both neighbours dominate).
 */
export function staircase<T extends Pick<ReportSolution, MetricName>>(points: readonly T[], x: MetricDisplay, y: MetricDisplay): { front: T[]; path: Array<{ x: number; y: number }> } {
  const signX = x.sense === 'min' ? 1 : -1;
  const signY = y.sense === 'min' ? 1 : -1;
  const usable = points.filter((p) => Number.isFinite(valueOf(p, x.metric)) && Number.isFinite(valueOf(p, y.metric)));
  const keep = nonDominated(usable.map((p) => [signX * valueOf(p, x.metric), signY * valueOf(p, y.metric)]));
  const front = keep.map((i) => usable[i]!).sort((a, b) => valueOf(a, x.metric) - valueOf(b, x.metric) || valueOf(a, y.metric) - valueOf(b, y.metric));
  const path: Array<{ x: number; y: number }> = [];
  front.forEach((p, i) => {
    const px = valueOf(p, x.metric);
    const py = valueOf(p, y.metric);
    if (i > 0) {
      const q = front[i - 1]!;
      const qx = valueOf(q, x.metric);
      const qy = valueOf(q, y.metric);
      // the worse of the two in each coordinate
      path.push({ x: signX * px > signX * qx ? px : qx, y: signY * py > signY * qy ? py : qy });
    }
    path.push({ x: px, y: py });
  });
  return { front, path };
}
