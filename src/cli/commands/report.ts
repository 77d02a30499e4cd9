import type { Command } from 'commander';

interface ReportOptions {
  png?: boolean;
  out?: string;
  title?: string;
  open?: boolean;
}

/**
 * `mohaq report RUN_DIR [RUN_DIR ...]`: the HTML report of a search (Pareto plots, the front as a
 * sortable table, hypervolume per generation, run metadata), self-contained in one file; with several
 * run directories, one page that shows them side by side.
 */
export function register(program: Command): void {
  program
    .command('report')
    .description('write the HTML report of a search run (Pareto plots, front table, progress); several runs: side by side')
    .argument('<run-dir...>', 'run directories written by mohaq search')
    .option('--png', 'also write PNG copies of the plots to plots/ beside the report')
    .option('--out <file>', 'where to write the page (default: RUN_DIR/report.html; required with several run directories)')
    .option('--title <text>', 'page title (default: "<model> on <platform>: mohaq report")')
    .option('--open', 'open the report in the default browser afterwards')
    .addHelpText(
      'after',
      '\nExamples:\n  mohaq report runs/silago\n  mohaq report runs/bitfusion --png\n  mohaq report runs/silago runs/bitfusion --out compare.html',
    )
    .action(async (runDirs: string[], opts: ReportOptions) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const report = await import('../../report/index.js');
      if (runDirs.length > 1 && !opts.out) throw invalidParameter('--out', `an output file (required when comparing ${runDirs.length} run directories)`, undefined);
      const common = { png: opts.png ?? false, ...(opts.title ? { title: opts.title } : {}) };
      const written =
        runDirs.length === 1
          ? await report.writeReport(runDirs[0]!, { ...common, ...(opts.out ? { out: opts.out } : {}) })
          : await report.writeComparisonReport(runDirs, opts.out!, common);
      for (const note of written.report.problems) process.stderr.write(`note: ${note}\n`);
      process.stdout.write(`${written.htmlPath}\n`);
      for (const p of written.pngPaths) process.stdout.write(`${p}\n`);
      if (opts.open) await openInBrowser(written.htmlPath);
    });
}

/** Hands the page to the desktop's opener; says so (without failing) when there is none. */
async function openInBrowser(path: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const [cmd, args] = process.platform === 'darwin' ? ['open', [path]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', path]] : ['xdg-open', [path]];
  await new Promise<void>((resolve) => {
    const child = spawn(cmd as string, args as string[], { detached: true, stdio: 'ignore' });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
    child.once('error', () => {
      process.stderr.write(`note: could not run ${cmd} to open the report; open ${path} in a browser\n`);
      resolve();
    });
  });
}
