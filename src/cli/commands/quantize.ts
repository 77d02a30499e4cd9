import type { Command } from 'commander';
import { addQuantFlags, quantOptionsOf } from './eval.js';
import type { QuantFlags } from './eval.js';

interface QuantizeCommandOptions extends QuantFlags {
  model: string;
  out: string;
  data?: string;
  json?: boolean;
}

/**
 * `mohaq quantize`: writes a quantized model file (fake-quantized weights, 16-bit fixed-point vectors,
 * bits, calibration and weight scales in its metadata; `mohaq eval` runs it as quantized) and prints the
 * size per matrix.
 */
export function register(program: Command): void {
  const cmd = program
    .command('quantize')
    .description('write a post-training quantized model (bits per matrix) and print its size and compression')
    .requiredOption('--model <file>', 'float model file (.safetensors)')
    .requiredOption('--out <file>', 'quantized model file to write (.safetensors)')
    .option('--data <dir>', 'feature store to calibrate on (its opt subset; cached) when --calibration is not given');
  addQuantFlags(cmd)
    .option('--json', 'print the size report as JSON')
    .addHelpText('after', '\nExample:\n  mohaq quantize --model models/sru-small.safetensors --data feats --bits "*=4/4,FC=8/8" --out sru-q4.safetensors\n  mohaq eval --model sru-q4.safetensors --data feats --split test')
    .action(async (opts: QuantizeCommandOptions) => {
      const { loadModel, saveModel } = await import('../../nn/io.js');
      const { loadFeatureStore } = await import('../../data/store/store.js');
      const { invalidParameter } = await import('../../util/errors.js');
      const { autoProgress, silentProgress } = await import('../../util/progress.js');
      const { formatBytes } = await import('../../util/units.js');
      const q = await import('../../quant/index.js');
      if (opts.bits === undefined) throw invalidParameter('--bits', 'a bits spec such as "*=8/8,FC=4/8"', undefined);
      if (opts.integer) throw invalidParameter('--integer', 'no --integer for quantize (it is an evaluation mode; the file holds the quantized values)', true);
      const model = loadModel(opts.model);
      const bits = q.resolveBits(model, opts.bits, '--bits');
      const quant = await quantOptionsOf(opts);
      const progress = opts.json ? silentProgress : autoProgress();
      let calibration;
      if (opts.calibration) calibration = q.loadCalibration(opts.calibration, model);
      else if (opts.data) calibration = q.storeCalibration(model, loadFeatureStore(opts.data), { opt: { size: opts.optSize, seed: opts.optSeed }, progress }).calibration;
      else throw invalidParameter('--data or --calibration', 'a feature store to calibrate on, or a calibration file from mohaq calibrate', undefined);
      const { model: quantized } = q.quantizeModel(model, bits, calibration, quant);
      saveModel(opts.out, quantized);
      const size = q.modelSize(model.arch, bits, quant);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ model: opts.model, out: opts.out, bits: q.formatBitsSpec(bits, Object.keys(bits)), size }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`wrote ${opts.out}: ${q.formatBitsSpec(bits, Object.keys(bits))}, ${formatBytes(size.bytes)} quantized (fp32 ${formatBytes(size.fp32Bytes)}, compression ${size.compression.toFixed(2)}x)\n${q.formatModelSize(size)}`);
    });
}
