import type { PlatformSpec } from '../platform.js';

/**
 * SiLago (DRRA CGRA), the MOHAQ papers' first target. A DPU MAC costs 1.666 pJ at 16 bit and runs
 * 2 (4) MACs per operation at 8 (4) bit for 1.084 (0.613) pJ, hence the per-MAC speedups and energies.
 * The papers' memory constraint of 6 MB (2^20-byte MB) keeps the computation compute-bound.
 */
export const silago: PlatformSpec = {
  name: 'silago',
  description: 'SiLago DRRA CGRA (MOHAQ papers): 16/8/4-bit, weights and activation of a matrix share one precision',
  source: 'Rezk et al., MOHAQ (arXiv 2108.01192), cost code optimize_silago.py / optimization_utils.py',
  precisions: { weights: [4, 8, 16], activations: [4, 8, 16], shared: true },
  speedup: { kind: 'per-mac', perMac: { '16': 1, '8': 2, '4': 4 } },
  energy: { perMac: { '16': 1.666, '8': 1.084 / 2, '4': 0.613 / 4 }, perBitSram: 0.08 },
  memory: { capacity: '6MiB' },
};
