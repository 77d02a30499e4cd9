/** Plain-text tables of delta evaluations and sweeps (what `mohaq delta` prints). */
import type { EvaluationResult } from '../quant/scoring.js';
import type { DeltaResult } from './evaluator.js';
import type { DeltaSweepPoint, DeltaSweepResult } from './sweep.js';

const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)} %`;
const points = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)} points`;
const int = (v: number) => v.toLocaleString('en-US');

function table(head: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}

function threshold(v: number, bits: number): string {
  return bits === 32 ? `${v} (abs)` : String(v);
}

/** The per-matrix table and totals of one evaluation, with the dense figures for comparison. */
export function formatDeltaResult(r: DeltaResult, dense: EvaluationResult): string[] {
  const rows = Object.entries(r.perMatrix).map(([name, m]) => [
    name,
    String(m.activationBits),
    threshold(m.threshold, m.activationBits),
    pct(m.sparsity),
    int(m.macsPerFrame),
    pct(m.eliminated),
  ]);
  rows.push(['total', '', '', pct(r.sparsity), int(r.totalMacsPerFrame), pct(r.eliminatedOps)]);
  const lines = table(['matrix', 'input bits', 'threshold', 'temporal sparsity', 'MACs/frame', 'eliminated'], rows, new Set([1, 2, 3, 4, 5]));
  lines.splice(lines.length - 1, 0, lines[1]!);
  return [
    ...lines,
    `PER ${pct(r.per, 2)} (without deltas ${pct(dense.per, 2)}, ${points(r.per - dense.per)})   FER ${pct(r.fer, 2)} (without deltas ${pct(dense.fer, 2)})`,
    `eliminated operations ${pct(r.eliminatedOps)} of ${int(r.totalMacsPerFrame)} MACs per frame (${int(Math.round((1 - r.eliminatedOps) * r.totalMacsPerFrame))} remain)`,
  ];
}

/** The front of a sweep and its headline figure. */
export function formatDeltaSweep(s: DeltaSweepResult): string[] {
  const row = (p: DeltaSweepPoint) => [p.thresholds, pct(p.per, 2), points(p.per - s.dense.per), pct(p.eliminatedOps), pct(p.sparsity)];
  const lines = table(['thresholds', 'PER', 'vs dense', 'eliminated', 'temporal sparsity'], s.front.map(row), new Set([1, 2, 3, 4]));
  const head = `front of ${s.front.length} points (of ${s.points.length} evaluated in ${s.seconds.toFixed(1)} s); without deltas PER ${pct(s.dense.per, 2)}, FER ${pct(s.dense.fer, 2)}`;
  const best = s.best
    ? `within ${(100 * s.maxIncrease).toFixed(2)} points of PER: ${pct(s.best.eliminatedOps)} of the operations eliminated (thresholds ${s.best.thresholds}, PER ${pct(s.best.per, 2)})`
    : `no combination stays within ${(100 * s.maxIncrease).toFixed(2)} points of PER`;
  return [head, ...lines, best];
}
