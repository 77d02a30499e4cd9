/**
 * The feature store: a directory that holds the features, frame labels and reference phone sequences
 * of a corpus, split into train / dev / test, in files numpy opens directly.
 *
 * ```
 * FEATDIR/index.json     what the store holds (below)
 * FEATDIR/<split>.npz    one per split, uncompressed (np.savez), arrays:
 *   feats          float32 (N, D)  all frames of the split, utterance after utterance
 *   labels         int32   (N,)    one label per frame (48-phone index, or Kaldi pdf id)
 *   offsets        int64   (U+1,)  utterance u is rows offsets[u] .. offsets[u+1]
 *   phones         int32   (P,)    reference phone sequences (48-phone indices), concatenated
 *   phone_offsets  int64   (U+1,)  utterance u's phones are phones[phone_offsets[u] .. phone_offsets[u+1]]
 * ```
 * `index.json`: `{ format: "mohaq-feature-store", version: 1, dim, features: { kind, options?,
 * sampleRate? }, cmvn, labels: { kind: "phone48" | "pdf", numLabels, phones?, phones39?, fold39? },
 * source, splits: { <name>: { file, utterances, frames, ids[], speakers[], frameCounts[] } } }`.
 * `labels.phones[i]` names label i; `labels.fold39[i]` is its index in `labels.phones39` (scoring).
 *
 * In numpy: `z = np.load("FEATDIR/train.npz"); o = z["offsets"]; x0 = z["feats"][o[0]:o[1]]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidFile, invalidParameter, notFound } from '../../util/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../../util/fsx.js';
import { readNpz, writeNpz, type NpyArray } from '../npy.js';
import { FOLD48TO39_INDEX, PHONES39, PHONES48 } from '../phones.js';
import { createFeatureSet, type FeatureSet, type LabelKind } from './feature-set.js';

export const STORE_FORMAT = 'mohaq-feature-store';
export const STORE_VERSION = 1;
export const STORE_INDEX = 'index.json';

export interface StoreSplitEntry {
  file: string;
  utterances: number;
  frames: number;
  ids: string[];
  speakers: string[];
  frameCounts: number[];
}

export interface StoreIndex {
  format: typeof STORE_FORMAT;
  version: number;
  dim: number;
  features: { kind: string; options?: Record<string, unknown>; sampleRate?: number; [key: string]: unknown };
  cmvn: string;
  labels: { kind: LabelKind; numLabels: number; phones?: string[]; phones39?: string[]; fold39?: number[] };
  source: Record<string, unknown>;
  splits: Record<string, StoreSplitEntry>;
}

export interface FeatureStore {
  dir: string;
  index: StoreIndex;
  splitNames: string[];
  /** Loads (once) and returns a split. */
  split(name: string): FeatureSet;
}

/** The label description of the 48-phone set, as stored in index.json. */
export function phone48Labels(): StoreIndex['labels'] {
  return { kind: 'phone48', numLabels: PHONES48.length, phones: [...PHONES48], phones39: [...PHONES39], fold39: Array.from(FOLD48TO39_INDEX) };
}

export interface SplitArrays {
  ids: string[];
  speakers: string[];
  /** (U+1) */
  offsets: ArrayLike<number>;
  feats: Float32Array;
  labels: Int32Array;
  phones: Int32Array;
  /** (U+1) */
  phoneOffsets: ArrayLike<number>;
}

function toInt64(a: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}

/** Writes `<dir>/<name>.npz` for one split and returns its index entry. */
export function writeStoreSplit(dir: string, name: string, dim: number, s: SplitArrays): StoreSplitEntry {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw invalidParameter('split name', 'letters, digits, _ or -', name);
  const numUtts = s.ids.length;
  const frames = numUtts ? s.offsets[numUtts]! : 0;
  const entries: Record<string, NpyArray> = {
    feats: { dtype: 'f4', shape: [frames, dim], data: s.feats },
    labels: { dtype: 'i4', shape: [frames], data: s.labels },
    offsets: { dtype: 'i8', shape: [numUtts + 1], data: toInt64(s.offsets) },
    phones: { dtype: 'i4', shape: [s.phones.length], data: s.phones },
    phone_offsets: { dtype: 'i8', shape: [numUtts + 1], data: toInt64(s.phoneOffsets) },
  };
  const file = `${name}.npz`;
  writeFileAtomic(join(dir, file), writeNpz(entries));
  const frameCounts: number[] = [];
  for (let u = 0; u < numUtts; u++) frameCounts.push(s.offsets[u + 1]! - s.offsets[u]!);
  return { file, utterances: numUtts, frames, ids: s.ids, speakers: s.speakers, frameCounts };
}

/**
 * Writes index.json. With `merge`, splits already in an existing index of the same dimension and label
 * kind are kept (so Kaldi data dirs can be added one split at a time).
 */
export function writeStoreIndex(dir: string, index: Omit<StoreIndex, 'format' | 'version'>, merge = false): StoreIndex {
  const path = join(dir, STORE_INDEX);
  let { splits, source, labels } = index;
  if (merge && existsSync(path)) {
    const old = readStoreIndex(dir);
    if (old.dim !== index.dim) throw invalidFile(path, `existing store has feature dimension ${old.dim}, the new split has ${index.dim}; use another --out directory`);
    const sameKind = old.labels.kind === labels.kind;
    if (!sameKind || (labels.kind === 'phone48' && old.labels.numLabels !== labels.numLabels)) {
      throw invalidFile(path, `existing store has ${old.labels.numLabels} ${old.labels.kind} labels, the new split has ${labels.numLabels} ${labels.kind}; use another --out directory`);
    }
    // pdf label sets only need to cover every split's labels.
    if (labels.kind === 'pdf') labels = { ...labels, numLabels: Math.max(labels.numLabels, old.labels.numLabels) };
    splits = { ...old.splits, ...splits };
    source = { ...old.source, ...source };
  }
  const full: StoreIndex = { format: STORE_FORMAT, version: STORE_VERSION, ...index, labels, source, splits };
  writeJsonAtomic(path, full);
  return full;
}

