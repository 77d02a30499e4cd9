/**
 * Temporal sparsity and eliminated operations, from the transmission counts of a delta hook.
 *
 * - Temporal sparsity of an input: the share of zero deltas among its elements over the real frames
 *   (1 - transmitted / (frames x k)).
 * - Eliminated operations of a matrix: the share of its MACs skipped (a skipped element saves the n
 *   MACs of its weight row), 1 - sum(transmitted x n) / sum(frames x k x n) over its products.
 * - In total: the matrices' shares weighted by their MACs per frame from src/hw's inventory (both
 *   directions of a bidirectional layer), as the papers weight per-vector occupancies.
 * Also a delta-aware speedup for platforms that skip zero deltas (`deltaSkipping` in the platform).
 */
import { buildInventory } from '../hw/inventory.js';
import type { PlatformCost } from '../hw/cost.js';
import type { Model } from '../nn/model.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { PartCounter } from './hook.js';
import type { ThresholdAssignment } from './thresholds.js';

/** One input of a matrix (a per-direction operand; `.rh` for r*h of the pytorch-kaldi GRU). */
export interface OperandDelta {
  name: string;
  sparsity: number;
}

export interface MatrixDelta {
  /** Bits of the matrix's input (its operand) and the threshold in its steps (absolute for 32). */
  activationBits: number;
  threshold: number;
  /** Share of zero deltas among the input's elements over real frames (all its operands). */
  sparsity: number;
  macsPerFrame: number;
  /** Share of the matrix's MACs skipped. */
  eliminated: number;
  operands: OperandDelta[];
}

export interface DeltaSummary {
  /** Share of all MACs skipped (matrices weighted by MACs per frame). */
  eliminatedOps: number;
  /** Share of zero deltas over every input element of every product. */
  sparsity: number;
  totalMacsPerFrame: number;
  perMatrix: Record<string, MatrixDelta>;
}

interface Totals {
  elements: number;
  zeros: number;
  macs: number;
  skipped: number;
}

const emptyTotals = (): Totals => ({ elements: 0, zeros: 0, macs: 0, skipped: 0 });

function add(t: Totals, c: PartCounter): void {
  const elements = c.frames * c.k;
  t.elements += elements;
  t.zeros += elements - c.transmitted;
  t.macs += elements * c.n;
  t.skipped += (elements - c.transmitted) * c.n;
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

/** The statistics of a set of part counters (one evaluation of a model). */
export function summarizeDelta(model: Model, bits: BitsAssignment, thresholds: ThresholdAssignment, counters: Iterable<PartCounter>): DeltaSummary {
  const inventory = buildInventory(model.arch);
  const byMatrix = new Map<string, Totals>();
  const byOperand = new Map<string, Map<string, Totals>>();
  const all = emptyTotals();
  for (const c of counters) {
    let m = byMatrix.get(c.matrix);
    if (!m) byMatrix.set(c.matrix, (m = emptyTotals()));
    add(m, c);
    add(all, c);
    let ops = byOperand.get(c.matrix);
    if (!ops) byOperand.set(c.matrix, (ops = new Map()));
    let o = ops.get(c.operand);
    if (!o) ops.set(c.operand, (o = emptyTotals()));
    add(o, c);
  }
  const perMatrix: Record<string, MatrixDelta> = {};
  let weighted = 0;
  for (const m of inventory.matrices) {
    const t = byMatrix.get(m.name) ?? emptyTotals();
    const eliminated = share(t.skipped, t.macs);
    weighted += m.macsPerFrame * eliminated;
    perMatrix[m.name] = {
      activationBits: bits[m.name]!.a,
      threshold: thresholds[m.name]!,
      sparsity: share(t.zeros, t.elements),
      macsPerFrame: m.macsPerFrame,
      eliminated,
      operands: [...(byOperand.get(m.name) ?? new Map<string, Totals>()).entries()].map(([name, o]) => ({ name, sparsity: share(o.zeros, o.elements) })),
    };
  }
  return { eliminatedOps: share(weighted, inventory.totalMacs), sparsity: share(all.zeros, all.elements), totalMacsPerFrame: inventory.totalMacs, perMatrix };
}

/**
 * Speedup of a genome on a platform that skips zero deltas: the platform's speedup (vs all-16 dense)
 * times the reduction of its compute time by the skipped MACs. A matrix's time is its cycles
 * (fusion-array platforms) or MACs / per-MAC speedup (analytic platforms); skipping removes the
 * matrix's eliminated share of it. With nothing eliminated it is the platform's speedup.
 */
export function deltaSpeedup(cost: PlatformCost, eliminated: Readonly<Record<string, number>>): number {
  let dense = 0;
  let sparse = 0;
  for (const m of cost.matrices) {
    const time = m.cycles ?? m.macsPerFrame / m.speedup;
    dense += time;
    sparse += time * (1 - (eliminated[m.name] ?? 0));
  }
  return sparse > 0 ? (cost.speedup * dense) / sparse : Infinity;
}
