/**
 * Constants of the public Bitfusion simulator (hsharma35/bitfusion), Eyeriss-comparison configuration
 * `bf_e_conf.ini`: a 16 x 32 array of fusion units at 500 MHz with a 192-bit DRAM interface, 8-bit
 * maximum and 2-bit minimum operand. Energies at 45 nm as the simulator prints them for that
 * configuration (CACTI SRAM sweep plus the synthesized array): core 235.104 pJ per cycle for the whole
 * array, SRAM per bit read/write (weights 0.021/0.029, activations 0.059/0.114, outputs 0.033/0.073 pJ),
 * and DRAM 15 pJ per bit (`Stats.get_energy`, dram_cost = 15e-3 nJ).
 */
export const BITFUSION_45NM = {
  rows: 16,
  cols: 32,
  pmax: 8,
  pmin: 2,
  frequencyMHz: 500,
  dramBitsPerCycle: 192,
  corePerCycle: 235.104,
  sramRead: { weights: 0.021, activations: 0.059, outputs: 0.033 },
  sramWrite: { weights: 0.029, activations: 0.114, outputs: 0.073 },
  dramPerBit: 15,
} as const;
