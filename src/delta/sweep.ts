/**
 * Threshold sweep: the error vs eliminated-operations front of one bits assignment (the papers'
 * threshold selection: enumerate threshold combinations, run inference on the optimization set, keep
 * the Pareto front).
 *
 * The combinations are bounded (tens to a couple of hundred evaluations):
 * 1. a grid with one shared threshold per operand kind, each swept over the candidates
 *    (thresholds.ts; a kind's index i gives each matrix the i-th candidate of its own precision):
 *    `x` the inputs of layers 1.. and of the output layer (input matrices, projections, FC), `h` the
 *    recurrent matrices, and `features` (layer 0's input) only when asked: the papers keep the network
 *    input at threshold 0;
 * 2. per-matrix variations: for every point of the current front whose PER is within `focus` of the
 *    dense PER, each swept matrix's threshold (a projection, a layer's input or recurrent matrix, FC)
 *    one candidate higher and one lower alone; repeated on the new front for `rounds` rounds or until
 *    nothing is new.
 * The grid runs with h outermost, so consecutive evaluations share their first layers and the
 * evaluator reuses their outputs.
 */
import type { BitsAssignment } from '../quant/bits-spec.js';
import { formatBitsSpec } from '../quant/bits-spec.js';
import { resolveBits } from '../quant/hook.js';
import type { SectionFile } from '../search/run-format.js';
import { RUN_FORMAT } from '../search/run-format.js';
import { invalidParameter } from '../util/errors.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import type { DeltaEvaluator, DeltaResult } from './evaluator.js';
import { formatThresholdSpec } from './thresholds.js';
import type { ThresholdAssignment } from './thresholds.js';

export type OperandGroup = 'features' | 'x' | 'h';

export interface DeltaSweepOptions {
  /** PER increase (a fraction: 0.01 is one point) allowed for the headline figure. @default 0.01 */
  maxIncrease?: number;
  /** Also threshold the network input (layer 0's input matrix). @default false */
  features?: boolean;
  /** Rounds of per-matrix variations around the front. @default 4 */
  rounds?: number;
  /** Only front points with PER <= dense PER + focus get per-matrix variations. @default 5 x maxIncrease */
  focus?: number;
  /** Evaluations at most (the grid first). @default 300 */
  maxEvaluations?: number;
  progress?: Progress;
}

export interface DeltaSweepPoint {
  /** Canonical threshold spec. */
  thresholds: string;
  assignment: ThresholdAssignment;
  per: number;
  fer: number;
  eliminatedOps: number;
  sparsity: number;
  /** Per matrix: share of its MACs eliminated. */
  eliminated: Record<string, number>;
  seconds: number;
}

export interface DeltaSweepResult {
  /** Canonical bits spec. */
  bits: string;
  set: { name: string; utterances: number; frames: number };
  /** The same bits without deltas (integer-exact). */
  dense: { per: number; fer: number };
  /** Matrices of each operand group. */
  groups: Record<OperandGroup, string[]>;
  /** Candidate thresholds per matrix. */
  candidates: Record<string, number[]>;
  /** Every evaluated combination, in evaluation order. */
  points: DeltaSweepPoint[];
  /** Non-dominated points (lower PER, more eliminated), by eliminated operations ascending. */
  front: DeltaSweepPoint[];
  maxIncrease: number;
  /** The most eliminated operations with PER <= dense PER + maxIncrease (null when none qualifies). */
  best: DeltaSweepPoint | null;
  seconds: number;
}

/** The operand group of every matrix (see the module comment). */
export function operandGroups(evaluator: DeltaEvaluator): Record<OperandGroup, string[]> {
  const groups: Record<OperandGroup, string[]> = { features: [], x: [], h: [] };
  const seen = new Set<string>();
  for (const site of evaluator.model.sites.all) {
    if (seen.has(site.matrix)) continue;
    seen.add(site.matrix);
    const group: OperandGroup = site.kind === 'recurrent' ? 'h' : site.operand === 'features' ? 'features' : 'x';
    groups[group].push(site.matrix);
  }
  return groups;
}

/** Points not dominated by another (lower or equal PER and more or equal eliminated, one strictly), by eliminated ascending. */
export function deltaFront<P extends { per: number; eliminatedOps: number }>(points: readonly P[]): P[] {
  const sorted = [...points].sort((a, b) => b.eliminatedOps - a.eliminatedOps || a.per - b.per);
  const front: P[] = [];
  let bestPer = Infinity;
  for (const p of sorted) {
    if (p.per < bestPer) {
      front.push(p);
      bestPer = p.per;
    }
  }
  return front.reverse();
}

