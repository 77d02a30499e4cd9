/**
 * A tiny generated frame-labelling task: utterances of segments (3..8 frames) of a class, each frame
 * the class's prototype plus Gaussian noise. A one-layer bidirectional SRU of 16 units learns it to
 * near-zero frame error in a few epochs.
 */
import { createFeatureSet } from '../../src/data/store/feature-set.js';
import type { FeatureSet } from '../../src/data/store/feature-set.js';
import { Rng } from '../../src/util/rng.js';
import type { Architecture } from '../../src/nn/arch.js';

export const TINY_DIM = 6;

export function tinySet(name: string, utterances: number, seed: number, classes = 4, numLabels = classes, noise = 0.35): FeatureSet {
  const rng = new Rng(seed);
  const protoRng = new Rng(1234);
  const protos = Array.from({ length: classes }, () => Float32Array.from({ length: TINY_DIM }, () => protoRng.normal()));
  const feats: number[] = [];
  const labels: number[] = [];
  const offsets = [0];
  const ids: string[] = [];
  const speakers: string[] = [];
  for (let u = 0; u < utterances; u++) {
    const T = rng.intBetween(20, 60);
    let t = 0;
    while (t < T) {
      const c = rng.int(classes);
      const len = Math.min(T - t, rng.intBetween(3, 8));
      for (let i = 0; i < len; i++, t++) {
        for (let d = 0; d < TINY_DIM; d++) feats.push(protos[c]![d]! + noise * rng.normal());
        labels.push(c);
      }
    }
    offsets.push(offsets[u]! + T);
    ids.push(`${name}${u}`);
    speakers.push(`S${u % 3}`);
  }
  return createFeatureSet({ name, dim: TINY_DIM, numLabels, ids, speakers, offsets, feats: Float32Array.from(feats), labels: Int32Array.from(labels) });
}

export function tinyArch(output = 4, type: 'sru' | 'lstm' | 'gru' | 'ligru' = 'sru', hidden = 16): Architecture {
  return { name: `tiny-${type}`, input: TINY_DIM, output, layers: [{ type, hidden, dropout: 0.1 }] };
}
