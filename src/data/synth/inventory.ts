/**
 * The acoustic-phonetic description of TIMIT's 61 phones that the synthesizer realises: manner,
 * place and voicing, typical durations, formant targets (or, for obstruents, the loci their transitions
 * point at), source amplitudes and the spectral shape of their noise.
 *
 * Vowel targets are the published averages of Hillenbrand, Getty, Clark & Wheeler (1995), "Acoustic
 * characteristics of American English vowels", JASA 97(5), Table V (steady-state F1-F4 of /hVd/ words
 * for 45 men and 48 women). Vowels the table does not cover (schwa, the reduced and r-coloured vowels,
 * the fronted u and the diphthong ends) are set from the same table's neighbours and from Peterson &
 * Barney (1952). Consonant targets and loci follow the classic cascade/parallel synthesis values
 * (Klatt 1980, "Software for a cascade/parallel formant synthesizer", JASA 67(3), Table III) and
 * F2 locus-equation studies (alveolar locus near 1800 Hz, labial near 900 Hz, velar tracking the vowel).
 * Durations are rounded typical means of TIMIT's hand-labelled phones in read speech.
 *
 * All frequencies are for an adult male voice; `voice.ts` scales them per speaker.
 */
import { internal } from '../../util/errors.js';

export type Manner =
  | 'vowel'
  | 'liquid'
  | 'glide'
  | 'nasal'
  | 'fricative'
  | 'affricate'
  | 'release' // the burst (+ aspiration) of a stop
  | 'closure' // the silent (or voice-bar) part of a stop or affricate
  | 'flap'
  | 'aspirate' // hh, hv: aspiration through the next vowel's resonances
  | 'glottal' // q
  | 'silence';

export type Place = 'labial' | 'dental' | 'alveolar' | 'postalveolar' | 'velar' | 'glottal' | 'none';

/** F1, F2, F3 in Hz (adult male). */
export type Formants = readonly [number, number, number];

/** Noise colouring of a fricative or burst: two resonances (unit peak gain) plus a flat bypass. */
export interface NoiseShape {
  freq: readonly [number, number];
  bandwidth: readonly [number, number];
  gain: readonly [number, number];
  bypass: number;
}

export interface PhoneSpec {
  manner: Manner;
  place: Place;
  voiced: boolean;
  /** Typical duration in read speech, ms; `minMs` is the floor after all shortening. */
  durMs: number;
  minMs: number;
  /** Own formant target (vowels, sonorants, nasal murmur). */
  target?: Formants;
  /** Second target of a diphthong (or the end of a vowel with inherent spectral change). */
  offglide?: Formants;
  /** Obstruents: target = locus + slope * (neighbouring vowel - locus), per formant. */
  locus?: { f: Formants; slope: Formants };
  /** Voicing amplitude, dB relative to a stressed vowel; -Infinity = voiceless. */
  avDb: number;
  /** Aspiration (noise through the vocal tract) amplitude, dB. */
  ahDb: number;
  /** Frication (noise through the parallel branch) amplitude, dB (RMS relative to a vowel). */
  afDb: number;
  noise?: NoiseShape;
  /** Nasal antiresonance (Hz) during the murmur; the pole sits at NASAL_POLE_HZ. */
  nasalZeroHz?: number;
  /** Bandwidth multiplier for F1-F3 (nasals and laterals are damped). */
  bandwidthScale?: number;
  /** Stops: burst length (ms) at the start of the release, and its level in dB. */
  burstMs?: number;
  burstDb?: number;
}

/** Hillenbrand et al. (1995) Table V, [F1, F2, F3, F4] in Hz. */
export const HILLENBRAND_MEN: Readonly<Record<string, readonly [number, number, number, number]>> = {
  iy: [342, 2322, 3000, 3657],
  ih: [427, 2034, 2684, 3618],
  ey: [476, 2089, 2691, 3649],
  eh: [580, 1799, 2605, 3677],
  ae: [588, 1952, 2601, 3624],
  aa: [768, 1333, 2522, 3687],
  ao: [652, 997, 2538, 3486],
  ow: [497, 910, 2459, 3384],
  uh: [469, 1122, 2434, 3400],
  uw: [378, 997, 2343, 3357],
  ah: [623, 1200, 2550, 3557],
  er: [474, 1379, 1710, 3334],
};

