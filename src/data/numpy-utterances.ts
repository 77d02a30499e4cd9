/**
 * Features and labels per utterance from numpy files. Accepted layouts:
 *   1. one `.npz` with concatenated arrays `feats` (N, D) and `offsets` (U+1,), optionally `labels`
 *      (N,) and `phones` + `phone_offsets` (the layout of a feature store split);
 *   2. one `.npz` with an entry per utterance: `feats/<utt>` (T, D) and `labels/<utt>` (T,);
 *   3. one `.npz` of `<utt>` → (T, D), with the labels in a second `.npz` of `<utt>` → (T,);
 *   4. one `.npy` (T, D) — a single utterance named after the file — with an optional labels `.npy`.
 * Features may be any float or integer dtype (converted to float32); labels any integer dtype.
 */
import { basename } from 'node:path';
import { invalidFile } from '../util/errors.js';
import { readFileOrThrow } from '../util/fsx.js';
import { npyToFloat32, npyToInt32, readNpy, readNpz, type NpyArray } from './npy.js';

export interface NumpyUtterance {
  id: string;
  frames: number;
  /** (frames, dim) */
  feats: Float32Array;
  labels: Int32Array | null;
  /** Reference phone sequence when the file carries one (layout 1). */
  phones: Int32Array | null;
}

export interface NumpyUtterances {
  dim: number;
  layout: 'concatenated' | 'per-utterance' | 'single';
  utterances: NumpyUtterance[];
}

function matrix(a: NpyArray, file: string, what: string): { rows: number; cols: number; data: Float32Array } {
  if (a.shape.length !== 2) throw invalidFile(file, `${what}: expected a 2-D (frames, dim) array but the shape is (${a.shape.join(', ')})`);
  if (a.dtype === 'b1') throw invalidFile(file, `${what}: boolean arrays are not features`);
  return { rows: a.shape[0]!, cols: a.shape[1]!, data: npyToFloat32(a) };
}

function vector(a: NpyArray, file: string, what: string): Int32Array {
  if (a.shape.length !== 1) throw invalidFile(file, `${what}: expected a 1-D array of frame labels but the shape is (${a.shape.join(', ')})`);
  return npyToInt32(a, `${file}: ${what}`);
}

function offsetsOf(a: NpyArray, file: string, name: string, total: number): number[] {
  const v = vector(a, file, name);
  const out = Array.from(v);
  if (out[0] !== 0 || out[out.length - 1] !== total || out.some((o, i) => i > 0 && o < out[i - 1]!)) {
    throw invalidFile(file, `array "${name}" must rise from 0 to ${total} (it has ${out.length} entries ending at ${out[out.length - 1]})`);
  }
  return out;
}

/** Reads utterances from a `.npz`/`.npy` (and an optional separate labels file). */
export function readNumpyUtterances(path: string, labelsPath?: string): NumpyUtterances {
  const buf = readFileOrThrow(path, 'numpy file');
  const isNpz = buf[0] === 0x50 && buf[1] === 0x4b; // "PK"
  if (!isNpz) {
    const feats = matrix(readNpy(buf, path), path, 'features');
    let labels: Int32Array | null = null;
    if (labelsPath) {
      labels = vector(readNpy(readFileOrThrow(labelsPath, 'numpy labels file'), labelsPath), labelsPath, 'labels');
      if (labels.length !== feats.rows) throw invalidFile(labelsPath, `utterance "${basename(path).replace(/\.npy$/i, '')}": ${labels.length} labels but ${path} has ${feats.rows} frames`);
    }
    return { dim: feats.cols, layout: 'single', utterances: [{ id: basename(path).replace(/\.npy$/i, ''), frames: feats.rows, feats: feats.data, labels, phones: null }] };
  }
  const arrays = readNpz(buf, path);
  if (arrays.has('feats') && arrays.has('offsets')) {
    const f = matrix(arrays.get('feats')!, path, 'array "feats"');
    const offsets = offsetsOf(arrays.get('offsets')!, path, 'offsets', f.rows);
    const labels = arrays.has('labels') ? vector(arrays.get('labels')!, path, 'array "labels"') : null;
    if (labels && labels.length !== f.rows) throw invalidFile(path, `array "labels" has ${labels.length} entries but "feats" has ${f.rows} frames`);
    let phones: Int32Array | null = null;
    let phoneOffsets: number[] | null = null;
    if (arrays.has('phones') && arrays.has('phone_offsets')) {
      phones = vector(arrays.get('phones')!, path, 'array "phones"');
      phoneOffsets = offsetsOf(arrays.get('phone_offsets')!, path, 'phone_offsets', phones.length);
      if (phoneOffsets.length !== offsets.length) throw invalidFile(path, `"phone_offsets" has ${phoneOffsets.length} entries but "offsets" has ${offsets.length}`);
    }
    const width = String(offsets.length - 1).length;
    const utterances = offsets.slice(0, -1).map((o, i) => ({
      id: `utt${String(i).padStart(width, '0')}`,
      frames: offsets[i + 1]! - o,
      feats: f.data.subarray(o * f.cols, offsets[i + 1]! * f.cols),
      labels: labels ? labels.subarray(o, offsets[i + 1]!) : null,
      phones: phones && phoneOffsets ? phones.subarray(phoneOffsets[i]!, phoneOffsets[i + 1]!) : null,
    }));
    return { dim: f.cols, layout: 'concatenated', utterances };
  }
  const prefixed = [...arrays.keys()].some((k) => k.startsWith('feats/'));
  const prefixedLabels = prefixed && [...arrays.keys()].some((k) => k.startsWith('labels/'));
  let labelArrays: Map<string, NpyArray> | null = null;
  if (labelsPath) labelArrays = readNpz(readFileOrThrow(labelsPath, 'numpy labels file'), labelsPath);
  const utterances: NumpyUtterance[] = [];
  let dim = -1;
  for (const [name, a] of arrays) {
    if (prefixed && !name.startsWith('feats/')) {
      if (!name.startsWith('labels/')) throw invalidFile(path, `entry "${name}" is neither feats/<utterance> nor labels/<utterance>`);
      continue;
    }
    const id = prefixed ? name.slice('feats/'.length) : name;
    const f = matrix(a, path, `utterance "${id}"`);
    if (dim < 0) dim = f.cols;
    if (f.cols !== dim) throw invalidFile(path, `utterance "${id}": ${f.cols} feature columns but earlier utterances have ${dim}`);
    const labelSource = prefixed ? (prefixedLabels ? arrays : null) : labelArrays;
    const labelFile = prefixed ? path : labelsPath ?? path;
    const l = labelSource?.get(prefixed ? `labels/${id}` : id);
    let labels: Int32Array | null = null;
    if (l) {
      labels = vector(l, labelFile, `utterance "${id}"`);
      if (labels.length !== f.rows) throw invalidFile(labelFile, `utterance "${id}": ${labels.length} labels but the features have ${f.rows} frames`);
    } else if (labelSource) {
      throw invalidFile(labelFile, `utterance "${id}" has features but no labels`);
    }
    utterances.push({ id, frames: f.rows, feats: f.data, labels, phones: null });
  }
  if (utterances.length === 0) throw invalidFile(path, 'no feature arrays');
  return { dim, layout: 'per-utterance', utterances };
}
