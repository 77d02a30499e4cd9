/**
 * Element-wise recurrence kernels of the four cells (fused gate updates, forward and backward). They
 * belong to the kernel interface so the WASM backend can replace the reference loops; the reference
 * versions below are the oracle.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CellKernels {}

export const refCells: CellKernels = {};
