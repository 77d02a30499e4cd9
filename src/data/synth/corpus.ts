/**
 * Writes a synthetic speech corpus in TIMIT's layout:
 *
 *   <out>/TRAIN/DR<n>/<SPEAKER>/{SA1,SA2,SX<n>,SI<n>}.{WAV,PHN,WRD,TXT}
 *   <out>/TEST/DR<n>/<SPEAKER>/...         dev and core-test speakers
 *   <out>/mohaq-splits.json                { "dev": [...], "test": [...] } speaker ids of TEST/
 *   <out>/mohaq-synth.json                 how it was made: options, counts, speakers
 *   <out>/DOC/PROMPTS.TXT, DOC/SPKRINFO.TXT
 *
 * The corpus is built in a staging folder next to `<out>` and renamed into place at the end, so a
 * stopped run never leaves a half corpus behind. Speakers are synthesized in parallel worker threads;
 * the output is byte-identical for any number of workers and on any machine with the same Node.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { MohaqError, invalidParameter } from '../../util/errors.js';
import { silentProgress, type Progress } from '../../util/progress.js';
import { VERSION } from '../../util/version.js';
import { siblingModule, workerEntry } from '../../util/workers.js';
import { SPLITS_FILE } from '../timit/splits.js';
import { loadLexicon } from './lexicon.js';
import { DIFFICULTY_KNOBS, resolveSynthOptions, type ResolvedSynthOptions, type SynthOptions } from './options.js';
import { planCorpus, type CorpusPlan, type CorpusSplit } from './plan.js';
import { SAMPLE_RATE } from './prosody.js';
import { synthesizeSpeaker, type SpeakerResult, type SpeakerTask } from './worker.js';

export const MANIFEST_FILE = 'mohaq-synth.json';

export interface SynthCorpusSummary {
  outDir: string;
  seed: number;
  speakers: Record<CorpusSplit, number>;
  /** Utterances per split, SA sentences not counted; `sa` counts those. */
  utterances: Record<CorpusSplit | 'sa', number>;
  /** Total audio, seconds. */
  seconds: number;
  /** Wall time of the run, seconds (not part of the corpus). */
  elapsedSec: number;
  workers: number;
}

export interface SynthRunOptions {
  /** Replace an existing corpus made by this synthesizer (a folder with mohaq-synth.json). */
  overwrite?: boolean;
  progress?: Progress;
}

