import type { Command } from 'commander';
import { choiceFlag, intFlag, numberFlag } from '../flags.js';

interface FeaturesFlags {
  out: string;
  corpus?: string;
  kaldiFeats?: string;
  kaldiAli?: string;
  phones?: string;
  kaldiText?: string;
  utt2spk?: string;
  numPdfs?: number;
  numpy?: string;
  numpyLabels?: string;
  labelSet?: 'phone48' | 'pdf';
  split?: string;
  kind: 'fbank' | 'mfcc';
  melBins?: number;
  numCeps?: number;
  lowFreq?: number;
  highFreq?: number;
  window?: 'povey' | 'hamming' | 'hanning' | 'sine' | 'rectangular' | 'blackman';
  dither?: number;
  seed?: number;
  useEnergy?: boolean;
  snipEdges: boolean;
  cmvn?: 'none' | 'speaker-mean' | 'speaker-meanvar' | 'utterance-mean' | 'utterance-meanvar';
  includeSa?: boolean;
  splits?: string;
  json?: boolean;
}

const CMVN = ['none', 'speaker-mean', 'speaker-meanvar', 'utterance-mean', 'utterance-meanvar'] as const;

/**
 * `mohaq features`: builds a feature store (index.json + <split>.npz) from a TIMIT tree, from Kaldi
 * feature and alignment archives, or from numpy files.
 */
