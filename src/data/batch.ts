/**
 * Mini-batches of utterances, padded and time-major, the layout training, evaluation, quantization and
 * the layers share.
 *
 * Utterances of similar length go together (bucketing) so that little of a batch is padding; with an
 * `rng`, equal lengths are shuffled and the order of the batches is shuffled, so one seed fixes the
 * whole epoch. Inside a batch utterances are ordered longest first: at time t the active utterances
 * are always a prefix 0..k-1 of the batch.
 */
import { invalidParameter } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { FeatureSet } from './store/feature-set.js';

export interface Batch {
  /** Longest utterance (frames). */
  T: number;
  /** Utterances in the batch. */
  B: number;
  dim: number;
  /** (T, B, D) time-major: frame t of utterance b is row t*B + b; padding rows are zeros. */
  x: Float32Array;
  /** (B,) frames of each utterance, non-increasing. */
  lengths: Int32Array;
  /** (T*B,) label of row t*B + b, -1 at padding. */
  labels: Int32Array;
  /** (B,) indices into the set's utterances. */
  utterances: number[];
}

export interface BatchOptions {
  /** Utterances per batch (at most). */
  batchSize?: number;
  /** Padded frames per batch T*B (at most; a single longer utterance still gets its own batch). */
  maxFrames?: number;
  /** Group utterances of similar length (default true). */
  sortByLength?: boolean;
  /** Shuffles equal lengths and the batch order; without it the order is deterministic (by length, then index). */
  rng?: Rng;
  /** Only these utterances (indices into the set); default all. */
  utterances?: readonly number[];
}

/** Which utterances go in which batch (indices into the set), without building the arrays. */
export function planBatches(set: FeatureSet, opts: BatchOptions = {}): number[][] {
  const { batchSize, maxFrames } = opts;
  if (batchSize === undefined && maxFrames === undefined) throw invalidParameter('batch options', 'batchSize or maxFrames', opts);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) throw invalidParameter('batchSize', 'an integer >= 1', batchSize);
  if (maxFrames !== undefined && !(Number.isInteger(maxFrames) && maxFrames >= 1)) throw invalidParameter('maxFrames', 'an integer >= 1', maxFrames);
  const n = set.utterances.length;
  let order = opts.utterances ? [...opts.utterances] : Array.from({ length: n }, (_, i) => i);
  for (const i of order) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw invalidParameter('utterances', `indices in 0..${n - 1}`, i);
  if (opts.rng) order = opts.rng.shuffle(order);
  const frames = (i: number) => set.utterances[i]!.frames;
  // Array.prototype.sort is stable, so shuffled ties stay shuffled.
  if (opts.sortByLength !== false) order.sort((a, b) => frames(a) - frames(b));
  const batches: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const t = Math.max(longest, frames(i));
    const full = (batchSize !== undefined && cur.length >= batchSize) || (maxFrames !== undefined && cur.length > 0 && t * (cur.length + 1) > maxFrames);
    if (full) {
      batches.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, frames(i));
  }
  if (cur.length) batches.push(cur);
  for (const b of batches) b.sort((x, y) => frames(y) - frames(x) || x - y);
  return opts.rng ? opts.rng.shuffle(batches) : batches;
}

/** Builds one padded, time-major batch from utterance indices (ordered longest first). */
export function makeBatch(set: FeatureSet, indices: readonly number[]): Batch {
  if (indices.length === 0) throw invalidParameter('indices', 'at least one utterance', indices);
  const utts = [...indices].sort((x, y) => set.utterances[y]!.frames - set.utterances[x]!.frames || x - y);
  const B = utts.length;
  const D = set.dim;
  const lengths = Int32Array.from(utts, (i) => set.utterances[i]!.frames);
  const T = lengths[0]!;
  const x = new Float32Array(T * B * D);
  const labels = new Int32Array(T * B).fill(-1);
  for (let b = 0; b < B; b++) {
    const u = set.utterances[utts[b]!]!;
    for (let t = 0; t < u.frames; t++) {
      const src = (u.offset + t) * D;
      x.set(set.feats.subarray(src, src + D), (t * B + b) * D);
      labels[t * B + b] = set.labels[u.offset + t]!;
    }
  }
  return { T, B, dim: D, x, lengths, labels, utterances: utts };
}

/** All batches of a set (see `planBatches` for the grouping and order). */
export function makeBatches(set: FeatureSet, opts: BatchOptions): Batch[] {
  return planBatches(set, opts).map((b) => makeBatch(set, b));
}
