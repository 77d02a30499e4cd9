/**
 * Model size, the one memory figure every platform and report uses.
 *
 * memory = sum over matrices of weights x W bits (each tensor packed and rounded up to a whole byte)
 *        + extras x 16 bits (biases, SRU vectors, BatchNorm: 16-bit fixed point in any quantized model).
 * Activations are not counted: they are a few kilobytes of per-frame state, not stored parameters.
 * The unquantized float model (every matrix at 32) keeps its extras at 32 bits too; the fp32 reference
 * size is (weights + extras) x 4 bytes. Sizes are bytes; MiB = 2^20 bytes (the papers' "MB").
 */
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Inventory, InventoryMatrix } from './inventory.js';

export const MIB = 1024 * 1024;

/** Bytes of one matrix (all its copies) at `w` bits. */
export function matrixBytes(m: InventoryMatrix, w: number): number {
  return Math.ceil((m.rows * m.cols * w) / 8) * m.copies;
}

/** Bits per extra parameter: 32 in the unquantized float model, 16 otherwise. */
export function extraBits(inventory: Inventory, bits: BitsAssignment): number {
  return inventory.matrices.every((m) => bits[m.name]?.w === 32 && bits[m.name]?.a === 32) ? 32 : 16;
}

export function extrasBytes(inventory: Inventory, bits: BitsAssignment): number {
  return Math.ceil((inventory.extras * extraBits(inventory, bits)) / 8);
}

/** Bytes of the model under `bits` (weights as assigned plus the extras). */
export function modelBytes(inventory: Inventory, bits: BitsAssignment): number {
  let total = extrasBytes(inventory, bits);
  for (const m of inventory.matrices) total += matrixBytes(m, bits[m.name]!.w);
  return total;
}

/** Bytes of the unquantized float model. */
export function fp32Bytes(inventory: Inventory): number {
  return (inventory.totalWeights + inventory.extras) * 4;
}
