import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Rng } from '../../src/util/rng.js';
import { noiseShapeGain, resonatorCoefficients, smoothZeroPhase, buildTracks, FRAME, type Tracks } from '../../src/data/synth/tracks.js';
import { renderTracks } from '../../src/data/synth/render.js';
import { HILLENBRAND_MEN, HILLENBRAND_WOMEN, NASAL_POLE_HZ } from '../../src/data/synth/inventory.js';
import type { TimedPhone } from '../../src/data/synth/prosody.js';
import type { Voice } from '../../src/data/synth/voice.js';

const FFT = createRequire(import.meta.url)('fft.js') as new (n: number) => { createComplexArray(): number[]; realTransform(o: number[], d: ArrayLike<number>): void };

/** |H(f)| of y = A x + B y1 + C y2 at 16 kHz. */
function magnitude([A, B, C]: [number, number, number], f: number): number {
  const w = (2 * Math.PI * f) / 16000;
  const re = 1 - B * Math.cos(w) - C * Math.cos(2 * w);
  const im = B * Math.sin(w) + C * Math.sin(2 * w);
  return A / Math.hypot(re, im);
}

test('Klatt resonator: unit gain at DC, peak at its frequency, -3 dB width close to its bandwidth', () => {
  const r = resonatorCoefficients(1500, 100);
  assert.ok(Math.abs(magnitude(r, 0) - 1) < 1e-12);
  let peak = 0;
  let peakF = 0;
  for (let f = 1000; f <= 2000; f++) {
    const m = magnitude(r, f);
    if (m > peak) [peak, peakF] = [m, f];
  }
  assert.ok(Math.abs(peakF - 1500) <= 2, `peak at ${peakF} Hz`);
  let lo = peakF;
  let hi = peakF;
  while (magnitude(r, lo) > peak / Math.SQRT2) lo--;
  while (magnitude(r, hi) > peak / Math.SQRT2) hi++;
  assert.ok(Math.abs(hi - lo - 100) <= 4, `-3 dB width ${hi - lo} Hz`);
  // Parallel-branch normalisation: unit gain at the centre frequency.
  assert.ok(Math.abs(magnitude(resonatorCoefficients(4000, 800, true), 4000) - 1) < 0.02);
});

test('noise shape gain: a flat bypass of differentiated unit noise has RMS sqrt(2)', () => {
  const g = noiseShapeGain({ freq: [1000, 2000], bandwidth: [100, 100], gain: [0, 0], bypass: 1 });
  assert.ok(Math.abs(g - Math.SQRT2) < 1e-3, String(g));
  assert.ok(noiseShapeGain({ freq: [5000, 7000], bandwidth: [900, 1400], gain: [1, 0.6], bypass: 0 }) > 0.2);
});

test('zero-phase smoothing: a step is half-way at the boundary and the response is antisymmetric', () => {
  const n = 200;
  const x = new Float64Array(n).map((_, i) => (i >= 100 ? 1 : 0));
  const out = new Float64Array(n);
  smoothZeroPhase(x, new Float64Array(n).fill(0.2), out);
  for (const k of [0, 3, 10, 30]) assert.ok(Math.abs(out[99 - k]! + out[100 + k]! - 1) < 1e-9, `k=${k}`);
  assert.ok(out[95]! < 0.2 && out[104]! > 0.8);
});

function steadyTracks(frames: number, formants: number[], f0: number): Tracks {
  const c = (v: number) => new Float64Array(frames).fill(v);
  return {
    frames,
    f0: c(f0),
    av: c(1),
    ah: c(0),
    af: c(0),
    formants: [...formants, 3500, 4500, 5500].map(c),
    bandwidths: [60, 80, 120, 200, 250, 300].map(c),
    nasalZero: c(NASAL_POLE_HZ),
    noiseFreq: [c(2000), c(4000)],
    noiseBandwidth: [c(500), c(500)],
    noiseGain: [c(0), c(0)],
    noiseBypass: c(0),
    tilt: c(0),
    openQuotient: c(0.5),
    creak: c(0),
  };
}

