import type { Command } from 'commander';
import { intFlag } from '../flags.js';

/**
 * `mohaq demo`: the main job. On the built-in default data and model it runs a SiLago search, a
 * Bitfusion search with beacons and a delta-network sweep, writes the reports and prints a summary.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on the built-in corpus and default model: two searches, a delta sweep, reports')
    .option('--out <dir>', 'where the runs and reports go', 'mohaq-demo')
    .option('--quick', 'a small budget (about 2 minutes) instead of the full demo (about 10)')
    .option('--workers <n>', 'worker threads (default: the number of cores)', intFlag('--workers', 1, 256))
    .option('--cache <dir>', 'where the synthetic corpus and its features are cached (default: $MOHAQ_CACHE or ~/.cache/mohaq)')
    .option('--force', 'start the searches afresh (default: reuse finished ones, resume interrupted ones)')
    .option('--png', 'also write PNG copies of the plots')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: { out: string; quick?: boolean; workers?: number; cache?: string; force?: boolean; png?: boolean; json?: boolean }) => {
      const { runDemo, formatDemoSummary } = await import('../../demo/index.js');
      const { autoProgress } = await import('../../util/progress.js');
      const { withInterrupts } = await import('../interrupt.js');
      const summary = await withInterrupts('stopping after the current generation; run mohaq demo again to continue', (signal) =>
        runDemo({
          out: flags.out,
          quick: flags.quick ?? false,
          ...(flags.workers ? { workers: flags.workers } : {}),
          ...(flags.cache ? { cacheDir: flags.cache } : {}),
          force: flags.force ?? false,
          png: flags.png ?? false,
          progress: autoProgress(),
          signal,
        }),
      );
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatDemoSummary(summary));
    });
}