export function readStoreIndex(dir: string): StoreIndex {
  const path = join(dir, STORE_INDEX);
  if (!existsSync(path)) throw notFound('feature store', `${dir} has no ${STORE_INDEX} (build one with mohaq features)`);
  const index = readJson<StoreIndex>(path, 'feature store index');
  if (index?.format !== STORE_FORMAT) throw invalidFile(path, `field "format" must be "${STORE_FORMAT}" but is ${JSON.stringify(index?.format)}`);
  if (index.version !== STORE_VERSION) throw invalidFile(path, `store format version ${index.version} is not supported (expected ${STORE_VERSION}); rebuild it with this mohaq`);
  if (!Number.isInteger(index.dim) || index.dim < 1) throw invalidFile(path, `field "dim" must be a positive integer but is ${JSON.stringify(index.dim)}`);
  if (!index.splits || typeof index.splits !== 'object') throw invalidFile(path, 'field "splits" is missing');
  for (const [name, s] of Object.entries(index.splits)) {
    if (!Array.isArray(s.ids) || !Array.isArray(s.speakers) || !Array.isArray(s.frameCounts) || s.ids.length !== s.speakers.length || s.ids.length !== s.frameCounts.length) {
      throw invalidFile(path, `split "${name}": ids, speakers and frameCounts must be arrays of equal length`);
    }
  }
  return index;
}

function int64ToNumbers(a: NpyArray, file: string, name: string): Float64Array {
  const out = new Float64Array(a.data.length);
  if (a.dtype === 'i8') {
    const d = a.data as BigInt64Array;
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  } else if (a.dtype === 'i4' || a.dtype === 'u4') {
    out.set(a.data as Int32Array);
  } else {
    throw invalidFile(file, `array "${name}" has dtype ${a.dtype}, expected int64 or int32`);
  }
  return out;
}

/** Loads one split's arrays and checks them against the index. */
function loadSplit(dir: string, index: StoreIndex, name: string): FeatureSet {
  const entry = index.splits[name];
  if (!entry) throw notFound(`split "${name}"`, `${dir} has splits ${Object.keys(index.splits).join(', ') || '(none)'}`);
  const file = join(dir, entry.file);
  if (!existsSync(file)) throw notFound('feature store split file', file);
  const arrays = readNpz(readFileSync(file), file);
  const get = (key: string): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw invalidFile(file, `array "${key}" is missing`);
    return a;
  };
  const feats = get('feats');
  const labels = get('labels');
  const offsets = int64ToNumbers(get('offsets'), file, 'offsets');
  const phones = get('phones');
  const phoneOffsets = int64ToNumbers(get('phone_offsets'), file, 'phone_offsets');
  if (feats.dtype !== 'f4' || feats.shape.length !== 2 || feats.shape[1] !== index.dim) {
    throw invalidFile(file, `array "feats" must be float32 (N, ${index.dim}) but is ${feats.dtype} (${feats.shape.join(', ')})`);
  }
  if (labels.dtype !== 'i4' || phones.dtype !== 'i4') throw invalidFile(file, 'arrays "labels" and "phones" must be int32');
  const n = feats.shape[0]!;
  const numUtts = entry.ids.length;
  if (offsets.length !== numUtts + 1 || offsets[numUtts] !== n || labels.data.length !== n) {
    throw invalidFile(file, `offsets/labels do not match: ${numUtts} utterances in ${STORE_INDEX}, ${offsets.length} offsets ending at ${offsets[offsets.length - 1]}, ${n} feature rows, ${labels.data.length} labels`);
  }
  for (let u = 0; u < numUtts; u++) {
    if (offsets[u + 1]! - offsets[u]! !== entry.frameCounts[u]) {
      throw invalidFile(file, `utterance "${entry.ids[u]}": ${offsets[u + 1]! - offsets[u]!} frames in offsets but ${entry.frameCounts[u]} in ${STORE_INDEX}`);
    }
  }
  const numLabels = index.labels.numLabels;
  const lab = labels.data as Int32Array;
  for (let i = 0; i < n; i++) {
    if (lab[i]! < 0 || lab[i]! >= numLabels) {
      const u = offsets.findIndex((o, k) => k < numUtts && offsets[k + 1]! > i && o <= i);
      throw invalidFile(file, `utterance "${entry.ids[u]}": frame ${i - offsets[u]!} has label ${lab[i]}, outside 0..${numLabels - 1}`);
    }
  }
  return createFeatureSet({
    name,
    dim: index.dim,
    numLabels,
    labelKind: index.labels.kind,
    ids: entry.ids,
    speakers: entry.speakers,
    offsets,
    feats: feats.data as Float32Array,
    labels: lab,
    phones: phones.data as Int32Array,
    phoneOffsets,
  });
}

/** Opens a feature store written by `mohaq features` (splits are loaded on first use). */
export function loadFeatureStore(dir: string): FeatureStore {
  const index = readStoreIndex(dir);
  const cache = new Map<string, FeatureSet>();
  return {
    dir,
    index,
    splitNames: Object.keys(index.splits),
    split(name: string): FeatureSet {
      let s = cache.get(name);
      if (!s) cache.set(name, (s = loadSplit(dir, index, name)));
      return s;
    },
  };
}