function toPoint(r: DeltaResult, assignment: ThresholdAssignment, matrices: readonly string[]): DeltaSweepPoint {
  const eliminated: Record<string, number> = {};
  for (const [m, d] of Object.entries(r.perMatrix)) eliminated[m] = d.eliminated;
  return { thresholds: formatThresholdSpec(assignment, matrices), assignment, per: r.per, fer: r.fer, eliminatedOps: r.eliminatedOps, sparsity: r.sparsity, eliminated, seconds: r.seconds };
}

/** The error vs eliminated-operations front of `bits` (see the module comment). */
export function deltaSweep(evaluator: DeltaEvaluator, bits: BitsAssignment | string, opts: DeltaSweepOptions = {}): DeltaSweepResult {
  const t0 = performance.now();
  const maxIncrease = opts.maxIncrease ?? 0.01;
  if (!(maxIncrease >= 0)) throw invalidParameter('maxIncrease', 'a PER increase >= 0', maxIncrease);
  const rounds = opts.rounds ?? 4;
  if (!(Number.isInteger(rounds) && rounds >= 0)) throw invalidParameter('rounds', 'an integer >= 0', rounds);
  const maxEvaluations = opts.maxEvaluations ?? 300;
  if (!(Number.isInteger(maxEvaluations) && maxEvaluations >= 1)) throw invalidParameter('maxEvaluations', 'an integer >= 1', maxEvaluations);
  const focus = opts.focus ?? 5 * maxIncrease;
  if (!(focus >= 0)) throw invalidParameter('focus', 'a PER increase >= 0', focus);
  const progress = opts.progress ?? silentProgress;
  const model = evaluator.model;
  const assignment = resolveBits(model, bits);
  const matrices = evaluator.matrixNames;
  const candidates = evaluator.candidates(assignment);
  const groups = operandGroups(evaluator);
  const swept: OperandGroup[] = (['features', 'h', 'x'] as const).filter((g) => groups[g].length > 0 && (g !== 'features' || opts.features));
  const levels = (names: readonly string[]) => Math.max(1, ...names.map((m) => candidates[m]!.length));
  const pick = (m: string, i: number) => candidates[m]![Math.min(i, candidates[m]!.length - 1)]!;

  // a combination is an index per matrix into its candidates
  const points: DeltaSweepPoint[] = [];
  const seen = new Set<string>();
  const dense = evaluator.dense(assignment);
  const gridSize = swept.reduce((n, g) => n * levels(groups[g]), 1);
  const label = `delta sweep ${formatBitsSpec(assignment, matrices)}`;
  let phaseStart = 0;
  progress.start(Math.min(maxEvaluations, gridSize), `${label}: grid`);
  const run = (index: Record<string, number>): void => {
    if (points.length >= maxEvaluations) return;
    const th: ThresholdAssignment = {};
    for (const m of matrices) th[m] = pick(m, index[m] ?? 0);
    const key = matrices.map((m) => th[m]).join(',');
    if (seen.has(key)) return;
    seen.add(key);
    points.push(toPoint(evaluator.evaluate(assignment, th), th, matrices));
    progress.update(points.length - phaseStart, { PER: `${(100 * points[points.length - 1]!.per).toFixed(2)} %`, eliminated: `${(100 * points[points.length - 1]!.eliminatedOps).toFixed(1)} %` });
  };
  const indexOf = new Map<DeltaSweepPoint, Record<string, number>>();

  // 1. the grid, first group outermost
  const grid = (g: number, index: Record<string, number>): void => {
    if (g === swept.length) {
      const before = points.length;
      run(index);
      if (points.length > before) indexOf.set(points[points.length - 1]!, { ...index });
      return;
    }
    const names = groups[swept[g]!];
    for (let i = 0; i < levels(names); i++) {
      const next = { ...index };
      for (const m of names) next[m] = i;
      grid(g + 1, next);
    }
  };
  try {
    grid(0, {});
    // 2. one matrix's threshold a step higher or lower, around the front
    const units: string[][] = swept.flatMap((g) => groups[g].map((m) => [m]));
    for (let round = 0; round < rounds && units.length > 1 && points.length < maxEvaluations; round++) {
      const added = points.length;
      const around = deltaFront(points).filter((q) => q.per <= dense.per + focus + 1e-12);
      progress.stop();
      phaseStart = points.length;
      progress.start(Math.min(maxEvaluations - points.length, around.length * units.length * 2), `${label}: per-matrix variations, round ${round + 1}`);
      for (const p of around) {
        const index = indexOf.get(p)!;
        for (const names of units) {
          for (const step of [1, -1]) {
            const next = { ...index };
            for (const m of names) next[m] = Math.max(0, Math.min((index[m] ?? 0) + step, levels([m]) - 1));
            if (names.every((m) => next[m] === (index[m] ?? 0))) continue;
            const before = points.length;
            run(next);
            if (points.length > before) indexOf.set(points[points.length - 1]!, next);
          }
        }
      }
      if (points.length === added) break;
    }
  } finally {
    progress.stop();
  }
  const front = deltaFront(points);
  const within = points.filter((p) => p.per <= dense.per + maxIncrease + 1e-12);
  const best = within.length ? within.reduce((a, b) => (b.eliminatedOps > a.eliminatedOps || (b.eliminatedOps === a.eliminatedOps && b.per < a.per) ? b : a)) : null;
  return {
    bits: formatBitsSpec(assignment, matrices),
    set: { name: evaluator.set.name, utterances: evaluator.set.utterances.length, frames: dense.frames },
    dense: { per: dense.per, fer: dense.fer },
    groups,
    candidates,
    points,
    front,
    maxIncrease,
    best,
    seconds: (performance.now() - t0) / 1000,
  };
}

