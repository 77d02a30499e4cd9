/**
 * Options of the synthetic corpus: its size, its seed, and the difficulty knobs. Every knob is a scale
 * around a natural, TIMIT-like amount (1); 0 removes that source of variation. The defaults are the
 * calibrated ones: they are what the default model is trained on.
 */
import { invalidParameter } from '../../util/errors.js';
import type { PhonologyOptions } from './phonology.js';

export interface SynthOptions {
  /** Fixes every random choice: texts, speakers, phonology, timing, voices, noise. @default 1 */
  seed?: number;
  /** Utterances in TRAIN, not counting SA sentences (what the reader's train split holds). @default 1500 */
  train?: number;
  /** Utterances of the dev speakers in TEST (SA not counted). @default 250 */
  dev?: number;
  /** Utterances of the core-test speakers in TEST (SA not counted). @default 250 */
  test?: number;
  /** Also write the two SA sentences every speaker reads, as TIMIT does (readers skip them by default). @default true */
  saSentences?: boolean;
  /** Mean signal-to-noise ratio of the additive background noise, dB (speech power over active speech). @default 14 */
  snrDb?: number;
  /** Per-utterance SNR varies uniformly within snrDb +- this, dB. @default 5 */
  snrSpreadDb?: number;
  /** Spread of speaker parameters: vocal tract length, F0, rate, voice quality. @default 1 */
  speakerVariation?: number;
  /** Articulatory sluggishness: transition time constants and locus pull (0.5 crisp .. 2 slurred). @default 1 */
  coarticulation?: number;
  /** Spread of per-token formant targets and levels. @default 1 */
  tokenVariation?: number;
  /** Spread of utterance rate and per-phone durations. @default 1 */
  rateVariation?: number;
  /** Scale of intonation: pitch accents, final falls and rises (0 = monotone). @default 1 */
  f0Range?: number;
  /** Spread of the speakers' spectral tilt (voice brightness). @default 1 */
  spectralTilt?: number;
  /** Spread of the per-speaker recording channel (tilt and one resonance). @default 1 */
  channel?: number;
  /** Probabilities of the connected-speech processes (flaps, reductions, ...); see phonology.ts. */
  phonology?: Partial<PhonologyOptions>;
  /** Worker threads; the corpus is byte-identical for any count. @default available cores */
  workers?: number;
}

export type ResolvedSynthOptions = Readonly<Required<Omit<SynthOptions, 'phonology' | 'workers'>>> & {
  readonly phonology: Partial<PhonologyOptions>;
  readonly workers: number;
};

export const SYNTH_DEFAULTS = {
  seed: 1,
  train: 1500,
  dev: 250,
  test: 250,
  saSentences: true,
  // 14 dB (was 20): at 20 dB the default sru-small reached 11.7 % dev PER, easier than TIMIT; at 14 dB
  // it lands at a TIMIT-like ~18-20 % and 2-bit quantization clearly hurts (train issue 6 calibration).
  snrDb: 14,
  snrSpreadDb: 5,
  speakerVariation: 1,
  coarticulation: 1,
  tokenVariation: 1,
  rateVariation: 1,
  f0Range: 1,
  spectralTilt: 1,
  channel: 1,
} as const;

/** The knobs that shape the audio (not the corpus size); recorded in the corpus manifest. */
export const DIFFICULTY_KNOBS = ['snrDb', 'snrSpreadDb', 'speakerVariation', 'coarticulation', 'tokenVariation', 'rateVariation', 'f0Range', 'spectralTilt', 'channel'] as const;

const KNOB_RANGES: Record<(typeof DIFFICULTY_KNOBS)[number], [number, number]> = {
  snrDb: [-10, 100],
  snrSpreadDb: [0, 30],
  speakerVariation: [0, 3],
  coarticulation: [0.25, 4],
  tokenVariation: [0, 4],
  rateVariation: [0, 3],
  f0Range: [0, 3],
  spectralTilt: [0, 3],
  channel: [0, 4],
};

export function resolveSynthOptions(o: SynthOptions = {}, defaultWorkers = 1): ResolvedSynthOptions {
  const count = (name: 'train' | 'dev' | 'test') => {
    const v = o[name] ?? SYNTH_DEFAULTS[name];
    if (!Number.isSafeInteger(v) || v < 0 || v > 1_000_000) throw invalidParameter(name, 'an integer in 0..1000000', v);
    return v;
  };
  const seed = o.seed ?? SYNTH_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed)) throw invalidParameter('seed', 'an integer', seed);
  const knobs = {} as Record<(typeof DIFFICULTY_KNOBS)[number], number>;
  for (const k of DIFFICULTY_KNOBS) {
    const v = o[k] ?? SYNTH_DEFAULTS[k];
    const [lo, hi] = KNOB_RANGES[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw invalidParameter(k, `a number in [${lo}, ${hi}]`, v);
    knobs[k] = v;
  }
  const resolved = {
    seed,
    train: count('train'),
    dev: count('dev'),
    test: count('test'),
    saSentences: o.saSentences ?? SYNTH_DEFAULTS.saSentences,
    ...knobs,
    phonology: { ...o.phonology },
    workers: o.workers ?? defaultWorkers,
  };
  if (resolved.train + resolved.dev + resolved.test === 0) throw invalidParameter('train + dev + test', 'at least one utterance', 0);
  if (!Number.isSafeInteger(resolved.workers) || resolved.workers < 1 || resolved.workers > 256) throw invalidParameter('workers', 'an integer in 1..256', resolved.workers);
  for (const [k, p] of Object.entries(resolved.phonology)) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw invalidParameter(`phonology.${k}`, 'a probability in [0, 1]', p);
  }
  return resolved;
}
