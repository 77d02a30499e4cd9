import type { Command } from 'commander';
import { intFlag, numberFlag } from '../flags.js';
import { addQuantFlags, quantOptionsOf } from './eval.js';
import type { QuantFlags } from './eval.js';

interface RetrainFlags extends QuantFlags {
  model: string;
  data: string;
  out: string;
  epochs: number;
  seed: number;
  workers: number;
  resume?: boolean;
  lr: number;
  batchSize?: number;
  microBatch?: number;
  clipNorm?: number;
  patience?: number;
  curriculum?: string;
  log?: string;
  json?: boolean;
}

/** Parses `--curriculum START,GROWTH,MAX | none` (shared with train). */
export function parseCurriculum(text: string | undefined, invalid: (expected: string, value: string) => Error): { start: number; growth: number; max: number } | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) throw invalid('START,GROWTH,MAX (e.g. 100,2,1000) or none', text);
  return { start: parts[0]!, growth: parts[1]!, max: parts[2]! };
}

/**
 * `mohaq retrain`: quantization-aware retraining of a trained model for one bits assignment (a beacon):
 * quantized forward passes, straight-through gradients, float master weights re-quantized every step.
 */
export function register(program: Command): void {
  const cmd = program
    .command('retrain')
    .description('quantization-aware retraining of a model for a bits spec (beacons): writes the retrained float weights')
    .requiredOption('--model <file>', 'trained float model (.safetensors)')
    .requiredOption('--data <dir>', 'feature store with train and dev splits')
    .requiredOption('--out <model>', 'retrained model file to write; checkpoint in <out>.ckpt/');
  addQuantFlags(cmd)
    .option('--epochs <n>', 'epochs (the papers: 20)', intFlag('--epochs', 0, 100000), 8)
    .option('--seed <n>', 'seed of batch order and dropout', intFlag('--seed'), 1)
    .option('--workers <n>', 'worker threads (the weights do not depend on it)', intFlag('--workers', 1, 256), 1)
    .option('--resume', 'continue from the checkpoint next to --out')
    .option('--lr <x>', 'initial Adam learning rate', numberFlag('--lr', 0), 3e-4)
    .option('--batch-size <n>', 'utterances per step (default 8)', intFlag('--batch-size', 1))
    .option('--micro-batch <n>', 'utterances per gradient task (default 4)', intFlag('--micro-batch', 1))
    .option('--clip-norm <x>', 'clip the gradient norm (default 5; 0 disables)', numberFlag('--clip-norm', 0))
    .option('--patience <n>', 'stop after n epochs without a better quantized dev FER (default 0: never)', intFlag('--patience', 0))
    .option('--curriculum <spec>', 'sequence-length curriculum START,GROWTH,MAX or "none" (default none: whole utterances)', 'none')
    .option('--log <file>', 'JSON log (default <out>.log.json)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: RetrainFlags) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const { autoProgress } = await import('../../util/progress.js');
      const { retrainFromStore } = await import('../../train/retrain.js');
      const bits = flags.bits;
      if (!bits) throw invalidParameter('--bits', 'the bits spec to retrain for (e.g. "*=4/4")', undefined);
      const quant = await quantOptionsOf(flags);
      const { withInterrupts } = await import('../interrupt.js');
      const r = await withInterrupts('stopping after the current batch', (signal) =>
        retrainFromStore({
          model: flags.model,
          data: flags.data,
          out: flags.out,
          bits,
          calibration: flags.calibration,
          opt: { size: flags.optSize, seed: flags.optSeed },
          quant,
          epochs: flags.epochs,
          seed: flags.seed,
          workers: flags.workers,
          resume: flags.resume,
          lr: flags.lr,
          batchSize: flags.batchSize,
          microBatch: flags.microBatch,
          clipNorm: flags.clipNorm,
          patience: flags.patience,
          curriculum: parseCurriculum(flags.curriculum, (e, v) => invalidParameter('--curriculum', e, v)),
          log: flags.log,
          command: `mohaq ${process.argv.slice(2).join(' ')}`,
          progress: autoProgress(),
          signal,
        }),
      );
      if (flags.json) {
        const { history: _h, ...rest } = r;
        process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
        return;
      }
      const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
      const row = (name: string, b: { fer: number; per: number }, a: { fer: number; per: number }) => `  ${name.padEnd(4)} FER ${pct(b.fer)} -> ${pct(a.fer)}  PER ${pct(b.per)} -> ${pct(a.per)}\n`;
      process.stdout.write(
        `${r.out}: retrained for ${r.bits}, best epoch ${r.bestEpoch}/${r.epochs} (${r.trainSeconds.toFixed(0)} s)\n` +
          row('dev', r.before.dev, r.after.dev) +
          (r.before.test && r.after.test ? row('test', r.before.test, r.after.test) : '') +
          `  log ${r.log}\n`,
      );
    });
}