export function register(program: Command): void {
  program
    .command('features')
    .description('compute Kaldi-compatible features and frame labels into a feature store (index.json + <split>.npz)')
    .requiredOption('--out <dir>', 'feature store directory to write')
    .option('--corpus <dir>', 'TIMIT tree (TRAIN|TEST/DR*/SPEAKER/*.WAV + .PHN)')
    .option('--kaldi-feats <scp|ark>', 'Kaldi features: feats.scp or a .ark (FM, DM, CM, CM2, CM3 or text)')
    .option('--kaldi-ali <ark>', 'Kaldi alignments (ali-to-phones --per-frame=true, or ali-to-pdf), .ark or .gz')
    .option('--phones <phones.txt>', 'symbol table of the phone alignments (without it labels are pdf ids)')
    .option('--kaldi-text <text>', 'phone-level Kaldi text for reference phone sequences (default: collapsed frame labels)')
    .option('--utt2spk <file>', 'speakers for CMVN (default: utt2spk next to the features, else the id up to "_")')
    .option('--num-pdfs <n>', 'label set size of pdf alignments (default: largest id + 1)', intFlag('--num-pdfs', 1))
    .option('--numpy <file>', 'numpy features: .npz (concatenated or per utterance) or .npy')
    .option('--numpy-labels <file>', 'numpy labels when not inside the features file')
    .option('--label-set <set>', 'numpy labels are 48-phone indices (phone48) or any ids (pdf)', choiceFlag('--label-set', ['phone48', 'pdf'] as const))
    .option('--split <name>', 'split to write for Kaldi/numpy input (default train); run again to add dev and test')
    .option('--kind <kind>', 'fbank or mfcc (TIMIT input)', choiceFlag('--kind', ['fbank', 'mfcc'] as const), 'fbank')
    .option('--mel-bins <n>', 'mel filters (default 23, as the papers)', intFlag('--mel-bins', 3, 256))
    .option('--num-ceps <n>', 'cepstra for mfcc (default 13)', intFlag('--num-ceps', 1, 256))
    .option('--low-freq <hz>', 'lowest mel filter edge (default 20)', numberFlag('--low-freq', 0))
    .option('--high-freq <hz>', 'highest edge; <= 0 is an offset from Nyquist (default 0)', numberFlag('--high-freq'))
    .option('--window <type>', 'window (default povey)', choiceFlag('--window', ['povey', 'hamming', 'hanning', 'sine', 'rectangular', 'blackman'] as const))
    .option('--dither <x>', 'Gaussian dither (default 0: deterministic)', numberFlag('--dither', 0))
    .option('--seed <n>', 'seed for dither', intFlag('--seed'))
    .option('--use-energy', 'add the log energy (fbank: as feature 0; mfcc: in place of c0, the default there)')
    .option('--no-use-energy', 'mfcc: keep c0 instead of the log energy')
    .option('--no-snip-edges', 'frames centred on multiples of the shift, edges reflected (Kaldi --snip-edges=false)')
    .option('--cmvn <kind>', `normalisation: ${CMVN.join(', ')} (default speaker-mean, as pytorch-kaldi)`, choiceFlag('--cmvn', CMVN))
    .option('--include-sa', 'keep the SA sentences in the TIMIT training split')
    .option('--splits <list>', 'TIMIT splits to build (default train,dev,test)')
    .option('--json', 'print the resulting index summary as JSON')
    .action(async (flags: FeaturesFlags) => {
      const { invalidParameter } = await import('../../util/errors.js');
      const { autoProgress } = await import('../../util/progress.js');
      const sources = [flags.corpus && '--corpus', flags.kaldiFeats && '--kaldi-feats', flags.numpy && '--numpy'].filter(Boolean);
      if (sources.length !== 1) throw invalidParameter('the input', 'exactly one of --corpus, --kaldi-feats or --numpy', sources.length ? sources.join(' and ') : undefined);
      const progress = autoProgress();
      const data = await import('../../data/index.js');
      let index;
      if (flags.corpus) {
        const splits = flags.splits?.split(',').map((s) => s.trim());
        for (const s of splits ?? []) if (!data.SPLIT_NAMES.includes(s as never)) throw invalidParameter('--splits', `a comma-separated list of ${data.SPLIT_NAMES.join(', ')}`, flags.splits);
        if (flags.kind === 'fbank' && flags.numCeps !== undefined) throw invalidParameter('--num-ceps', 'to be used with --kind mfcc', flags.numCeps);
        const features: Record<string, unknown> = { kind: flags.kind };
        if (flags.melBins !== undefined) features.numMelBins = flags.melBins;
        if (flags.numCeps !== undefined) features.numCeps = flags.numCeps;
        if (flags.lowFreq !== undefined) features.lowFreq = flags.lowFreq;
        if (flags.highFreq !== undefined) features.highFreq = flags.highFreq;
        if (flags.window !== undefined) features.windowType = flags.window;
        if (flags.dither !== undefined) features.dither = flags.dither;
        if (flags.useEnergy !== undefined) features.useEnergy = flags.useEnergy;
        if (!flags.snipEdges) features.snipEdges = false;
        index = data.buildStoreFromTimit(flags.corpus, flags.out, {
          features,
          cmvn: flags.cmvn,
          includeSA: flags.includeSa,
          splits: splits as never,
          seed: flags.seed,
          progress,
        });
      } else if (flags.kaldiFeats) {
        if (!flags.kaldiAli) throw invalidParameter('--kaldi-ali', 'an alignment archive to go with --kaldi-feats', undefined);
        const { buildStoreFromKaldi } = await import('../../data/store/build-kaldi.js');
        const r = buildStoreFromKaldi(flags.out, {
          feats: flags.kaldiFeats,
          ali: flags.kaldiAli,
          phones: flags.phones,
          text: flags.kaldiText,
          utt2spk: flags.utt2spk,
          split: flags.split,
          cmvn: flags.cmvn,
          numPdfs: flags.numPdfs,
          progress,
        });
        index = r.index;
      } else {
        const { buildStoreFromNumpy } = await import('../../data/store/build-numpy.js');
        index = buildStoreFromNumpy(flags.out, {
          input: flags.numpy!,
          labels: flags.numpyLabels,
          split: flags.split,
          cmvn: flags.cmvn,
          labelKind: flags.labelSet,
        });
      }
      const summary = Object.fromEntries(Object.entries(index.splits).map(([k, s]) => [k, { utterances: s.utterances, frames: s.frames, file: s.file }]));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ out: flags.out, dim: index.dim, cmvn: index.cmvn, labels: { kind: index.labels.kind, numLabels: index.labels.numLabels }, splits: summary }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`feature store ${flags.out}: dim ${index.dim}, cmvn ${index.cmvn}, ${index.labels.numLabels} ${index.labels.kind} labels\n`);
      for (const [k, s] of Object.entries(summary)) process.stdout.write(`  ${k.padEnd(6)} ${String(s.utterances).padStart(6)} utterances ${String(s.frames).padStart(9)} frames  ${s.file}\n`);
    });
}
