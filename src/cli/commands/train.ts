import type { Command } from 'commander';
import { intFlag, numberFlag } from '../flags.js';
import { parseCurriculum } from './retrain.js';

interface TrainFlags {
  arch: string;
  data: string;
  out: string;
  epochs: number;
  seed: number;
  workers: number;
  resume?: boolean;
  lr?: number;
  batchSize?: number;
  microBatch?: number;
  clipNorm?: number;
  weightDecay?: number;
  dropout?: number;
  patience?: number;
  curriculum?: string;
  monoData?: string;
  monoWeight?: number;
  devPer: boolean;
  log?: string;
  json?: boolean;
}

/**
 * `mohaq train`: trains a model on a feature store and writes it with its tuned phone-loop decoder and
 * its provenance; a killed run continues with --resume.
 */
export function register(program: Command): void {
  program
    .command('train')
    .description('train a model (SRU, LSTM, GRU, LiGRU) on a feature store; checkpoints every epoch, --resume continues')
    .requiredOption('--arch <preset|file>', 'architecture preset (sru-small, lstm-small, gru-small, ligru-small, ...) or JSON file')
    .requiredOption('--data <dir>', 'feature store (mohaq features) with train and dev splits')
    .requiredOption('--out <model>', 'model file to write (.safetensors); checkpoint in <out>.ckpt/')
    .option('--epochs <n>', 'epochs', intFlag('--epochs', 0, 100000), 24)
    .option('--seed <n>', 'seed of initial weights, batch order and dropout', intFlag('--seed'), 1)
    .option('--workers <n>', 'worker threads (the weights do not depend on it)', intFlag('--workers', 1, 256), 1)
    .option('--resume', 'continue from the checkpoint next to --out')
    .option('--lr <x>', 'initial Adam learning rate (default 0.001)', numberFlag('--lr', 0))
    .option('--batch-size <n>', 'utterances per step (default 8)', intFlag('--batch-size', 1))
    .option('--micro-batch <n>', 'utterances per gradient task (default 4)', intFlag('--micro-batch', 1))
    .option('--clip-norm <x>', 'clip the gradient norm (default 5; 0 disables)', numberFlag('--clip-norm', 0))
    .option('--weight-decay <x>', 'Adam L2 weight decay (default 1e-7)', numberFlag('--weight-decay', 0))
    .option('--dropout <p>', "dropout of every layer (default: the architecture's)", numberFlag('--dropout', 0, 0.95))
    .option('--patience <n>', 'stop after n epochs without a better dev FER (default 0: never)', intFlag('--patience', 0))
    .option('--curriculum <spec>', 'sequence-length curriculum START,GROWTH,MAX (default 100,2,1000) or "none"')
    .option('--mono-data <dir>', 'store over the same utterances whose phone labels train a monophone head')
    .option('--mono-weight <x>', 'loss weight of the monophone head (default 1)', numberFlag('--mono-weight', 0))
    .option('--no-dev-per', 'skip the per-epoch dev PER (decoding)')
    .option('--log <file>', 'JSON log (default <out>.log.json)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: TrainFlags) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const { autoProgress } = await import('../../util/progress.js');
      const { trainFromStore } = await import('../../train/run.js');
      const curriculum = parseCurriculum(flags.curriculum, (e, v) => invalidParameter('--curriculum', e, v));
      if (flags.monoWeight !== undefined && !flags.monoData) throw invalidParameter('--mono-weight', 'to be used with --mono-data', flags.monoWeight);
      const { withInterrupts } = await import('../interrupt.js');
      const r = await withInterrupts('stopping after the current batch', (signal) =>
        trainFromStore({
          arch: flags.arch,
          data: flags.data,
          out: flags.out,
          epochs: flags.epochs,
          seed: flags.seed,
          workers: flags.workers,
          resume: flags.resume,
          lr: flags.lr,
          batchSize: flags.batchSize,
          microBatch: flags.microBatch,
          clipNorm: flags.clipNorm,
          weightDecay: flags.weightDecay,
          dropout: flags.dropout,
          patience: flags.patience,
          curriculum,
          monoData: flags.monoData,
          monoWeight: flags.monoWeight,
          devPer: flags.devPer,
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
      const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);
      process.stdout.write(
        `${r.out}: ${r.parameters} parameters, best epoch ${r.bestEpoch}/${r.epochs}${r.stoppedEarly ? ` (stopped early: ${r.stoppedEarly})` : ''}\n` +
          `  dev  FER ${pct(r.dev.fer)}  PER ${pct(r.dev.per)}\n` +
          (r.test ? `  test FER ${pct(r.test.fer)}  PER ${pct(r.test.per)}\n` : '') +
          (r.decoder ? `  phone loop: acoustic scale ${r.decoder.acousticScale}, insertion penalty ${r.decoder.insertionPenalty}\n` : '') +
          `  training ${r.trainSeconds.toFixed(0)} s, scoring ${r.finishSeconds.toFixed(0)} s; log ${r.log}\n`,
      );
    });
}
