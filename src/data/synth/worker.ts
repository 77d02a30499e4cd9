/**
 * One task of corpus synthesis: all utterances of one speaker, written as TIMIT files into the
 * speaker's folder. Runs in a worker thread (piscina calls the default export) or in-process; the
 * bytes it writes depend only on the task, never on the thread.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../util/rng.js';
import { formatSegments, formatTranscript, writeSphere } from '../timit/format.js';
import type { ResolvedSynthOptions } from './options.js';
import type { PlannedSpeaker } from './plan.js';
import { synthesizeUtterance } from './utterance.js';

export interface SpeakerTask {
  /** Directory the corpus is being written to (the staging folder). */
  root: string;
  speaker: PlannedSpeaker;
  options: ResolvedSynthOptions;
}

export interface UtteranceResult {
  id: string;
  samples: number;
  snrDb: number;
  phoneCounts: Record<string, number>;
}

export interface SpeakerResult {
  speaker: string;
  utterances: UtteranceResult[];
}

/** The utterance's random stream: a function of the seed, the speaker and the sentence id only. */
export function utteranceRng(seed: number, speaker: string, id: string): Rng {
  return new Rng(seed).fork(`utterance:${speaker}/${id}`);
}

export function synthesizeSpeaker(task: SpeakerTask): SpeakerResult {
  const { speaker, options } = task;
  const dir = join(task.root, speaker.dir);
  mkdirSync(dir, { recursive: true });
  const results: UtteranceResult[] = [];
  for (const u of speaker.utterances) {
    const out = synthesizeUtterance(u, speaker.voice, utteranceRng(options.seed, speaker.voice.id, u.id), options);
    const base = join(dir, u.id);
    writeFileSync(
      `${base}.WAV`,
      writeSphere(
        { sampleRate: out.sampleRate, samples: out.samples },
        { utterance_id: `${speaker.voice.id.slice(1).toLowerCase()}_${u.id.toLowerCase()}`, speaker_id: speaker.voice.id, synthesizer: 'mohaq-synth' },
      ),
    );
    writeFileSync(`${base}.PHN`, formatSegments(out.phones));
    writeFileSync(`${base}.WRD`, formatSegments(out.words));
    writeFileSync(`${base}.TXT`, formatTranscript(0, out.samples.length, u.sentence.text));
    const phoneCounts: Record<string, number> = {};
    for (const p of out.phones) phoneCounts[p.label] = (phoneCounts[p.label] ?? 0) + 1;
    results.push({ id: u.id, samples: out.samples.length, snrDb: out.snrDb, phoneCounts });
  }
  return { speaker: speaker.voice.id, utterances: results };
}

export default synthesizeSpeaker;
