/**
 * Builds (or adds a split to) a feature store from Kaldi / pytorch-kaldi files: features from a
 * `feats.scp` or `.ark` (any matrix format), frame labels from an integer-vector alignment archive
 * (`ali-to-phones --per-frame=true` with `phones.txt` → 48-phone labels; without phones.txt the
 * integers are kept as pdf labels, as `ali-to-pdf` writes them), speakers from the data dir's
 * `utt2spk`, and references from a phone-level Kaldi `text` when given (else the collapsed frame
 * labels). Utterances without an alignment are skipped and counted, as Kaldi's trainers do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { invalidFile, invalidParameter } from '../../util/errors.js';
import { readFileOrThrow } from '../../util/fsx.js';
import { silentProgress, type Progress } from '../../util/progress.js';
import { applyCmvn, type CmvnKind } from '../features/cmvn.js';
import { PHONE48_INDEX, phoneTo48 } from '../phones.js';
import { readTable, tablePath } from '../kaldi/scp.js';
import { parseKaldiText, parseSymbolTable, parseUtt2spk, phoneIdMap } from '../kaldi/tables.js';
import { collapseLabels } from './feature-set.js';
import { phone48Labels, writeStoreIndex, writeStoreSplit, type StoreIndex } from './store.js';

export interface KaldiStoreOptions {
  /** `feats.scp`, a feature `.ark`, or an rspecifier (`scp:...`, `ark:...`). */
  feats: string;
  /** Integer-vector alignment archive/scp (gzip allowed). */
  ali: string;
  /** `phones.txt`: map alignment integers to TIMIT phones. Without it, labels are pdf ids. */
  phones?: string;
  /** Phone-level Kaldi `text` for reference sequences (TIMIT's data/<set>/text). */
  text?: string;
  /** `utt2spk`; by default the one next to the features, if any. */
  utt2spk?: string;
  /** Split name to write (default `train`). */
  split?: string;
  cmvn?: CmvnKind;
  /** Number of pdfs (label set size) for pdf alignments; default the largest id + 1. */
  numPdfs?: number;
  progress?: Progress;
}

export interface KaldiStoreReport {
  index: StoreIndex;
  split: string;
  utterances: number;
  /** Feature utterances without an alignment (skipped). */
  missingAlignment: string[];
  /** Alignments without features (ignored). */
  missingFeatures: string[];
}

