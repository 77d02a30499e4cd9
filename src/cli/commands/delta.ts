import type { Command } from 'commander';
import { intFlag, numberFlag } from '../flags.js';
import { addQuantFlags, quantOptionsOf } from './eval.js';
import type { QuantFlags } from './eval.js';

interface DeltaOptions extends QuantFlags {
  model: string;
  data: string;
  split: string;
  thresholds?: string;
  sweep?: boolean;
  out?: string;
  maxIncrease: number;
  features?: boolean;
  rounds: number;
  maxEvaluations: number;
  batchFrames: number;
  json?: boolean;
}

/**
 * `mohaq delta`: delta-network inference of a quantized model (elements that changed by no more than
 * a threshold are not transmitted and their MACs are skipped): per-matrix temporal sparsity and
 * eliminated operations with the error, or a threshold sweep's error vs eliminated-operations front.
 */
export function register(program: Command): void {
  const cmd = program
    .command('delta')
    .description('delta networks on a quantized model: temporal sparsity, eliminated operations and error (--thresholds), or the threshold front (--sweep)')
    .requiredOption('--model <file>', 'model file (.safetensors, float)')
    .requiredOption('--data <dir>', 'feature store (mohaq features)')
    .option('--split <name>', 'dev, test, train, or opt (the seeded optimization subset of dev)', 'opt')
    .option('--thresholds <spec>', 'threshold per matrix input: NAME=VALUE, * for the rest (e.g. "*=16,L0=0"); quantization steps of the input, absolute for 32-bit inputs')
    .option('--sweep', 'sweep threshold combinations and print the PER vs eliminated-operations front')
    .option('--out <dir>', 'with --sweep: write delta-sweep.json and the report section sections/delta-sweep.json into this (run) directory')
    .option('--max-increase <points>', 'with --sweep: PER increase in points allowed for the headline figure', numberFlag('--max-increase', 0, 100), 1)
    .option('--features', 'with --sweep: also threshold the network input (layer 0 input; kept at 0 by default, as the papers)')
    .option('--rounds <n>', 'with --sweep: rounds of per-matrix threshold variations around the front', intFlag('--rounds', 0, 20), 4)
    .option('--max-evaluations <n>', 'with --sweep: threshold combinations evaluated at most', intFlag('--max-evaluations', 1), 300);
  addQuantFlags(cmd)
    .option('--batch-frames <n>', 'padded frames per batch', intFlag('--batch-frames', 1), 8000)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mohaq delta --model models/sru-small.safetensors --data feats --bits "*=8/8" --thresholds "*=4,L0=0,L1=8,L2=8"\n' +
        '  mohaq delta --model models/sru-small.safetensors --data feats --bits "*=4/4" --sweep --out runs/delta4\n' +
        '  mohaq delta --model lstm.safetensors --data feats --split test --bits "*=8/8" --thresholds "*=8,L0=0" --json',
    )
    .action(async (opts: DeltaOptions) => {
      const { loadModel } = await import('../../nn/io.js');
      const { loadFeatureStore } = await import('../../data/store/store.js');
      const { autoProgress, silentProgress } = await import('../../util/progress.js');
      const { invalidParameter } = await import('../../util/errors.js');
      const { writeJsonAtomic } = await import('../../util/fsx.js');
      const { join } = await import('node:path');
      const q = await import('../../quant/index.js');
      const d = await import('../../delta/index.js');
      if ((opts.thresholds === undefined) === !opts.sweep) throw invalidParameter('--thresholds / --sweep', 'exactly one of --thresholds SPEC and --sweep', opts.sweep ? 'both' : 'neither');
      if (opts.out !== undefined && !opts.sweep) throw invalidParameter('--out', 'a directory only with --sweep', opts.out);
      if (opts.bits === undefined) throw invalidParameter('--bits', 'a bits spec (e.g. "*=8/8"; "*=32" for the float model)', undefined);
      const model = loadModel(opts.model);
      const store = loadFeatureStore(opts.data);
      const opt = { size: opts.optSize, seed: opts.optSeed };
      const set = q.storeSplit(store, opts.split, opt);
      const decoder = q.resolveDecoder(model, store, opts.model);
      const quant = await quantOptionsOf(opts);
      const progress = opts.json ? silentProgress : autoProgress();
      const bits = q.resolveBits(model, opts.bits, '--bits');
      const float = q.isFloatAssignment(bits);
      const cal = float ? null : q.storeCalibration(model, store, { file: opts.calibration, opt, progress });
      const evaluator = new d.DeltaEvaluator(model, set, { calibration: cal?.calibration ?? null, decoder, quant, batchFrames: opts.batchFrames });
      const spec = q.formatBitsSpec(bits, Object.keys(bits));
      const head = [
        `${model.arch.name} (${opts.model}) on ${opts.split}: ${set.utterances.length} utterances`,
        `bits ${spec} (${float ? 'float' : 'integer-exact'}${quant.skipCandidate != null ? `, candidate path at 16 bits in ${quant.skipCandidate === 'all' ? 'all layers' : `the first ${quant.skipCandidate} layers`}` : ''})`,
        ...(cal ? [`calibration ${cal.source}`] : []),
      ];

      if (opts.sweep) {
        const result = d.deltaSweep(evaluator, bits, { maxIncrease: opts.maxIncrease / 100, features: opts.features, rounds: opts.rounds, maxEvaluations: opts.maxEvaluations, progress });
        const written: string[] = [];
        if (opts.out !== undefined) {
          const file = join(opts.out, 'delta-sweep.json');
          writeJsonAtomic(file, { format: 'mohaq-delta-sweep/1', model: opts.model, architecture: model.arch.name, data: opts.data, split: opts.split, ...result });
          const section = join(opts.out, 'sections', 'delta-sweep.json');
          writeJsonAtomic(section, d.deltaSweepSection(result, model.arch.name));
          written.push(file, section);
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ model: opts.model, architecture: model.arch.name, data: opts.data, split: opts.split, ...result }, null, 2)}\n`);
          return;
        }
        const lines = [...head, `candidate thresholds: ${candidateLine(result.candidates, result.groups)}`, ...d.formatDeltaSweep(result), ...written.map((f) => `wrote ${f}`)];
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }

      const thresholds = evaluator.thresholds(opts.thresholds!, '--thresholds');
      const result = evaluator.evaluate(bits, thresholds);
      const dense = evaluator.dense(bits);
      if (opts.json) {
        const out = { model: opts.model, architecture: model.arch.name, data: opts.data, split: opts.split, bits: spec, thresholds: d.formatThresholdSpec(thresholds, evaluator.matrixNames), skipCandidate: quant.skipCandidate ?? null, calibration: cal?.source ?? null, ...result, dense };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines = [
        ...head,
        `thresholds ${d.formatThresholdSpec(thresholds, evaluator.matrixNames)}; ${result.frames} frames, ${result.seconds.toFixed(1)} s`,
        ...d.formatDeltaResult(result, dense),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** `x: 0 8 16 32 48; fc: ...` (the distinct candidate lists of the swept groups). */
function candidateLine(candidates: Record<string, number[]>, groups: Record<string, string[]>): string {
  return Object.entries(groups)
    .filter(([, names]) => names.length > 0)
    .map(([g, names]) => `${g} ${[...new Set(names.map((n) => candidates[n]!.join(' ')))].join(' | ')}`)
    .join('; ');
}