export async function synthesizeCorpus(outDir: string, options: SynthOptions = {}, run: SynthRunOptions = {}): Promise<SynthCorpusSummary> {
  const t0 = performance.now();
  const o = resolveSynthOptions(options, availableParallelism());
  const out = resolve(outDir);
  checkTarget(out, run.overwrite ?? false);
  const progress = run.progress ?? silentProgress;

  const plan = planCorpus(o, await loadLexicon());
  const staging = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const total = plan.speakers.reduce((n, s) => n + s.utterances.length, 0);
    progress.start(total, 'synthesize corpus', { speakers: plan.speakers.length });
    const results = await synthesizeAll(plan, o, staging, progress);
    progress.stop();
    writeMetadata(staging, plan, o, results);
    if (existsSync(out)) {
      const old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
      renameSync(out, old);
      renameSync(staging, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, out);
    }
    return summarize(out, plan, o, results, (performance.now() - t0) / 1000);
  } catch (e) {
    progress.stop();
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Refuses to write into a folder that holds anything but a previous synthetic corpus (and that only with overwrite). */
function checkTarget(out: string, overwrite: boolean): void {
  if (!existsSync(out)) return;
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch {
    throw invalidParameter('--out', 'a folder (or a path that does not exist yet)', out);
  }
  if (entries.length === 0) {
    rmSync(out, { recursive: true });
    return;
  }
  if (!entries.includes(MANIFEST_FILE)) {
    throw new MohaqError('INVALID_ARGUMENT', `${out} is not empty and is not a corpus made by mohaq corpus synth (no ${MANIFEST_FILE}); choose an empty or new folder`);
  }
  if (!overwrite) throw new MohaqError('INVALID_ARGUMENT', `${out} already holds a synthetic corpus (${MANIFEST_FILE}); replace it with --force (API: overwrite: true)`);
}

async function synthesizeAll(plan: CorpusPlan, o: ResolvedSynthOptions, root: string, progress: Progress): Promise<SpeakerResult[]> {
  const tasks: SpeakerTask[] = plan.speakers.map((speaker) => ({ root, speaker, options: o }));
  let done = 0;
  const finished = (r: SpeakerResult) => {
    done += r.utterances.length;
    progress.update(done);
    return r;
  };
  if (o.workers === 1 || tasks.length === 1) return tasks.map((t) => finished(synthesizeSpeaker(t)));
  const { filename, argv } = workerEntry(siblingModule(import.meta.url, 'worker'));
  const threads = Math.min(o.workers, tasks.length);
  const pool = new Piscina({ filename: filename.href, argv, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  try {
    return await Promise.all(tasks.map((t) => (pool.run(t) as Promise<SpeakerResult>).then(finished)));
  } finally {
    await pool.destroy();
  }
}

function writeMetadata(root: string, plan: CorpusPlan, o: ResolvedSynthOptions, results: SpeakerResult[]): void {
  const bySpeaker = new Map(results.map((r) => [r.speaker, r]));
  const ids = (split: CorpusSplit) => plan.speakers.filter((s) => s.split === split).map((s) => s.voice.id).sort();
  writeFileSync(join(root, SPLITS_FILE), `${JSON.stringify({ dev: ids('dev'), test: ids('test') }, null, 2)}\n`);

  const phoneCounts: Record<string, number> = {};
  let samples = 0;
  for (const r of results) {
    for (const u of r.utterances) {
      samples += u.samples;
      for (const [k, n] of Object.entries(u.phoneCounts)) phoneCounts[k] = (phoneCounts[k] ?? 0) + n;
    }
  }
  const manifest = {
    format: 'mohaq-synth',
    version: 1,
    generator: `mohaq ${VERSION}`,
    seed: o.seed,
    options: {
      train: o.train,
      dev: o.dev,
      test: o.test,
      saSentences: o.saSentences,
      ...Object.fromEntries(DIFFICULTY_KNOBS.map((k) => [k, o[k]])),
      phonology: o.phonology,
    },
    sampleRate: SAMPLE_RATE,
    seconds: round(samples / SAMPLE_RATE, 2),
    phoneCounts: Object.fromEntries(Object.entries(phoneCounts).sort(([a], [b]) => (a < b ? -1 : 1))),
    speakers: plan.speakers.map((s) => ({
      id: s.voice.id,
      split: s.split,
      dir: s.dir,
      utterances: (bySpeaker.get(s.voice.id)?.utterances ?? []).map((u) => ({ id: u.id, samples: u.samples, snrDb: round(u.snrDb, 2) })),
      voice: roundDeep(s.voice),
    })),
  };
  writeFileSync(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);

  mkdirSync(join(root, 'DOC'), { recursive: true });
  const prompts = [...plan.prompts.entries()].sort(([a], [b]) => sentenceOrder(a) - sentenceOrder(b));
  writeFileSync(
    join(root, 'DOC', 'PROMPTS.TXT'),
    `; Sentence prompts of this synthetic corpus (mohaq corpus synth, seed ${o.seed}), as TIMIT's PROMPTS.TXT:\n; the prompt, then its sentence id in parentheses.\n;\n${prompts.map(([id, s]) => `${s.text} (${id.toLowerCase()})`).join('\n')}\n`,
  );
  const info = plan.speakers.map((s) => {
    const v = s.voice;
    return [v.id.slice(1), v.sex, String(v.dialect), s.split === 'train' ? 'TRN' : 'TST', s.split.toUpperCase().padEnd(5), v.f0Hz.toFixed(0).padStart(4), v.formantScale.toFixed(3), v.rate.toFixed(2)].join('  ');
  });
  writeFileSync(
    join(root, 'DOC', 'SPKRINFO.TXT'),
    `; Speakers of this synthetic corpus (mohaq corpus synth, seed ${o.seed}); columns after TIMIT's SPKRINFO.TXT,\n; then the synthetic voice: split, mean F0 (Hz), formant scale (vocal tract), rate (duration factor).\n;\n; ID  Sex  DR  Use  Split  F0    Scale  Rate\n${info.join('\n')}\n`,
  );
}

/** SA1, SA2, then SX and SI by number (TIMIT's order). */
function sentenceOrder(id: string): number {
  const n = Number(id.slice(2));
  return id.startsWith('SA') ? n : id.startsWith('SX') ? 1e6 + n : 2e6 + n;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function roundDeep<T>(value: T): T {
  if (typeof value === 'number') return round(value, 4) as T;
  if (Array.isArray(value)) return value.map(roundDeep) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)])) as T;
  return value;
}

function summarize(outDir: string, plan: CorpusPlan, o: ResolvedSynthOptions, results: SpeakerResult[], elapsedSec: number): SynthCorpusSummary {
  const speakers = { train: 0, dev: 0, test: 0 };
  const utterances = { train: 0, dev: 0, test: 0, sa: 0 };
  const split = new Map(plan.speakers.map((s) => [s.voice.id, s.split]));
  let samples = 0;
  for (const r of results) {
    const k = split.get(r.speaker)!;
    speakers[k]++;
    for (const u of r.utterances) {
      samples += u.samples;
      if (u.id.startsWith('SA')) utterances.sa++;
      else utterances[k]++;
    }
  }
  return { outDir, seed: o.seed, speakers, utterances, seconds: samples / SAMPLE_RATE, elapsedSec, workers: o.workers };
}
