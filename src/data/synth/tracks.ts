/**
 * Control-parameter tracks of a cascade/parallel formant synthesizer (Klatt 1980), one value per 1 ms
 * control frame: F0, voicing / aspiration / frication amplitudes, F1-F6 and bandwidths, the nasal
 * antiresonance, the frication noise spectrum, source tilt and creak.
 *
 * Coarticulation: every phone contributes a *target* (its own formants, or for obstruents the locus its
 * transitions point at, computed from the neighbouring vowel with locus equations); the articulators
 * move towards the targets with a critically damped, zero-phase smoothing whose time constants depend
 * on the phone (fast at releases and nasal boundaries, slow in vowels and glides). Short vowels thus
 * undershoot their targets and consonants are coloured by their neighbours, as in real speech.
 * Source amplitudes are nearly steps, so phone boundaries stay where the .PHN file puts them.
 */
import type { Rng } from '../../util/rng.js';
import {
  FEMALE_FORMANT_RATIO,
  HILLENBRAND_MEN,
  HILLENBRAND_WOMEN,
  MALE_F4_HZ,
  MALE_F5_HZ,
  MALE_F6_HZ,
  NASAL_POLE_HZ,
  phoneSpec,
  type Formants,
  type NoiseShape,
  type PhoneSpec,
} from './inventory.js';
import { intonation, type TimedPhone } from './prosody.js';
import { dialectShift, type Voice } from './voice.js';

/** Samples per control frame (1 ms at 16 kHz). */
export const FRAME = 16;
const FS = 16000;

export interface Tracks {
  frames: number;
  /** Hz */
  f0: Float64Array;
  /** Linear source amplitudes. */
  av: Float64Array;
  ah: Float64Array;
  af: Float64Array;
  /** F1..F6 and B1..B6, Hz. */
  formants: Float64Array[];
  bandwidths: Float64Array[];
  /** Nasal antiresonance, Hz (equal to NASAL_POLE_HZ outside nasals: pole and zero cancel). */
  nasalZero: Float64Array;
  /** Frication spectrum: two resonances (Hz, Hz, linear gain) and a flat bypass gain. */
  noiseFreq: [Float64Array, Float64Array];
  noiseBandwidth: [Float64Array, Float64Array];
  noiseGain: [Float64Array, Float64Array];
  noiseBypass: Float64Array;
  /** Glottal source low-pass coefficient and open quotient. */
  tilt: Float64Array;
  openQuotient: Float64Array;
  /** 0..1: irregular, low, pressed phonation (glottal stops, utterance-final fry). */
  creak: Float64Array;
}

export interface ArticulationOptions {
  /** Scales articulatory time constants and locus pull (1 = natural; 0.5 = crisp, 2 = slurred). */
  coarticulation: number;
  /** Spread of per-token formant targets and levels (1 = natural). */
  tokenVariation: number;
  /** Scale of intonation excursions (1 = natural, 0 = monotone). */
  f0Range: number;
}

const dbToLinear = (db: number) => (db === -Infinity ? 0 : Math.pow(10, db / 20));

/** A male-voice frequency triple scaled to this voice (sex, vocal-tract length, individual bias). */
function scaleToVoice(f: Formants, voice: Voice): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) out[k] = f[k]! * (voice.sex === 'F' ? FEMALE_FORMANT_RATIO[k]! : 1) * voice.formantScale * voice.formantBias[k]!;
  return out;
}

/** A vowel's or sonorant's own target: Hillenbrand's table for the voice's sex where it has the vowel, else
 * the male value scaled; then vocal-tract scale, individual bias and the dialect's shift. */
function ownTarget(label: string, f: Formants, voice: Voice, useTable: boolean): [number, number, number] {
  const table = (voice.sex === 'F' ? HILLENBRAND_WOMEN : HILLENBRAND_MEN)[label];
  const out: [number, number, number] = useTable && table ? [0, 1, 2].map((k) => table[k]! * voice.formantScale * voice.formantBias[k]!) as [number, number, number] : scaleToVoice(f, voice);
  const shift = dialectShift(voice.dialect, label);
  if (shift) {
    out[0] *= shift[0];
    out[1] *= shift[1];
  }
  return out;
}

