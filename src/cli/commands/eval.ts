import type { Command } from 'commander';
import { choiceFlag, intFlag, numberFlag } from '../flags.js';

/** Flags shared by the commands that quantize (eval, quantize, calibrate). */
export interface QuantFlags {
  bits?: string;
  integer?: boolean;
  skipCandidate?: string;
  weightClip?: 'mmse' | 'minmax' | 'percentile';
  weightPercentile?: number;
  perChannel?: boolean;
  activationClip?: 'mmse' | 'minmax' | 'percentile';
  asymmetric?: boolean;
  calibration?: string;
  optSize: number;
  optSeed: number;
}

const CLIPS = ['mmse', 'minmax', 'percentile'] as const;

export function addOptFlags(cmd: Command): Command {
  return cmd
    .option('--opt-size <n>', 'utterances of the optimization subset of dev (split "opt", calibration)', intFlag('--opt-size', 1), 100)
    .option('--opt-seed <n>', 'seed of the optimization subset', intFlag('--opt-seed'), 1);
}

export function addQuantFlags(cmd: Command): Command {
  cmd
    .option('--bits <spec>', 'bits per matrix: NAME=W/A or NAME=B, * for the rest (e.g. "*=8/8,FC=4/8,L0=16"); 2, 4, 8 integer, 16 fixed point, 32 float')
    .option('--skip-candidate <all|K>', 'keep the candidate path of LSTM/GRU/LiGRU recurrent matrices at 16 bits in all layers or the first K')
    .option('--calibration <file>', 'activation calibration from mohaq calibrate (default: computed on the opt subset and cached in FEATDIR/.mohaq-cache)')
    .option('--weight-clip <method>', 'weight clips: mmse (default), minmax or percentile', choiceFlag('--weight-clip', CLIPS))
    .option('--weight-percentile <p>', 'percentile of --weight-clip percentile', numberFlag('--weight-percentile', 0, 100))
    .option('--per-channel', 'one weight scale per output column instead of one per matrix')
    .option('--activation-clip <method>', 'activation clips from calibration: mmse (default), minmax or percentile', choiceFlag('--activation-clip', CLIPS))
    .option('--asymmetric', 'asymmetric activations (a zero point; min-max or percentile range)');
  return addOptFlags(cmd);
}

export async function quantOptionsOf(flags: QuantFlags): Promise<import('../../quant/options.js').QuantOptions> {
  const { parseSkipCandidate } = await import('../../quant/options.js');
  return {
    integer: flags.integer ?? false,
    skipCandidate: flags.skipCandidate === undefined ? null : parseSkipCandidate(flags.skipCandidate),
    weightClip: flags.weightClip,
    weightPercentile: flags.weightPercentile,
    perChannel: flags.perChannel,
    activationClip: flags.activationClip,
    asymmetric: flags.asymmetric,
  };
}

function percent(v: number): string {
  return `${(100 * v).toFixed(2)} %`;
}

interface EvalOptions extends QuantFlags {
  model: string;
  data: string;
  split: string;
  threads: number;
  batchFrames: number;
  json?: boolean;
  integerOnly?: boolean;
}

/**
 * `mohaq eval`: frame and phone error rates of a model on a split of a feature store, in float or
 * quantized by a bits spec (fake quantization, or integer-exact with --integer), with the model size.
 */
