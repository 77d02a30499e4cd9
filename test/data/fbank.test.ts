import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFbank, computeMfcc, FeatureExtractor, frameGeometry, melBanks, numFrames } from '../../src/data/features/fbank.js';
import { Rng } from '../../src/util/rng.js';

/**
 * Kaldi's fbank written out plainly from its documentation (feature-window.cc, mel-computations.cc,
 * feature-fbank.cc) with a direct O(N^2) DFT, independent of the library's code paths.
 */
function referenceFbank(x: ArrayLike<number>, sr: number, numBins: number, opts: { snipEdges?: boolean; lowFreq?: number } = {}): number[][] {
  const len = Math.trunc(sr * 0.025);
  const shift = Math.trunc(sr * 0.01);
  let nfft = 1;
  while (nfft < len) nfft *= 2;
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const lowMel = mel(opts.lowFreq ?? 20);
  const highMel = mel(sr / 2);
  const delta = (highMel - lowMel) / (numBins + 1);
  const frames: number[][] = [];
  const n = x.length;
  const count = opts.snipEdges === false ? Math.floor((n + shift / 2) / shift) : n < len ? 0 : 1 + Math.floor((n - len) / shift);
  for (let f = 0; f < count; f++) {
    const start = opts.snipEdges === false ? f * shift + shift / 2 - len / 2 : f * shift;
    const w: number[] = [];
    for (let i = 0; i < len; i++) {
      let s = start + i;
      if (s < 0) s = -s - 1;
      if (s >= n) s = 2 * n - 1 - s;
      w.push(x[s]!);
    }
    const mean = w.reduce((a, b) => a + b, 0) / len;
    for (let i = 0; i < len; i++) w[i] = w[i]! - mean;
    for (let i = len - 1; i > 0; i--) w[i] = w[i]! - 0.97 * w[i - 1]!;
    w[0] = w[0]! - 0.97 * w[0]!;
    for (let i = 0; i < len; i++) w[i] = w[i]! * Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (len - 1)), 0.85);
    const power: number[] = [];
    for (let k = 0; k < nfft / 2; k++) {
      let re = 0;
      let im = 0;
      for (let t = 0; t < len; t++) {
        re += w[t]! * Math.cos((2 * Math.PI * k * t) / nfft);
        im -= w[t]! * Math.sin((2 * Math.PI * k * t) / nfft);
      }
      power.push(re * re + im * im);
    }
    const row: number[] = [];
    for (let b = 0; b < numBins; b++) {
      const l = lowMel + b * delta;
      const c = l + delta;
      const r = c + delta;
      let e = 0;
      for (let k = 0; k < nfft / 2; k++) {
        const m = mel((k * sr) / nfft);
        if (m > l && m < r) e += power[k]! * (m <= c ? (m - l) / (c - l) : (r - m) / (r - c));
      }
      row.push(Math.log(Math.max(e, 1.1920928955078125e-7)));
    }
    frames.push(row);
  }
  return frames;
}

function testSignal(n: number, seed = 3): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = 3000 * Math.sin((2 * Math.PI * 440 * i) / 16000) * (1 + 0.5 * Math.sin(i / 900)) + 1500 * Math.sin((2 * Math.PI * 2350 * i) / 16000 + 0.3) + 400 * rng.normal() + 250;
  }
  return x;
}

function maxAbsDiff(a: ArrayLike<number>, b: number[][], dim: number): number {
  let worst = 0;
  b.forEach((row, f) => row.forEach((v, d) => (worst = Math.max(worst, Math.abs(a[f * dim + d]! - v)))));
  return worst;
}

