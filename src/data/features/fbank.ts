/**
 * Log mel filterbank and MFCC features computed the way Kaldi's `compute-fbank-feats` and
 * `compute-mfcc-feats` compute them (feature-window.cc, mel-computations.cc, feature-fbank.cc,
 * feature-mfcc.cc), so that models trained on Kaldi features see the same inputs here.
 *
 * Per frame (defaults in brackets): cut `frameLength` samples [25 ms] every `frameShift` [10 ms]
 * (snip-edges: only whole frames; otherwise frames centred on shift multiples with reflected edges);
 * add Gaussian dither [0: off, so results are deterministic]; remove the DC offset; take the raw log
 * energy (for useEnergy); pre-emphasise x[i] -= 0.97 x[i-1] (x[0] -= 0.97 x[0]); multiply by the
 * window [povey = hann^0.85]; zero-pad to a power of two [512]; power spectrum; triangular mel filters
 * spaced evenly on Kaldi's mel scale 1127 ln(1 + f/700) between lowFreq [20 Hz] and highFreq [Nyquist];
 * floor at float epsilon and take the log. MFCC adds an orthonormal DCT-II (first `numCeps`),
 * the cepstral lifter 1 + Q/2 sin(pi i / Q) [Q = 22] and puts the log energy in c0 [useEnergy].
 */
import { createRequire } from 'node:module';
import { invalidParameter } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

interface RealFft {
  size: number;
  createComplexArray(): number[];
  realTransform(out: ArrayLike<number>, data: ArrayLike<number>): void;
}
// fft.js is CommonJS without type declarations.
const FFT = createRequire(import.meta.url)('fft.js') as new (size: number) => RealFft;

export type WindowType = 'povey' | 'hamming' | 'hanning' | 'sine' | 'rectangular' | 'blackman';

export interface FrameOptions {
  /** Frame length in milliseconds (Kaldi --frame-length). */
  frameLengthMs: number;
  /** Frame shift in milliseconds (Kaldi --frame-shift). */
  frameShiftMs: number;
  /** Only whole frames inside the signal (true) or frames centred on multiples of the shift (false). */
  snipEdges: boolean;
  /** Standard deviation of Gaussian noise added to every sample; 0 disables (needs `rng` otherwise). */
  dither: number;
  removeDcOffset: boolean;
  preemphCoeff: number;
  windowType: WindowType;
  blackmanCoeff: number;
  /** Zero-pad frames to the next power of two (Kaldi --round-to-power-of-two). */
  roundToPowerOfTwo: boolean;
}

export interface MelOptions {
  numMelBins: number;
  lowFreq: number;
  /** Upper edge in Hz; <= 0 means Nyquist plus this value (Kaldi's convention). */
  highFreq: number;
}

export interface FbankOptions extends FrameOptions, MelOptions {
  kind: 'fbank';
  /** Prepend the log energy as feature 0. */
  useEnergy: boolean;
  /** Energy before pre-emphasis and windowing (Kaldi --raw-energy). */
  rawEnergy: boolean;
  /** Floor on the energy (absolute, not log); 0 = none. */
  energyFloor: number;
  useLogFbank: boolean;
  usePower: boolean;
}

export interface MfccOptions extends FrameOptions, MelOptions {
  kind: 'mfcc';
  numCeps: number;
  cepstralLifter: number;
  useEnergy: boolean;
  rawEnergy: boolean;
  energyFloor: number;
}

export type FeatureOptions = FbankOptions | MfccOptions;

const FRAME_DEFAULTS: FrameOptions = {
  frameLengthMs: 25,
  frameShiftMs: 10,
  snipEdges: true,
  dither: 0,
  removeDcOffset: true,
  preemphCoeff: 0.97,
  windowType: 'povey',
  blackmanCoeff: 0.42,
  roundToPowerOfTwo: true,
};

