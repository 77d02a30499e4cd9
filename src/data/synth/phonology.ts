/**
 * From a sentence's dictionary pronunciations (ARPAbet, CMU stress digits) to the phone string a TIMIT
 * transcriber would write for one reading of it: TIMIT's 61 labels, stops as closure + release, `h#` at
 * both ends, `pau` between phrases, and the connected-speech processes TIMIT marks: vowel reduction
 * (ax, ix, axr, ax-h), syllabic consonants (el, em, en, eng), flaps (dx, nx), glottal stops (q),
 * fronted u (ux), voiced h (hv), unreleased and shared stop closures, epenthetic silence (epi) and
 * /h/-dropping in function words. Each process applies with a probability, so two readings of one
 * sentence (SX sentences are read by several speakers) differ as they do in TIMIT.
 */
import { internal } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { FUNCTION_WORDS, type Pronunciations } from './lexicon.js';
import type { Sentence } from './sentences.js';

export interface PlannedPhone {
  /** TIMIT 61-phone label. */
  label: string;
  /** Index of the word in the sentence; -1 for h#, pau and epi between words. */
  word: number;
  /** Syllable nuclei: 1 primary, 2 secondary, 0 unstressed; -1 for non-syllabic phones. */
  stress: number;
  /** Part of the last syllable of a phrase (lengthened, and where the final F0 movement happens). */
  phraseFinal: boolean;
  /** Index of the phrase (between pauses or phrase boundaries). */
  phrase: number;
  /** A stop release after /s/ in the same onset ("spot", "stay", "sky"): unaspirated. */
  unaspirated?: boolean;
}

interface ArpaPhone {
  p: string;
  stress: number;
  word: number;
  phrase: number;
  wordStart: boolean;
  wordEnd: boolean;
}

