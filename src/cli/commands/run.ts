import type { Command } from 'commander';
import { intFlag } from '../flags.js';

interface RunCommandOptions {
  model: string;
  input: string;
  output: string;
  threads: number;
  batchSize: number;
}

/**
 * `mohaq run`: logits (before softmax) of a model for features in a .npy file, [T, D] (one utterance) or
 * [B, T, D] (B utterances of T frames), written as float32 .npy of [T, out] or [B, T, out].
 */
export function register(program: Command): void {
  program
    .command('run')
    .description('run a model on features from a .npy file and write the logits (before softmax) as .npy')
    .requiredOption('--model <file>', 'model file (.safetensors)')
    .requiredOption('--input <file>', 'features .npy of shape [T, D] or [B, T, D] (any numeric dtype)')
    .requiredOption('--output <file>', 'logits .npy to write: [T, out] or [B, T, out], float32')
    .option('--threads <n>', 'worker threads, each running whole utterances (results are identical for any n)', intFlag('--threads', 1, 256), 1)
    .option('--batch-size <n>', 'utterances per forward pass', intFlag('--batch-size', 1, 4096), 8)
    .addHelpText('after', '\nExample:\n  mohaq run --model sru.safetensors --input feats.npy --output logits.npy --threads 2')
    .action(async (opts: RunCommandOptions) => {
      const { readFileOrThrow, writeFileAtomic } = await import('../../util/fsx.js');
      const { invalidFile } = await import('../../util/errors.js');
      const { readNpy, writeNpy, npyToFloat32 } = await import('../../data/npy.js');
      const { runModelFile } = await import('../../nn/run.js');
      const a = readNpy(readFileOrThrow(opts.input, 'input features'), opts.input);
      if (a.shape.length !== 2 && a.shape.length !== 3) throw invalidFile(opts.input, `expected features of shape [T, D] or [B, T, D] but found [${a.shape.join(', ')}]`);
      if (a.dtype === 'b1') throw invalidFile(opts.input, 'expected numeric features but found a boolean array');
      const [B, T, D] = a.shape.length === 2 ? [1, a.shape[0]!, a.shape[1]!] : (a.shape as [number, number, number]);
      const t0 = performance.now();
      const { logits, output } = await runModelFile(opts.model, { x: npyToFloat32(a), B, T, D }, { threads: opts.threads, batchSize: opts.batchSize });
      const seconds = (performance.now() - t0) / 1000;
      const shape = a.shape.length === 2 ? [T, output] : [B, T, output];
      writeFileAtomic(opts.output, writeNpy({ dtype: 'f4', shape, data: logits }, 'logits'));
      process.stderr.write(`wrote ${opts.output}: logits [${shape.join(', ')}] for ${B * T} frames in ${seconds.toFixed(2)} s (${((B * T) / seconds).toFixed(0)} frames/s, ${opts.threads} thread${opts.threads > 1 ? 's' : ''})\n`);
    });
}
