/**
 * A split of utterances held as flat arrays: every stage (training, evaluation, quantization search,
 * layers) reads features and labels through this one shape.
 */
import { invalidParameter } from '../../util/errors.js';

export type LabelKind = 'phone48' | 'pdf';

export interface UtteranceInfo {
  id: string;
  speaker: string;
  /** First frame (row of `feats`). */
  offset: number;
  frames: number;
}

export interface FeatureSet {
  name: string;
  dim: number;
  /** Size of the label set: 48 for phone labels, the pdf count for Kaldi `ali-to-pdf` labels. */
  numLabels: number;
  labelKind: LabelKind;
  utterances: UtteranceInfo[];
  /** (N, D) row-major; utterance i is rows utterances[i].offset .. offset + frames. */
  feats: Float32Array;
  /** (N,) one label per frame. */
  labels: Int32Array;
  /** The reference phone sequence of utterance i (48-phone indices), for phone error rate. */
  refPhones(i: number): Int32Array;
}

export interface FeatureSetArrays {
  name: string;
  dim: number;
  numLabels: number;
  labelKind?: LabelKind;
  ids: readonly string[];
  speakers: readonly string[];
  /** (U+1) frame offsets. */
  offsets: ArrayLike<number>;
  feats: Float32Array;
  labels: Int32Array;
  /** Concatenated reference phone sequences and their (U+1) offsets; derived from the labels when absent. */
  phones?: Int32Array;
  phoneOffsets?: ArrayLike<number>;
}

/** Runs of equal frame labels, collapsed: the phone sequence a frame alignment implies. */
export function collapseLabels(labels: ArrayLike<number>, start = 0, end = labels.length): Int32Array {
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    const v = labels[i]!;
    if (v >= 0 && (i === start || labels[i - 1] !== v)) out.push(v);
  }
  return Int32Array.from(out);
}

/** Builds a FeatureSet over existing arrays (no copy), checking that they agree. */
export function createFeatureSet(a: FeatureSetArrays): FeatureSet {
  const numUtts = a.ids.length;
  if (a.speakers.length !== numUtts) throw invalidParameter('speakers', `${numUtts} entries (one per utterance id)`, a.speakers);
  if (a.offsets.length !== numUtts + 1) throw invalidParameter('offsets', `${numUtts + 1} entries (utterances + 1)`, a.offsets);
  const total = numUtts ? a.offsets[numUtts]! : 0;
  if (a.feats.length !== total * a.dim) throw invalidParameter('feats', `${total} x ${a.dim} = ${total * a.dim} values`, a.feats);
  if (a.labels.length !== total) throw invalidParameter('labels', `${total} labels (one per frame)`, a.labels);
  const utterances: UtteranceInfo[] = [];
  for (let u = 0; u < numUtts; u++) {
    const offset = a.offsets[u]!;
    const frames = a.offsets[u + 1]! - offset;
    if (frames < 0) throw invalidParameter(`offsets[${u + 1}]`, `a value >= offsets[${u}] = ${offset}`, a.offsets[u + 1]);
    utterances.push({ id: a.ids[u]!, speaker: a.speakers[u]!, offset, frames });
  }
  const { phones, phoneOffsets } = a;
  if (phones && phoneOffsets && phoneOffsets.length !== numUtts + 1) throw invalidParameter('phoneOffsets', `${numUtts + 1} entries`, phoneOffsets);
  const labels = a.labels;
  return {
    name: a.name,
    dim: a.dim,
    numLabels: a.numLabels,
    labelKind: a.labelKind ?? 'phone48',
    utterances,
    feats: a.feats,
    labels,
    refPhones(i: number): Int32Array {
      const u = utterances[i];
      if (!u) throw invalidParameter('utterance index', `an index in 0..${numUtts - 1}`, i);
      if (phones && phoneOffsets) return phones.subarray(phoneOffsets[i]!, phoneOffsets[i + 1]!);
      return collapseLabels(labels, u.offset, u.offset + u.frames);
    },
  };
}

/** A new FeatureSet with the chosen utterances (in the given order), copying their frames. */
export function subsetFeatureSet(set: FeatureSet, indices: readonly number[], name = `${set.name}-subset`): FeatureSet {
  let total = 0;
  for (const i of indices) {
    const u = set.utterances[i];
    if (!u) throw invalidParameter('indices', `utterance indices in 0..${set.utterances.length - 1}`, i);
    total += u.frames;
  }
  const feats = new Float32Array(total * set.dim);
  const labels = new Int32Array(total);
  const offsets = new Int32Array(indices.length + 1);
  const refs = indices.map((i) => set.refPhones(i));
  const phoneOffsets = new Int32Array(indices.length + 1);
  let pos = 0;
  indices.forEach((i, k) => {
    const u = set.utterances[i]!;
    feats.set(set.feats.subarray(u.offset * set.dim, (u.offset + u.frames) * set.dim), pos * set.dim);
    labels.set(set.labels.subarray(u.offset, u.offset + u.frames), pos);
    pos += u.frames;
    offsets[k + 1] = pos;
    phoneOffsets[k + 1] = phoneOffsets[k]! + refs[k]!.length;
  });
  const phones = new Int32Array(phoneOffsets[indices.length]!);
  refs.forEach((r, k) => phones.set(r, phoneOffsets[k]!));
  return createFeatureSet({
    name,
    dim: set.dim,
    numLabels: set.numLabels,
    labelKind: set.labelKind,
    ids: indices.map((i) => set.utterances[i]!.id),
    speakers: indices.map((i) => set.utterances[i]!.speaker),
    offsets,
    feats,
    labels,
    phones,
    phoneOffsets,
  });
}
