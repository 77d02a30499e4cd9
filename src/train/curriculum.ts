/**
 * Sequence-length curriculum, as pytorch-kaldi trains its TIMIT recurrent models: the longest sequence
 * of an epoch starts short (100 frames) and doubles every epoch up to a ceiling (1000); utterances
 * longer than the epoch's limit are cut into chunks that are trained as separate sequences. Short
 * sequences early make the first epochs cheap and the gradients of the recurrence well behaved.
 *
 * Chunks of one utterance are as equal as possible (an utterance of 250 frames with limit 100 becomes
 * 84 + 83 + 83, never 100 + 100 + 50), and they are views of the same feature rows: no copy.
 */
import { invalidParameter } from '../util/errors.js';
import { createFeatureSet } from '../data/store/feature-set.js';
import type { FeatureSet } from '../data/store/feature-set.js';

export interface Curriculum {
  /** Longest sequence of the first epoch (frames). */
  start: number;
  /** Factor per epoch. */
  growth: number;
  /** Ceiling (frames); 0 = no ceiling. */
  max: number;
}

/** pytorch-kaldi's TIMIT settings: max_seq_length_train 100, increase factor 2, up to 1000. */
export const PYTORCH_KALDI_CURRICULUM: Curriculum = { start: 100, growth: 2, max: 1000 };

export function checkCurriculum(c: Curriculum): Curriculum {
  if (!(Number.isInteger(c.start) && c.start >= 1)) throw invalidParameter('curriculum start', 'an integer >= 1 (frames)', c.start);
  if (!(c.growth >= 1 && Number.isFinite(c.growth))) throw invalidParameter('curriculum growth', 'a number >= 1', c.growth);
  if (!(Number.isInteger(c.max) && c.max >= 0)) throw invalidParameter('curriculum max', 'an integer >= 0 (0: no ceiling)', c.max);
  return c;
}

/** The longest sequence of epoch `epoch` (0-based), or Infinity without a curriculum. */
export function maxSequenceLength(epoch: number, c: Curriculum | null): number {
  if (!c) return Infinity;
  const len = Math.floor(c.start * c.growth ** epoch);
  return c.max > 0 ? Math.min(c.max, len) : len;
}

/**
 * The set with every utterance longer than `maxLength` cut into equal chunks (ids `<id>#<k>`). The
 * result shares the feature and label arrays; its reference phones are the collapsed frame labels of
 * each chunk (training does not use them).
 */
export function chunkUtterances(set: FeatureSet, maxLength: number): FeatureSet {
  if (!(maxLength >= 1)) throw invalidParameter('maxLength', 'a sequence length >= 1', maxLength);
  if (set.utterances.every((u) => u.frames <= maxLength)) return set;
  const ids: string[] = [];
  const speakers: string[] = [];
  const offsets: number[] = [0];
  let expected = 0;
  for (const u of set.utterances) {
    // Chunks are views of consecutive rows, so the set's utterances must tile its arrays in order.
    if (u.offset !== expected) throw invalidParameter(`utterance "${u.id}" offset`, `${expected} (utterances stored one after another)`, u.offset);
    expected += u.frames;
    const n = Math.max(1, Math.ceil(u.frames / maxLength));
    const base = Math.floor(u.frames / n);
    const extra = u.frames - base * n;
    let at = u.offset;
    for (let k = 0; k < n; k++) {
      at += base + (k < extra ? 1 : 0);
      ids.push(n === 1 ? u.id : `${u.id}#${k}`);
      speakers.push(u.speaker);
      offsets.push(at);
    }
  }
  const frames = offsets[offsets.length - 1]!;
  return createFeatureSet({
    name: `${set.name}-max${maxLength}`,
    dim: set.dim,
    numLabels: set.numLabels,
    labelKind: set.labelKind,
    ids,
    speakers,
    offsets,
    feats: frames * set.dim === set.feats.length ? set.feats : set.feats.subarray(0, frames * set.dim),
    labels: frames === set.labels.length ? set.labels : set.labels.subarray(0, frames),
  });
}
