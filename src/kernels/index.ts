export type { BackendName, Kernels, PackedF32, PackedI8, GemmOptions, QuantParams } from './types.js';
export { createRefKernels, roundHalfEven, quantConstants } from './ref.js';
export { createKernels, kernels, setDefaultBackend } from './backend.js';