export function buildStoreFromKaldi(outDir: string, opts: KaldiStoreOptions): KaldiStoreReport {
  const progress = opts.progress ?? silentProgress;
  const split = opts.split ?? 'train';
  const cmvn = opts.cmvn ?? 'speaker-mean';
  const featsFile = tablePath(opts.feats);
  const aliFile = tablePath(opts.ali);

  const idMap = opts.phones ? phoneIdMap(parseSymbolTable(readFileOrThrow(opts.phones, 'phones.txt').toString('utf8'), opts.phones), opts.phones) : null;
  const alignments = new Map<string, Int32Array>();
  for (const { key, value } of readTable(opts.ali)) {
    if (value.kind !== 'ints') throw invalidFile(aliFile, `utterance "${key}": expected an integer-vector alignment but found a ${value.kind} (${value.format})`);
    alignments.set(key, value.data);
  }
  if (alignments.size === 0) throw invalidFile(aliFile, 'no alignments');

  const utt2spkFile = opts.utt2spk ?? join(dirname(resolve(featsFile)), 'utt2spk');
  const utt2spk = existsSync(utt2spkFile) ? parseUtt2spk(readFileSync(utt2spkFile, 'utf8'), utt2spkFile) : null;
  if (opts.utt2spk && !utt2spk) throw invalidParameter('--utt2spk', 'an existing utt2spk file', opts.utt2spk);
  const texts = opts.text ? parseKaldiText(readFileOrThrow(opts.text, 'Kaldi text').toString('utf8'), opts.text) : null;

  const ids: string[] = [];
  const speakers: string[] = [];
  const featParts: Float32Array[] = [];
  const labelParts: Int32Array[] = [];
  const phoneParts: Int32Array[] = [];
  const missingAlignment: string[] = [];
  const seen = new Set<string>();
  let dim = -1;
  let maxLabel = -1;
  progress.start(alignments.size, `kaldi ${split}`);
  try {
    for (const { key, value } of readTable(opts.feats)) {
      if (value.kind !== 'matrix') throw invalidFile(featsFile, `utterance "${key}": expected a feature matrix but found a ${value.kind}`);
      if (dim < 0) dim = value.cols;
      if (value.cols !== dim) throw invalidFile(featsFile, `utterance "${key}": ${value.cols} feature columns but earlier utterances have ${dim}`);
      if (seen.has(key)) throw invalidFile(featsFile, `utterance "${key}" appears twice`);
      seen.add(key);
      const ali = alignments.get(key);
      if (!ali) {
        missingAlignment.push(key);
        continue;
      }
      if (ali.length !== value.rows) {
        throw invalidFile(aliFile, `utterance "${key}": alignment has ${ali.length} labels but the features (${featsFile}) have ${value.rows} frames`);
      }
      const labels = new Int32Array(ali.length);
      for (let t = 0; t < ali.length; t++) {
        const id = ali[t]!;
        if (idMap) {
          const p = id >= 0 && id < idMap.length ? idMap[id]! : -2;
          if (p === -2) {
            throw invalidFile(aliFile, `utterance "${key}": frame ${t} has phone id ${id}, which ${opts.phones} does not list (ids 0..${idMap.length - 1}); transition-id alignments must be converted with ali-to-phones --per-frame=true first`);
          }
          if (p === -1) throw invalidFile(aliFile, `utterance "${key}": frame ${t} has id ${id}, a non-phone symbol in ${opts.phones}`);
          labels[t] = p;
        } else {
          if (id < 0) throw invalidFile(aliFile, `utterance "${key}": frame ${t} has negative label ${id}`);
          labels[t] = id;
          if (id > maxLabel) maxLabel = id;
        }
      }
      let ref: Int32Array;
      if (texts) {
        const tokens = texts.get(key);
        if (!tokens) throw invalidFile(opts.text!, `utterance "${key}" has features and an alignment but no transcription`);
        ref = Int32Array.from(
          tokens.flatMap((tok) => {
            const p = phoneTo48(tok);
            if (p === undefined) throw invalidFile(opts.text!, `utterance "${key}": unknown phone ${JSON.stringify(tok)} (expected a phone-level TIMIT transcription)`);
            return p === null ? [] : [PHONE48_INDEX.get(p)!];
          }),
        );
      } else {
        ref = idMap ? collapseLabels(labels) : new Int32Array(0);
      }
      ids.push(key);
      speakers.push(utt2spk?.get(key) ?? key.split('_')[0]!);
      featParts.push(value.data instanceof Float32Array ? value.data : Float32Array.from(value.data));
      labelParts.push(labels);
      phoneParts.push(ref);
      progress.update(ids.length);
    }
  } finally {
    progress.stop();
  }
  if (ids.length === 0) {
    throw invalidFile(featsFile, `no utterance has both features and an alignment in ${aliFile} (e.g. feature key ${JSON.stringify(missingAlignment[0] ?? '')}, alignment key ${JSON.stringify(alignments.keys().next().value ?? '')})`);
  }
  const missingFeatures = [...alignments.keys()].filter((k) => !seen.has(k));
  if (missingAlignment.length) progress.log(`warning: ${missingAlignment.length} utterances have features but no alignment and were skipped (first: ${missingAlignment[0]})`);
  if (missingFeatures.length) progress.log(`warning: ${missingFeatures.length} alignments have no features and were ignored (first: ${missingFeatures[0]})`);

  const offsets = new Float64Array(ids.length + 1);
  const phoneOffsets = new Float64Array(ids.length + 1);
  labelParts.forEach((l, i) => {
    offsets[i + 1] = offsets[i]! + l.length;
    phoneOffsets[i + 1] = phoneOffsets[i]! + phoneParts[i]!.length;
  });
  const total = offsets[ids.length]!;
  const feats = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  const phones = new Int32Array(phoneOffsets[ids.length]!);
  for (let i = 0; i < ids.length; i++) {
    feats.set(featParts[i]!, offsets[i]! * dim);
    labels.set(labelParts[i]!, offsets[i]!);
    phones.set(phoneParts[i]!, phoneOffsets[i]!);
  }
  applyCmvn(feats, dim, offsets, speakers, cmvn);

  let labelInfo: StoreIndex['labels'];
  if (idMap) {
    labelInfo = phone48Labels();
  } else {
    if (opts.numPdfs !== undefined && maxLabel >= opts.numPdfs) throw invalidFile(aliFile, `label ${maxLabel} is not below --num-pdfs ${opts.numPdfs}`);
    labelInfo = { kind: 'pdf', numLabels: opts.numPdfs ?? maxLabel + 1 };
  }
  const entry = writeStoreSplit(outDir, split, dim, { ids, speakers, offsets, feats, labels, phones, phoneOffsets });
  const index = writeStoreIndex(
    outDir,
    {
      dim,
      features: { kind: 'kaldi', feats: resolve(featsFile) },
      cmvn,
      labels: labelInfo,
      source: {
        kind: 'kaldi',
        [split]: { feats: resolve(featsFile), ali: resolve(aliFile), phones: opts.phones ? resolve(opts.phones) : null, text: opts.text ? resolve(opts.text) : null, utt2spk: utt2spk ? resolve(utt2spkFile) : null },
      },
      splits: { [split]: entry },
    },
    true,
  );
  return { index, split, utterances: ids.length, missingAlignment, missingFeatures };
}