const pct = (v: number, digits = 1) => Number((100 * v).toFixed(digits));

/** The report's series colours (report/plots.ts SERIES; not imported, it loads vega). */
const SERIES = { evaluated: { label: 'evaluated', color: '#a9b3bf' }, front: { label: 'Pareto front', color: '#2b6cb0' } } as const;

/** A report section (run-format.ts `SectionFile`) of a sweep: the front plot over every point, and the front as a table. */
export function deltaSweepSection(result: DeltaSweepResult, modelName: string): SectionFile {
  const frontSet = new Set(result.front.map((p) => p.thresholds));
  const values = result.points.map((p) => ({ thresholds: p.thresholds, per: pct(p.per, 2), eliminated: pct(p.eliminatedOps, 1), front: frontSet.has(p.thresholds) ? SERIES.front.label : SERIES.evaluated.label }));
  const limit = pct(result.dense.per + result.maxIncrease, 2);
  const best = result.best;
  const text =
    `${modelName} at bits ${result.bits} on ${result.set.name} (${result.set.utterances} utterances, ${result.set.frames} frames): ` +
    `${result.points.length} threshold combinations. Without deltas PER ${pct(result.dense.per, 2)} %. ` +
    (best
      ? `Within ${pct(result.maxIncrease, 2)} ${result.maxIncrease === 0.01 ? 'point' : 'points'} of it, delta networks eliminate ${pct(best.eliminatedOps)} % of the operations (thresholds ${best.thresholds}, PER ${pct(best.per, 2)} %).`
      : `No combination stays within ${pct(result.maxIncrease, 2)} points of it.`);
  const plot = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `PER vs eliminated operations (${result.bits})`, subtitle: `dashed: PER without deltas + ${pct(result.maxIncrease, 2)} points` },
    width: 480,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'eliminated', type: 'quantitative', title: 'eliminated operations (%)', scale: { domain: [0, 100] } },
          y: { field: 'per', type: 'quantitative', title: 'PER (%)', scale: { zero: false } },
          color: { field: 'front', type: 'nominal', title: null, scale: { domain: [SERIES.evaluated.label, SERIES.front.label], range: [SERIES.evaluated.color, SERIES.front.color] } },
          tooltip: [{ field: 'thresholds' }, { field: 'per' }, { field: 'eliminated' }],
        },
      },
      {
        data: { values: values.filter((v) => v.front === SERIES.front.label) },
        mark: { type: 'line', interpolate: 'step-after', color: SERIES.front.color },
        encoding: { x: { field: 'eliminated', type: 'quantitative' }, y: { field: 'per', type: 'quantitative' } },
      },
      {
        data: { values: [{ limit }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#c53030' },
        encoding: { y: { field: 'limit', type: 'quantitative' } },
      },
    ],
  };
  return {
    format: RUN_FORMAT,
    title: `Delta networks: ${modelName} at ${result.bits}`,
    text,
    plots: [plot],
    table: {
      columns: ['thresholds', 'PER (%)', 'FER (%)', 'eliminated operations (%)', 'temporal sparsity (%)'],
      rows: result.front.map((p) => [p.thresholds, pct(p.per, 2), pct(p.fer, 2), pct(p.eliminatedOps), pct(p.sparsity)]),
    },
  };
}
