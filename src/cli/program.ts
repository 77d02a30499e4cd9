/**
 * The `mohaq` command line: it only translates flags into library calls, prints results, and is the
 * only place that exits. Each sub-command lives in `commands/<name>.ts` and registers itself through
 * `commands/index.ts`; heavy library modules are imported lazily inside the action handlers.
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../util/version.js';
import { isMohaqError } from '../util/errors.js';
import { registerCommands } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mohaq')
    .description(
      'Multi-objective, hardware-aware mixed-precision quantization of recurrent neural networks (SRU, LSTM, GRU, ' +
        'LiGRU): search per-matrix bit-widths that trade error against speedup, energy and memory on an edge platform.',
    )
    .version(VERSION, '-V, --version', 'print the mohaq version')
    .helpOption('-h, --help', 'show help for mohaq or a command')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .exitOverride();
  registerCommands(program);
  // Sub-commands inherit exitOverride so that their usage errors reach `runCli` too.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code (the entry point calls process.exit with it). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(s),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      // commander already printed "error: ..." for usage errors
      return EXIT_USAGE;
    }
    if (isMohaqError(e)) {
      process.stderr.write(`mohaq: ${e.message}\n`);
      if (process.env.MOHAQ_DEBUG) process.stderr.write(`${e.stack}\n`);
      return e.code === 'INVALID_ARGUMENT' ? EXIT_USAGE : EXIT_FAILURE;
    }
    const err = e as Error;
    process.stderr.write(`mohaq: unexpected error: ${err?.message ?? String(e)}\n`);
    if (process.env.MOHAQ_DEBUG) process.stderr.write(`${err?.stack}\n`);
    else process.stderr.write('(this is a bug in mohaq; run with MOHAQ_DEBUG=1 for details)\n');
    return EXIT_FAILURE;
  }
}

export { Command, Option };
