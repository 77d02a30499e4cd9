import type { Command } from 'commander';
import { sizeFlag } from '../flags.js';

interface HwOptions {
  arch?: string;
  platform?: string;
  bits?: string;
  maxMemory?: number;
  listMatrices?: boolean;
  listPlatforms?: boolean;
  json?: boolean;
}

const ARCH_TEXT = 'a preset, an ARCH.json or a MODEL.safetensors';

/**
 * `mohaq hw`: what a bits assignment costs on a hardware platform (per-matrix table and totals:
 * memory, speedup vs all-16, energy per frame, feasibility), and the matrix list of an architecture.
 */
export function register(program: Command): void {
  program
    .command('hw')
    .description('cost of a bits assignment on a platform: per-matrix speedup, energy, memory and feasibility')
    .option('--arch <preset|file>', `architecture: ${ARCH_TEXT} (presets: paper-sru, paper-lstm, paper-gru, paper-ligru, sru-small, ...)`)
    .option('--platform <name|file>', 'silago, bitfusion, bitfusion-sim, size, or a platform JSON file')
    .option('--bits <spec>', 'bits per matrix: NAME=W/A or NAME=B entries, * for the rest (e.g. "*=8/8,FC=4/8,L0=16")')
    .option('--max-memory <size>', 'memory limit replacing the platform capacity (e.g. 2MiB, 6MB)', sizeFlag('--max-memory'))
    .option('--list-matrices', 'print the matrix names and shapes of --arch and exit')
    .option('--list-platforms', 'print the built-in platforms and exit')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mohaq hw --arch paper-sru --platform silago --bits "*=4"\n  mohaq hw --arch paper-sru --platform bitfusion --bits "*=2/4,FC=4/4" --json\n  mohaq hw --arch model.safetensors --list-matrices',
    )
    .action(async (opts: HwOptions) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const hw = await import('../../hw/index.js');
      const write = (text: string) => process.stdout.write(text);
      const json = (value: unknown) => write(`${JSON.stringify(value, null, 2)}\n`);

      if (opts.listPlatforms) {
        const platforms = hw.builtinPlatformNames().map((n) => hw.builtinPlatform(n)!);
        const width = Math.max(...platforms.map((p) => p.name.length));
        if (opts.json) json(platforms.map((p) => p.spec));
        else write(platforms.map((p) => `${p.name.padEnd(width)}  ${p.description}\n`).join(''));
        return;
      }

      if (!opts.arch) throw invalidParameter('--arch', ARCH_TEXT, undefined);
      const inventory = hw.buildInventory(hw.loadArchitectureArgument(opts.arch, '--arch'));
      if (opts.listMatrices) {
        if (opts.json) json(inventory);
        else write(hw.formatMatrixList(inventory));
        return;
      }

      if (!opts.platform) throw invalidParameter('--platform', 'a platform name (silago, bitfusion, bitfusion-sim, size) or a platform JSON file', undefined);
      if (!opts.bits) throw invalidParameter('--bits', 'a bits spec such as "*=8/8,FC=4/8"', undefined);
      const platform = hw.loadPlatform(opts.platform, '--platform');
      const { parseBitsSpec } = await import('../../quant/bits-spec.js');
      const bits = parseBitsSpec(opts.bits, inventory.matrices, { flag: '--bits' });
      const report = hw.hwReport(platform, inventory, bits, opts.maxMemory !== undefined ? { capacityBytes: opts.maxMemory } : {});
      if (opts.json) json(report);
      else write(hw.formatHwReport(report));
    });
}
