/**
 * The detailed Bitfusion model, after the public simulator (hsharma35/bitfusion: accelerator.py,
 * optimizer.py get_stats_fast, stats.py), specialised to what a recurrent model does per input frame:
 * one matrix-vector product per matrix (per direction), batch 1, matrices run one after another.
 *
 * Array: N (rows) x M (cols) fusion units; a unit multiplies pmax x pmax-bit operands, or fuses its
 * bit-bricks into perf = floor(pmax / max(a, pmin)) x floor(pmax / max(w, pmin)) narrower products
 * per cycle. Operands wider than pmax (16-bit) are split into ceil(p / pmax) pmax-bit slices and take
 * one pass per pair of slices, so 16x16 costs 4 passes of 8x8, 16x8 two. At full utilisation this
 * gives exactly the analytic speedup 256 / (w a) of 16x16, capped at 64 by pmin = 2.
 *
 * Per matrix (operand length IC = rows, outputs OC = cols) and product:
 *   compute cycles = passes x ceil(OC / M) x ceil(IC / (N perf))            (accelerator.py)
 * Weights: when every matrix fits the weight SRAM they stay resident (loaded once, not per frame).
 * Otherwise half the SRAM is a double buffer for streaming and the other half pins whole matrices in
 * forward order (first fit); each streamed matrix is read from DRAM every frame. An operand vector that
 * does not fit half the activation SRAM is re-read from DRAM for every output tile.
 *   memory cycles  = ceil(DRAM bits / DRAM bits per cycle)
 *   cycles         = max(compute, memory)      (double buffering overlaps the two, as the simulator's
 *                                                compute + max(0, memory - compute); no initial fill)
 * Energy per frame (pJ): compute cycles x core energy per cycle (stall cycles burn none, as in
 * Stats.get_energy) + SRAM bits x per-bit read/write energy + DRAM bits x DRAM energy, with:
 *   weight SRAM reads = weights x w per product (+ writes of the streamed weights),
 *   activation SRAM   = IC x a written once, read once per output tile (ceil(OC / M)),
 *   output SRAM       = OC x 32-bit accumulators written and read once.
 * Not modelled: the element-wise recurrence and the 16-bit extras (run beside the array), DRAM latency
 * of the first tile, batching several utterances (which would amortise streamed weights).
 */
import type { MatrixBits } from '../quant/bits-spec.js';
import type { Inventory } from './inventory.js';
import type { FusionArrayModel } from './platform.js';

/** Accumulator width of the output buffer (the simulator's oprec). */
const ACCUMULATOR_BITS = 32;

export interface FusionMatrixCost {
  readonly computeCycles: number;
  readonly memoryCycles: number;
  /** max(compute, memory). */
  readonly cycles: number;
  readonly dramBits: number;
  readonly weightsResident: boolean;
  readonly operandOnChip: boolean;
  readonly energyPj: number;
}

/** Parallel products per cycle of one fusion unit for operands of `a` and `w` bits (at most pmax). */
export function perfFactor(model: Pick<FusionArrayModel, 'pmax' | 'pmin'>, w: number, a: number): number {
  const slice = (p: number) => Math.max(Math.min(p, model.pmax), model.pmin);
  return Math.floor(model.pmax / slice(a)) * Math.floor(model.pmax / slice(w));
}

/** Passes for operands wider than pmax: one per pair of pmax-bit slices. */
export function passes(model: Pick<FusionArrayModel, 'pmax'>, w: number, a: number): number {
  return Math.ceil(Math.max(w, 1) / model.pmax) * Math.ceil(Math.max(a, 1) / model.pmax);
}

/** Per-matrix cycles, traffic and energy of one frame with matrix i at `run[i]`. */
export function fusionArrayCosts(model: FusionArrayModel, inventory: Inventory, run: readonly MatrixBits[]): FusionMatrixCost[] {
  const mats = inventory.matrices;
  const weightBits = mats.map((m, i) => m.rows * m.cols * m.copies * run[i]!.w);
  const capacityBits = model.sramBytes.weights * 8;
  const total = weightBits.reduce((s, b) => s + b, 0);
  const resident = weightBits.map(() => true);
  if (total > capacityBits) {
    let used = 0;
    weightBits.forEach((b, i) => {
      resident[i] = used + b <= capacityBits / 2;
      if (resident[i]) used += b;
    });
  }

  const e = model.energy;
  return mats.map((m, i) => {
    const { w, a } = run[i]!;
    const outputTiles = Math.ceil(m.cols / model.cols);
    const perProduct = passes(model, w, a) * outputTiles * Math.ceil(m.rows / (model.rows * perfFactor(model, w, a)));
    const computeCycles = perProduct * m.productsPerFrame;
    const operandBits = m.rows * a;
    const operandOnChip = operandBits <= (model.sramBytes.activations * 8) / 2;
    const dramBits = (resident[i] ? 0 : weightBits[i]!) + (operandOnChip ? 0 : operandBits * outputTiles * m.productsPerFrame);
    const memoryCycles = Math.ceil(dramBits / model.dramBitsPerCycle);
    const weightReads = m.rows * m.cols * w * m.productsPerFrame;
    const energyPj =
      computeCycles * e.corePerCycle +
      weightReads * e.sramRead.weights +
      (resident[i] ? 0 : weightBits[i]! * e.sramWrite.weights) +
      m.productsPerFrame * operandBits * (outputTiles * e.sramRead.activations + e.sramWrite.activations) +
      m.productsPerFrame * m.cols * ACCUMULATOR_BITS * (e.sramRead.outputs + e.sramWrite.outputs) +
      dramBits * e.dramPerBit;
    return { computeCycles, memoryCycles, cycles: Math.max(computeCycles, memoryCycles), dramBits, weightsResident: resident[i]!, operandOnChip, energyPj };
  });
}