export const HILLENBRAND_WOMEN: Readonly<Record<string, readonly [number, number, number, number]>> = {
  iy: [437, 2761, 3372, 4352],
  ih: [483, 2365, 3053, 4334],
  ey: [536, 2530, 3047, 4319],
  eh: [731, 2058, 2979, 4294],
  ae: [669, 2349, 2972, 4290],
  aa: [936, 1551, 2815, 4299],
  ao: [781, 1136, 2824, 3923],
  ow: [555, 1035, 2828, 3927],
  uh: [519, 1225, 2827, 4052],
  uw: [459, 1105, 2735, 4115],
  ah: [753, 1426, 2933, 4092],
  er: [523, 1588, 1929, 3914],
};

/** Mean women/men ratio of F1..F4 over the twelve vowels: how a woman's vocal tract scales a target. */
export const FEMALE_FORMANT_RATIO: readonly [number, number, number, number] = (() => {
  const r = [0, 0, 0, 0];
  const keys = Object.keys(HILLENBRAND_MEN);
  for (const k of keys) for (let i = 0; i < 4; i++) r[i]! += HILLENBRAND_WOMEN[k]![i]! / HILLENBRAND_MEN[k]![i]! / keys.length;
  return r as unknown as [number, number, number, number];
})();

/** Higher formants of a male voice (F4 is the Hillenbrand grand mean; F5, F6 are typical values). */
export const MALE_F4_HZ = 3500;
export const MALE_F5_HZ = 4500;
export const MALE_F6_HZ = 5500;
/** The nasal pole; outside nasals the zero sits on it and the pair cancels (Klatt 1980). */
export const NASAL_POLE_HZ = 270;

const H = (k: string): Formants => {
  const v = HILLENBRAND_MEN[k]!;
  return [v[0], v[1], v[2]];
};

// Fricative spectra: strident alveolars peak at 4.5-7 kHz, postalveolars at 2.5-3.5 kHz, labiodentals
// and dentals are weak and flat (Jongman, Wayland & Wong 2000; Klatt 1980 parallel amplitudes).
const NOISE: Record<string, NoiseShape> = {
  s: { freq: [5000, 7000], bandwidth: [900, 1400], gain: [1, 0.6], bypass: 0.03 },
  sh: { freq: [2700, 4300], bandwidth: [500, 1000], gain: [1, 0.5], bypass: 0.03 },
  f: { freq: [1600, 6000], bandwidth: [1600, 3000], gain: [0.2, 0.45], bypass: 0.3 },
  th: { freq: [4200, 6800], bandwidth: [2000, 2400], gain: [0.35, 0.45], bypass: 0.22 },
  // Burst spectra: labial diffuse-falling, alveolar diffuse-rising, velar compact (the peak follows the
  // next vowel's F2; tracks.ts moves it).
  labialBurst: { freq: [900, 2400], bandwidth: [700, 1500], gain: [0.6, 0.25], bypass: 0.45 },
  alveolarBurst: { freq: [3900, 5600], bandwidth: [900, 1500], gain: [0.75, 1], bypass: 0.1 },
  velarBurst: { freq: [2000, 3300], bandwidth: [350, 900], gain: [1, 0.3], bypass: 0.05 },
};

// Loci (male): F1 is low at any oral constriction; F2/F3 point at the place of articulation. The slope
// says how much of the vowel's own value survives at the consonant (0 = fixed locus, 1 = the vowel).
const LABIAL = { f: [250, 900, 2200] as Formants, slope: [0.1, 0.55, 0.6] as Formants };
const DENTAL = { f: [270, 1400, 2600] as Formants, slope: [0.1, 0.45, 0.5] as Formants };
const ALVEOLAR = { f: [260, 1750, 2650] as Formants, slope: [0.1, 0.35, 0.45] as Formants };
const POSTALVEOLAR = { f: [280, 2000, 2700] as Formants, slope: [0.1, 0.3, 0.4] as Formants };
const VELAR = { f: [280, 1900, 2400] as Formants, slope: [0.1, 0.8, 0.6] as Formants };
const GLOTTAL = { f: [500, 1500, 2500] as Formants, slope: [1, 1, 1] as Formants };

const vowel = (durMs: number, target: Formants, offglide?: Formants, avDb = 0): PhoneSpec => ({
  manner: 'vowel',
  place: 'none',
  voiced: true,
  durMs,
  minMs: Math.round(durMs * 0.35),
  target,
  ...(offglide ? { offglide } : {}),
  avDb,
  ahDb: -Infinity,
  afDb: -Infinity,
});

const fricative = (place: Place, voiced: boolean, durMs: number, afDb: number, noise: NoiseShape): PhoneSpec => ({
  manner: 'fricative',
  place,
  voiced,
  durMs,
  minMs: Math.round(durMs * 0.4),
  locus: { labial: LABIAL, dental: DENTAL, alveolar: ALVEOLAR, postalveolar: POSTALVEOLAR }[place as 'labial'],
  avDb: voiced ? -16 : -Infinity,
  ahDb: -Infinity,
  afDb,
  noise,
});

