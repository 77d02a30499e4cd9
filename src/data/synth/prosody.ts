/**
 * Timing and intonation of one reading. Durations follow the multiplicative rules of Klatt (1979,
 * "Synthesis by rule of segmental durations in English sentences"): a phone's typical duration is
 * shortened when unstressed, in long words, in clusters and before voiceless consonants, lengthened
 * under stress, before voiced consonants and at the end of a phrase, then scaled by the speaker's and
 * the utterance's rate and a random per-token factor. Intonation is a declining baseline per phrase
 * with pitch accents on stressed content syllables and a final fall (statements) or rise (yes/no
 * questions), in semitones around the speaker's F0.
 */
import type { Rng } from '../../util/rng.js';
import { isSyllabic, phoneSpec } from './inventory.js';
import type { PlannedPhone } from './phonology.js';
import type { Voice } from './voice.js';

export const SAMPLE_RATE = 16000;

export interface TimedPhone extends PlannedPhone {
  /** First sample and one past the last sample. */
  start: number;
  end: number;
}

export interface TimingOptions {
  /** Spread of the utterance rate and of per-token durations (1 = natural, 0 = mechanical). */
  rateVariation: number;
}

const VOICELESS_CODA = new Set(['pcl', 'tcl', 'kcl', 'p', 't', 'k', 'f', 'th', 's', 'sh', 'ch', 'hh', 'q']);
const VOICED_CODA = new Set(['bcl', 'dcl', 'gcl', 'b', 'd', 'g', 'v', 'dh', 'z', 'zh', 'jh', 'm', 'n', 'ng', 'l', 'r', 'dx']);

/** Sample spans for the phones; they tile [0, total) exactly. */
export function timePhones(phones: readonly PlannedPhone[], voice: Voice, rng: Rng, o: TimingOptions): TimedPhone[] {
  const utteranceRate = Math.exp(0.07 * o.rateVariation * rng.normal());
  const rate = voice.rate * utteranceRate;
  const syllablesInWord = new Map<number, number>();
  for (const p of phones) if (p.word >= 0 && isSyllabic(p.label)) syllablesInWord.set(p.word, (syllablesInWord.get(p.word) ?? 0) + 1);

  const out: TimedPhone[] = [];
  let t = 0;
  phones.forEach((p, i) => {
    const spec = phoneSpec(p.label);
    const prev = phones[i - 1];
    const next = phones[i + 1];
    let ms = spec.durMs;
    if (p.label === 'h#') ms = i === 0 ? rng.uniform(90, 260) : rng.uniform(110, 320);
    else if (p.label === 'pau') ms = rng.uniform(90, 320);
    else {
      if (p.stress === 1) ms *= 1.15;
      else if (p.stress === 0 && spec.manner === 'vowel') ms *= 0.8;
      const syllables = syllablesInWord.get(p.word) ?? 1;
      if (syllables > 1) ms *= Math.max(0.72, 1 - 0.09 * (syllables - 1));
      if (isSyllabic(p.label) && next && next.word === p.word) {
        if (VOICED_CODA.has(next.label)) ms *= 1.1;
        else if (VOICELESS_CODA.has(next.label)) ms *= 0.88;
      }
      if (!isSyllabic(p.label) && spec.manner !== 'silence') {
        const clustered = (prev && prev.word === p.word && !isSyllabic(prev.label)) || (next && next.word === p.word && !isSyllabic(next.label));
        if (clustered) ms *= 0.85;
      }
      if (p.phraseFinal) ms *= isSyllabic(p.label) ? 1.4 : 1.25;
      if (spec.manner === 'release' && !spec.voiced) {
        if (p.unaspirated) ms *= 0.45;
        else if (next && next.stress === 1) ms *= 1.2;
      }
      ms *= Math.exp(0.16 * o.rateVariation * clampNormal(rng));
    }
    ms *= rate;
    const minMs = p.label === 'h#' ? 60 : Math.max(6, spec.minMs * Math.min(1, rate));
    const samples = Math.max(1, Math.round((Math.max(ms, minMs) * SAMPLE_RATE) / 1000));
    out.push({ ...p, start: t, end: t + samples });
    t += samples;
  });
  return out;
}