test('rendering: a steady vowel at F0 100 Hz has its strongest harmonics at the formants', () => {
  const n = 8192;
  const signal = renderTracks(steadyTracks(Math.ceil(n / FRAME) + 1, [500, 1500, 2500], 100), n, { noiseSeed: 1, sourceSeed: 2, jitter: 0, shimmer: 0 });
  const fft = new FFT(n);
  const spec = fft.createComplexArray();
  const windowed = Float64Array.from(signal, (v, i) => v * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))));
  fft.realTransform(spec, windowed);
  const harmonic = (h: number) => {
    // Strongest bin within +-10 Hz of harmonic h.
    const centre = Math.round((h * 100 * n) / 16000);
    let best = 0;
    for (let b = centre - 5; b <= centre + 5; b++) best = Math.max(best, Math.hypot(spec[2 * b]!, spec[2 * b + 1]!));
    return best;
  };
  const strongest = (from: number, to: number) => {
    let best = from;
    for (let h = from; h <= to; h++) if (harmonic(h) > harmonic(best)) best = h;
    return best * 100;
  };
  assert.equal(strongest(2, 10), 500);
  assert.equal(strongest(11, 20), 1500);
  assert.equal(strongest(21, 30), 2500);
});

const neutralVoice: Voice = {
  id: 'MTST0',
  sex: 'M',
  dialect: 8,
  formantScale: 1,
  formantBias: [1, 1, 1],
  bandwidthScale: 1,
  f0Hz: 120,
  f0RangeSt: 0,
  rate: 1,
  openQuotient: 0.5,
  tilt: 0.2,
  breathinessDb: -30,
  jitter: 0,
  shimmer: 0,
  channel: { tiltDbPerOctave: 0, peakHz: 1000, peakDb: 0, peakQ: 1 },
};

function timed(labels: Array<[string, number]>): TimedPhone[] {
  let t = 0;
  return labels.map(([label, ms]) => {
    const start = t;
    t += ms * 16;
    const word = label === 'h#' ? -1 : 0;
    return { label, word, stress: label === 'h#' ? -1 : 1, phraseFinal: false, phrase: 0, start, end: t };
  });
}

test('tracks: a long vowel reaches the Hillenbrand (1995) averages of its talker sex', () => {
  const o = { coarticulation: 1, tokenVariation: 0, f0Range: 0 };
  for (const [voice, table] of [
    [neutralVoice, HILLENBRAND_MEN],
    [{ ...neutralVoice, sex: 'F' as const }, HILLENBRAND_WOMEN],
  ] as const) {
    for (const vowel of ['aa', 'iy', 'uw'] as const) {
      const tr = buildTracks(timed([['h#', 100], [vowel, 300], ['h#', 100]]), voice, false, new Rng(1), o);
      const mid = Math.round((100 + 150) * (16 / FRAME));
      for (let k = 0; k < 3; k++) {
        const got = tr.formants[k]![mid]!;
        const want = table[vowel]![k]!;
        assert.ok(Math.abs(got / want - 1) < 0.01, `${voice.sex} ${vowel} F${k + 1}: ${got.toFixed(0)} vs ${want}`);
      }
    }
  }
});

test('tracks: a short vowel undershoots its target, and more coarticulation shrinks the consonant-vowel contrast', () => {
  const phones = timed([['h#', 100], ['bcl', 50], ['b', 15], ['iy', 45], ['dcl', 50], ['d', 20], ['h#', 100]]);
  const f2 = (c: number, ms: number) => {
    const tr = buildTracks(phones, neutralVoice, false, new Rng(1), { coarticulation: c, tokenVariation: 0, f0Range: 0 });
    return tr.formants[1]![Math.round((ms * 16) / FRAME)]!;
  };
  const vowelMid = 100 + 50 + 15 + 22;
  const closureMid = 100 + 25;
  const target = HILLENBRAND_MEN.iy![1]!;
  assert.ok(f2(1, vowelMid) < target * 0.97, `F2 ${f2(1, vowelMid)} vs target ${target}`);
  const contrast = (c: number) => f2(c, vowelMid) - f2(c, closureMid);
  assert.ok(contrast(0.5) > contrast(1) && contrast(1) > contrast(2), `${contrast(0.5)} ${contrast(1)} ${contrast(2)}`);
});