const release = (place: Place, voiced: boolean, durMs: number, burstMs: number, burstDb: number, ahDb: number): PhoneSpec => ({
  manner: 'release',
  place,
  voiced,
  durMs,
  minMs: Math.max(6, Math.round(durMs * 0.4)),
  locus: { labial: LABIAL, alveolar: ALVEOLAR, velar: VELAR }[place as 'labial'],
  avDb: -Infinity,
  // Voiceless releases continue as aspiration after the burst; voiced ones are nearly silent until voicing.
  // (Noise through the cascade with the low F1 of a release loses ~10 dB, hence the high settings.)
  ahDb,
  afDb: -Infinity,
  noise: place === 'labial' ? NOISE.labialBurst : place === 'alveolar' ? NOISE.alveolarBurst : NOISE.velarBurst,
  burstMs,
  burstDb,
});

const closure = (place: Place, voiced: boolean, durMs: number): PhoneSpec => ({
  manner: 'closure',
  place,
  voiced,
  durMs,
  minMs: Math.round(durMs * 0.35),
  locus: { labial: LABIAL, alveolar: ALVEOLAR, velar: VELAR }[place as 'labial'],
  // A voiced closure carries a low "voice bar" that tracks.ts lets die out during the closure.
  avDb: voiced ? -28 : -Infinity,
  ahDb: -Infinity,
  afDb: -Infinity,
});

const nasal = (place: Place, durMs: number, target: Formants, zeroHz: number, syllabic = false): PhoneSpec => ({
  manner: 'nasal',
  place,
  voiced: true,
  durMs,
  minMs: Math.round(durMs * 0.4),
  target,
  locus: { labial: LABIAL, alveolar: ALVEOLAR, velar: VELAR }[place as 'labial'],
  avDb: syllabic ? -9 : -12,
  ahDb: -Infinity,
  afDb: -Infinity,
  nasalZeroHz: zeroHz,
  bandwidthScale: 2.2,
});

const silence = (durMs: number): PhoneSpec => ({
  manner: 'silence',
  place: 'none',
  voiced: false,
  durMs,
  minMs: Math.round(durMs * 0.3),
  avDb: -Infinity,
  ahDb: -Infinity,
  afDb: -Infinity,
});