/** Time constants (ms) of F1, F2/F3 and the nasal zero while a phone is being produced. */
function timeConstants(spec: PhoneSpec): [number, number, number] {
  switch (spec.manner) {
    case 'vowel':
      return [14, 18, 20];
    case 'liquid':
    case 'glide':
      return [12, 22, 20];
    case 'nasal':
    case 'flap':
      return [5, 12, 3];
    case 'release':
    case 'closure':
    case 'fricative':
    case 'affricate':
      return [6, 10, 6];
    case 'aspirate':
    case 'glottal':
      return [14, 18, 12];
    case 'silence':
      return [20, 20, 20];
  }
}

/** RMS gain of the parallel noise branch for white input (frequency response sampled on a grid). */
export function noiseShapeGain(shape: { freq: readonly number[]; bandwidth: readonly number[]; gain: readonly number[]; bypass: number }): number {
  const N = 256;
  let power = 0;
  const res = shape.freq.map((fr, k) => resonatorCoefficients(fr, shape.bandwidth[k]!, true));
  for (let i = 0; i < N; i++) {
    const w = (Math.PI * (i + 0.5)) / N;
    // First difference (the noise is differentiated before the branch).
    const dRe = 1 - Math.cos(w);
    const dIm = Math.sin(w);
    let re = shape.bypass;
    let im = 0;
    res.forEach(([A, B, C], k) => {
      // H = A / (1 - B z^-1 - C z^-2); alternate signs as the branch sums them.
      const zr1 = Math.cos(w);
      const zi1 = -Math.sin(w);
      const zr2 = Math.cos(2 * w);
      const zi2 = -Math.sin(2 * w);
      const denRe = 1 - B * zr1 - C * zr2;
      const denIm = -B * zi1 - C * zi2;
      const mag2 = denRe * denRe + denIm * denIm;
      const sign = k % 2 === 0 ? 1 : -1;
      re += (sign * shape.gain[k]! * A * denRe) / mag2;
      im += (sign * shape.gain[k]! * A * -denIm) / mag2;
    });
    const outRe = re * dRe - im * dIm;
    const outIm = re * dIm + im * dRe;
    power += outRe * outRe + outIm * outIm;
  }
  return Math.sqrt(power / N);
}

/**
 * Digital resonator y[n] = A x[n] + B y[n-1] + C y[n-2] (Klatt 1980). `unitPeak` normalises the gain
 * at the centre frequency to 1 (parallel branch) instead of at DC (cascade).
 */
export function resonatorCoefficients(freq: number, bandwidth: number, unitPeak = false): [number, number, number] {
  const r = Math.exp((-Math.PI * bandwidth) / FS);
  const theta = (2 * Math.PI * freq) / FS;
  const B = 2 * r * Math.cos(theta);
  const C = -r * r;
  const A = unitPeak ? (1 - r) * Math.sqrt(1 - 2 * r * Math.cos(2 * theta) + r * r) : 1 - B - C;
  return [A, B, C];
}

interface PhoneTargets {
  /** F1-F3 at the start and end of the phone (equal except in diphthongs). */
  from: [number, number, number];
  to: [number, number, number];
}

/**
 * Builds every track for one utterance. `rng` draws the per-token variation; it is a stream of its own
 * so that timing and text do not shift it.
 */
