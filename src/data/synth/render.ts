/**
 * The signal path of a cascade/parallel formant synthesizer after Klatt (1980) and Klatt & Klatt
 * (1990), at 16 kHz:
 *
 *   glottal pulses (KLGLOTT88 flow derivative, jitter, shimmer, creak) -> spectral tilt low-pass --+
 *   aspiration noise (amplitude-modulated by the glottal cycle) ----------------------------------+-> cascade:
 *       nasal pole -> nasal zero -> F6 -> F5 -> F4 -> F3 -> F2 -> F1  ----------------------------+-> sum
 *   frication noise -> first difference -> two parallel resonances (+/-) + bypass -----------------+
 *
 * Coefficients are recomputed once per control frame (1 ms); source and noise amplitudes are
 * interpolated linearly inside a frame. Noise comes from a xorshift32 generator seeded by the
 * utterance's stream, so the output is a pure function of the tracks and the seed.
 */
import { NASAL_POLE_HZ } from './inventory.js';
import { FRAME, resonatorCoefficients, type Tracks } from './tracks.js';

const FS = 16000;
const NASAL_BW = 100;

/** White noise in [-1, 1), triangular density (sum of two uniforms), unit variance. */
export class WhiteNoise {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x2545f491;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const a = (s >>> 0) / 4294967296;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s;
    const b = (s >>> 0) / 4294967296;
    return (a + b - 1) * 2.449489742783178; // sqrt(6): variance of (a + b - 1) is 1/6
  }
}

export interface RenderSettings {
  /** Seeds of the noise generator and of the glottal perturbation generator. */
  noiseSeed: number;
  sourceSeed: number;
  /** Cycle-to-cycle F0 and amplitude perturbation (fractions, standard deviations). */
  jitter: number;
  shimmer: number;
}

/** Renders the tracks to a float signal of `samples` samples (arbitrary scale). */
export function renderTracks(tracks: Tracks, samples: number, settings: RenderSettings): Float64Array {
  const out = new Float64Array(samples);
  const noise = new WhiteNoise(settings.noiseSeed);
  const perturb = new WhiteNoise(settings.sourceSeed);

  // Cascade state: y1, y2 per resonator (nasal pole, F6..F1) and x1, x2 for the nasal zero.
  const cy1 = new Float64Array(7);
  const cy2 = new Float64Array(7);
  const cA = new Float64Array(7);
  const cB = new Float64Array(7);
  const cC = new Float64Array(7);
  let zx1 = 0;
  let zx2 = 0;
  // Parallel noise resonators.
  let p1y1 = 0;
  let p1y2 = 0;
  let p2y1 = 0;
  let p2y2 = 0;
  let lastNoise = 0;
  let tiltState = 0;

  // Glottal period state.
  let phase = 1; // start a new period at once
  let periodIncrement = 0;
  let pulseAmp = 1;
  let oq = 0.5;

  const [npA, npB, npC] = resonatorCoefficients(NASAL_POLE_HZ, NASAL_BW);
  cA[0] = npA;
  cB[0] = npB;
  cC[0] = npC;

  for (let frame = 0; frame * FRAME < samples; frame++) {
    const f = Math.min(frame, tracks.frames - 1);
    const g = Math.min(frame + 1, tracks.frames - 1);
    for (let k = 0; k < 6; k++) {
      const [A, B, C] = resonatorCoefficients(tracks.formants[5 - k]![f]!, tracks.bandwidths[5 - k]![f]!);
      cA[k + 1] = A;
      cB[k + 1] = B;
      cC[k + 1] = C;
    }
    // Antiresonator: the inverse of a resonator at the zero frequency.
    const [zA, zB, zC] = resonatorCoefficients(tracks.nasalZero[f]!, NASAL_BW);
    const zA0 = 1 / zA;
    const zA1 = -zB / zA;
    const zA2 = -zC / zA;
    const [p1A, p1B, p1C] = resonatorCoefficients(tracks.noiseFreq[0][f]!, tracks.noiseBandwidth[0][f]!, true);
    const [p2A, p2B, p2C] = resonatorCoefficients(tracks.noiseFreq[1][f]!, tracks.noiseBandwidth[1][f]!, true);
    const g1 = tracks.noiseGain[0][f]!;
    const g2 = tracks.noiseGain[1][f]!;
    const bypass = tracks.noiseBypass[f]!;
    const tilt = tracks.tilt[f]!;
    const creak = tracks.creak[f]!;
    const f0 = tracks.f0[f]!;
    const frameOq = tracks.openQuotient[f]!;
    const av0 = tracks.av[f]!;
    const ah0 = tracks.ah[f]!;
    const af0 = tracks.af[f]!;
    const dav = (tracks.av[g]! - av0) / FRAME;
    const dah = (tracks.ah[g]! - ah0) / FRAME;
    const daf = (tracks.af[g]! - af0) / FRAME;
    const end = Math.min(samples, (frame + 1) * FRAME);

    for (let n = frame * FRAME, j = 0; n < end; n++, j++) {
      const av = av0 + j * dav;
      const ah = ah0 + j * dah;
      const af = af0 + j * daf;

      if (phase >= 1) {
        phase -= Math.floor(phase);
        // New glottal period: jitter and shimmer; creak lowers and scatters F0 and the pulse size.
        const periodF0 = f0 * (1 - 0.45 * creak) * (1 + (settings.jitter + 0.12 * creak) * perturb.next());
        periodIncrement = Math.max(30, periodF0) / FS;
        pulseAmp = Math.max(0.1, 1 + (settings.shimmer + 0.3 * creak) * perturb.next());
        oq = Math.max(0.2, frameOq - 0.2 * creak);
      }
      const open = phase < oq;
      const s = phase / oq;
      const pulse = open ? (2 * s - 3 * s * s) * pulseAmp : 0;
      phase += periodIncrement;
      tiltState = (1 - tilt) * pulse + tilt * tiltState;

      const w = noise.next();
      // Aspiration is louder while the glottis is open (Klatt 1980: 50 % modulation).
      const asp = ah * w * (open || av === 0 ? 1 : 0.5);
      let x = av * tiltState * 3 + asp;

      // Cascade: nasal pole, nasal zero, then F6 down to F1.
      let y = cA[0]! * x + cB[0]! * cy1[0]! + cC[0]! * cy2[0]!;
      cy2[0] = cy1[0]!;
      cy1[0] = y;
      const z = zA0 * y + zA1 * zx1 + zA2 * zx2;
      zx2 = zx1;
      zx1 = y;
      x = z;
      for (let k = 1; k < 7; k++) {
        y = cA[k]! * x + cB[k]! * cy1[k]! + cC[k]! * cy2[k]!;
        cy2[k] = cy1[k]!;
        cy1[k] = y;
        x = y;
      }

      // Parallel frication: differentiated noise; voiced fricatives get it modulated by the glottis.
      const d = w - lastNoise;
      lastNoise = w;
      const fn = af * d * (av > 0 && !open ? 0.6 : 1);
      const r1 = p1A * fn + p1B * p1y1 + p1C * p1y2;
      p1y2 = p1y1;
      p1y1 = r1;
      const r2 = p2A * fn + p2B * p2y1 + p2C * p2y2;
      p2y2 = p2y1;
      p2y1 = r2;
      out[n] = x + g1 * r1 - g2 * r2 + bypass * fn;
    }
  }
  return out;
}