/** Every TIMIT .PHN label, with how the synthesizer makes it. */
export const PHONE_SPECS: Readonly<Record<string, PhoneSpec>> = {
  // Vowels (Hillenbrand targets; the diphthongs glide to a second target).
  iy: vowel(95, H('iy')),
  ih: vowel(78, H('ih')),
  eh: vowel(92, H('eh')),
  ey: vowel(125, H('ey'), [400, 2200, 2750]),
  ae: vowel(135, H('ae')),
  aa: vowel(122, H('aa')),
  aw: vowel(160, [740, 1450, 2500], [480, 1100, 2400]),
  ay: vowel(150, [760, 1360, 2520], [440, 2000, 2650]),
  ah: vowel(95, H('ah')),
  ao: vowel(130, H('ao')),
  oy: vowel(170, [560, 920, 2480], [440, 1950, 2650]),
  ow: vowel(125, H('ow'), [430, 1000, 2400]),
  uh: vowel(78, H('uh')),
  uw: vowel(100, H('uw')),
  ux: vowel(100, [360, 1600, 2350]),
  er: vowel(115, H('er')),
  // Reduced vowels: schwa sits mid-space; ix between ih and schwa; axr is a shorter, weaker er.
  ax: vowel(50, [500, 1450, 2500], undefined, -3),
  ix: vowel(52, [440, 1800, 2600], undefined, -3),
  axr: vowel(75, [480, 1400, 1800], undefined, -2),
  'ax-h': { ...vowel(35, [500, 1450, 2500]), avDb: -Infinity, ahDb: -14 },

  // Stops: closure + release. Release durations: burst + aspiration (voiceless) or burst alone.
  bcl: closure('labial', true, 58),
  dcl: closure('alveolar', true, 50),
  gcl: closure('velar', true, 54),
  pcl: closure('labial', false, 62),
  tcl: closure('alveolar', false, 54),
  kcl: closure('velar', false, 60),
  b: release('labial', true, 18, 5, -16, -30),
  d: release('alveolar', true, 22, 8, -9, -30),
  g: release('velar', true, 28, 12, -9, -30),
  p: release('labial', false, 42, 6, -11, -6),
  t: release('alveolar', false, 48, 10, -5, -4),
  k: release('velar', false, 52, 14, -6, -4),

  // Flaps and the glottal stop.
  dx: { manner: 'flap', place: 'alveolar', voiced: true, durMs: 28, minMs: 14, locus: ALVEOLAR, avDb: -9, ahDb: -Infinity, afDb: -Infinity },
  nx: { ...nasal('alveolar', 40, [300, 1600, 2600], 1600), manner: 'flap', minMs: 16 },
  q: { manner: 'glottal', place: 'glottal', voiced: true, durMs: 46, minMs: 20, locus: GLOTTAL, avDb: -10, ahDb: -Infinity, afDb: -Infinity },

  // Affricates (the closure is a separate tcl/dcl phone, as in TIMIT).
  ch: { ...fricative('postalveolar', false, 80, -4, NOISE.sh!), manner: 'affricate', minMs: 40 },
  jh: { ...fricative('postalveolar', true, 60, -9, NOISE.sh!), manner: 'affricate', minMs: 30 },

  // Fricatives.
  s: fricative('alveolar', false, 112, -10, NOISE.s!),
  z: fricative('alveolar', true, 82, -14, NOISE.s!),
  sh: fricative('postalveolar', false, 118, -5, NOISE.sh!),
  zh: fricative('postalveolar', true, 70, -11, NOISE.sh!),
  f: fricative('labial', false, 104, -24, NOISE.f!),
  v: fricative('labial', true, 58, -27, NOISE.f!),
  th: fricative('dental', false, 92, -26, NOISE.th!),
  dh: fricative('dental', true, 38, -28, NOISE.th!),

  // Nasals: murmur with a low F1, damped upper formants and a place-dependent antiresonance.
  m: nasal('labial', 62, [260, 1000, 2200], 950),
  n: nasal('alveolar', 55, [270, 1500, 2500], 1500),
  ng: nasal('velar', 60, [280, 1900, 2300], 2800),
  em: nasal('labial', 78, [270, 1000, 2200], 950, true),
  en: nasal('alveolar', 80, [280, 1500, 2500], 1500, true),
  eng: nasal('velar', 70, [290, 1900, 2300], 2800, true),

  // Liquids and glides.
  l: { manner: 'liquid', place: 'alveolar', voiced: true, durMs: 62, minMs: 25, target: [330, 1000, 2700], avDb: -4, ahDb: -Infinity, afDb: -Infinity, bandwidthScale: 1.4 },
  el: { manner: 'liquid', place: 'alveolar', voiced: true, durMs: 95, minMs: 40, target: [420, 900, 2600], avDb: -3, ahDb: -Infinity, afDb: -Infinity, bandwidthScale: 1.4 },
  r: { manner: 'liquid', place: 'postalveolar', voiced: true, durMs: 58, minMs: 25, target: [330, 1080, 1450], avDb: -3, ahDb: -Infinity, afDb: -Infinity },
  w: { manner: 'glide', place: 'labial', voiced: true, durMs: 58, minMs: 25, target: [300, 650, 2200], avDb: -6, ahDb: -Infinity, afDb: -Infinity },
  y: { manner: 'glide', place: 'postalveolar', voiced: true, durMs: 55, minMs: 25, target: [270, 2150, 3000], avDb: -4, ahDb: -Infinity, afDb: -Infinity },
  hh: { manner: 'aspirate', place: 'glottal', voiced: false, durMs: 64, minMs: 25, locus: GLOTTAL, avDb: -Infinity, ahDb: -13, afDb: -Infinity },
  hv: { manner: 'aspirate', place: 'glottal', voiced: true, durMs: 56, minMs: 22, locus: GLOTTAL, avDb: -9, ahDb: -14, afDb: -Infinity },

  // Silences.
  pau: silence(150),
  epi: silence(26),
  'h#': silence(200),
};

/** The 61 labels the synthesizer can emit (the keys of PHONE_SPECS). */
export const SYNTH_PHONES: readonly string[] = Object.keys(PHONE_SPECS);

export function phoneSpec(label: string): PhoneSpec {
  const spec = PHONE_SPECS[label];
  if (!spec) throw internal(`no synthesis spec for phone ${JSON.stringify(label)}`);
  return spec;
}

export const isVowel = (label: string): boolean => PHONE_SPECS[label]?.manner === 'vowel';
/** Syllabic consonants count as syllable nuclei for stress and lengthening. */
export const isSyllabic = (label: string): boolean => isVowel(label) || label === 'el' || label === 'em' || label === 'en' || label === 'eng';
