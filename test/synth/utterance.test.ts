import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { loadLexicon } from '../../src/data/synth/lexicon.js';
import { SentenceGrammar } from '../../src/data/synth/sentences.js';
import { sampleVoice } from '../../src/data/synth/voice.js';
import { synthesizeUtterance, type UtteranceText } from '../../src/data/synth/utterance.js';

const lexicon = await loadLexicon();
const grammar = new SentenceGrammar(lexicon);
const variation = { speakerVariation: 1, f0Range: 1, spectralTilt: 1, channel: 1 };
const knobs = { snrDb: 20, snrSpreadDb: 0, coarticulation: 1, tokenVariation: 1, rateVariation: 1, f0Range: 1 };

function text(seed: number): UtteranceText {
  const sentence = grammar.sentence(new Rng(seed));
  return { sentence, pronunciations: sentence.words.map((w) => lexicon.pronounce(w)) };
}

test('phones tile the samples exactly; words lie on phone boundaries in order', () => {
  for (let k = 0; k < 6; k++) {
    const voice = sampleVoice('MTST0', k % 2 ? 'M' : 'F', 1 + k, new Rng(k), variation);
    const u = synthesizeUtterance(text(k), voice, new Rng(100 + k), knobs);
    assert.equal(u.sampleRate, 16000);
    assert.equal(u.phones[0]!.start, 0);
    assert.equal(u.phones[0]!.label, 'h#');
    assert.equal(u.phones[u.phones.length - 1]!.label, 'h#');
    assert.equal(u.phones[u.phones.length - 1]!.end, u.samples.length);
    for (let i = 1; i < u.phones.length; i++) {
      assert.equal(u.phones[i]!.start, u.phones[i - 1]!.end);
      assert.ok(u.phones[i]!.end > u.phones[i]!.start);
    }
    const bounds = new Set(u.phones.flatMap((p) => [p.start, p.end]));
    let last = 0;
    for (const w of u.words) {
      assert.ok(bounds.has(w.start) && bounds.has(w.end) && w.start >= last && w.end > w.start);
      last = w.end;
    }
    assert.deepEqual(u.words.map((w) => w.label), text(k).sentence.words);
  }
});

test('the background noise sits at the requested SNR (speech power over active speech vs the leading silence)', () => {
  for (const snr of [10, 25]) {
    const voice = sampleVoice('FTST0', 'F', 3, new Rng(5), variation);
    const u = synthesizeUtterance(text(11), voice, new Rng(6), { ...knobs, snrDb: snr });
    assert.equal(u.snrDb, snr);
    const power = (a: number, b: number) => {
      let s = 0;
      for (let i = a; i < b; i++) s += u.samples[i]! ** 2;
      return s / (b - a);
    };
    const lead = u.phones[0]!;
    const noise = power(lead.start + 100, lead.end - 100);
    let speech = 0;
    let n = 0;
    for (const p of u.phones) {
      if (['h#', 'pau', 'epi', 'bcl', 'dcl', 'gcl', 'pcl', 'tcl', 'kcl', 'q'].includes(p.label)) continue;
      speech += power(p.start, p.end) * (p.end - p.start);
      n += p.end - p.start;
    }
    const measured = 10 * Math.log10(speech / n / noise);
    assert.ok(Math.abs(measured - snr) < 1.5, `SNR ${snr}: measured ${measured.toFixed(2)} dB`);
  }
});

test('an utterance is a pure function of its text, voice and stream', () => {
  const voice = sampleVoice('MTST0', 'M', 2, new Rng(1), variation);
  const a = synthesizeUtterance(text(3), voice, new Rng(7), knobs);
  const b = synthesizeUtterance(text(3), voice, new Rng(7), knobs);
  assert.deepEqual(a.samples, b.samples);
  assert.deepEqual(a.phones, b.phones);
  const c = synthesizeUtterance(text(3), voice, new Rng(8), knobs);
  assert.notDeepEqual(a.samples, c.samples);
  const other = sampleVoice('MTST1', 'M', 2, new Rng(2), variation);
  assert.notDeepEqual(a.samples, synthesizeUtterance(text(3), other, new Rng(7), knobs).samples);
});

test('speaker sampling: sexes differ in F0 and formant scale, and zero variation gives one voice per sex', () => {
  const men = Array.from({ length: 200 }, (_, i) => sampleVoice('M', 'M', 1, new Rng(i), variation));
  const women = Array.from({ length: 200 }, (_, i) => sampleVoice('F', 'F', 1, new Rng(1000 + i), variation));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(men.map((v) => v.f0Hz)) > 105 && mean(men.map((v) => v.f0Hz)) < 135);
  assert.ok(mean(women.map((v) => v.f0Hz)) > 185 && mean(women.map((v) => v.f0Hz)) < 225);
  const flat = { speakerVariation: 0, f0Range: 1, spectralTilt: 0, channel: 0 };
  const a = sampleVoice('X', 'M', 1, new Rng(1), flat);
  const b = sampleVoice('X', 'M', 1, new Rng(2), flat);
  for (const k of ['f0Hz', 'formantScale', 'rate', 'openQuotient', 'tilt', 'breathinessDb'] as const) assert.equal(a[k], b[k], k);
  assert.deepEqual(a.formantBias, b.formantBias);
});
