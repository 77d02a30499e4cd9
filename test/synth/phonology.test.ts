import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { PHONES61 } from '../../src/data/phones.js';
import { loadLexicon } from '../../src/data/synth/lexicon.js';
import { SentenceGrammar, type Sentence } from '../../src/data/synth/sentences.js';
import { planPhones, choosePronunciations, type PhonologyOptions } from '../../src/data/synth/phonology.js';
import { SYNTH_PHONES } from '../../src/data/synth/inventory.js';

/** Every optional process off: the canonical closure + release transcription. */
const NONE: PhonologyOptions = {
  variant: 0,
  flapInWord: 0,
  flapAcrossWords: 0,
  nasalFlap: 0,
  ixForIh0: 0,
  uxAfterCoronal: 0,
  devoicedSchwa: 0,
  syllabicNasal: 0,
  syllabicVelarNasal: 0,
  glottalBeforeSyllabicN: 0,
  unreleasedFinalStop: 0,
  glottalFinalT: 0,
  glottalOnset: 0,
  epenthesis: 0,
  hDropping: 0,
  voicedH: 0,
  pauseAtBreak: 0,
};

const lexicon = await loadLexicon();

function phonesOf(text: string, options: Partial<PhonologyOptions> = {}, breaks: number[] = []): string {
  const words = text.split(' ');
  const sentence: Sentence = { words, text, breaks, question: false };
  const prons = words.map((w) => lexicon.pronounce(w)[0]!);
  return planPhones(sentence, prons, new Rng(1), { ...NONE, ...options })
    .map((p) => p.label)
    .join(' ');
}

test('stops are closure + release, and every reading starts and ends with h#', () => {
  assert.equal(phonesOf('top'), 'h# tcl t aa pcl p h#');
  assert.equal(phonesOf('big dog'), 'h# bcl b ih gcl g dcl d ao gcl g h#');
  assert.equal(phonesOf('church'), 'h# tcl ch er tcl ch h#');
  assert.equal(phonesOf('judge'), 'h# dcl jh ah dcl jh h#');
});

test('vowel reduction: function words and unstressed vowels', () => {
  // "the" is DH AH0 and "of" AH1 V reduced as a function word.
  assert.equal(phonesOf('the cup of tea'), 'h# dh ax kcl k ah pcl p ax v tcl t iy h#');
  assert.equal(phonesOf('water'), 'h# w ao tcl t axr h#');
  assert.equal(phonesOf('basket'), 'h# bcl b ae s kcl k ax tcl t h#');
  assert.equal(phonesOf('visit', { ixForIh0: 1 }), 'h# v ih z ix tcl t h#');
  assert.equal(phonesOf('visit', { ixForIh0: 0 }), 'h# v ih z ih tcl t h#');
});

test('flaps: t and d between a vowel and an unstressed vowel', () => {
  assert.equal(phonesOf('water', { flapInWord: 1 }), 'h# w ao dx axr h#');
  assert.equal(phonesOf('little', { flapInWord: 1 }), 'h# l ih dx el h#');
  // Across words only with its own probability.
  assert.equal(phonesOf('got a', { flapInWord: 1 }), 'h# gcl g aa tcl t ax h#');
  assert.equal(phonesOf('got a', { flapAcrossWords: 1 }), 'h# gcl g aa dx ax h#');
  assert.equal(phonesOf('winter', { nasalFlap: 1 }), 'h# w ih nx axr h#');
});

test('syllabic consonants, glottal stops and devoiced schwa', () => {
  assert.equal(phonesOf('button', { syllabicNasal: 1, glottalBeforeSyllabicN: 1 }), 'h# bcl b ah q en h#');
  assert.equal(phonesOf('button', { syllabicNasal: 1 }), 'h# bcl b ah tcl t en h#');
  assert.equal(phonesOf('little'), 'h# l ih tcl t el h#');
  assert.equal(phonesOf('apple', { glottalOnset: 1 }), 'h# q ae pcl p el h#');
  assert.equal(phonesOf('potato', { devoicedSchwa: 1 }), 'h# pcl p ax-h tcl t ey tcl t ow h#');
  assert.equal(phonesOf('something', { syllabicVelarNasal: 1 }), 'h# s ah m th eng h#');
  assert.equal(phonesOf('something'), 'h# s ah m th ih ng h#');
});

test('shared and unreleased closures, glottalised t, epenthesis, h-dropping, hv, ux', () => {
  assert.equal(phonesOf('that time'), 'h# dh ae tcl t ay m h#');
  assert.equal(phonesOf('hot soup', { unreleasedFinalStop: 1 }), 'h# hh aa tcl s uw pcl p h#');
  assert.equal(phonesOf('hot soup', { glottalFinalT: 1 }), 'h# hh aa q s uw pcl p h#');
  assert.equal(phonesOf('small', { epenthesis: 1 }), 'h# s epi m ao l h#');
  assert.equal(phonesOf('ask him', { hDropping: 1 }), 'h# ae s kcl k ih m h#');
  assert.equal(phonesOf('the horse', { voicedH: 1 }), 'h# dh ax hv ao r s h#');
  assert.equal(phonesOf('new', { uxAfterCoronal: 1 }), 'h# n ux h#');
  assert.equal(phonesOf('spot').split(' ').slice(0, 4).join(' '), 'h# s pcl p');
});

test('phrase boundaries: a pause when realised, and phrase-final marking of the last syllable', () => {
  const text = 'the cat slept and the dog ran';
  const words = text.split(' ');
  const sentence: Sentence = { words, text, breaks: [2], question: false };
  const phones = planPhones(sentence, words.map((w) => lexicon.pronounce(w)[0]!), new Rng(1), { ...NONE, pauseAtBreak: 1 });
  assert.equal(phones.map((p) => p.label).join(' '), 'h# dh ax kcl k ae tcl t s l eh pcl p tcl t pau ax n dcl d dh ax dcl d ao gcl g r ae n h#');
  const finals = phones.filter((p) => p.phraseFinal).map((p) => p.label).join(' ');
  assert.equal(finals, 'eh pcl p tcl t ae n');
  assert.deepEqual([...new Set(phones.filter((p) => p.word >= 0).map((p) => p.phrase))], [0, 1]);
});

test('random readings use only the 61 TIMIT labels, and the synthesizer has a spec for each of them', () => {
  assert.deepEqual([...SYNTH_PHONES].sort(), [...PHONES61].sort());
  const grammar = new SentenceGrammar(lexicon);
  const rng = new Rng(42);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const s = grammar.sentence(rng);
    const phones = planPhones(s, choosePronunciations(s.words.map((w) => lexicon.pronounce(w)), rng), rng);
    assert.equal(phones[0]!.label, 'h#');
    assert.equal(phones[phones.length - 1]!.label, 'h#');
    for (const p of phones) {
      assert.ok(PHONES61.includes(p.label), `unexpected label ${p.label}`);
      seen.add(p.label);
      if (p.word >= 0) assert.ok(p.word < s.words.length);
    }
  }
  assert.ok(seen.size >= 55, `only ${seen.size} labels in 300 readings`);
});
