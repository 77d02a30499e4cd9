/**
 * The plan of a synthetic corpus, laid out like TIMIT: speakers under TRAIN/ and TEST/ in dialect
 * regions DR1..DR8 (about 70 % men); each speaker reads up to 8 sentences (5 SX sentences, each read by
 * about 7 speakers, and 3 SI sentences read by one speaker only), plus, optionally, the two SA sentences
 * every speaker reads. TEST speakers split into dev and core-test lists; SX sentences of TRAIN and TEST
 * are disjoint, as in TIMIT. Every choice derives from the seed by labelled streams, so one utterance's
 * text and voice do not depend on which worker synthesizes it.
 */
import { Rng } from '../../util/rng.js';
import type { Lexicon, Pronunciations } from './lexicon.js';
import type { ResolvedSynthOptions } from './options.js';
import { SentenceGrammar, type Sentence } from './sentences.js';
import { sampleVoice, speakerId, type Sex, type Voice } from './voice.js';

export type CorpusSplit = 'train' | 'dev' | 'test';

export interface PlannedUtterance {
  /** Sentence id as in TIMIT: SA1, SA2, SX<n>, SI<n>. */
  id: string;
  sentence: Sentence;
  pronunciations: Pronunciations[];
}

export interface PlannedSpeaker {
  voice: Voice;
  part: 'TRAIN' | 'TEST';
  split: CorpusSplit;
  /** Relative folder, e.g. `TRAIN/DR3/MABC0`. */
  dir: string;
  utterances: PlannedUtterance[];
}

export interface CorpusPlan {
  speakers: PlannedSpeaker[];
  /** Every distinct prompt by sentence id (for DOC/PROMPTS.TXT). */
  prompts: Map<string, Sentence>;
}

/** Sentences a speaker reads besides SA: 5 SX + 3 SI, as in TIMIT. */
export const SX_PER_SPEAKER = 5;
export const SI_PER_SPEAKER = 3;
export const READ_PER_SPEAKER = SX_PER_SPEAKER + SI_PER_SPEAKER;
/** Each SX sentence is read by about this many speakers (TIMIT: 7). */
const READERS_PER_SX = 7;
/** TIMIT's TRAIN speakers per dialect region (38, 76, 76, 68, 70, 35, 77, 22 of 462). */
const TRAIN_DIALECT_WEIGHTS = [38, 76, 76, 68, 70, 35, 77, 22];
const MALE_SHARE = 0.7;

export function planCorpus(o: ResolvedSynthOptions, lexicon: Lexicon): CorpusPlan {
  const root = new Rng(o.seed);
  const grammar = new SentenceGrammar(lexicon);
  const prompts = new Map<string, Sentence>();
  const sentence = (id: string): Sentence => {
    let s = prompts.get(id);
    if (!s) {
      s = grammar.sentence(root.fork(`sentence:${id}`));
      prompts.set(id, s);
    }
    return s;
  };
  const utterance = (id: string): PlannedUtterance => {
    const s = sentence(id);
    return { id, sentence: s, pronunciations: s.words.map((w) => lexicon.pronounce(w)) };
  };

  const speakerCount = (n: number) => Math.ceil(n / READ_PER_SPEAKER);
  const splits: Array<{ split: CorpusSplit; part: 'TRAIN' | 'TEST'; utterances: number }> = [
    { split: 'train', part: 'TRAIN', utterances: o.train },
    { split: 'dev', part: 'TEST', utterances: o.dev },
    { split: 'test', part: 'TEST', utterances: o.test },
  ];
  // SX pools: one for TRAIN, one for TEST (dev + test speakers), numbered like TIMIT from SX3 on.
  const trainSpeakers = speakerCount(o.train);
  const testSpeakers = speakerCount(o.dev) + speakerCount(o.test);
  const poolSize = (speakers: number) => (speakers ? Math.max(SX_PER_SPEAKER, Math.ceil((speakers * SX_PER_SPEAKER) / READERS_PER_SX)) : 0);
  const sxBase = { TRAIN: 3, TEST: 3 + poolSize(trainSpeakers) };
  const sxPool = { TRAIN: poolSize(trainSpeakers), TEST: poolSize(testSpeakers) };
  let nextSi = 3 + sxPool.TRAIN + sxPool.TEST;

  const taken = new Set<string>();
  const speakers: PlannedSpeaker[] = [];
  const indexInPart = { TRAIN: 0, TEST: 0 };
  for (const { split, part, utterances } of splits) {
    const n = speakerCount(utterances);
    const rng = root.fork(`speakers:${split}`);
    const sexes = assignSexes(n, rng);
    const dialects = split === 'train' ? weightedDialects(n, rng) : balancedDialects(n, rng);
    let remaining = utterances;
    for (let k = 0; k < n; k++) {
      const sex = sexes[k]!;
      const dialect = dialects[k]!;
      const id = speakerId(sex, rng, taken);
      const voice = sampleVoice(id, sex, dialect, root.fork(`voice:${id}`), o);
      const j = indexInPart[part]++;
      const reads: PlannedUtterance[] = [];
      if (o.saSentences) reads.push(utterance('SA1'), utterance('SA2'));
      const own: PlannedUtterance[] = [];
      for (let i = 0; i < SX_PER_SPEAKER; i++) own.push(utterance(`SX${sxBase[part] + ((j * SX_PER_SPEAKER + i) % sxPool[part])}`));
      for (let i = 0; i < SI_PER_SPEAKER; i++) own.push(utterance(`SI${nextSi++}`));
      const count = Math.min(READ_PER_SPEAKER, remaining);
      remaining -= count;
      reads.push(...own.slice(0, count));
      speakers.push({ voice, part, split, dir: `${part}/DR${dialect}/${id}`, utterances: reads });
    }
  }
  return { speakers, prompts };
}

/** About 70 % men, at least one speaker of each sex when there are two or more, in random order. */
function assignSexes(n: number, rng: Rng): Sex[] {
  let women = Math.round((1 - MALE_SHARE) * n);
  if (n >= 2) women = Math.min(n - 1, Math.max(1, women));
  const sexes: Sex[] = Array.from({ length: n }, (_, i) => (i < women ? 'F' : 'M'));
  return rng.shuffle(sexes);
}

/** TRAIN: regions in TIMIT's proportions (largest remainder), shuffled. */
function weightedDialects(n: number, rng: Rng): number[] {
  const total = TRAIN_DIALECT_WEIGHTS.reduce((a, b) => a + b, 0);
  const exact = TRAIN_DIALECT_WEIGHTS.map((w) => (w * n) / total);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < n; k++) counts[order[k]![1]]!++;
  return rng.shuffle(counts.flatMap((c, i) => Array.from({ length: c }, () => i + 1)));
}

/** TEST: regions round-robin (TIMIT's core test has three speakers per region), shuffled. */
function balancedDialects(n: number, rng: Rng): number[] {
  return rng.shuffle(Array.from({ length: n }, (_, i) => 1 + (i % 8)));
}
