import type { PlatformSpec } from '../platform.js';

/**
 * Memory only: any precision including the 32-bit float reference, no speedup (1) and no energy
 * model (energy is reported as null), no capacity unless the caller sets one.
 */
export const size: PlatformSpec = {
  name: 'size',
  description: 'memory only: any precision including 32-bit float, speedup 1, no energy model',
  precisions: { weights: [2, 4, 8, 16, 32], activations: [2, 4, 8, 16, 32], shared: false },
  speedup: { kind: 'none' },
};
