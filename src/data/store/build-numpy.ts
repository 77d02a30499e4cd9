/**
 * Builds (or adds a split to) a feature store from numpy files (see numpy-utterances.ts for the
 * accepted layouts). Labels are 48-phone indices (`labelKind: 'phone48'`, the default) or any other
 * integer label set (`'pdf'`); speakers are the utterance id up to its first `_` (Kaldi's TIMIT
 * naming) for CMVN.
 */
import { resolve } from 'node:path';
import { invalidFile, invalidParameter } from '../../util/errors.js';
import { applyCmvn, type CmvnKind } from '../features/cmvn.js';
import { readNumpyUtterances } from '../numpy-utterances.js';
import { PHONES48 } from '../phones.js';
import { collapseLabels, type LabelKind } from './feature-set.js';
import { phone48Labels, writeStoreIndex, writeStoreSplit, type StoreIndex } from './store.js';

export interface NumpyStoreOptions {
  /** `.npz` or `.npy` with the features (and maybe labels). */
  input: string;
  /** A separate `.npz`/`.npy` with the labels. */
  labels?: string;
  split?: string;
  cmvn?: CmvnKind;
  labelKind?: LabelKind;
  /** Label set size for 'pdf' labels; default the largest label + 1. */
  numLabels?: number;
}

export function buildStoreFromNumpy(outDir: string, opts: NumpyStoreOptions): StoreIndex {
  const split = opts.split ?? 'train';
  const cmvn = opts.cmvn ?? 'speaker-mean';
  const kind = opts.labelKind ?? 'phone48';
  const src = readNumpyUtterances(opts.input, opts.labels);
  const dim = src.dim;
  const utts = src.utterances;
  let maxLabel = -1;
  for (const u of utts) {
    if (!u.labels) throw invalidFile(opts.labels ?? opts.input, `utterance "${u.id}" has no frame labels (give them in the same .npz or with a labels file)`);
    for (let t = 0; t < u.labels.length; t++) {
      const l = u.labels[t]!;
      if (l < 0 || (kind === 'phone48' && l >= PHONES48.length)) {
        throw invalidFile(opts.labels ?? opts.input, `utterance "${u.id}": frame ${t} has label ${l}, expected a 48-phone index 0..47${kind === 'phone48' ? ' (use the pdf label set for other labels)' : ''}`);
      }
      if (l > maxLabel) maxLabel = l;
    }
  }
  const numLabels = kind === 'phone48' ? PHONES48.length : opts.numLabels ?? maxLabel + 1;
  if (maxLabel >= numLabels) throw invalidParameter('numLabels', `a label set larger than the largest label ${maxLabel}`, numLabels);
  const offsets = new Float64Array(utts.length + 1);
  const phoneOffsets = new Float64Array(utts.length + 1);
  const refs = utts.map((u) => u.phones ?? (kind === 'phone48' ? collapseLabels(u.labels!) : new Int32Array(0)));
  utts.forEach((u, i) => {
    offsets[i + 1] = offsets[i]! + u.frames;
    phoneOffsets[i + 1] = phoneOffsets[i]! + refs[i]!.length;
  });
  const total = offsets[utts.length]!;
  const feats = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  const phones = new Int32Array(phoneOffsets[utts.length]!);
  utts.forEach((u, i) => {
    feats.set(u.feats, offsets[i]! * dim);
    labels.set(u.labels!, offsets[i]!);
    phones.set(refs[i]!, phoneOffsets[i]!);
  });
  const ids = utts.map((u) => u.id);
  const speakers = ids.map((id) => id.split('_')[0]!);
  applyCmvn(feats, dim, offsets, speakers, cmvn);
  const entry = writeStoreSplit(outDir, split, dim, { ids, speakers, offsets, feats, labels, phones, phoneOffsets });
  return writeStoreIndex(
    outDir,
    {
      dim,
      features: { kind: 'numpy', layout: src.layout },
      cmvn,
      labels: kind === 'phone48' ? phone48Labels() : { kind: 'pdf', numLabels },
      source: { kind: 'numpy', [split]: { input: resolve(opts.input), labels: opts.labels ? resolve(opts.labels) : null } },
      splits: { [split]: entry },
    },
    true,
  );
}