/** Kaldi `compute-fbank-feats` defaults, except dither 0 (deterministic) — pytorch-kaldi's TIMIT fbank.conf uses 23 bins. */
export const FBANK_DEFAULTS: FbankOptions = {
  ...FRAME_DEFAULTS,
  kind: 'fbank',
  numMelBins: 23,
  lowFreq: 20,
  highFreq: 0,
  useEnergy: false,
  rawEnergy: true,
  energyFloor: 0,
  useLogFbank: true,
  usePower: true,
};

/** Kaldi `compute-mfcc-feats` defaults, except dither 0. */
export const MFCC_DEFAULTS: MfccOptions = {
  ...FRAME_DEFAULTS,
  kind: 'mfcc',
  numMelBins: 23,
  lowFreq: 20,
  highFreq: 0,
  numCeps: 13,
  cepstralLifter: 22,
  useEnergy: true,
  rawEnergy: true,
  energyFloor: 0,
};

const FLOAT_EPSILON = 1.1920928955078125e-7; // std::numeric_limits<float>::epsilon()

export function melScale(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

export function inverseMelScale(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/** Samples per frame and per shift at a sample rate (Kaldi truncates, it does not round). */
export function frameGeometry(opts: Pick<FrameOptions, 'frameLengthMs' | 'frameShiftMs' | 'roundToPowerOfTwo'>, sampleRate: number): { length: number; shift: number; padded: number } {
  const length = Math.trunc(sampleRate * 0.001 * opts.frameLengthMs);
  const shift = Math.trunc(sampleRate * 0.001 * opts.frameShiftMs);
  let padded = length;
  if (opts.roundToPowerOfTwo) {
    padded = 1;
    while (padded < length) padded *= 2;
  }
  return { length, shift, padded };
}

/** Number of frames Kaldi produces for `numSamples` samples. */
export function numFrames(numSamples: number, length: number, shift: number, snipEdges = true): number {
  if (snipEdges) return numSamples < length ? 0 : 1 + Math.floor((numSamples - length) / shift);
  return Math.floor((numSamples + Math.floor(shift / 2)) / shift);
}

/** First sample of frame `i` (negative or past the end when snipEdges is false: the edges are reflected). */
export function frameStart(i: number, length: number, shift: number, snipEdges = true): number {
  return snipEdges ? i * shift : i * shift + Math.floor(shift / 2) - Math.floor(length / 2);
}

export function windowFunction(type: WindowType, length: number, blackmanCoeff = 0.42): Float64Array {
  const w = new Float64Array(length);
  const a = (2 * Math.PI) / (length - 1);
  for (let i = 0; i < length; i++) {
    switch (type) {
      case 'hanning':
        w[i] = 0.5 - 0.5 * Math.cos(a * i);
        break;
      case 'sine':
        w[i] = Math.sin(0.5 * a * i);
        break;
      case 'hamming':
        w[i] = 0.54 - 0.46 * Math.cos(a * i);
        break;
      case 'povey':
        w[i] = Math.pow(0.5 - 0.5 * Math.cos(a * i), 0.85);
        break;
      case 'rectangular':
        w[i] = 1;
        break;
      case 'blackman':
        w[i] = blackmanCoeff - 0.5 * Math.cos(a * i) + (0.5 - blackmanCoeff) * Math.cos(2 * a * i);
        break;
      default:
        throw invalidParameter('windowType', 'one of povey, hamming, hanning, sine, rectangular, blackman', type);
    }
  }
  return w;
}

/** Triangular mel filters as Kaldi builds them: filter b covers FFT bins `first[b] .. first[b] + weights[b].length - 1`. */
export interface MelBanks {
  numBins: number;
  /** Centre frequency of each filter in Hz. */
  centerFreqs: Float64Array;
  first: Int32Array;
  weights: Float64Array[];
}

export function melBanks(opts: MelOptions, sampleRate: number, paddedLength: number): MelBanks {
  const numBins = opts.numMelBins;
  if (!Number.isInteger(numBins) || numBins < 3) throw invalidParameter('numMelBins', 'an integer >= 3', numBins);
  const numFftBins = paddedLength / 2;
  const nyquist = 0.5 * sampleRate;
  const low = opts.lowFreq;
  const high = opts.highFreq > 0 ? opts.highFreq : nyquist + opts.highFreq;
  if (low < 0 || low >= nyquist || high <= 0 || high > nyquist || high <= low) {
    throw invalidParameter('lowFreq/highFreq', `0 <= lowFreq < highFreq <= Nyquist (${nyquist} Hz)`, `${low}/${high} Hz`);
  }
  const binWidth = sampleRate / paddedLength;
  const melLow = melScale(low);
  const melHigh = melScale(high);
  const delta = (melHigh - melLow) / (numBins + 1);
  const centerFreqs = new Float64Array(numBins);
  const first = new Int32Array(numBins);
  const weights: Float64Array[] = [];
  for (let b = 0; b < numBins; b++) {
    const left = melLow + b * delta;
    const centre = melLow + (b + 1) * delta;
    const right = melLow + (b + 2) * delta;
    centerFreqs[b] = inverseMelScale(centre);
    let lo = -1;
    let hi = -1;
    const w: number[] = [];
    for (let i = 0; i < numFftBins; i++) {
      const mel = melScale(binWidth * i);
      if (mel > left && mel < right) {
        if (lo < 0) lo = i;
        hi = i;
        w[i] = mel <= centre ? (mel - left) / (centre - left) : (right - mel) / (right - centre);
      }
    }
    if (lo < 0) {
      throw invalidParameter('numMelBins', `at most about ${Math.floor(numFftBins / 2)} bins for ${paddedLength}-point FFTs between ${low} and ${high} Hz (mel filter ${b} covers no FFT bin)`, numBins);
    }
    first[b] = lo;
    weights.push(Float64Array.from({ length: hi - lo + 1 }, (_, k) => w[lo + k]!));
  }
  return { numBins, centerFreqs, first, weights };
}

/** Orthonormal DCT-II rows 0..numCeps-1 over numBins inputs, as Kaldi's ComputeDctMatrix. */
export function dctMatrix(numCeps: number, numBins: number): Float64Array {
  const m = new Float64Array(numCeps * numBins); // (numCeps, numBins)
  for (let k = 0; k < numCeps; k++) {
    const norm = Math.sqrt((k === 0 ? 1 : 2) / numBins);
    for (let n = 0; n < numBins; n++) m[k * numBins + n] = norm * Math.cos((Math.PI / numBins) * (n + 0.5) * k);
  }
  return m;
}

export function cepstralLifter(numCeps: number, q: number): Float64Array {
  const l = new Float64Array(numCeps);
  for (let i = 0; i < numCeps; i++) l[i] = q === 0 ? 1 : 1 + 0.5 * q * Math.sin((Math.PI * i) / q);
  return l;
}

export interface FeatureMatrix {
  frames: number;
  dim: number;
  /** (frames, dim) row-major. */
  data: Float32Array;
}

function checkFrameOptions(o: FrameOptions): void {
  if (!(o.frameLengthMs > 0)) throw invalidParameter('frameLengthMs', 'a positive number of milliseconds', o.frameLengthMs);
  if (!(o.frameShiftMs > 0)) throw invalidParameter('frameShiftMs', 'a positive number of milliseconds', o.frameShiftMs);
  if (!(o.dither >= 0)) throw invalidParameter('dither', 'a number >= 0', o.dither);
  if (!(o.preemphCoeff >= 0 && o.preemphCoeff <= 1)) throw invalidParameter('preemphCoeff', 'a number in [0, 1]', o.preemphCoeff);
}

/**
 * A feature extractor for one configuration and sample rate; it keeps its window, filters, FFT and
 * scratch buffers, so reuse one per thread for a whole corpus.
 */
export class FeatureExtractor {
  readonly opts: FeatureOptions;
  readonly sampleRate: number;
  readonly frameLength: number;
  readonly frameShift: number;
  readonly paddedLength: number;
  readonly dim: number;
  readonly banks: MelBanks;
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  private readonly frame: Float64Array;
  private readonly spectrum: Float64Array;
  private readonly power: Float64Array;
  private readonly mel: Float64Array;
  private readonly dct: Float64Array | null;
  private readonly lifter: Float64Array | null;

  constructor(opts: Partial<FbankOptions> | Partial<MfccOptions> = {}, sampleRate = 16000) {
    const full = (opts.kind === 'mfcc' ? { ...MFCC_DEFAULTS, ...opts } : { ...FBANK_DEFAULTS, ...opts }) as FeatureOptions;
    checkFrameOptions(full);
    if (!(sampleRate > 0)) throw invalidParameter('sampleRate', 'a positive number of Hz', sampleRate);
    this.opts = full;
    this.sampleRate = sampleRate;
    const g = frameGeometry(full, sampleRate);
    if (g.length < 2 || g.shift < 1) throw invalidParameter('frameLengthMs', `a frame of at least 2 samples at ${sampleRate} Hz`, full.frameLengthMs);
    this.frameLength = g.length;
    this.frameShift = g.shift;
    this.paddedLength = g.padded;
    this.window = windowFunction(full.windowType, g.length, full.blackmanCoeff);
    this.banks = melBanks(full, sampleRate, g.padded);
    if (g.padded & (g.padded - 1)) throw invalidParameter('roundToPowerOfTwo', 'true (the FFT needs a power-of-two length)', full.roundToPowerOfTwo);
    this.fft = new FFT(g.padded);
    this.frame = new Float64Array(g.padded);
    this.spectrum = new Float64Array(2 * g.padded);
    this.power = new Float64Array(g.padded / 2 + 1);
    this.mel = new Float64Array(full.numMelBins);
    if (full.kind === 'mfcc') {
      if (!Number.isInteger(full.numCeps) || full.numCeps < 1 || full.numCeps > full.numMelBins) {
        throw invalidParameter('numCeps', `an integer in 1..${full.numMelBins} (numMelBins)`, full.numCeps);
      }
      this.dct = dctMatrix(full.numCeps, full.numMelBins);
      this.lifter = cepstralLifter(full.numCeps, full.cepstralLifter);
      this.dim = full.numCeps;
    } else {
      this.dct = null;
      this.lifter = null;
      this.dim = full.numMelBins + (full.useEnergy ? 1 : 0);
    }
  }

  numFrames(numSamples: number): number {
    return numFrames(numSamples, this.frameLength, this.frameShift, this.opts.snipEdges);
  }

  /** Features of one utterance. `samples` are raw PCM values (Kaldi does not scale 16-bit audio to [-1, 1]). */
  compute(samples: ArrayLike<number>, rng?: Rng): FeatureMatrix {
    const o = this.opts;
    if (o.dither !== 0 && !rng) throw invalidParameter('rng', 'a seeded Rng when dither is not 0', rng);
    const n = samples.length;
    const frames = this.numFrames(n);
    const dim = this.dim;
    const out = new Float32Array(frames * dim);
    const len = this.frameLength;
    const frame = this.frame;
    const win = this.window;
    const preemph = o.preemphCoeff;
    const logEnergyFloor = o.energyFloor > 0 ? Math.log(o.energyFloor) : -Infinity;
    for (let f = 0; f < frames; f++) {
      // Extract (with reflection at the edges when snipEdges is false).
      const start = frameStart(f, len, this.frameShift, o.snipEdges);
      if (start >= 0 && start + len <= n) {
        for (let i = 0; i < len; i++) frame[i] = samples[start + i]!;
      } else {
        for (let i = 0; i < len; i++) {
          let s = start + i;
          while (s < 0 || s >= n) s = s < 0 ? -s - 1 : 2 * n - 1 - s;
          frame[i] = samples[s]!;
        }
      }
      if (o.dither !== 0) for (let i = 0; i < len; i++) frame[i]! += rng!.normal() * o.dither;
      if (o.removeDcOffset) {
        let sum = 0;
        for (let i = 0; i < len; i++) sum += frame[i]!;
        const mean = sum / len;
        for (let i = 0; i < len; i++) frame[i]! -= mean;
      }
      let logEnergy = 0;
      if (o.useEnergy && o.rawEnergy) logEnergy = this.logEnergy(len);
      if (preemph !== 0) {
        for (let i = len - 1; i > 0; i--) frame[i]! -= preemph * frame[i - 1]!;
        frame[0]! -= preemph * frame[0]!;
      }
      for (let i = 0; i < len; i++) frame[i]! *= win[i]!;
      frame.fill(0, len);
      if (o.useEnergy && !o.rawEnergy) logEnergy = this.logEnergy(len);
      if (logEnergy < logEnergyFloor) logEnergy = logEnergyFloor;

      this.powerSpectrum(o.kind === 'mfcc' || o.usePower);
      const mel = this.mel;
      const { first, weights } = this.banks;
      const power = this.power;
      for (let b = 0; b < mel.length; b++) {
        const w = weights[b]!;
        const off = first[b]!;
        let e = 0;
        for (let k = 0; k < w.length; k++) e += w[k]! * power[off + k]!;
        mel[b] = e;
      }
      const row = f * dim;
      if (o.kind === 'fbank') {
        const offset = o.useEnergy ? 1 : 0;
        if (o.useEnergy) out[row] = logEnergy;
        for (let b = 0; b < mel.length; b++) {
          const e = mel[b]!;
          out[row + offset + b] = o.useLogFbank ? Math.log(e < FLOAT_EPSILON ? FLOAT_EPSILON : e) : e;
        }
      } else {
        for (let b = 0; b < mel.length; b++) mel[b] = Math.log(mel[b]! < FLOAT_EPSILON ? FLOAT_EPSILON : mel[b]!);
        const dct = this.dct!;
        const lifter = this.lifter!;
        const nb = mel.length;
        for (let k = 0; k < dim; k++) {
          let c = 0;
          for (let b = 0; b < nb; b++) c += dct[k * nb + b]! * mel[b]!;
          out[row + k] = c * lifter[k]!;
        }
        if (o.useEnergy) out[row] = logEnergy;
      }
    }
    return { frames, dim, data: out };
  }

  private logEnergy(len: number): number {
    let e = 0;
    for (let i = 0; i < len; i++) e += this.frame[i]! * this.frame[i]!;
    return Math.log(e < FLOAT_EPSILON ? FLOAT_EPSILON : e);
  }

  /** |FFT|^2 (or |FFT|) of the padded frame for bins 0..N/2. */
  private powerSpectrum(power: boolean): void {
    const spec = this.spectrum;
    this.fft.realTransform(spec, this.frame);
    const p = this.power;
    for (let i = 0; i < p.length; i++) {
      const re = spec[2 * i]!;
      const im = spec[2 * i + 1]!;
      const v = re * re + im * im;
      p[i] = power ? v : Math.sqrt(v);
    }
  }
}

/** Log mel filterbank of one utterance (Kaldi `compute-fbank-feats` defaults unless overridden). */
export function computeFbank(samples: ArrayLike<number>, sampleRate: number, opts: Partial<Omit<FbankOptions, 'kind'>> = {}, rng?: Rng): FeatureMatrix {
  return new FeatureExtractor({ ...opts, kind: 'fbank' }, sampleRate).compute(samples, rng);
}

/** MFCC of one utterance (Kaldi `compute-mfcc-feats` defaults unless overridden). */
export function computeMfcc(samples: ArrayLike<number>, sampleRate: number, opts: Partial<Omit<MfccOptions, 'kind'>> = {}, rng?: Rng): FeatureMatrix {
  return new FeatureExtractor({ ...opts, kind: 'mfcc' }, sampleRate).compute(samples, rng);
}