export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('frame and phone error rate of a model on a feature store split, float or quantized (--bits)')
    .requiredOption('--model <file>', 'model file (.safetensors)')
    .requiredOption('--data <dir>', 'feature store (mohaq features)')
    .option('--split <name>', 'dev, test, train, or opt (the seeded optimization subset of dev)', 'dev')
    .option('--integer', 'integer-exact products (integer codes, i32 accumulation) instead of fake quantization')
    .option('--integer-only', "integer-only inference: mohaq's integer engine (fixed-point recurrence, table sigmoid/tanh), what the C export computes");
  addQuantFlags(cmd)
    .option('--threads <n>', 'worker threads (results are identical for any number)', intFlag('--threads', 1, 256), 1)
    .option('--batch-frames <n>', 'padded frames per batch', intFlag('--batch-frames', 1), 8000)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mohaq eval --model models/sru-small.safetensors --data feats --split test\n  mohaq eval --model models/sru-small.safetensors --data feats --bits "*=4/4,FC=8/8" --integer\n  mohaq eval --model lstm.safetensors --data feats --bits "*=2/8" --skip-candidate all --json',
    )
    .action(async (opts: EvalOptions) => {
      const { loadModel } = await import('../../nn/io.js');
      const { loadFeatureStore } = await import('../../data/store/store.js');
      const { autoProgress, silentProgress } = await import('../../util/progress.js');
      const q = await import('../../quant/index.js');
      const { formatBytes } = await import('../../util/units.js');
      const { invalidParameter } = await import('../../util/errors.js');
      const model = loadModel(opts.model);
      const store = loadFeatureStore(opts.data);
      const opt = { size: opts.optSize, seed: opts.optSeed };
      const set = q.storeSplit(store, opts.split, opt);
      const decoder = q.resolveDecoder(model, store, opts.model);
      const quant = await quantOptionsOf(opts);
      const progress = opts.json ? silentProgress : autoProgress();
      const stored = q.storedQuantization(model, opts.model);
      if (stored && opts.bits !== undefined) throw invalidParameter('--bits', `no --bits for ${opts.model}: it is already quantized (${stored.bits})`, opts.bits);
      const bits = stored ? stored.assignment : q.resolveBits(model, opts.bits ?? '*=32/32', '--bits');
      const float = q.isFloatAssignment(bits);
      if (float && (opts.integer || quant.skipCandidate !== null)) progress.log('note: every matrix is 32/32 (float); --integer and --skip-candidate apply to quantized matrices only');
      const cal = float || stored ? null : q.storeCalibration(model, store, { file: opts.calibration, opt, progress });
      const integerOnly = opts.integerOnly ? await import('../../export/index.js') : null;
      const result = integerOnly
        ? await integerOnly.evaluateIntegerModel(integerOnly.integerModelFor(model, bits, cal?.calibration ?? null, quant, opts.model), set, { decoder, threads: opts.threads, progress })
        : await q.evaluateModel(model, set, { decoder, bits: stored ? undefined : bits, calibration: cal?.calibration, quant, threads: opts.threads, batchFrames: opts.batchFrames, progress });
      const size = q.modelSize(model.arch, bits, stored ? stored.options : quant);
      const spec = q.formatBitsSpec(bits, Object.keys(bits));
      const skip = stored ? stored.options.skipCandidate : quant.skipCandidate;
      if (opts.json) {
        const out = { model: opts.model, architecture: model.arch.name, data: opts.data, split: opts.split, bits: spec, integer: !!opts.integer && !float, ...(opts.integerOnly ? { integerOnly: true } : {}), skipCandidate: skip ?? null, calibration: cal?.source ?? (stored ? 'stored in the model file' : null), ...result, size };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const mode = `${opts.integerOnly ? 'integer-only' : float ? 'float' : opts.integer ? 'integer-exact' : 'fake quantization'}${stored ? ', stored in the model file' : ''}`;
      const lines = [
        `${model.arch.name} (${opts.model}) on ${opts.split}: ${result.utterances} utterances, ${result.frames} frames, ${result.seconds.toFixed(1)} s`,
        `bits ${spec} (${mode}${skip != null ? `, candidate path at 16 bits in ${skip === 'all' ? 'all layers' : `the first ${skip} layers`}` : ''})`,
        ...(cal ? [`calibration ${cal.source}`] : []),
        `FER ${percent(result.fer)}   PER ${percent(result.per)}  (S ${result.substitutions}, D ${result.deletions}, I ${result.insertions} of ${result.refPhones} phones)`,
        `size ${formatBytes(size.bytes)} (fp32 ${formatBytes(size.fp32Bytes)}, compression ${size.compression.toFixed(2)}x)`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
