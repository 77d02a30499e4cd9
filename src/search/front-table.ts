/**
 * The front of a run as a person reads it in a terminal (`mohaq search`, `mohaq front`), and the
 * current front of a run that has no front.json yet (still running or interrupted).
 */
import { parseBitsSpec } from '../quant/bits-spec.js';
import { formatBytes } from '../util/units.js';
import { nonDominated } from './dominance.js';
import { objectiveVector } from './objectives.js';
import type { RunDirContents } from './run-dir.js';
import { RUN_FORMAT } from './run-format.js';
import type { EvaluationRecord, FrontEntry, FrontFile } from './run-format.js';

/** A front entry from its evaluation record. */
export function frontEntry(r: EvaluationRecord, perMatrix: FrontEntry['perMatrix']): FrontEntry {
  return {
    id: r.index,
    bits: r.bits,
    perMatrix,
    error: r.error,
    speedup: r.speedup,
    energy: r.energy,
    memoryBytes: r.memoryBytes,
    compression: r.compression,
    ...(r.eliminatedOps !== undefined ? { eliminatedOps: r.eliminatedOps } : {}),
    ...(r.thresholds !== undefined ? { thresholds: r.thresholds } : {}),
    ...(r.baseError !== undefined ? { baseError: r.baseError } : {}),
    ...(r.beacon !== undefined ? { beacon: r.beacon } : {}),
    fromBeacon: r.beacon !== undefined && r.baseError !== undefined && r.error < r.baseError,
  };
}

/** front.json, or the feasible non-dominated set of the evaluations so far. */
export function currentFront(run: RunDirContents): FrontFile {
  if (run.front) return run.front;
  const feasible = run.evaluations.filter((r) => r.feasible && !r.cacheHit);
  const vectors = feasible.map((r) => objectiveVector(run.config.objectives, { ...r, energy: Number.isNaN(r.energy) ? null : r.energy }));
  const entries = nonDominated(vectors).map((i) => frontEntry(feasible[i]!, parseBitsSpec(feasible[i]!.bits, run.config.matrices)));
  const last = run.history[run.history.length - 1];
  return { format: RUN_FORMAT, objectives: run.config.objectives, final: false, entries, references: [], hypervolume: last?.hypervolume ?? 0, hypervolumeReference: run.config.objectives.map(() => 1) };
}

/** A plain-text table of the front, best error first, with the reference points below. */
export function formatFront(front: FrontFile): string {
  const head = ['id', 'PER %', 'speedup', 'energy pJ', 'memory', 'compr.', 'beacon', 'bits'];
  const rows = [...front.entries]
    .sort((a, b) => a.error - b.error || b.speedup - a.speedup)
    .map((e) => [
      String(e.id),
      e.error.toFixed(2),
      `${e.speedup.toFixed(2)}x`,
      Number.isNaN(e.energy) ? '-' : e.energy.toFixed(0),
      formatBytes(e.memoryBytes),
      `${e.compression.toFixed(1)}x`,
      e.fromBeacon ? e.beacon ?? '' : '',
      e.bits,
    ]);
  for (const r of front.references) {
    rows.push([r.name, r.error.toFixed(2), `${r.speedup.toFixed(2)}x`, Number.isNaN(r.energy) ? '-' : r.energy.toFixed(0), formatBytes(r.memoryBytes), `${r.compression.toFixed(1)}x`, '', r.feasible ? r.bits : `${r.bits} (infeasible)`]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  rows.forEach((r, i) => {
    if (i === front.entries.length && front.references.length) out.push(`reference points (hypervolume of the front ${front.hypervolume.toFixed(4)}):`);
    out.push(line(r));
  });
  if (front.entries.length === 0) out.push('(no feasible solution yet)');
  return out.join('\n');
}
