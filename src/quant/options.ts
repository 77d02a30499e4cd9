/**
 * How a bits assignment is turned into a quantized model. The defaults are the papers' scheme
 * (DESIGN.md section 4): symmetric per-tensor integers with MMSE clips for weights and calibrated
 * activations, fake quantization, no path skipping.
 */
import { invalidParameter } from '../util/errors.js';

/**
 * How a clip is chosen: `mmse` (minimum clipping + quantization error on a 201-bin histogram of |v|),
 * `minmax` (the largest magnitude), `percentile` (the `percentile`-th percentile of |v|).
 */
export type ClipMethod = 'mmse' | 'minmax' | 'percentile';
export const CLIP_METHODS: readonly ClipMethod[] = ['mmse', 'minmax', 'percentile'];

export interface QuantOptions {
  /** Integer-exact products (integer operands, i32 accumulation, rescale by the product of scales) instead of fake quantization. @default false */
  integer?: boolean;
  /** Path skipping: keep the candidate path of LSTM/GRU/LiGRU recurrent matrices at 16 bits in every layer (`'all'`) or the first K layers. */
  skipCandidate?: 'all' | number | null;
  /** Weight clips. @default 'mmse' */
  weightClip?: ClipMethod;
  /** Percentile for `weightClip: 'percentile'`. @default 99.99 */
  weightPercentile?: number;
  /** One clip (scale) per output column of every weight matrix instead of one per tensor. @default false */
  perChannel?: boolean;
  /**
   * Activation clips, from the calibration's statistics: `mmse` (median of per-utterance MMSE clips),
   * `minmax` (median of per-utterance maxima), `percentile` (median of per-utterance percentiles, at the
   * calibration's percentile). @default 'mmse' ('minmax' when asymmetric)
   */
  activationClip?: ClipMethod;
  /** Asymmetric activations (a zero point; range from min-max or percentile statistics). @default false */
  asymmetric?: boolean;
}

export interface ResolvedQuantOptions {
  integer: boolean;
  /** Layers whose candidate path stays at 16 bits: layer index < skipLayers (0: none). */
  skipLayers: number;
  weightClip: ClipMethod;
  weightPercentile: number;
  perChannel: boolean;
  activationClip: ClipMethod;
  asymmetric: boolean;
}

export function resolveQuantOptions(o: QuantOptions = {}): ResolvedQuantOptions {
  const skip = o.skipCandidate ?? null;
  let skipLayers = 0;
  if (skip === 'all') skipLayers = Infinity;
  else if (skip !== null) {
    if (!(Number.isInteger(skip) && skip >= 0)) throw invalidParameter('skipCandidate', '"all" or a number of layers >= 0', skip);
    skipLayers = skip;
  }
  const weightClip = o.weightClip ?? 'mmse';
  if (!CLIP_METHODS.includes(weightClip)) throw invalidParameter('weightClip', `one of ${CLIP_METHODS.join(', ')}`, weightClip);
  const weightPercentile = o.weightPercentile ?? 99.99;
  if (!(weightPercentile > 0 && weightPercentile <= 100)) throw invalidParameter('weightPercentile', 'a percentile in (0, 100]', weightPercentile);
  const asymmetric = o.asymmetric ?? false;
  const activationClip = o.activationClip ?? (asymmetric ? 'minmax' : 'mmse');
  if (!CLIP_METHODS.includes(activationClip)) throw invalidParameter('activationClip', `one of ${CLIP_METHODS.join(', ')}`, activationClip);
  if (asymmetric && activationClip === 'mmse') throw invalidParameter('activationClip', 'minmax or percentile with asymmetric activations (MMSE clips are symmetric)', activationClip);
  return { integer: o.integer ?? false, skipLayers, weightClip, weightPercentile, perChannel: o.perChannel ?? false, activationClip, asymmetric };
}

/** Parses `--skip-candidate all|K`. */
export function parseSkipCandidate(text: string, flag = '--skip-candidate'): 'all' | number {
  const t = text.trim();
  if (t === 'all') return 'all';
  if (/^\d+$/.test(t)) return Number(t);
  throw invalidParameter(flag, '"all" or a number of layers', text);
}
