import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetArchitecture, presetNames, resolveArchitecture } from '../../src/nn/arch.js';
import { parseBitsSpec, uniformBits } from '../../src/quant/bits-spec.js';
import { buildInventory } from '../../src/hw/inventory.js';
import { MIB, fp32Bytes, modelBytes } from '../../src/hw/memory.js';
import { platformCost } from '../../src/hw/cost.js';
import { builtinPlatform, builtinPlatformNames } from '../../src/hw/platforms/index.js';

const inventory = (preset: string) => buildInventory(resolveArchitecture(presetArchitecture(preset)));
const platform = (name: string) => builtinPlatform(name)!;
const sru = inventory('paper-sru');
const close = (actual: number, expected: number, rel = 1e-12) => assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} != ${expected}`);

test('paper-sru inventory: per-matrix MACs, weights and the 16-bit extras', () => {
  const by = Object.fromEntries(sru.matrices.map((m) => [m.name, m]));
  assert.equal(by['L0']!.macsPerFrame, 23 * 4 * 1100); // 4 matrices: the skip term projects x (23 != 1100)
  assert.equal(by['L1.proj']!.macsPerFrame, 1100 * 256);
  assert.equal(by['L1']!.macsPerFrame, 256 * 3 * 1100);
  assert.equal(by['FC']!.macsPerFrame, 1100 * 1904);
  assert.equal(sru.totalMacs, 101_200 + 3 * (281_600 + 844_800) + 2_094_400);
  assert.equal(sru.totalMacs, 5_574_800);
  assert.equal(sru.totalWeights, sru.totalMacs);
  // v_f, v_r, b_f, b_r per direction and layer, plus the FC bias
  assert.equal(sru.extras, 4 * (2 * 2 * 550 * 2) + 1904);
});

test('paper-lstm inventory counts both directions', () => {
  const lstm = inventory('paper-lstm');
  const by = Object.fromEntries(lstm.matrices.map((m) => [m.name, m]));
  assert.equal(by['L0']!.productsPerFrame, 2);
  assert.equal(by['L0']!.macsPerFrame, 2 * 23 * 4 * 550);
  assert.equal(by['L1.U']!.macsPerFrame, 2 * 550 * 4 * 550);
  assert.equal(lstm.totalMacs, 2 * (50_600 + 3 * 2_420_000 + 4 * 1_210_000) + 2_129_600);
  // BatchNorm (gamma, beta, mean, var) on each direction's 4*550 gate outputs, plus the FC bias
  assert.equal(lstm.extras, 4 * 2 * 4 * 2200 + 1936);
});

test('all-16 speedup is exactly 1 on every platform and every preset', () => {
  for (const preset of presetNames()) {
    const inv = inventory(preset);
    for (const name of builtinPlatformNames()) {
      const c = platformCost(platform(name), inv, uniformBits(inv.matrices, 16));
      assert.equal(c.speedup, 1, `${preset} on ${name}`);
      for (const m of c.matrices) assert.equal(m.speedup, 1, `${preset} ${m.name} on ${name}`);
      if (c.energySaving !== null) assert.equal(c.energySaving, 0);
    }
  }
});

test('memory: weights x bits + 16-bit extras; paper-sru at 4 bits is near 2.66 MiB', () => {
  const bytes = modelBytes(sru, uniformBits(sru.matrices, 4));
  assert.equal(bytes, 5_574_800 / 2 + 19_504 * 2);
  assert.ok(Math.abs(bytes / MIB - 2.66) < 0.05, `${bytes / MIB} MiB`);
  // The papers' cost code: 3 matrices in L0 (75,900) and 8,800 extras -> 2.663 MiB; mohaq counts
  // the 4th skip matrix (25,300 more weights) and every bias/vector (10,704 more extras).
  const papers = (5_549_500 * 4) / 8 + 8800 * 2;
  assert.ok(Math.abs(papers / MIB - 2.663) < 0.001);
  assert.equal(bytes - papers, (25_300 * 4) / 8 + (19_504 - 8_800) * 2);
  // fp32 reference keeps the extras at 32 bits too
  assert.equal(fp32Bytes(sru), (5_574_800 + 19_504) * 4);
  assert.equal(modelBytes(sru, uniformBits(sru.matrices, 32)), fp32Bytes(sru));
  const c = platformCost(platform('size'), sru, uniformBits(sru.matrices, 4));
  assert.equal(c.memoryBytes, bytes);
  close(c.compression, fp32Bytes(sru) / bytes);
});

test('SiLago all-4: speedup 4, energy saving near 84% (hand-computed)', () => {
  const c = platformCost(platform('silago'), sru, uniformBits(sru.matrices, 4));
  assert.equal(c.speedup, 4);
  const macs = 5_574_800;
  const extraBits = 19_504 * 16;
  const e4 = macs * (0.613 / 4) + 0.08 * (macs * 4 + extraBits);
  const e16 = macs * 1.666 + 0.08 * (macs * 16 + extraBits);
  close(c.energyPj!, e4, 1e-9);
  close(c.energyAll16Pj!, e16, 1e-9);
  close(c.energySaving!, 1 - e4 / e16, 1e-9);
  assert.ok(Math.abs(c.energySaving! - 0.84) < 0.005, `saving ${c.energySaving}`);
  assert.ok(c.feasible);
  assert.deepEqual(c.violations, []);
  // all-8: 2x, feasible under the 6 MiB constraint; all-16 is not (10.67 MiB)
  assert.equal(platformCost(platform('silago'), sru, uniformBits(sru.matrices, 8)).speedup, 2);
  assert.ok(platformCost(platform('silago'), sru, uniformBits(sru.matrices, 8)).feasible);
  assert.ok(!platformCost(platform('silago'), sru, uniformBits(sru.matrices, 16)).feasible);
});

test('SiLago speedup is the MAC-weighted mean of per-matrix speedups', () => {
  const c = platformCost(platform('silago'), sru, parseBitsSpec('*=16,FC=4,L1=8', sru.matrices));
  const expected = (2_094_400 * 4 + 844_800 * 2 + (5_574_800 - 2_094_400 - 844_800)) / 5_574_800;
  close(c.speedup, expected);
});

test('Bitfusion per-matrix speedups are min(64, 256 / (w a)) for every pair', () => {
  const bf = platform('bitfusion');
  for (const w of [2, 4, 8, 16]) {
    for (const a of [2, 4, 8, 16]) {
      const c = platformCost(bf, sru, uniformBits(sru.matrices, w, a));
      for (const m of c.matrices) assert.equal(m.speedup, Math.min(64, 256 / (w * a)), `${w}x${a}`);
      assert.equal(c.speedup, Math.min(64, 256 / (w * a)));
    }
  }
  // mixed genome: MAC-weighted, e.g. everything 2x2 except FC 4x4
  const c = platformCost(bf, sru, parseBitsSpec('*=2,FC=4', sru.matrices));
  close(c.speedup, ((5_574_800 - 2_094_400) * 64 + 2_094_400 * 16) / 5_574_800);
});

test('infeasible genomes say why: unsupported bits, unshared precisions, memory over the limit', () => {
  const two = platformCost(platform('silago'), sru, parseBitsSpec('*=4,L1=2', sru.matrices));
  assert.equal(two.feasible, false);
  assert.deepEqual(two.violations, ['L1: 2/2 is not supported by silago: 2-bit weights (supported: 4, 8, 16); 2-bit activations (supported: 4, 8, 16); costed as 4/4']);
  // costed as what would run: all-4 figures
  assert.equal(two.speedup, 4);

  const unshared = platformCost(platform('silago'), sru, parseBitsSpec('*=4,FC=8/4', sru.matrices));
  assert.deepEqual(unshared.violations, ['FC: 8/4 is not supported by silago: different weight and activation precisions (one shared precision per matrix); costed as 8/8']);

  const big = platformCost(platform('bitfusion'), sru, uniformBits(sru.matrices, 4));
  assert.equal(big.feasible, false);
  assert.deepEqual(big.violations, ['memory 2.70 MiB (2826408 bytes) exceeds the capacity of bitfusion, 2.00 MiB (2097152 bytes)']);
  const fits = platformCost(platform('bitfusion'), sru, parseBitsSpec('*=2/4,FC=4/4', sru.matrices));
  assert.ok(fits.feasible && fits.memoryBytes <= 2 * MIB);

  // the caller's limit replaces the platform's (null: none)
  assert.ok(platformCost(platform('bitfusion'), sru, uniformBits(sru.matrices, 4), { capacityBytes: null }).feasible);
  assert.equal(platformCost(platform('size'), sru, uniformBits(sru.matrices, 32), { capacityBytes: 1e6 }).feasible, false);

  const float = platformCost(platform('bitfusion'), sru, parseBitsSpec('*=2/4,FC=32/4', sru.matrices), { capacityBytes: null });
  assert.deepEqual(float.violations, ['FC: 32/4 is not supported by bitfusion: 32-bit float weights (supported: 2, 4, 8, 16); costed as 16/4']);
  assert.ok(platformCost(platform('size'), sru, uniformBits(sru.matrices, 32)).feasible);
});

test('size: memory only, no speedup and no energy', () => {
  const c = platformCost(platform('size'), sru, parseBitsSpec('*=2/4,FC=4/4', sru.matrices));
  assert.equal(c.speedup, 1);
  assert.equal(c.energyPj, null);
  assert.equal(c.energySaving, null);
  assert.equal(c.cycles, null);
});

test('a bits assignment must match the inventory', () => {
  assert.throws(() => platformCost(platform('size'), sru, { L0: { w: 4, a: 4 } }), { message: 'The bits assignment has no entry for L1.proj (every matrix of paper-sru needs one)' });
  assert.throws(() => platformCost(platform('size'), sru, { ...uniformBits(sru.matrices, 4), L9: { w: 4, a: 4 } }), /received "L9"/);
});
