import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { allWordForms, buildLexicon, loadLexicon } from '../../src/data/synth/lexicon.js';
import { SentenceGrammar } from '../../src/data/synth/sentences.js';

const lexicon = await loadLexicon();

test('every word form of the vocabulary has a CMU pronunciation', () => {
  const forms = allWordForms(lexicon.vocabulary);
  assert.ok(forms.length > 700, `vocabulary has ${forms.length} forms`);
  for (const w of forms) assert.ok(lexicon.pronounce(w).length >= 1, w);
  assert.deepEqual(lexicon.pronounce('water'), ['W AO1 T ER0']);
  assert.deepEqual(lexicon.pronounce('the'), ['DH AH0', 'DH AH1', 'DH IY0']);
  assert.equal(lexicon.startsWithVowel('apple'), true);
  assert.equal(lexicon.startsWithVowel('usual'), false); // Y UW1 ...
});

test('a word outside the dictionary is a NOT_FOUND error naming it', () => {
  assert.throws(() => lexicon.pronounce('zzyzx'), { code: 'NOT_FOUND', message: 'the word "zzyzx" is not in the CMU pronouncing dictionary' });
  assert.throws(() => buildLexicon({ the: 'DH AH0' }), { code: 'NOT_FOUND' });
});

test('sentences: 3..16 words, capitalised prompts with final punctuation, valid phrase breaks', () => {
  const grammar = new SentenceGrammar(lexicon);
  const rng = new Rng(9);
  let words = 0;
  let questions = 0;
  let withBreaks = 0;
  for (let i = 0; i < 400; i++) {
    const s = grammar.sentence(rng);
    assert.ok(s.words.length >= 3 && s.words.length <= 16, s.text);
    assert.match(s.text, /^[A-Z][^.?]*[.?]$/);
    assert.equal(s.question, s.text.endsWith('?'));
    // The prompt's words are the .WRD words, in order.
    assert.deepEqual(s.text.toLowerCase().replace(/[.,?]/g, '').split(' '), s.words);
    for (const b of s.breaks) assert.ok(b >= 0 && b < s.words.length - 1, `break ${b} in "${s.text}"`);
    for (const w of s.words) lexicon.pronounce(w);
    words += s.words.length;
    if (s.question) questions++;
    if (s.breaks.length) withBreaks++;
  }
  assert.ok(words / 400 > 6 && words / 400 < 11, `mean length ${words / 400}`);
  assert.ok(questions > 20 && questions < 100, `${questions} questions`);
  assert.ok(withBreaks > 40, `${withBreaks} sentences with phrase breaks`);
});

test('"a" becomes "an" before a vowel', () => {
  const grammar = new SentenceGrammar(lexicon);
  const rng = new Rng(3);
  for (let i = 0; i < 400; i++) {
    const s = grammar.sentence(rng);
    s.words.forEach((w, k) => {
      const next = s.words[k + 1];
      if (w === 'a' && next) assert.equal(lexicon.startsWithVowel(next), false, s.text);
      if (w === 'an' && next) assert.equal(lexicon.startsWithVowel(next), true, s.text);
    });
  }
});
