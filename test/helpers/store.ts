/** Writes small feature stores to disk for tests of commands that read FEATDIR (search, train, ...). */
import { collapseLabels, createFeatureSet } from '../../src/data/store/feature-set.js';
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import { phone48Labels, writeStoreIndex, writeStoreSplit } from '../../src/data/store/store.js';
import { Rng } from '../../src/util/rng.js';

/** Writes `sets` (by split name) as a feature store in `dir`; reference phones are the collapsed frame labels. */
export function writeStore(dir: string, sets: Record<string, FeatureSet>): void {
  const splits: Record<string, ReturnType<typeof writeStoreSplit>> = {};
  let dim = 0;
  for (const [name, s] of Object.entries(sets)) {
    dim = s.dim;
    const refs = s.utterances.map((u) => collapseLabels(s.labels, u.offset, u.offset + u.frames));
    const phoneOffsets = [0];
    for (const r of refs) phoneOffsets.push(phoneOffsets[phoneOffsets.length - 1]! + r.length);
    const phones = new Int32Array(phoneOffsets[phoneOffsets.length - 1]!);
    refs.forEach((r, i) => phones.set(r, phoneOffsets[i]!));
    const offsets = [0, ...s.utterances.map((u) => u.offset + u.frames)];
    splits[name] = writeStoreSplit(dir, name, s.dim, { ids: s.utterances.map((u) => u.id), speakers: s.utterances.map((u) => u.speaker), offsets, feats: s.feats, labels: s.labels, phones, phoneOffsets });
  }
  writeStoreIndex(dir, { dim, features: { kind: 'synthetic' }, cmvn: 'none', labels: phone48Labels(), source: { kind: 'test' }, splits });
}

/**
 * `n` utterances whose frame labels (of 48) follow short phone segments and whose features are a noisy
 * label embedding, so that a model can learn them.
 */
export function learnableSet(name: string, n: number, dim: number, seed: number, minT = 8, maxT = 30): FeatureSet {
  const rng = new Rng(seed);
  const embed = new Rng(12345);
  const centres = Array.from({ length: 48 }, () => Float32Array.from({ length: dim }, () => embed.normal()));
  const lengths = Array.from({ length: n }, () => rng.intBetween(minT, maxT));
  const offsets = [0];
  for (const l of lengths) offsets.push(offsets[offsets.length - 1]! + l);
  const total = offsets[n]!;
  const feats = new Float32Array(total * dim);
  const labels = new Int32Array(total);
  let label = 0;
  let left = 0;
  for (let i = 0; i < total; i++) {
    if (left-- <= 0) {
      label = rng.int(48);
      left = rng.intBetween(2, 5);
    }
    labels[i] = label;
    for (let d = 0; d < dim; d++) feats[i * dim + d] = centres[label]![d]! + 0.6 * rng.normal();
  }
  return createFeatureSet({ name, dim, numLabels: 48, ids: lengths.map((_, i) => `${name}${i}`), speakers: lengths.map((_, i) => `spk${i % 4}`), offsets, feats, labels });
}
