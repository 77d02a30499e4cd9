import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveArchitecture } from '../../src/nn/arch.js';
import { parseBitsSpec, uniformBits } from '../../src/quant/bits-spec.js';
import { buildInventory } from '../../src/hw/inventory.js';
import type { Inventory } from '../../src/hw/inventory.js';
import { platformCost } from '../../src/hw/cost.js';
import { passes, perfFactor } from '../../src/hw/fusion-array.js';
import { parsePlatform } from '../../src/hw/platform.js';
import type { PlatformSpec } from '../../src/hw/platform.js';

const tinySpec = (sramWeights: number | string, sramActivations: number | string = 64): PlatformSpec => ({
  name: 'tiny-array',
  precisions: { weights: [2, 4, 8, 16], activations: [2, 4, 8, 16], shared: false },
  fusionArray: {
    rows: 2,
    cols: 4,
    pmax: 8,
    pmin: 2,
    frequencyMHz: 100,
    dramBitsPerCycle: 8,
    sram: { weights: sramWeights, activations: sramActivations, outputs: 64 },
    energy: { corePerCycle: 10, sramRead: { weights: 1, activations: 2, outputs: 3 }, sramWrite: { weights: 4, activations: 5, outputs: 6 }, dramPerBit: 100 },
  },
});

// One unidirectional SRU layer without skip term (L0: 8 x 12) and FC (4 x 6).
const tiny = buildInventory(resolveArchitecture({ name: 'tiny', input: 8, output: 6, layers: [{ type: 'sru', hidden: 4, bidirectional: false, skipTerm: false }] }));

test('perf factor and passes follow the simulator, 16-bit operands take passes of 8-bit slices', () => {
  const m = { pmax: 8, pmin: 2 };
  assert.equal(perfFactor(m, 8, 8), 1);
  assert.equal(perfFactor(m, 4, 8), 2);
  assert.equal(perfFactor(m, 2, 2), 16);
  assert.equal(perfFactor(m, 2, 1), 16); // clamped to pmin
  assert.equal(perfFactor(m, 16, 2), 4);
  assert.equal(passes(m, 16, 16), 4);
  assert.equal(passes(m, 16, 4), 2);
  assert.equal(passes(m, 8, 8), 1);
});

test('hand-computed cycles, DRAM traffic and energy of a tiny array', () => {
  const platform = parsePlatform(tinySpec(64), 'tiny');
  const c = platformCost(platform, tiny, parseBitsSpec('L0=8/8,FC=4/2', tiny.matrices));
  const [l0, fc] = c.matrices;
  // weights 768 + 96 bits > 512: half the SRAM (256 bits) pins FC; L0 streams every frame
  // L0: 1 pass, perf 1: ceil(12/4) x ceil(8/2) = 12 compute cycles; 768 DRAM bits / 8 = 96 cycles
  assert.deepEqual(l0!.detail, { computeCycles: 12, memoryCycles: 96, cycles: 96, dramBits: 768, weightsResident: false, operandOnChip: true, energyPj: 84_920 });
  // = 12*10 core + 768*1 weight reads + 768*4 weight writes + 64*(3*2 + 5) operand + 12*32*(3+6) outputs + 768*100 DRAM
  assert.equal(12 * 10 + 768 + 768 * 4 + 64 * 11 + 12 * 32 * 9 + 768 * 100, 84_920);
  // FC at 4-bit weights, 2-bit activations: perf 4 x 2 = 8: ceil(6/4) x ceil(4/16) = 2 cycles
  assert.deepEqual(fc!.detail, { computeCycles: 2, memoryCycles: 0, cycles: 2, dramBits: 0, weightsResident: true, operandOnChip: true, energyPj: 20 + 96 + 8 * 9 + 6 * 32 * 9 });
  assert.equal(c.cycles, 98);
  // all-16: both streamed; L0 4 passes x 3 x 4 = 48 compute vs 1536/8 = 192; FC 4 x 2 x 2 = 16 vs 384/8 = 48
  assert.equal(c.cyclesAll16, 240);
  assert.equal(c.computeCyclesAll16, 64);
  assert.equal(c.speedup, 240 / 98);
  assert.equal(c.latencySeconds, 98 / 100e6);
  assert.equal(c.dramBitsPerFrame, 768);
  assert.equal(c.energyPj, 84_920 + 1916);
  assert.ok(c.feasible); // no capacity: overflow streams, it is slower, not infeasible
});

test('weights that fit the SRAM stay resident: no DRAM traffic', () => {
  const platform = parsePlatform(tinySpec('1KiB'), 'tiny');
  const c = platformCost(platform, tiny, uniformBits(tiny.matrices, 16));
  assert.equal(c.dramBitsPerFrame, 0);
  assert.equal(c.cycles, 48 + 16);
  assert.equal(c.speedup, 1);
});

test('at full utilisation and compute-bound the array gives the analytic min(64, 256 / (w a))', () => {
  const platform = parsePlatform(tinySpec('64MiB', '64MiB'), 'tiny');
  // operand length a multiple of N x 16 and outputs a multiple of M: no partial tiles
  const inv: Inventory = {
    architecture: 'even',
    matrices: [{ name: 'M', kind: 'output', layer: -1, rows: 2 * 16 * 3, cols: 4 * 5, copies: 1, weights: 96 * 20, operand: 'x', productsPerFrame: 1, macsPerFrame: 96 * 20 }],
    extras: 0,
    totalMacs: 96 * 20,
    totalWeights: 96 * 20,
  };
  for (const w of [2, 4, 8, 16]) {
    for (const a of [2, 4, 8, 16]) assert.equal(platformCost(platform, inv, { M: { w, a } }).speedup, Math.min(64, 256 / (w * a)), `${w}x${a}`);
  }
});

test('bitfusion-sim on paper-sru: all-16 streams from DRAM, a genome within 2 MiB is compute-bound', async () => {
  const { builtinPlatform } = await import('../../src/hw/platforms/index.js');
  const { presetArchitecture } = await import('../../src/nn/arch.js');
  const sru = buildInventory(resolveArchitecture(presetArchitecture('paper-sru')));
  const sim = builtinPlatform('bitfusion-sim')!;
  const c = platformCost(sim, sru, parseBitsSpec('*=2/4,FC=4/4', sru.matrices));
  assert.equal(c.dramBitsPerFrame, 0);
  assert.ok(c.matrices.every((m) => m.detail!.computeCycles === m.cycles));
  // L1 (256 x 3300) at 2/4: perf 8, ceil(3300/32) x ceil(256/128) = 104 x 2
  assert.equal(c.matrices.find((m) => m.name === 'L1')!.cycles, 208);
  assert.ok(c.cyclesAll16! > c.computeCyclesAll16!);
  // with its weights on chip all-16 would take the compute cycles; the genome beats that by about the analytic factor
  const vsCompute = c.computeCyclesAll16! / c.cycles!;
  assert.ok(vsCompute > 15 && vsCompute < 32, `${vsCompute}`);
});