const ARPA_VOWELS = new Set(['AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'EH', 'ER', 'EY', 'IH', 'IY', 'OW', 'OY', 'UH', 'UW']);
const STOPS: Record<string, [string, string]> = { P: ['pcl', 'p'], B: ['bcl', 'b'], T: ['tcl', 't'], D: ['dcl', 'd'], K: ['kcl', 'k'], G: ['gcl', 'g'] };
const VOICELESS = new Set(['P', 'T', 'K', 'F', 'TH', 'S', 'SH', 'CH', 'HH']);
const CORONAL = new Set(['T', 'D', 'S', 'Z', 'N', 'L', 'Y', 'CH', 'JH', 'SH', 'ZH', 'TH', 'DH']);
const SONORANT = new Set(['M', 'N', 'NG', 'L', 'R', 'W', 'Y']);
const ONE_TO_ONE = new Set(['M', 'N', 'NG', 'L', 'R', 'W', 'Y', 'S', 'SH', 'Z', 'ZH', 'F', 'TH', 'V', 'DH']);
const SIMPLE_VOWELS: Record<string, string> = {
  AA: 'aa', AE: 'ae', AO: 'ao', AW: 'aw', AY: 'ay', EH: 'eh', EY: 'ey', IY: 'iy', OW: 'ow', OY: 'oy', UH: 'uh',
};
const H_DROPPING_WORDS = new Set(['he', 'him', 'his', 'her', 'have', 'has', 'had']);

export const isArpaVowel = (p: string): boolean => ARPA_VOWELS.has(p);

/** Per-process probabilities; tests pin them to 0 or 1 to check each rule. */
export interface PhonologyOptions {
  /** Pronunciation variant other than the dictionary's first. */
  variant: number;
  /** t/d between a vowel (or r) and an unstressed vowel becomes a flap, inside a word / across words. */
  flapInWord: number;
  flapAcrossWords: number;
  /** "winter" -> w ih nx axr. */
  nasalFlap: number;
  /** Unstressed IH -> ix. */
  ixForIh0: number;
  /** UW after a coronal -> ux. */
  uxAfterCoronal: number;
  /** Schwa between voiceless consonants is devoiced (ax-h). */
  devoicedSchwa: number;
  /** Schwa + n after t/d -> en (other places: half as often); schwa + m -> em (a third as often). */
  syllabicNasal: number;
  /** Word-final unstressed "-ing" -> eng ("something" -> s ah m th eng). */
  syllabicVelarNasal: number;
  /** "button" -> ah q en. */
  glottalBeforeSyllabicN: number;
  /** A word-final stop before a consonant is not released. */
  unreleasedFinalStop: number;
  /** Word-final t before a consonant is glottalised (q). */
  glottalFinalT: number;
  /** A vowel-initial word after a vowel or at a phrase start gets a glottal onset (q). */
  glottalOnset: number;
  /** Epenthetic silence between a fricative and a following nasal or liquid. */
  epenthesis: number;
  /** /h/ of he, him, his, her, have, has, had dropped inside a phrase. */
  hDropping: number;
  /** /h/ between voiced sounds is voiced (hv). */
  voicedH: number;
  /** A phrase boundary is realised as a pause (else only as phrase-final lengthening). */
  pauseAtBreak: number;
}

export const DEFAULT_PHONOLOGY: Readonly<PhonologyOptions> = {
  variant: 0.2,
  flapInWord: 0.85,
  flapAcrossWords: 0.5,
  nasalFlap: 0.35,
  ixForIh0: 0.85,
  uxAfterCoronal: 0.6,
  devoicedSchwa: 0.4,
  syllabicNasal: 0.6,
  syllabicVelarNasal: 0.1,
  glottalBeforeSyllabicN: 0.5,
  unreleasedFinalStop: 0.45,
  glottalFinalT: 0.15,
  glottalOnset: 0.15,
  epenthesis: 0.25,
  hDropping: 0.35,
  voicedH: 0.7,
  pauseAtBreak: 0.75,
};

/** Picks one pronunciation per word: the dictionary's first, or (with probability `variant`) another. */
export function choosePronunciations(prons: readonly Pronunciations[], rng: Rng, variant = DEFAULT_PHONOLOGY.variant): string[] {
  return prons.map((variants) => (variants.length > 1 && rng.bernoulli(variant) ? variants[1 + rng.int(variants.length - 1)]! : variants[0]!));
}

/**
 * The phone string of one reading. `pronunciations[i]` is the chosen ARPAbet string of `sentence.words[i]`.
 */
export function planPhones(sentence: Sentence, pronunciations: readonly string[], rng: Rng, options: Partial<PhonologyOptions> = {}): PlannedPhone[] {
  const o: PhonologyOptions = { ...DEFAULT_PHONOLOGY, ...options };
  const arpa = toArpa(sentence, pronunciations);
  const out: PlannedPhone[] = [{ label: 'h#', word: -1, stress: -1, phraseFinal: false, phrase: 0 }];
  const emit = (label: string, a: ArpaPhone, stress = -1, extra: Partial<PlannedPhone> = {}) => {
    out.push({ label, word: a.word, stress, phraseFinal: false, phrase: a.phrase, ...extra });
  };
  // Stops whose closure or release the previous step already decided (shared closures across words).
  let skipClosureAt = -1;

  for (let i = 0; i < arpa.length; i++) {
    const a = arpa[i]!;
    const prev = arpa[i - 1]?.phrase === a.phrase ? arpa[i - 1] : undefined;
    const next = arpa[i + 1]?.phrase === a.phrase ? arpa[i + 1] : undefined;
    const next2 = next && arpa[i + 2]?.phrase === a.phrase ? arpa[i + 2] : undefined;
    const word = sentence.words[a.word]!;

    if (a.phrase > 0 && i > 0 && arpa[i - 1]!.phrase !== a.phrase) {
      if (rng.bernoulli(o.pauseAtBreak)) out.push({ label: 'pau', word: -1, stress: -1, phraseFinal: false, phrase: a.phrase });
    }

    if (ARPA_VOWELS.has(a.p)) {
      if (a.wordStart && (!prev || ARPA_VOWELS.has(prev.p)) && rng.bernoulli(prev ? o.glottalOnset : o.glottalOnset * 1.6)) emit('q', a);
      const label = vowelLabel(a, prev, next, next2, rng, o);
      if (label === 'el' || label === 'en' || label === 'em' || label === 'eng') {
        emit(label, a, 0);
        i++; // the following L / N / M / NG is absorbed into the syllabic consonant
      } else {
        emit(label, a, a.stress);
      }
      continue;
    }

    if (a.p in STOPS) {
      const [closure, release] = STOPS[a.p]!;
      const nextIsVowel = next !== undefined && ARPA_VOWELS.has(next.p);
      const prevIsVocalic = prev !== undefined && (ARPA_VOWELS.has(prev.p) || prev.p === 'R');
      // "button": t before a syllabic n is often a glottal stop.
      if (a.p === 'T' && prev && ARPA_VOWELS.has(prev.p) && next?.p === 'AH' && next.stress === 0 && next2?.p === 'N' && !next.wordStart && rng.bernoulli(o.glottalBeforeSyllabicN)) {
        emit('q', a);
        continue;
      }
      if ((a.p === 'T' || a.p === 'D') && prevIsVocalic && nextIsVowel && next!.stress === 0) {
        const across = next!.wordStart;
        if (rng.bernoulli(across ? o.flapAcrossWords : o.flapInWord)) {
          emit('dx', a);
          continue;
        }
      }
      if (skipClosureAt !== i) emit(closure, a);
      const nextIsConsonant = next !== undefined && !ARPA_VOWELS.has(next.p);
      if (a.wordEnd && nextIsConsonant && next!.p === a.p) {
        skipClosureAt = i + 1; // "that time": one closure, one release
        continue;
      }
      if (a.wordEnd && nextIsConsonant && a.p === 'T' && rng.bernoulli(o.glottalFinalT)) {
        out[out.length - 1] = { ...out[out.length - 1]!, label: 'q' };
        continue;
      }
      if (a.wordEnd && nextIsConsonant && rng.bernoulli(o.unreleasedFinalStop)) continue;
      if (!a.wordEnd && next && next.p in STOPS && rng.bernoulli(o.unreleasedFinalStop)) continue;
      const unaspirated = prev?.p === 'S' && !a.wordStart;
      emit(release, a, -1, unaspirated ? { unaspirated } : {});
      continue;
    }

    switch (a.p) {
      case 'CH':
        emit('tcl', a);
        emit('ch', a);
        continue;
      case 'JH':
        emit('dcl', a);
        emit('jh', a);
        continue;
      case 'HH': {
        if (a.wordStart && prev && H_DROPPING_WORDS.has(word) && rng.bernoulli(o.hDropping)) continue;
        const voicedContext = prev !== undefined && (ARPA_VOWELS.has(prev.p) || SONORANT.has(prev.p));
        emit(voicedContext && rng.bernoulli(o.voicedH) ? 'hv' : 'hh', a);
        continue;
      }
      case 'N': {
        // "winter": the t after n is lost and the n flaps before an unstressed vowel.
        if (prev && ARPA_VOWELS.has(prev.p) && next?.p === 'T' && !next.wordEnd && next2 && ARPA_VOWELS.has(next2.p) && next2.stress === 0 && rng.bernoulli(o.nasalFlap)) {
          emit('nx', a);
          i++;
          continue;
        }
        emit('n', a);
        break;
      }
      default:
        if (!ONE_TO_ONE.has(a.p)) throw internal(`unexpected ARPAbet phone ${a.p} in "${word}"`);
        emit(a.p.toLowerCase(), a);
    }
    // Epenthetic silence between a fricative and a following nasal or liquid ("small", "slow").
    if ((a.p === 'S' || a.p === 'Z' || a.p === 'SH' || a.p === 'F' || a.p === 'TH') && next && (next.p === 'M' || next.p === 'N' || next.p === 'L' || next.p === 'W') && rng.bernoulli(o.epenthesis)) {
      out.push({ label: 'epi', word: next.wordStart ? -1 : a.word, stress: -1, phraseFinal: false, phrase: a.phrase });
    }
  }
  const lastPhrase = arpa.length ? arpa[arpa.length - 1]!.phrase : 0;
  out.push({ label: 'h#', word: -1, stress: -1, phraseFinal: false, phrase: lastPhrase });
  markPhraseFinal(out);
  return out;
}

function vowelLabel(a: ArpaPhone, prev: ArpaPhone | undefined, next: ArpaPhone | undefined, next2: ArpaPhone | undefined, rng: Rng, o: PhonologyOptions): string {
  const unstressed = a.stress === 0;
  // The nasal or lateral closes the syllable: word-final, or followed by a consonant.
  const closesSyllable = (c: ArpaPhone | undefined) => c !== undefined && (c.wordEnd || (next2 !== undefined && !ARPA_VOWELS.has(next2.p)));
  switch (a.p) {
    case 'AH':
      if (!unstressed) return 'ah';
      if (next?.p === 'L' && !next.wordStart && closesSyllable(next) && !a.wordStart) return 'el';
      if (next?.p === 'N' && !next.wordStart && closesSyllable(next) && !a.wordStart && prev) {
        const afterAlveolar = prev.p === 'T' || prev.p === 'D' || prev.p === 'S' || prev.p === 'Z';
        if (rng.bernoulli(afterAlveolar ? o.syllabicNasal : o.syllabicNasal / 2)) return 'en';
      }
      if (next?.p === 'M' && !next.wordStart && closesSyllable(next) && !a.wordStart && rng.bernoulli(o.syllabicNasal / 3)) return 'em';
      if (prev && next && VOICELESS.has(prev.p) && VOICELESS.has(next.p) && rng.bernoulli(o.devoicedSchwa)) return 'ax-h';
      return 'ax';
    case 'ER':
      return unstressed ? 'axr' : 'er';
    case 'IH':
      if (unstressed && next?.p === 'NG' && next.wordEnd && rng.bernoulli(o.syllabicVelarNasal)) return 'eng';
      return unstressed && rng.bernoulli(o.ixForIh0) ? 'ix' : 'ih';
    case 'UW':
      return prev && CORONAL.has(prev.p) && rng.bernoulli(o.uxAfterCoronal) ? 'ux' : 'uw';
    default: {
      const label = SIMPLE_VOWELS[a.p];
      if (!label) throw internal(`unexpected ARPAbet vowel ${a.p}`);
      return label;
    }
  }
}

function toArpa(sentence: Sentence, pronunciations: readonly string[]): ArpaPhone[] {
  const out: ArpaPhone[] = [];
  let phrase = 0;
  const breaks = new Set(sentence.breaks);
  sentence.words.forEach((word, w) => {
    const phones = pronunciations[w]!.trim().split(/\s+/);
    const reduce = FUNCTION_WORDS.has(word);
    phones.forEach((ph, k) => {
      const m = /^([A-Z]+)([012])?$/.exec(ph);
      if (!m) throw internal(`malformed ARPAbet phone ${JSON.stringify(ph)} in "${word}"`);
      const stress = m[2] === undefined ? -1 : reduce ? 0 : Number(m[2]);
      out.push({ p: m[1]!, stress, word: w, phrase, wordStart: k === 0, wordEnd: k === phones.length - 1 });
    });
    if (breaks.has(w)) phrase++;
  });
  return out;
}

/** Marks the last syllable of every phrase: its nucleus and everything after it up to the boundary. */
function markPhraseFinal(phones: PlannedPhone[]): void {
  let seenNucleus = false;
  for (let i = phones.length - 1; i >= 0; i--) {
    const p = phones[i]!;
    if (p.word < 0) {
      if (p.label === 'pau' || p.label === 'h#') seenNucleus = false;
      continue;
    }
    const isBoundary = i + 1 < phones.length && phones[i + 1]!.phrase !== p.phrase;
    if (isBoundary) seenNucleus = false;
    if (!seenNucleus) {
      p.phraseFinal = true;
      if (p.stress >= 0) seenNucleus = true;
    }
  }
}
