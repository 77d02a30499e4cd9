/**
 * The built-in corpus synthesizer: per-utterance synthesis speed on one thread, the whole default
 * corpus (1500 train / 250 dev / 250 test + SA sentences, written to disk) on all cores (target:
 * <= 60 s on the 2-core reference machine), and a labelled spectrogram PNG.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/util/rng.js';
import { loadLexicon } from '../src/data/synth/lexicon.js';
import { SentenceGrammar } from '../src/data/synth/sentences.js';
import { sampleVoice } from '../src/data/synth/voice.js';
import { synthesizeUtterance, type UtteranceText } from '../src/data/synth/utterance.js';
import { synthesizeCorpus } from '../src/data/synth/corpus.js';
import { spectrogramPng } from '../src/data/synth/spectrogram.js';
import { measure, report } from './harness.js';

const lexicon = await loadLexicon();
const grammar = new SentenceGrammar(lexicon);
const texts: UtteranceText[] = Array.from({ length: 40 }, (_, i) => {
  const sentence = grammar.sentence(new Rng(i));
  return { sentence, pronunciations: sentence.words.map((w) => lexicon.pronounce(w)) };
});
const voices = texts.map((_, i) => sampleVoice(`MBEN${i % 10}`, i % 3 ? 'M' : 'F', 1 + (i % 8), new Rng(1000 + i), { speakerVariation: 1, f0Range: 1, spectralTilt: 1, channel: 1 }));
const knobs = { snrDb: 20, snrSpreadDb: 5, coarticulation: 1, tokenVariation: 1, rateVariation: 1, f0Range: 1 };
let audioSeconds = 0;
const batch = () => {
  audioSeconds = 0;
  texts.forEach((t, i) => {
    audioSeconds += synthesizeUtterance(t, voices[i]!, new Rng(i), knobs).samples.length / 16000;
  });
};
batch();
const rows = [await measure(`40 utterances (${audioSeconds.toFixed(0)} s of audio), one thread`, batch, { repeats: 5, work: { amount: audioSeconds, unit: 'x real time' } })];

const one = synthesizeUtterance(texts[0]!, voices[0]!, new Rng(0), knobs);
rows.push(await measure(`spectrogram PNG of a ${(one.samples.length / 16000).toFixed(1)} s utterance`, () => spectrogramPng({ sampleRate: 16000, samples: one.samples }, { phones: one.phones, words: one.words }), { repeats: 5 }));

const dir = mkdtempSync(join(tmpdir(), 'mohaq-bench-synth-'));
const workers = availableParallelism();
let seconds = 0;
rows.push(
  await measure(
    `default corpus (1500/250/250 + SA) to disk, ${workers} workers`,
    async () => {
      seconds = (await synthesizeCorpus(join(dir, 'corpus'), { workers }, { overwrite: true })).seconds;
    },
    { warmup: 0, repeats: 3, target: '<= 60 s on 2 cores' },
  ),
);
rmSync(dir, { recursive: true, force: true });
report(`corpus synthesizer (default corpus: ${(seconds / 3600).toFixed(2)} h of audio)`, rows);
