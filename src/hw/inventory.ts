/**
 * The inventory of an architecture: what every cost model counts. It depends on the architecture only
 * (no weights), so it can be built from a preset.
 *
 * Per matrix (a bits-spec entry, names as in nn/arch.ts `listMatrices`):
 * - rows: operand length (input features of the product; the "IC" of an accelerator),
 * - cols: outputs of the product per copy (the "OC"),
 * - copies: separate weight tensors under the name (2 per-direction tensors of a bidirectional
 *   LSTM/GRU/LiGRU layer; an SRU layer keeps both directions in one tensor of 2x the columns),
 * - products per frame: how many (rows x cols) matrix-vector products one input frame costs,
 * - MACs per frame = rows x cols x products (both directions of a bidirectional layer),
 * - weights = rows x cols x copies (what is stored).
 * MACs and weights coincide for every cell mohaq has today; they are kept apart because they are
 * different quantities (a layer sharing weights between its directions has half the weights, not
 * half the MACs).
 *
 * Extras: parameters kept at 16-bit fixed point whatever the genome (biases, SRU v_f/v_r, BatchNorm
 * scale/shift and running statistics), from `extraParameterCount`. The element-wise recurrence itself
 * (gates after the products, cell and hidden state) is not counted in MACs: every platform model here
 * costs the matrix-vector products only, as the papers do.
 *
 * Note on SRU layer 0: `L0` has 4 matrices (the 4th projects x for the skip term because 23 != 1100),
 * while the papers' cost code counted 3 (75,900 MACs). mohaq counts what the model computes, so paper
 * figures differ slightly (paper-sru: 5,574,800 MACs/frame here vs 5,549,500 in the papers' code).
 */
import { extraParameterCount, listMatrices } from '../nn/arch.js';
import type { MatrixInfo, ResolvedArchitecture } from '../nn/arch.js';

export interface InventoryMatrix extends MatrixInfo {
  /** Matrix-vector products of (rows x cols) per input frame: directions for per-direction LSTM/GRU/LiGRU matrices, else 1. */
  readonly productsPerFrame: number;
  /** rows x cols x productsPerFrame. */
  readonly macsPerFrame: number;
}

export interface Inventory {
  /** Architecture name (for reports). */
  readonly architecture: string;
  /** Quantizable matrices in forward order. */
  readonly matrices: readonly InventoryMatrix[];
  /** Parameters stored at 16-bit fixed point in every quantized model (32-bit in the float model). */
  readonly extras: number;
  readonly totalMacs: number;
  readonly totalWeights: number;
}

export function buildInventory(arch: ResolvedArchitecture): Inventory {
  const matrices = listMatrices(arch).map((m): InventoryMatrix => {
    const layer = m.layer >= 0 ? arch.layers[m.layer]! : null;
    // An SRU input matrix already holds both directions in its columns; projections and FC run once.
    const perDirection = layer !== null && layer.type !== 'sru' && (m.kind === 'input' || m.kind === 'recurrent');
    const productsPerFrame = perDirection ? layer.directions : 1;
    return { ...m, productsPerFrame, macsPerFrame: m.rows * m.cols * productsPerFrame };
  });
  let totalMacs = 0;
  let totalWeights = 0;
  for (const m of matrices) {
    totalMacs += m.macsPerFrame;
    totalWeights += m.weights;
  }
  return { architecture: arch.name, matrices, extras: extraParameterCount(arch), totalMacs, totalWeights };
}

/** The matrix names of an inventory, in forward order (what a bits spec names). */
export function inventoryNames(inventory: Inventory): string[] {
  return inventory.matrices.map((m) => m.name);
}
