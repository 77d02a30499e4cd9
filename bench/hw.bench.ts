/**
 * Cost-model throughput: how many genomes per second `platformCost` scores (the search calls it once
 * per candidate; an exhaustive SiLago front is 3^8 = 6561 of them), and the bits-spec parser.
 */
import { Rng } from '../src/util/rng.js';
import { presetArchitecture, resolveArchitecture } from '../src/nn/arch.js';
import { formatBitsSpec, parseBitsSpec } from '../src/quant/bits-spec.js';
import type { BitsAssignment } from '../src/quant/bits-spec.js';
import { buildInventory, builtinPlatform, builtinPlatformNames, platformCost } from '../src/hw/index.js';
import { measure, report } from './harness.js';

const GENOMES = 2000;
const rows = [];
for (const preset of ['paper-sru', 'paper-lstm']) {
  const inv = buildInventory(resolveArchitecture(presetArchitecture(preset)));
  const rng = new Rng(1);
  for (const name of builtinPlatformNames()) {
    const platform = builtinPlatform(name)!;
    const choices = platform.weights.filter((b) => b !== 32);
    const genomes: BitsAssignment[] = Array.from({ length: GENOMES }, () => {
      const g: BitsAssignment = {};
      for (const m of inv.matrices) {
        const w = choices[rng.int(choices.length)]!;
        g[m.name] = { w, a: platform.shared ? w : choices[rng.int(choices.length)]! };
      }
      return g;
    });
    rows.push(
      await measure(`platformCost ${preset} on ${name}`, () => {
        for (const g of genomes) platformCost(platform, inv, g);
      }, { repeats: 7, work: { amount: GENOMES, unit: 'genomes/s' } }),
    );
  }
  const spec = '*=8/8,FC=4/8,L0=16';
  rows.push(
    await measure(`parseBitsSpec + formatBitsSpec ${preset}`, () => {
      for (let i = 0; i < GENOMES; i++) formatBitsSpec(parseBitsSpec(spec, inv.matrices), inv.matrices);
    }, { repeats: 7, work: { amount: GENOMES, unit: 'specs/s' } }),
  );
}
report('hardware cost models', rows);