/** A normal deviate clipped to +-2.5 (no absurd durations). */
function clampNormal(rng: Rng): number {
  return Math.max(-2.5, Math.min(2.5, rng.normal()));
}

export interface IntonationOptions {
  /** Scale of pitch-accent and final excursions (1 = natural, 0 = monotone). */
  f0Range: number;
}

/**
 * F0 target contour in semitones relative to the speaker's mean, one value per control frame
 * (`frameSamples` samples). Smoothing happens in tracks.ts.
 */
export function intonation(phones: readonly TimedPhone[], voice: Voice, question: boolean, frames: number, frameSamples: number, rng: Rng, o: IntonationOptions): Float64Array {
  const st = new Float64Array(frames);
  const f = (sample: number) => Math.min(frames, Math.max(0, Math.round(sample / frameSamples)));
  const range = voice.f0RangeSt; // semitones, includes the f0Range knob
  const phraseSpans = new Map<number, { start: number; end: number }>();
  for (const p of phones) {
    if (p.word < 0) continue;
    const span = phraseSpans.get(p.phrase);
    if (span) span.end = p.end;
    else phraseSpans.set(p.phrase, { start: p.start, end: p.end });
  }
  const lastPhrase = Math.max(0, ...phraseSpans.keys());
  const utteranceShift = 0.8 * rng.normal();

  // Declination: each phrase starts high and falls; later phrases start a little lower.
  const spans = [...phraseSpans.entries()].sort((a, b) => a[0] - b[0]);
  for (let k = 0; k < spans.length; k++) {
    const [, span] = spans[k]!;
    const a = f(span.start);
    const b = Math.max(a + 1, f(span.end));
    const startSt = 1.5 - 0.6 * k;
    const fall = 2.5 + 0.5 * rng.normal();
    for (let i = a; i < b; i++) st[i] = utteranceShift + startSt - (fall * (i - a)) / (b - a);
    // Fill silences with the neighbouring value so the smoothed contour has no jumps.
    const nextStart = k + 1 < spans.length ? f(spans[k + 1]![1].start) : frames;
    for (let i = b; i < nextStart; i++) st[i] = st[b - 1]!;
    if (k === 0) for (let i = 0; i < a; i++) st[i] = st[a]!;
  }

  // Pitch accents: a raised-cosine bump on some primary-stressed content vowels.
  for (const p of phones) {
    if (p.stress !== 1 || !rng.bernoulli(0.55)) continue;
    const height = range * rng.uniform(0.35, 1);
    const a = f(p.start - 0.3 * (p.end - p.start));
    const b = f(p.end + 0.2 * (p.end - p.start));
    for (let i = a; i < b; i++) st[i]! += height * 0.5 * (1 - Math.cos((2 * Math.PI * (i - a)) / Math.max(1, b - a)));
  }

  // Phrase ends: continuation rise inside the sentence, fall or question rise at its end.
  for (const [phrase, span] of spans) {
    const finals = phones.filter((p) => p.phrase === phrase && p.phraseFinal && p.word >= 0);
    if (!finals.length) continue;
    const a = f(finals[0]!.start);
    const b = Math.max(a + 1, f(span.end));
    const final = phrase === lastPhrase;
    const move = final ? (question ? rng.uniform(4, 7) : -rng.uniform(2, 4)) : rng.uniform(0.5, 2);
    // The speaker's range (already scaled by the f0Range knob) sizes rises; statement falls scale by the knob.
    const extent = final && !question ? o.f0Range * move : (move * range) / 3;
    for (let i = a; i < frames; i++) {
      const x = Math.min(1, (i - a) / (b - a));
      st[i]! += extent * x;
      if (!final && i >= b) break;
    }
  }
  return st;
}
