/**
 * One utterance, from a sentence and a voice to 16-bit samples and its exact .PHN / .WRD segments:
 * phonology -> timing -> parameter tracks -> source-filter rendering -> recording channel -> level ->
 * additive background noise at the requested SNR -> 16-bit PCM.
 *
 * Every random choice comes from the utterance's own stream (`rng`), forked per stage, so that an
 * utterance is the same whichever worker renders it and whatever else the corpus contains.
 */
import type { Rng } from '../../util/rng.js';
import type { Segment } from '../timit/format.js';
import type { ResolvedSynthOptions } from './options.js';
import type { Pronunciations } from './lexicon.js';
import { choosePronunciations, planPhones, type PhonologyOptions } from './phonology.js';
import { SAMPLE_RATE, timePhones, type TimedPhone } from './prosody.js';
import { renderTracks, WhiteNoise } from './render.js';
import type { Sentence } from './sentences.js';
import { buildTracks } from './tracks.js';
import type { Voice } from './voice.js';

export interface UtteranceText {
  sentence: Sentence;
  /** Dictionary pronunciations of every word of the sentence (all variants). */
  pronunciations: Pronunciations[];
}

export interface SynthesizedUtterance {
  samples: Int16Array;
  sampleRate: number;
  phones: Segment[];
  words: Segment[];
  /** The SNR this utterance was mixed at, dB. */
  snrDb: number;
}

type Knobs = Pick<ResolvedSynthOptions, 'snrDb' | 'snrSpreadDb' | 'coarticulation' | 'tokenVariation' | 'rateVariation' | 'f0Range'> & {
  phonology?: Partial<PhonologyOptions>;
};

const SILENT_LABELS = new Set(['h#', 'pau', 'epi', 'bcl', 'dcl', 'gcl', 'pcl', 'tcl', 'kcl', 'q']);

export function synthesizeUtterance(text: UtteranceText, voice: Voice, rng: Rng, knobs: Knobs): SynthesizedUtterance {
  const pronRng = rng.fork('pronunciation');
  const chosen = choosePronunciations(text.pronunciations, pronRng, knobs.phonology?.variant);
  const planned = planPhones(text.sentence, chosen, pronRng, knobs.phonology);
  const timed = timePhones(planned, voice, rng.fork('timing'), { rateVariation: knobs.rateVariation });
  const total = timed[timed.length - 1]!.end;
  const tracks = buildTracks(timed, voice, text.sentence.question, rng.fork('articulation'), knobs);
  const renderRng = rng.fork('render');
  const signal = renderTracks(tracks, total, {
    noiseSeed: renderRng.uint32(),
    sourceSeed: renderRng.uint32(),
    jitter: voice.jitter,
    shimmer: voice.shimmer,
  });
  applyChannel(signal, voice);

  const mixRng = rng.fork('mix');
  const speechRms = activeRms(signal, timed);
  const levelDb = Math.max(-34, Math.min(-18, -26 + 3 * mixRng.normal()));
  const gain = speechRms > 0 ? (32768 * Math.pow(10, levelDb / 20)) / speechRms : 0;
  for (let i = 0; i < total; i++) signal[i]! *= gain;
  const snrDb = knobs.snrDb + knobs.snrSpreadDb * (2 * mixRng.float() - 1);
  addBackgroundNoise(signal, (32768 * Math.pow(10, levelDb / 20)) / Math.pow(10, snrDb / 20), mixRng);

  let peak = 0;
  for (let i = 0; i < total; i++) peak = Math.max(peak, Math.abs(signal[i]!));
  const limit = peak > 32000 ? 32000 / peak : 1;
  const samples = new Int16Array(total);
  for (let i = 0; i < total; i++) samples[i] = Math.round(signal[i]! * limit);

  return { samples, sampleRate: SAMPLE_RATE, phones: timed.map((p) => ({ start: p.start, end: p.end, label: p.label })), words: wordSegments(timed, text.sentence.words), snrDb };
}

/** Word spans: from the first to the last phone of each word (pauses and silences belong to no word). */
export function wordSegments(phones: readonly TimedPhone[], words: readonly string[]): Segment[] {
  const out: Segment[] = [];
  words.forEach((label, w) => {
    let start = -1;
    let end = -1;
    for (const p of phones) {
      if (p.word !== w) continue;
      if (start < 0) start = p.start;
      end = p.end;
    }
    if (start >= 0) out.push({ start, end, label });
  });
  return out;
}

/** RMS over the phones that carry speech energy (not silences or closures). */
function activeRms(signal: Float64Array, phones: readonly TimedPhone[]): number {
  let sum = 0;
  let n = 0;
  for (const p of phones) {
    if (SILENT_LABELS.has(p.label)) continue;
    for (let i = p.start; i < p.end; i++) sum += signal[i]! * signal[i]!;
    n += p.end - p.start;
  }
  return n ? Math.sqrt(sum / n) : 0;
}

/**
 * The recording chain of this speaker's session: DC-blocking high-pass (~40 Hz), a first-order
 * spectral tilt and one peaking resonance (RBJ audio-EQ cookbook biquad).
 */
function applyChannel(x: Float64Array, voice: Voice): void {
  const R = 1 - (2 * Math.PI * 40) / 16000;
  const b = Math.max(-0.7, Math.min(0.7, voice.channel.tiltDbPerOctave / 8));
  const { peakHz, peakDb, peakQ } = voice.channel;
  const A = Math.pow(10, peakDb / 40);
  const w0 = (2 * Math.PI * peakHz) / 16000;
  const alpha = Math.sin(w0) / (2 * peakQ);
  const a0 = 1 + alpha / A;
  const b0 = (1 + alpha * A) / a0;
  const b1 = (-2 * Math.cos(w0)) / a0;
  const b2 = (1 - alpha * A) / a0;
  const a1 = b1;
  const a2 = (1 - alpha / A) / a0;
  let dcX = 0;
  let dcY = 0;
  let tiltX = 0;
  let ex1 = 0;
  let ex2 = 0;
  let ey1 = 0;
  let ey2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const hp = v - dcX + R * dcY;
    dcX = v;
    dcY = hp;
    const tilted = hp - b * tiltX;
    tiltX = hp;
    const eq = b0 * tilted + b1 * ex1 + b2 * ex2 - a1 * ey1 - a2 * ey2;
    ex2 = ex1;
    ex1 = tilted;
    ey2 = ey1;
    ey1 = eq;
    x[i] = eq;
  }
}

/** Adds stationary background noise of the given RMS; its colour (white .. brown-ish) varies per utterance. */
function addBackgroundNoise(x: Float64Array, rms: number, rng: Rng): void {
  const c = rng.uniform(0, 0.9);
  const norm = rms * Math.sqrt((1 + c) / (1 - c));
  const white = new WhiteNoise(rng.uint32());
  let y = 0;
  for (let i = 0; i < x.length; i++) {
    const w = white.next();
    y = (1 - c) * w + c * y;
    x[i]! += norm * y;
  }
}
