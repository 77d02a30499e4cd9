import type { PlatformSpec } from '../platform.js';
import { BITFUSION_45NM } from './bitfusion-constants.js';

const PRECISIONS = [2, 4, 8, 16];

/**
 * Energy per MAC of the analytic Bitfusion model: the fusion array burns the same energy every cycle
 * whatever the precision, so a MAC at (w, a) costs the 16x16 MAC energy divided by the layer speedup
 * min(64, 256 / (w a)). The 16x16 MAC energy is 4 passes of an 8x8 MAC on one fusion unit:
 * 4 x corePerCycle / (rows x cols) of the simulator's 16x32 array.
 */
function energyPerMac(): Record<string, number> {
  const e8x8 = BITFUSION_45NM.corePerCycle / (BITFUSION_45NM.rows * BITFUSION_45NM.cols);
  const table: Record<string, number> = {};
  for (const w of PRECISIONS) for (const a of PRECISIONS) table[`${w}x${a}`] = (4 * e8x8) / Math.min(64, 256 / (w * a));
  return table;
}

/**
 * Bitfusion, the papers' analytic model: weights and activations independently 2/4/8/16-bit, layer
 * speedup vs 16x16 = min(64, 256 / (w a)), and the "small SRAM" constraint of 2 MB (2^20-byte MB).
 * The papers had no energy for Bitfusion; the energy here comes from the public simulator's 45 nm
 * constants (see bitfusion-constants.ts) and counts MACs plus weight reads from SRAM.
 */
export const bitfusion: PlatformSpec = {
  name: 'bitfusion',
  description: 'Bitfusion, the MOHAQ papers analytic model: 2/4/8/16-bit weights and activations, speedup min(64, 256/(w*a)), 2 MiB SRAM',
  source: 'Rezk et al., MOHAQ (arXiv 2108.01192), optimize-bitfusion*.py; energies: hsharma35/bitfusion (45 nm CACTI, bf_e_conf.ini)',
  precisions: { weights: PRECISIONS, activations: PRECISIONS, shared: false },
  speedup: { kind: 'bitfusion', max: 64 },
  energy: { perMac: energyPerMac(), perBitSram: BITFUSION_45NM.sramRead.weights },
  memory: { capacity: '2MiB' },
};