describe('Kaldi-compatible fbank', () => {
  it('matches a plain implementation of Kaldi\'s algorithm within 1e-3 (23 bins, 16 kHz)', () => {
    const x = testSignal(4000);
    const got = computeFbank(x, 16000);
    const want = referenceFbank(x, 16000, 23);
    assert.equal(got.frames, want.length);
    assert.equal(got.dim, 23);
    assert.ok(maxAbsDiff(got.data, want, 23) < 1e-3, `max diff ${maxAbsDiff(got.data, want, 23)}`);
  });

  it('matches it with 40 bins, 8 kHz audio, and with snip-edges off', () => {
    const x = testSignal(2400, 5);
    const a = computeFbank(x, 8000, { numMelBins: 40 });
    assert.ok(maxAbsDiff(a.data, referenceFbank(x, 8000, 40), 40) < 1e-3);
    const b = computeFbank(x, 16000, { snipEdges: false });
    const want = referenceFbank(x, 16000, 23, { snipEdges: false });
    assert.equal(b.frames, want.length);
    assert.ok(maxAbsDiff(b.data, want, 23) < 1e-3);
  });

  it('puts a pure tone in the mel bin centred on its frequency', () => {
    const banks = melBanks({ numMelBins: 23, lowFreq: 20, highFreq: 0 }, 16000, 512);
    // Centres by hand: mel(20) = 31.75, mel(8000) = 2840.0, spacing (2840.0 - 31.75) / 24 = 117.0.
    assert.ok(Math.abs(banks.centerFreqs[0]! - 98.6) < 0.5, `first centre ${banks.centerFreqs[0]}`);
    assert.ok(Math.abs(banks.centerFreqs[22]! - 7141.6) < 0.5, `last centre ${banks.centerFreqs[22]}`);
    for (const bin of [3, 10, 17]) {
      const hz = banks.centerFreqs[bin]!;
      const x = Float64Array.from({ length: 1600 }, (_, i) => 8000 * Math.sin((2 * Math.PI * hz * i) / 16000));
      const f = computeFbank(x, 16000);
      for (let t = 0; t < f.frames; t++) {
        const row = Array.from(f.data.subarray(t * 23, t * 23 + 23));
        const best = row.indexOf(Math.max(...row));
        assert.equal(best, bin, `tone ${hz.toFixed(1)} Hz frame ${t}`);
        assert.ok(row[bin]! - row[bin + 2]! > 3, 'energy two bins away is far lower');
      }
    }
  });

  it('floors silence and DC at log(float epsilon)', () => {
    const floor = Math.log(1.1920928955078125e-7);
    for (const x of [new Float64Array(800), new Float64Array(800).fill(1234)]) {
      const f = computeFbank(x, 16000);
      assert.equal(f.frames, 3);
      for (const v of f.data) assert.ok(Math.abs(v - floor) < 1e-5);
    }
  });

  it('counts frames as Kaldi does', () => {
    const g = frameGeometry({ frameLengthMs: 25, frameShiftMs: 10, roundToPowerOfTwo: true }, 16000);
    assert.deepEqual(g, { length: 400, shift: 160, padded: 512 });
    assert.equal(numFrames(399, 400, 160), 0);
    assert.equal(numFrames(400, 400, 160), 1);
    assert.equal(numFrames(16000, 400, 160), 98);
    assert.equal(numFrames(16000, 400, 160, false), 100);
    assert.equal(numFrames(16079, 400, 160, false), 100);
    assert.equal(numFrames(16080, 400, 160, false), 101);
  });

  it('computes MFCC as DCT-II of the log mel energies with the cepstral lifter', () => {
    const x = testSignal(3200, 9);
    const fb = referenceFbank(x, 16000, 23);
    const m = computeMfcc(x, 16000, { useEnergy: false });
    assert.equal(m.dim, 13);
    let worst = 0;
    fb.forEach((row, t) => {
      for (let k = 0; k < 13; k++) {
        let c = 0;
        for (let n = 0; n < 23; n++) c += row[n]! * Math.sqrt((k === 0 ? 1 : 2) / 23) * Math.cos((Math.PI / 23) * (n + 0.5) * k);
        c *= 1 + 11 * Math.sin((Math.PI * k) / 22);
        worst = Math.max(worst, Math.abs(m.data[t * 13 + k]! - c));
      }
    });
    assert.ok(worst < 2e-3, `max diff ${worst}`);
    // With energy (Kaldi's default), c0 is the raw log energy after DC removal.
    const e = computeMfcc(x, 16000);
    const frame0 = Array.from(x.subarray(0, 400));
    const mean = frame0.reduce((a, b) => a + b, 0) / 400;
    const energy = frame0.reduce((a, v) => a + (v - mean) ** 2, 0);
    assert.ok(Math.abs(e.data[0]! - Math.log(energy)) < 1e-4);
    assert.equal(e.data[1], m.data[1]);
  });

  it('adds the log energy as feature 0 of fbank when asked', () => {
    const x = testSignal(800, 2);
    const plain = computeFbank(x, 16000);
    const withE = computeFbank(x, 16000, { useEnergy: true });
    assert.equal(withE.dim, 24);
    assert.deepEqual(Array.from(withE.data.subarray(1, 24)), Array.from(plain.data.subarray(0, 23)));
  });

  it('is deterministic without dither and reproducible with a seeded dither', () => {
    const x = testSignal(1600, 4);
    assert.deepEqual(computeFbank(x, 16000).data, computeFbank(x, 16000).data);
    const ex = new FeatureExtractor({ dither: 1 }, 16000);
    const a = ex.compute(x, new Rng(7));
    const b = ex.compute(x, new Rng(7));
    const c = ex.compute(x, new Rng(8));
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
    assert.throws(() => ex.compute(x), /Expected a seeded Rng when dither is not 0 for rng/);
  });

  it('rejects impossible configurations with the option named', () => {
    assert.throws(() => new FeatureExtractor({ numMelBins: 200 }, 16000), /for numMelBins but received 200/);
    assert.throws(() => new FeatureExtractor({ lowFreq: 9000 }, 16000), /Expected 0 <= lowFreq < highFreq <= Nyquist \(8000 Hz\) for lowFreq\/highFreq/);
    assert.throws(() => new FeatureExtractor({ kind: 'mfcc', numCeps: 30 }, 16000), /Expected an integer in 1\.\.23 \(numMelBins\) for numCeps/);
  });
});
