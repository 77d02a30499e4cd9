import type { Command } from 'commander';

/** `mohaq data inspect PATH`: what a TIMIT tree, feature store, Kaldi scp/ark or numpy file holds. */
export function register(program: Command): void {
  const data = program.command('data').description('inspect speech data sources (TIMIT, feature stores, Kaldi archives, numpy)');
  data
    .command('inspect')
    .description('utterances, speakers, frames, feature dimension, label set size, shortest/longest utterance')
    .argument('<path>', 'TIMIT root, feature store directory, .scp/.ark (or ark:/scp: spec), .npz/.npy')
    .option('--labels <file>', 'numpy labels file for a .npz/.npy of features')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, opts: { json?: boolean; labels?: string }) => {
      const { inspectSource, formatInspectReport } = await import('../../data/inspect.js');
      const report = inspectSource(path, { labels: opts.labels });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
    });
}
