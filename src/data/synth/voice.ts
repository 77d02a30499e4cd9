/**
 * Speakers: everything that makes one synthetic talker differ from another. Sex sets the vowel table
 * (Hillenbrand's men or women) and the F0 register; a vocal-tract-length factor scales every formant;
 * small per-formant biases, dialect-region vowel shifts, speaking rate, F0 range, voice quality (open
 * quotient, spectral tilt, breathiness, jitter, shimmer) and the recording channel complete the voice.
 * The spread of all of these is one knob (`speakerVariation`), so corpus difficulty can be tuned.
 */
import type { Rng } from '../../util/rng.js';
import type { Formants } from './inventory.js';

export type Sex = 'M' | 'F';

export interface Voice {
  id: string;
  sex: Sex;
  /** TIMIT dialect region 1..8. */
  dialect: number;
  /** Multiplies every formant frequency (vocal tract length: larger factor = shorter tract). */
  formantScale: number;
  /** Per-formant multipliers for F1..F3 on top of the scale (individual vowel-space shape). */
  formantBias: Formants;
  /** Bandwidth multiplier (damping of this voice's vocal tract). */
  bandwidthScale: number;
  /** Mean F0 (Hz) and intonation range (semitones of a pitch accent). */
  f0Hz: number;
  f0RangeSt: number;
  /** Duration multiplier (>1 slower). */
  rate: number;
  /** Glottal open quotient (0.35 pressed .. 0.75 breathy). */
  openQuotient: number;
  /** One-pole low-pass coefficient on the glottal source (0 bright .. 0.9 dark). */
  tilt: number;
  /** Aspiration mixed into voicing, dB relative to the voicing. */
  breathinessDb: number;
  /** Cycle-to-cycle F0 and amplitude perturbation (fractions). */
  jitter: number;
  shimmer: number;
  /** Recording channel: first-order tilt (dB per octave around 1 kHz) and one resonance. */
  channel: { tiltDbPerOctave: number; peakHz: number; peakDb: number; peakQ: number };
}

export interface VoiceVariation {
  /** Spread of every speaker parameter (1 = TIMIT-like population, 0 = one average voice per sex). */
  speakerVariation: number;
  /** Scale of intonation excursions (0 = monotone). */
  f0Range: number;
  /** Spread of the speakers' spectral tilt (voice brightness). */
  spectralTilt: number;
  /** Spread of the recording channel colouring. */
  channel: number;
}

/** Vowel shifts by dialect region (F1, F2 multipliers per vowel), loosely after the regional patterns of
 * American English: Northern /ae/ raising, Southern /ay/ glide weakening and /uw/ fronting, Western
 * cot-caught merger, New York /ao/ raising. Small, so that a region colours a voice without relabelling. */
const DIALECT_SHIFTS: ReadonlyArray<Readonly<Record<string, readonly [number, number]>>> = [
  {},
  { aa: [1, 1.06], ae: [0.96, 1.03] }, // DR1 New England
  { ae: [0.88, 1.08], aa: [1, 1.08], eh: [1.04, 0.97] }, // DR2 Northern
  { ow: [1, 1.08], uw: [1, 1.1] }, // DR3 North Midland
  { uw: [1, 1.18], ow: [1, 1.1], ay: [1, 0.95] }, // DR4 South Midland
  { uw: [1, 1.22], ay: [1, 0.9], eh: [0.96, 1.02], ih: [1, 0.97] }, // DR5 Southern
  { ao: [0.88, 1.05], ae: [0.94, 1.04] }, // DR6 New York City
  { ao: [1.12, 1.25], uw: [1, 1.12] }, // DR7 Western
  {}, // DR8 Army Brat (moved around)
];

export function dialectShift(dialect: number, vowel: string): readonly [number, number] | undefined {
  return DIALECT_SHIFTS[dialect]?.[vowel];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Draws one speaker's voice. */
export function sampleVoice(id: string, sex: Sex, dialect: number, rng: Rng, v: VoiceVariation): Voice {
  const sv = v.speakerVariation;
  const n = () => rng.normal();
  const male = sex === 'M';
  const f0Hz = male ? clamp(118 * Math.exp(0.14 * sv * n()), 80, 175) : clamp(205 * Math.exp(0.11 * sv * n()), 145, 290);
  return {
    id,
    sex,
    dialect,
    formantScale: clamp(Math.exp(0.045 * sv * n()), 0.85, 1.18),
    formantBias: [Math.exp(0.035 * sv * n()), Math.exp(0.03 * sv * n()), Math.exp(0.025 * sv * n())],
    bandwidthScale: clamp(Math.exp(0.15 * sv * n()), 0.7, 1.5),
    f0Hz,
    f0RangeSt: clamp((male ? 2.6 : 3.2) * Math.exp(0.3 * sv * n()), 0.5, 7) * v.f0Range,
    rate: clamp(Math.exp(0.1 * sv * n()), 0.75, 1.35),
    openQuotient: clamp((male ? 0.5 : 0.6) + 0.06 * sv * n(), 0.35, 0.78),
    tilt: clamp((male ? 0.2 : 0.3) + 0.12 * v.spectralTilt * n(), 0, 0.85),
    breathinessDb: clamp((male ? -30 : -24) + 4 * sv * n(), -45, -12),
    jitter: clamp(0.006 + 0.003 * sv * Math.abs(n()), 0.002, 0.03),
    shimmer: clamp(0.04 + 0.02 * sv * Math.abs(n()), 0.01, 0.15),
    channel: {
      tiltDbPerOctave: clamp(1.5 * v.channel * n(), -5, 5),
      peakHz: Math.round(clamp(1500 * Math.exp(0.6 * n()), 300, 6000)),
      peakDb: clamp(3 * v.channel * n(), -9, 9),
      peakQ: clamp(1 + 0.5 * Math.abs(n()), 0.7, 3),
    },
  };
}

/** A TIMIT-style speaker id: sex letter, three initials, a digit that makes it unique. */
export function speakerId(sex: Sex, rng: Rng, taken: Set<string>): string {
  for (;;) {
    const initials = String.fromCharCode(65 + rng.int(26), 65 + rng.int(26), 65 + rng.int(26));
    for (let digit = 0; digit < 10; digit++) {
      const id = `${sex}${initials}${digit}`;
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
  }
}
