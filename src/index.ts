/**
 * mohaq: multi-objective, hardware-aware mixed-precision quantization of recurrent neural networks.
 * The public library surface; every folder exposes its own small `index.ts`.
 */
export * from './util/index.js';
export * from './kernels/index.js';
export * from './nn/index.js';
export * from './quant/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './metrics/index.js';
export * from './hw/index.js';
export * from './search/index.js';
export * from './delta/index.js';
export * from './report/index.js';
export * from './export/index.js';
export * from './demo/index.js';
