import type { Command } from 'commander';
import { numberFlag } from '../flags.js';
import { addOptFlags } from './eval.js';

interface CalibrateCommandOptions {
  model: string;
  data: string;
  out: string;
  split: string;
  percentile: number;
  optSize: number;
  optSeed: number;
  json?: boolean;
}

/**
 * `mohaq calibrate`: activation statistics of a model (per-utterance MMSE clips at 2/4/8 bits, medians
 * over a calibration subset; ranges for the 16-bit formats) written as JSON for `eval`/`quantize`.
 */
export function register(program: Command): void {
  const cmd = program
    .command('calibrate')
    .description('activation calibration of a model (median per-utterance MMSE clips) on a subset of a feature store')
    .requiredOption('--model <file>', 'model file (.safetensors)')
    .requiredOption('--data <dir>', 'feature store (mohaq features)')
    .requiredOption('--out <file>', 'calibration JSON to write')
    .option('--split <name>', 'calibration utterances: opt (the seeded optimization subset of dev), dev, test or train', 'opt')
    .option('--percentile <p>', 'percentile of the percentile statistics (for --activation-clip percentile)', numberFlag('--percentile', 50, 100), 99.99);
  addOptFlags(cmd)
    .option('--json', 'print the calibration as JSON too')
    .addHelpText('after', '\nExample:\n  mohaq calibrate --model models/sru-small.safetensors --data feats --out calib.json\n  mohaq eval --model models/sru-small.safetensors --data feats --bits "*=4/4" --calibration calib.json')
    .action(async (opts: CalibrateCommandOptions) => {
      const { loadModel } = await import('../../nn/io.js');
      const { loadFeatureStore } = await import('../../data/store/store.js');
      const { autoProgress, silentProgress } = await import('../../util/progress.js');
      const q = await import('../../quant/index.js');
      const model = loadModel(opts.model);
      const store = loadFeatureStore(opts.data);
      const set = q.storeSplit(store, opts.split, { size: opts.optSize, seed: opts.optSeed });
      const t0 = performance.now();
      const description = `${store.dir} ${opts.split === 'opt' ? `dev, opt subset (size ${opts.optSize}, seed ${opts.optSeed})` : opts.split}`;
      const calibration = q.calibrate(model, set, { percentile: opts.percentile, description, progress: opts.json ? silentProgress : autoProgress() });
      q.saveCalibration(opts.out, calibration);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(calibration, null, 2)}\n`);
        return;
      }
      const ops = Object.entries(calibration.operands);
      const width = Math.max(7, ...ops.map(([n]) => n.length));
      const lines = [
        `wrote ${opts.out}: ${ops.length} operands, ${calibration.data.utterances} utterances (${calibration.data.frames} frames) of ${description}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        `${'operand'.padEnd(width)}  ${['clip@2', 'clip@4', 'clip@8', 'max|v|', 'range'].map((h) => h.padStart(8)).join('  ')}`,
        ...ops.map(([n, s]) => `${n.padEnd(width)}  ${[s.mmse['2'], s.mmse['4'], s.mmse['8'], s.maxAbs, s.rangeAbs].map((v) => v.toPrecision(4).padStart(8)).join('  ')}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
