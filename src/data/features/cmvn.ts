/**
 * Cepstral mean (and variance) normalisation, as Kaldi's `compute-cmvn-stats --spk2utt` +
 * `apply-cmvn --utt2spk` do it: statistics are summed over all frames of a speaker (or of one
 * utterance) and every frame of that speaker is shifted by the mean and, with variance
 * normalisation, scaled by 1/stddev. The papers' pytorch-kaldi recipe uses per-speaker mean
 * normalisation (apply-cmvn's default norm_vars=false), which is `speaker-mean` here.
 */
import { invalidParameter } from '../../util/errors.js';

export type CmvnKind = 'none' | 'speaker-mean' | 'speaker-meanvar' | 'utterance-mean' | 'utterance-meanvar';
export const CMVN_KINDS: readonly CmvnKind[] = ['none', 'speaker-mean', 'speaker-meanvar', 'utterance-mean', 'utterance-meanvar'];

/**
 * Normalises `feats` in place. feats: (N, D) with utterance u at rows offsets[u]..offsets[u+1];
 * `speakers[u]` groups utterances for the speaker kinds.
 */
export function applyCmvn(feats: Float32Array, dim: number, offsets: ArrayLike<number>, speakers: readonly string[], kind: CmvnKind): void {
  if (!CMVN_KINDS.includes(kind)) throw invalidParameter('cmvn', `one of ${CMVN_KINDS.join(', ')}`, kind);
  if (kind === 'none') return;
  const numUtts = offsets.length - 1;
  const groups = new Map<string, number[]>();
  for (let u = 0; u < numUtts; u++) {
    const key = kind.startsWith('speaker') ? speakers[u]! : String(u);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(u);
  }
  const normVars = kind.endsWith('meanvar');
  const sum = new Float64Array(dim);
  const sq = new Float64Array(dim);
  const shift = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (const utts of groups.values()) {
    sum.fill(0);
    sq.fill(0);
    let count = 0;
    for (const u of utts) {
      for (let r = offsets[u]!; r < offsets[u + 1]!; r++) {
        const row = r * dim;
        for (let d = 0; d < dim; d++) {
          const v = feats[row + d]!;
          sum[d]! += v;
          sq[d]! += v * v;
        }
        count++;
      }
    }
    if (count === 0) continue;
    for (let d = 0; d < dim; d++) {
      const mean = sum[d]! / count;
      shift[d] = mean;
      if (normVars) {
        let variance = sq[d]! / count - mean * mean;
        // Kaldi's apply-cmvn floors the variance at 1e-20 (a constant dimension then scales hugely, as there).
        if (variance < 1e-20) variance = 1e-20;
        scale[d] = 1 / Math.sqrt(variance);
      } else {
        scale[d] = 1;
      }
    }
    for (const u of utts) {
      for (let r = offsets[u]!; r < offsets[u + 1]!; r++) {
        const row = r * dim;
        for (let d = 0; d < dim; d++) feats[row + d] = (feats[row + d]! - shift[d]!) * scale[d]!;
      }
    }
  }
}
