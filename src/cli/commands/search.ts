import type { Command } from 'commander';
import { intFlag, numberFlag, sizeFlag } from '../flags.js';

interface SearchFlags {
  model?: string;
  data?: string;
  platform?: string;
  objectives?: string;
  maxMemory?: number;
  maxError?: number;
  generations: number;
  population: number;
  offspring: number;
  seed: number;
  workers?: number;
  split: string;
  optSize: number;
  calibration?: string;
  skipCandidate?: string;
  exhaustive?: boolean;
  delta?: boolean;
  beacons?: string;
  beaconDistance?: number;
  maxBeacons?: number;
  beaconEpochs?: number;
  beaconMinError?: number;
  beaconMaxError?: number;
  beaconMinSpeedup?: number;
  out?: string;
  force?: boolean;
  resume?: string;
  json?: boolean;
}

/**
 * `mohaq search`: the inference-only MOHAQ search (NSGA-II over per-matrix precisions, PTQ error on the
 * optimisation subset, platform cost), written to a run directory; `--resume RUN_DIR` continues one.
 */
export function register(program: Command): void {
  program
    .command('search')
    .description('search per-matrix bit-widths with NSGA-II: PTQ error vs platform cost, written to a run directory')
    .option('--model <file>', 'trained model (.safetensors)')
    .option('--data <dir>', 'feature store (mohaq features)')
    .option('--platform <name|file>', 'silago, bitfusion, bitfusion-sim, size, or a platform JSON file')
    .option('--objectives <list>', 'comma-separated: error, speedup, energy, memory, compression, eliminated (with --delta) (default: error,speedup)')
    .option('--max-memory <size>', 'memory constraint, e.g. 2MiB (default: the platform capacity, if any)', sizeFlag('--max-memory'))
    .option('--max-error <percent>', 'PER constraint in percent', numberFlag('--max-error', 0, 100))
    .option('--generations <n>', 'NSGA-II generations (the initial population counts as one)', intFlag('--generations', 1), 60)
    .option('--population <n>', 'population size', intFlag('--population', 2), 40)
    .option('--offspring <n>', 'offspring per generation', intFlag('--offspring', 1), 10)
    .option('--seed <n>', 'fixes every random choice of the search', intFlag('--seed'), 1)
    .option('--workers <n>', 'worker threads evaluating genomes (default: the number of cores)', intFlag('--workers', 1, 256))
    .option('--split <name>', 'where the error is measured: opt (seeded subset of dev), dev or test', 'opt')
    .option('--opt-size <n>', 'utterances in the opt subset', intFlag('--opt-size', 1), 100)
    .option('--calibration <file>', 'activation calibration (mohaq calibrate); default: computed on the opt subset and cached')
    .option('--skip-candidate <all|K>', 'keep the candidate path of LSTM/GRU/LiGRU recurrent matrices at 16 bits (all layers or the first K)')
    .option('--exhaustive', 'evaluate every genome (small spaces, e.g. SiLago) instead of searching')
    .option('--delta', 'add delta-network thresholds as genes (objective "eliminated" = share of MACs skipped; default objectives error,speedup,eliminated)')
    .option('--beacons <auto|file>', 'beacon-based search: retrain promising genomes (auto) or use a fixed set (JSON file of {"bits", "model"?})')
    .option('--beacon-distance <d>', 'largest weight-gene distance (log2-bit steps) a beacon serves', numberFlag('--beacon-distance', 0), 5)
    .option('--max-beacons <n>', 'most beacons retrained by --beacons auto', intFlag('--max-beacons', 1), 4)
    .option('--beacon-epochs <n>', 'QAT epochs per beacon (the papers: 20)', intFlag('--beacon-epochs', 1), 4)
    .option('--beacon-min-error <percent>', 'promising genomes have a PTQ error above this (default: all-16 error + 1)', numberFlag('--beacon-min-error', 0, 100))
    .option('--beacon-max-error <percent>', 'promising genomes have a PTQ error at most this (default: --max-error + 10)', numberFlag('--beacon-max-error', 0, 100))
    .option('--beacon-min-speedup <x>', 'promising genomes have at least this speedup', numberFlag('--beacon-min-speedup', 0), 1)
    .option('--out <dir>', 'run directory to create')
    .option('--force', 'overwrite an existing run directory')
    .option('--resume <dir>', 'continue the search of this run directory from its last checkpoint')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  mohaq search --model models/sru-small.safetensors --data feats --platform silago --objectives error,speedup,energy --out runs/silago\n' +
        '  mohaq search --model M --data feats --platform bitfusion --max-memory 80KiB --max-error 30 --out runs/bf\n' +
        '  mohaq search --resume runs/bf',
    )
    .action(async (flags: SearchFlags) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const { autoProgress } = await import('../../util/progress.js');
      const search = await import('../../search/quant-search.js');
      const { withInterrupts } = await import('../interrupt.js');
      const progress = autoProgress();
      const result = await withInterrupts('stopping after the current generation; resume with --resume', async (signal) => {
        if (flags.resume) {
          return search.resumeQuantSearch(flags.resume, { ...(flags.workers ? { workers: flags.workers } : {}), progress, signal });
        }
        for (const [flag, v] of [
          ['--model', flags.model],
          ['--data', flags.data],
          ['--platform', flags.platform],
          ['--out', flags.out],
        ] as const) {
          if (!v) throw invalidParameter(flag, 'a value (or --resume RUN_DIR)', undefined);
        }
        const { parseSkipCandidate } = await import('../../quant/options.js');
        return search.runQuantSearch({
          model: flags.model!,
          data: flags.data!,
          platform: flags.platform!,
          ...(flags.objectives ? { objectives: flags.objectives.split(',').map((s) => s.trim()) as never } : {}),
          delta: flags.delta ?? false,
          ...(flags.maxMemory !== undefined ? { maxMemoryBytes: flags.maxMemory } : {}),
          ...(flags.maxError !== undefined ? { maxError: flags.maxError } : {}),
          generations: flags.generations,
          populationSize: flags.population,
          offspringSize: flags.offspring,
          seed: flags.seed,
          ...(flags.workers ? { workers: flags.workers } : {}),
          split: flags.split,
          opt: { size: flags.optSize },
          ...(flags.calibration ? { calibration: flags.calibration } : {}),
          ...(flags.skipCandidate ? { quant: { skipCandidate: parseSkipCandidate(flags.skipCandidate) } } : {}),
          exhaustive: flags.exhaustive ?? false,
          ...(flags.beacons
            ? {
                beacons: {
                  ...(flags.beacons === 'auto' ? { mode: 'auto' as const } : { mode: 'file' as const, file: flags.beacons }),
                  distance: flags.beaconDistance!,
                  maxBeacons: flags.maxBeacons!,
                  epochs: flags.beaconEpochs!,
                  minSpeedup: flags.beaconMinSpeedup!,
                  ...(flags.beaconMinError !== undefined ? { minError: flags.beaconMinError } : {}),
                  ...(flags.beaconMaxError !== undefined ? { maxError: flags.beaconMaxError } : {}),
                },
              }
            : {}),
          out: flags.out!,
          overwrite: flags.force ?? false,
          progress,
          command: `mohaq ${process.argv.slice(2).join(' ')}`,
          signal,
        });
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const { formatFront } = await import('../../search/front-table.js');
      process.stdout.write(
        `${result.state} after ${result.generation} generation(s): ${result.evaluations} evaluations (${result.cacheHits} from the cache) in ${result.seconds.toFixed(1)} s\n` +
          `${formatFront(result.front)}\nrun directory: ${result.dir}\n`,
      );
    });

  program
    .command('front')
    .description('print the Pareto front of a search run')
    .argument('<run-dir>', 'run directory written by mohaq search')
    .option('--json', 'print front.json')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { readRunDir } = await import('../../search/run-dir.js');
      const { currentFront, formatFront } = await import('../../search/front-table.js');
      const contents = readRunDir(dir);
      const front = currentFront(contents);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(front, null, 2)}\n`);
        return;
      }
      const s = contents.status;
      const note = s.state === 'finished' ? '' : ` (the run is ${s.state}: generation ${s.generation} of ${s.generations}; this is the front so far)`;
      process.stdout.write(`${contents.config.model.name} on ${contents.config.platform.name}, ${s.evaluations} evaluations${note}\n${formatFront(front)}\n`);
    });
}