export function buildTracks(phones: readonly TimedPhone[], voice: Voice, question: boolean, rng: Rng, o: ArticulationOptions): Tracks {
  const total = phones[phones.length - 1]!.end;
  const frames = Math.ceil(total / FRAME) + 1;
  const z = () => new Float64Array(frames);
  const tracks: Tracks = {
    frames,
    f0: z(),
    av: z(),
    ah: z(),
    af: z(),
    formants: Array.from({ length: 6 }, z),
    bandwidths: Array.from({ length: 6 }, z),
    nasalZero: z(),
    noiseFreq: [z(), z()],
    noiseBandwidth: [z(), z()],
    noiseGain: [z(), z()],
    noiseBypass: z(),
    tilt: z(),
    openQuotient: z(),
    creak: z(),
  };
  const frameOf = (sample: number) => Math.min(frames - 1, Math.round(sample / FRAME));
  const specs = phones.map((p) => phoneSpec(p.label));
  const tv = o.tokenVariation;
  const jitterFormants = (f: [number, number, number], sd: number): [number, number, number] => {
    const g = () => Math.exp(sd * tv * Math.max(-2.5, Math.min(2.5, rng.normal())));
    return [f[0] * g(), f[1] * g(), f[2] * g()];
  };

  // 1. Own targets of vowels and sonorants (with per-token variation), then loci of obstruents.
  const targets: Array<PhoneTargets | null> = phones.map((p, i) => {
    const spec = specs[i]!;
    if (!spec.target || (spec.manner !== 'vowel' && spec.manner !== 'liquid' && spec.manner !== 'glide' && spec.manner !== 'nasal' && spec.manner !== 'flap')) return null;
    const sd = spec.manner === 'vowel' ? 0.045 : 0.03;
    const from = jitterFormants(ownTarget(p.label, spec.target, voice, true), sd);
    const to = spec.offglide ? jitterFormants(ownTarget(p.label, spec.offglide, voice, false), sd) : from;
    return { from, to };
  });
  const anchorOf = (i: number): [number, number, number] => {
    // The vowel a consonant's transitions point at: the next sonorant if adjacent, else the previous
    // one, else the nearest vowel ahead.
    const isAnchor = (j: number) => targets[j] && specs[j]!.manner !== 'nasal' && specs[j]!.manner !== 'flap';
    for (const j of [i + 1, i - 1, i + 2, i + 3, i - 2]) if (j >= 0 && j < phones.length && isAnchor(j)) return j < i ? targets[j]!.to : targets[j]!.from;
    return scaleToVoice(phoneSpec('ax').target!, voice);
  };
  phones.forEach((_, i) => {
    const spec = specs[i]!;
    if (targets[i]) return;
    if (spec.locus) {
      const v = anchorOf(i);
      const locus = scaleToVoice(spec.locus.f, voice);
      // More coarticulation pulls the consonant's target further towards its vowel.
      const slope = (k: number) => Math.min(1, Math.max(0, 1 - (1 - spec.locus!.slope[k]!) / Math.max(0.25, o.coarticulation)));
      const t = [0, 1, 2].map((k) => locus[k]! + slope(k) * (v[k]! - locus[k]!)) as [number, number, number];
      const j = jitterFormants(t, 0.03);
      targets[i] = { from: j, to: j };
    }
  });
  // Silences take the next phone's articulation (the talker prepares during a pause); the final h# the previous.
  for (let i = phones.length - 1; i >= 0; i--) if (!targets[i]) targets[i] = i + 1 < phones.length ? { from: targets[i + 1]!.from, to: targets[i + 1]!.from } : null;
  for (let i = 0; i < phones.length; i++) if (!targets[i]) targets[i] = { from: targets[i - 1]!.to, to: targets[i - 1]!.to };

  // 2. Piecewise targets per frame and per-frame smoothing coefficients.
  const target = [z(), z(), z()];
  const nasalTarget = z();
  const bwScale = z();
  const alpha = [z(), z(), z()];
  // Articulator time constants scale with the coarticulation knob; source and noise ramps do not.
  const coefficient = (ms: number, scale = o.coarticulation) => 1 - Math.exp(-1 / Math.max(0.5, ms * scale));
  phones.forEach((p, i) => {
    const spec = specs[i]!;
    const a = frameOf(p.start);
    const b = Math.max(a + 1, frameOf(p.end));
    const { from, to } = targets[i]!;
    const tau = timeConstants(spec);
    const glide = from !== to;
    for (let t = a; t < b && t < frames; t++) {
      const x = glide ? Math.min(1, Math.max(0, ((t - a) / (b - a) - 0.2) / 0.65)) : 0;
      for (let k = 0; k < 3; k++) {
        target[k]![t] = from[k]! + x * (to[k]! - from[k]!);
        alpha[k]![t] = coefficient(k === 0 ? tau[0] : tau[1]);
      }
      nasalTarget[t] = spec.nasalZeroHz ? spec.nasalZeroHz * voice.formantScale * (voice.sex === 'F' ? FEMALE_FORMANT_RATIO[1]! : 1) : NASAL_POLE_HZ;
      alpha[2]![t] = coefficient(tau[1]);
      // An open glottis (aspiration, voiceless closures) couples the trachea and damps the resonances.
      const glottisOpen = spec.manner === 'aspirate' || spec.manner === 'release' || p.label === 'ax-h' ? 1.8 : spec.manner === 'closure' && !spec.voiced ? 2.5 : 1;
      bwScale[t] = (spec.bandwidthScale ?? 1) * glottisOpen;
    }
  });
  fillTail(target, frameOf(total), frames);
  fillTail([nasalTarget, bwScale], frameOf(total), frames);
  const nasalAlpha = z();
  phones.forEach((p, i) => {
    const tau = timeConstants(specs[i]!)[2];
    for (let t = frameOf(p.start); t < Math.min(frames, Math.max(frameOf(p.start) + 1, frameOf(p.end))); t++) nasalAlpha[t] = coefficient(tau);
  });
  fillTail([alpha[0]!, alpha[1]!, alpha[2]!, nasalAlpha], frameOf(total), frames);

  for (let k = 0; k < 3; k++) smoothZeroPhase(target[k]!, alpha[k]!, tracks.formants[k]!);
  smoothZeroPhase(nasalTarget, nasalAlpha, tracks.nasalZero);
  const bwSmoothed = z();
  smoothZeroPhase(bwScale, constant(frames, coefficient(4, 1)), bwSmoothed);

  // Upper formants are properties of the voice, not of the phone.
  const sexRatio = voice.sex === 'F' ? FEMALE_FORMANT_RATIO[3]! : 1;
  const upper = [MALE_F4_HZ, MALE_F5_HZ, MALE_F6_HZ].map((f) => Math.min(7200, f * sexRatio * voice.formantScale));
  const baseBw = [70, 90, 140, 220, 300, 450];
  for (let t = 0; t < frames; t++) {
    // Keep formants ordered and clear of each other (r and velars bring F2 and F3 close).
    let lo = 150;
    for (let k = 0; k < 3; k++) {
      const v = Math.max(lo, tracks.formants[k]![t]!);
      tracks.formants[k]![t] = v;
      lo = v + 120;
    }
    for (let k = 3; k < 6; k++) tracks.formants[k]![t] = Math.max(upper[k - 3]!, tracks.formants[k - 1]![t]! + 300);
    for (let k = 0; k < 6; k++) tracks.bandwidths[k]![t] = baseBw[k]! * voice.bandwidthScale * (k < 3 ? bwSmoothed[t]! : 1);
  }

  // 3. Source and noise amplitudes: nearly steps at the boundaries.
  const av = z();
  const ah = z();
  const af = z();
  const creak = z();
  const tiltTarget = constant(frames, voice.tilt);
  const oq = constant(frames, voice.openQuotient);
  const levelJitter = () => Math.exp((Math.log(10) / 20) * 1.5 * tv * rng.normal());
  const noiseScale = voice.formantScale * (voice.sex === 'F' ? FEMALE_FORMANT_RATIO[2]! : 1);
  let shape: NoiseShape = phoneSpec('s').noise!;
  const setShape = (t: number, s: NoiseShape, velarPeak?: number) => {
    const f0 = velarPeak ?? s.freq[0] * noiseScale;
    const f1 = velarPeak ? Math.min(7400, velarPeak * 1.6) : s.freq[1] * noiseScale;
    tracks.noiseFreq[0]![t] = Math.min(7400, f0);
    tracks.noiseFreq[1]![t] = Math.min(7400, f1);
    tracks.noiseBandwidth[0]![t] = s.bandwidth[0] * noiseScale;
    tracks.noiseBandwidth[1]![t] = s.bandwidth[1] * noiseScale;
    tracks.noiseGain[0]![t] = s.gain[0];
    tracks.noiseGain[1]![t] = s.gain[1];
    tracks.noiseBypass[t] = s.bypass;
  };
  const lastVoiced = phones.reduce((acc, _, i) => (specs[i]!.voiced && specs[i]!.manner !== 'closure' ? i : acc), -1);

  phones.forEach((p, i) => {
    const spec = specs[i]!;
    const a = frameOf(p.start);
    const b = Math.max(a + 1, frameOf(p.end));
    const n = b - a;
    const prevSpec = specs[i - 1];
    let avLevel = dbToLinear(spec.avDb) * levelJitter();
    if (spec.manner === 'vowel') avLevel *= p.stress === 1 ? 1.12 : p.stress === 0 ? 0.85 : 1;
    const ahLevel = dbToLinear(p.unaspirated ? spec.ahDb - 10 : spec.ahDb) * levelJitter();
    if (spec.noise) shape = spec.noise;
    const velarPeak = spec.place === 'velar' && spec.noise ? Math.max(1500, Math.min(3300, targets[Math.min(phones.length - 1, i + 1)]!.from[1]! * 1.08)) : undefined;
    const shapeGain = spec.noise ? noiseShapeGain(velarPeak ? { ...shape, freq: [velarPeak, velarPeak * 1.6] } : shape) : 1;
    const afLevel = (dbToLinear(spec.afDb) * levelJitter()) / shapeGain;
    const burstLevel = spec.burstDb !== undefined ? (dbToLinear(spec.burstDb) * levelJitter()) / shapeGain : 0;
    const burstFrames = Math.max(2, Math.round((spec.burstMs ?? 0) * Math.min(1.3, n / Math.max(1, spec.durMs))));
    // How much of a voiced closure keeps its voice bar before the vocal folds stop.
    const voicedFraction = spec.manner === 'closure' && spec.voiced ? rng.uniform(0.4, 1) : 0;
    // Voicing continues for a couple of periods into a voiceless closure.
    const voicingTail = prevSpec && prevSpec.voiced && prevSpec.manner !== 'closure' ? Math.min(5, Math.round(0.15 * n)) : 0;

    for (let t = a; t < b && t < frames; t++) {
      const x = (t - a) / n;
      setShape(t, shape, velarPeak);
      switch (spec.manner) {
        case 'closure':
          // Voiced closures: a voice bar that may die out; voiceless: the previous voicing decays.
          if (spec.voiced) av[t] = x < voicedFraction ? avLevel * (1 - 0.6 * x) : 0;
          else if (t - a < voicingTail) av[t] = dbToLinear(-12) * (1 - (t - a) / voicingTail);
          tiltTarget[t] = spec.voiced ? 0.94 : voice.tilt;
          break;
        case 'release':
          if (t - a < burstFrames) af[t] = burstLevel * Math.exp(-(t - a) / Math.max(1, burstFrames / 2.5));
          if (t - a >= burstFrames * 0.5) ah[t] = ahLevel;
          if (spec.voiced && x > 0.5) av[t] = dbToLinear(-16) * (x - 0.5) * 2;
          break;
        case 'affricate': {
          const burst = t - a < 3 ? burstLevel || afLevel * 1.5 : 0;
          af[t] = Math.max(burst, afLevel * Math.min(1, (t - a + 1) / 4) * (x > 0.85 ? (1 - x) / 0.15 : 1));
          av[t] = avLevel;
          break;
        }
        case 'fricative':
          af[t] = afLevel * Math.min(1, (t - a + 1) / 10) * Math.min(1, (b - t) / 6);
          av[t] = avLevel * (x < 0.25 ? 1 : 0.7);
          break;
        case 'aspirate':
          ah[t] = ahLevel;
          av[t] = avLevel;
          break;
        case 'glottal':
          av[t] = avLevel * (0.4 + 0.6 * Math.abs(2 * x - 1));
          creak[t] = 1;
          break;
        case 'flap':
          av[t] = avLevel * (0.5 + 0.5 * Math.abs(2 * x - 1));
          break;
        case 'silence':
          break;
        default: {
          // Vowels and sonorants; voicing sets in over a few ms after a voiceless sound.
          const onset = prevSpec && !prevSpec.voiced ? Math.min(1, (t - a + 1) / 6) : 1;
          av[t] = avLevel * onset;
          if (p.label === 'ax-h') ah[t] = ahLevel;
        }
      }
      if (spec.voiced && voice.breathinessDb > -60) ah[t] = Math.max(ah[t]!, av[t]! * dbToLinear(voice.breathinessDb));
    }
    // The end of the utterance: voicing fades and often turns creaky and breathy.
    if (i === lastVoiced) {
      const fry = rng.bernoulli(0.3);
      for (let t = Math.max(a, b - 60); t < b; t++) {
        const x = (t - Math.max(a, b - 60)) / 60;
        av[t]! *= 1 - 0.6 * x;
        if (fry) creak[t] = Math.max(creak[t]!, 0.4 * x);
        tiltTarget[t]! += 0.15 * x;
        oq[t]! += 0.1 * x;
      }
    }
  });
  fillTail([tracks.noiseFreq[0], tracks.noiseFreq[1], tracks.noiseBandwidth[0], tracks.noiseBandwidth[1], tracks.noiseGain[0], tracks.noiseGain[1], tracks.noiseBypass], frameOf(total), frames);
  // A short zero-phase smoothing (~1.5 ms) removes clicks without moving boundaries.
  const fast = constant(frames, coefficient(1.5, 1));
  smoothZeroPhase(av, fast, tracks.av);
  smoothZeroPhase(ah, fast, tracks.ah);
  smoothZeroPhase(af, constant(frames, 1 - Math.exp(-1 / 0.8)), tracks.af);
  smoothZeroPhase(creak, constant(frames, coefficient(5, 1)), tracks.creak);
  smoothZeroPhase(tiltTarget, constant(frames, coefficient(3, 1)), tracks.tilt);
  tracks.openQuotient.set(oq);

  // 4. F0: intonation in semitones, microprosody, smoothed; then Hz.
  const st = intonation(phones, voice, question, frames, FRAME, rng, { f0Range: o.f0Range });
  phones.forEach((p, i) => {
    // After a voiceless obstruent F0 starts a little higher; voiced obstruents lower it.
    const spec = specs[i]!;
    const prevSpec = specs[i - 1];
    const a = frameOf(p.start);
    if (spec.manner === 'vowel' && prevSpec && (prevSpec.manner === 'release' || prevSpec.manner === 'fricative') && !prevSpec.voiced) {
      for (let t = a; t < Math.min(frames, a + 40); t++) st[t]! += 0.8 * (1 - (t - a) / 40);
    }
    if ((spec.manner === 'closure' || spec.manner === 'fricative') && spec.voiced) {
      for (let t = a; t < Math.min(frames, frameOf(p.end)); t++) st[t]! -= 0.7;
    }
  });
  const f0Smooth = z();
  smoothZeroPhase(st, constant(frames, coefficient(25, 1)), f0Smooth);
  for (let t = 0; t < frames; t++) tracks.f0[t] = voice.f0Hz * Math.pow(2, f0Smooth[t]! / 12);
  return tracks;
}

function constant(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}

/** Frames after the last phone (rounding) repeat the last value. */
function fillTail(arrays: Float64Array[], from: number, frames: number): void {
  for (const arr of arrays) for (let t = Math.max(1, from); t < frames; t++) arr[t] = arr[from - 1]!;
}

/**
 * Forward then backward one-pole smoothing with a per-frame coefficient: a symmetric, critically
 * damped response, so a step is half-way exactly at the boundary where it happens.
 */
export function smoothZeroPhase(x: Float64Array, alpha: Float64Array, out: Float64Array): void {
  const n = x.length;
  let y = x[0]!;
  for (let t = 0; t < n; t++) {
    y += alpha[t]! * (x[t]! - y);
    out[t] = y;
  }
  y = out[n - 1]!;
  for (let t = n - 1; t >= 0; t--) {
    y += alpha[t]! * (out[t]! - y);
    out[t] = y;
  }
}
