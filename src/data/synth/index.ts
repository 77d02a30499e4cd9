/**
 * The built-in speech corpus: a deterministic source-filter synthesizer that writes TIMIT's layout
 * (NIST SPHERE audio with exact .PHN / .WRD boundaries), and labelled spectrogram pictures.
 */
export { synthesizeCorpus, MANIFEST_FILE } from './corpus.js';
export type { SynthCorpusSummary, SynthRunOptions } from './corpus.js';
export { resolveSynthOptions, SYNTH_DEFAULTS, DIFFICULTY_KNOBS } from './options.js';
export type { SynthOptions, ResolvedSynthOptions } from './options.js';
export { planCorpus } from './plan.js';
export type { CorpusPlan, PlannedSpeaker, PlannedUtterance, CorpusSplit } from './plan.js';
export { synthesizeUtterance } from './utterance.js';
export type { SynthesizedUtterance, UtteranceText } from './utterance.js';
export { loadLexicon } from './lexicon.js';
export type { Lexicon, Pronunciations } from './lexicon.js';
export { SentenceGrammar } from './sentences.js';
export type { Sentence } from './sentences.js';
export { planPhones, choosePronunciations, DEFAULT_PHONOLOGY } from './phonology.js';
export type { PlannedPhone, PhonologyOptions } from './phonology.js';
export { sampleVoice } from './voice.js';
export type { Voice, Sex } from './voice.js';
export { SYNTH_PHONES, PHONE_SPECS } from './inventory.js';
export { spectrogramImage, spectrogramSvg, spectrogramPng, encodePng } from './spectrogram.js';
export type { SpectrogramOptions, GrayImage } from './spectrogram.js';
export { renderSpectrogramFile } from './spectrogram-file.js';
