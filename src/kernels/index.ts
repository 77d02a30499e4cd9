export type { BackendName, Kernels, PackedF32, PackedI8, GemmOptions, QuantParams } from './types.js';
export type { CellKernels, FixedPointSpec } from './cells.js';
export type { DeltaKernels, PackedDelta, DeltaOutput } from './delta.js';
export { createRefKernels, roundHalfEven, quantConstants } from './ref.js';
export { createKernels, kernels, setDefaultBackend } from './backend.js';
