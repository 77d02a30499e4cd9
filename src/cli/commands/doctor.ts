import type { Command } from 'commander';

/**
 * `mohaq doctor`: checks that this machine runs mohaq's numeric core (WASM SIMD kernels against the
 * reference backend) and reports how fast it is here.
 */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the kernels on this machine (WASM SIMD vs reference) and report their speed')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runDoctor, formatDoctorReport } = await import('../../kernels/doctor.js');
      const report = await runDoctor();
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
      if (!report.ok) throw new (await import('../../util/errors.js')).MohaqError('INTERNAL', 'kernel self-check failed (see the report above)');
    });
}
