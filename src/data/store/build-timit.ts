/**
 * Builds a feature store from a TIMIT tree: features (Kaldi-compatible fbank or MFCC) per utterance,
 * frame labels from the .PHN files by the frame-centre rule, the reference phone sequence of each
 * utterance (the .PHN phones folded to 48, q deleted, as Kaldi's TIMIT recipe scores them), and
 * CMVN per speaker.
 */
import { readFileSync } from 'node:fs';
import { invalidFile, invalidParameter } from '../../util/errors.js';
import { silentProgress, type Progress } from '../../util/progress.js';
import { Rng } from '../../util/rng.js';
import { applyCmvn, type CmvnKind } from '../features/cmvn.js';
import { FBANK_DEFAULTS, FeatureExtractor, MFCC_DEFAULTS, type FbankOptions, type MfccOptions } from '../features/fbank.js';
import { frameLabels, referencePhones, scanTimit, SPLIT_NAMES, timitSplits, type SplitName, type TimitUtterance } from '../timit/corpus.js';
import { parseSegments, readAudio } from '../timit/format.js';
import { phone48Labels, writeStoreIndex, writeStoreSplit, type SplitArrays, type StoreIndex } from './store.js';

export interface TimitStoreOptions {
  /** Feature configuration (kind 'fbank' by default, Kaldi defaults with 23 mel bins). */
  features?: Partial<FbankOptions> | Partial<MfccOptions>;
  cmvn?: CmvnKind;
  /** Keep the SA sentences in the training split. */
  includeSA?: boolean;
  /** Which splits to build (default all three). */
  splits?: SplitName[];
  /** Seed for dither (only used when features.dither > 0). */
  seed?: number;
  progress?: Progress;
}

export interface UtteranceData {
  id: string;
  speaker: string;
  feats: Float32Array;
  frames: number;
  labels: Int32Array;
  phones: Int32Array;
}

/** Concatenates per-utterance data into split arrays and applies CMVN. */
export function concatUtterances(utts: readonly UtteranceData[], dim: number, cmvn: CmvnKind): SplitArrays {
  const offsets = new Float64Array(utts.length + 1);
  const phoneOffsets = new Float64Array(utts.length + 1);
  utts.forEach((u, i) => {
    offsets[i + 1] = offsets[i]! + u.frames;
    phoneOffsets[i + 1] = phoneOffsets[i]! + u.phones.length;
  });
  const total = offsets[utts.length]!;
  const feats = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  const phones = new Int32Array(phoneOffsets[utts.length]!);
  utts.forEach((u, i) => {
    feats.set(u.feats, offsets[i]! * dim);
    labels.set(u.labels, offsets[i]!);
    phones.set(u.phones, phoneOffsets[i]!);
  });
  const speakers = utts.map((u) => u.speaker);
  applyCmvn(feats, dim, offsets, speakers, cmvn);
  return { ids: utts.map((u) => u.id), speakers, offsets, feats, labels, phones, phoneOffsets };
}

/** Features, frame labels and reference phones of one TIMIT utterance. */
export function processTimitUtterance(u: TimitUtterance, extractor: FeatureExtractor, rng?: Rng): UtteranceData {
  const audio = readAudio(readFileSync(u.audioPath), u.audioPath);
  if (audio.sampleRate !== extractor.sampleRate) {
    throw invalidFile(u.audioPath, `utterance "${u.id}": sample rate ${audio.sampleRate} Hz differs from the corpus's ${extractor.sampleRate} Hz`);
  }
  const segments = parseSegments(readFileSync(u.phnPath, 'latin1'), u.phnPath);
  if (segments.length === 0) throw invalidFile(u.phnPath, `utterance "${u.id}": no phone segments`);
  const n = audio.samples.length;
  const last = segments[segments.length - 1]!.end;
  if (last > n + extractor.frameShift) {
    throw invalidFile(u.phnPath, `utterance "${u.id}": phone segments end at sample ${last} but the audio ${u.audioPath} has only ${n} samples`);
  }
  const feats = extractor.compute(audio.samples, rng?.fork(u.id));
  const labels = frameLabels(segments, feats.frames, { length: extractor.frameLength, shift: extractor.frameShift, snipEdges: extractor.opts.snipEdges }, u.phnPath, u.id);
  const phones = referencePhones(segments, u.phnPath, u.id);
  return { id: u.id, speaker: u.speaker, feats: feats.data, frames: feats.frames, labels, phones };
}

/** Sample rate of the corpus, from its first utterance's audio. */
function corpusSampleRate(u: TimitUtterance): number {
  return readAudio(readFileSync(u.audioPath), u.audioPath).sampleRate;
}

/** Reads a TIMIT tree and writes the feature store `outDir` (train, dev, test). */
export function buildStoreFromTimit(corpusDir: string, outDir: string, opts: TimitStoreOptions = {}): StoreIndex {
  const progress = opts.progress ?? silentProgress;
  const cmvn = opts.cmvn ?? 'speaker-mean';
  const corpus = scanTimit(corpusDir, { includeSA: opts.includeSA });
  const bySplit = timitSplits(corpus);
  const wanted = opts.splits ?? [...SPLIT_NAMES];
  for (const s of wanted) if (!SPLIT_NAMES.includes(s)) throw invalidParameter('splits', `names among ${SPLIT_NAMES.join(', ')}`, s);
  const first = wanted.map((s) => bySplit[s][0]).find((u) => u);
  if (!first) throw invalidFile(corpus.root, `no utterances in splits ${wanted.join(', ')} (dev/test speakers from ${corpus.splits.source})`);
  const featureOpts = { ...(opts.features?.kind === 'mfcc' ? MFCC_DEFAULTS : FBANK_DEFAULTS), ...opts.features } as FbankOptions | MfccOptions;
  const extractor = new FeatureExtractor(featureOpts, corpusSampleRate(first));
  const rng = featureOpts.dither > 0 ? new Rng(opts.seed ?? 0).fork('dither') : undefined;
  const total = wanted.reduce((s, k) => s + bySplit[k].length, 0);
  const splits: StoreIndex['splits'] = {};
  let done = 0;
  progress.start(total, 'features', { splits: wanted.join('/') });
  try {
    for (const name of wanted) {
      const utts = bySplit[name];
      if (utts.length === 0) progress.log(`warning: split "${name}" has no utterances (speaker lists: ${corpus.splits.source})`);
      const data: UtteranceData[] = [];
      for (const u of utts) {
        data.push(processTimitUtterance(u, extractor, rng));
        progress.update(++done);
      }
      splits[name] = writeStoreSplit(outDir, name, extractor.dim, concatUtterances(data, extractor.dim, cmvn));
    }
  } finally {
    progress.stop();
  }
  const { kind, ...options } = featureOpts;
  // Building only some splits keeps the others of an existing store.
  return writeStoreIndex(outDir, {
    dim: extractor.dim,
    features: { kind, options, sampleRate: extractor.sampleRate },
    cmvn,
    labels: phone48Labels(),
    source: { kind: 'timit', path: corpus.root, speakerLists: corpus.splits.source, includeSA: !!opts.includeSA },
    splits,
  }, opts.splits !== undefined);
}
