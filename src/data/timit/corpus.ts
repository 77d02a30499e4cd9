/**
 * A TIMIT corpus on disk in its own layout: `TRAIN|TEST/DR<n>/<SPEAKER>/<SENTENCE>.WAV|.PHN|.TXT|.WRD`
 * (any letter case; audio as NIST SPHERE or RIFF WAV, also the `X.WAV.wav` names of converted copies),
 * and the frame labels derived from its .PHN files.
 *
 * Utterance ids are `<SPEAKER>_<SENTENCE>` upper-cased (`FADG0_SI1279`), as Kaldi's recipe names them
 * (Kaldi lower-cases them).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { invalidFile, notFound } from '../../util/errors.js';
import { MAP61TO48, PHONE48_INDEX } from '../phones.js';
import type { Segment } from './format.js';
import { loadSpeakerSplits, type SpeakerSplits } from './splits.js';

export type TimitPart = 'TRAIN' | 'TEST';
export type SplitName = 'train' | 'dev' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'dev', 'test'];

export interface TimitUtterance {
  id: string;
  speaker: string;
  /** Dialect region folder, e.g. `DR4`. */
  dialect: string;
  /** Sentence id, e.g. `SI1279`; its prefix SA/SI/SX is the sentence type. */
  sentence: string;
  part: TimitPart;
  audioPath: string;
  phnPath: string;
  txtPath: string | null;
  wrdPath: string | null;
}

export interface TimitCorpus {
  /** The directory that holds TRAIN/ and TEST/. */
  root: string;
  utterances: TimitUtterance[];
  splits: SpeakerSplits;
}

function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function childDir(dir: string, name: string): string | null {
  const hit = listDir(dir).find((n) => n.toUpperCase() === name && isDir(join(dir, n)));
  return hit ? join(dir, hit) : null;
}

/** The folder holding TRAIN/ and TEST/: `dir` itself, or a single level below it (`timit/TIMIT/TRAIN`). */
export function findTimitRoot(dir: string): string | null {
  if (!isDir(dir)) return null;
  if (childDir(dir, 'TRAIN') || childDir(dir, 'TEST')) return dir;
  for (const name of listDir(dir)) {
    const sub = join(dir, name);
    if (isDir(sub) && (childDir(sub, 'TRAIN') || childDir(sub, 'TEST'))) return sub;
  }
  return null;
}

/** Finds every utterance that has both audio and a .PHN file. `includeSA` keeps the SA sentences. */
export function scanTimit(dir: string, opts: { includeSA?: boolean } = {}): TimitCorpus {
  const root = findTimitRoot(dir);
  if (!root) throw notFound('TIMIT corpus', `${dir} has no TRAIN/ or TEST/ folder (expected TRAIN|TEST/DR*/SPEAKER/*.WAV with .PHN)`);
  const utterances: TimitUtterance[] = [];
  for (const part of ['TRAIN', 'TEST'] as const) {
    const partDir = childDir(root, part);
    if (!partDir) continue;
    for (const dr of listDir(partDir)) {
      const drDir = join(partDir, dr);
      if (!isDir(drDir) || !/^dr\d+$/i.test(dr)) continue;
      for (const spk of listDir(drDir)) {
        const spkDir = join(drDir, spk);
        if (!isDir(spkDir)) continue;
        // Group files by sentence: SI1279.WAV, si1279.wav, SI1279.WAV.wav, SI1279.PHN, ...
        const files = new Map<string, Map<string, string>>();
        for (const f of listDir(spkDir)) {
          const m = /^([^.]+)\.(.+)$/.exec(f);
          if (!m) continue;
          const sentence = m[1]!.toUpperCase();
          const ext = m[2]!.toUpperCase();
          if (!files.has(sentence)) files.set(sentence, new Map());
          files.get(sentence)!.set(ext, join(spkDir, f));
        }
        for (const [sentence, exts] of files) {
          const phn = exts.get('PHN');
          const audio = exts.get('WAV') ?? exts.get('WAV.WAV') ?? exts.get('RIFF.WAV') ?? exts.get('SPH');
          if (!phn || !audio) continue;
          if (!opts.includeSA && sentence.startsWith('SA')) continue;
          const speaker = spk.toUpperCase();
          utterances.push({
            id: `${speaker}_${sentence}`,
            speaker,
            dialect: dr.toUpperCase(),
            sentence,
            part,
            audioPath: audio,
            phnPath: phn,
            txtPath: exts.get('TXT') ?? null,
            wrdPath: exts.get('WRD') ?? null,
          });
        }
      }
    }
  }
  if (utterances.length === 0) throw notFound('TIMIT utterances', `${root} has no DR*/SPEAKER/ folder with both a .WAV and a .PHN file`);
  return { root, utterances, splits: loadSpeakerSplits(root) };
}

/**
 * The utterances of each standard split: train = TRAIN/ (SA only if scanned with includeSA); dev and
 * test = TEST/ speakers of the dev and core-test lists, never SA. Speakers of TEST/ in neither list
 * (the rest of the complete test set) are not used, as in Kaldi.
 */
export function timitSplits(corpus: TimitCorpus): Record<SplitName, TimitUtterance[]> {
  const dev = new Set(corpus.splits.dev);
  const test = new Set(corpus.splits.test);
  const out: Record<SplitName, TimitUtterance[]> = { train: [], dev: [], test: [] };
  for (const u of corpus.utterances) {
    if (u.part === 'TRAIN') out.train.push(u);
    else if (u.sentence.startsWith('SA')) continue;
    else if (dev.has(u.speaker)) out.dev.push(u);
    else if (test.has(u.speaker)) out.test.push(u);
  }
  for (const k of SPLIT_NAMES) out[k].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}

/** 48-phone index of a 61-set label; throws naming the file and utterance for an unknown label. */
function index48(label: string, file: string, utt: string): number | null {
  const p = label.toLowerCase();
  if (!MAP61TO48.has(p)) throw invalidFile(file, `utterance "${utt}": unknown phone ${JSON.stringify(label)} (expected one of the 61 TIMIT phones)`);
  const p48 = MAP61TO48.get(p)!;
  return p48 === null ? null : PHONE48_INDEX.get(p48)!;
}

/**
 * The reference phone sequence (48-phone indices) of a .PHN transcription, as Kaldi's TIMIT recipe
 * prepares its `text`: the 61 labels in order, `q` deleted, folded to 48 (no merging of repeats).
 */
export function referencePhones(segments: readonly Segment[], file = 'PHN file', utt = '?'): Int32Array {
  const out: number[] = [];
  for (const s of segments) {
    const k = index48(s.label, file, utt);
    if (k !== null) out.push(k);
  }
  return Int32Array.from(out);
}

/**
 * Frame labels (48-phone indices) by the frame-centre rule: frame i covers samples
 * [start_i, start_i + length) with start_i = i * shift (snip-edges), and takes the label of the segment
 * that contains its centre sample start_i + floor(length / 2) (at 16 kHz: i*160 + 200). A `q` segment
 * has no 48-phone class: its first half goes to the segment before it and its second half to the one
 * after. A centre before the first segment or after the last takes the nearest segment's label, and a
 * centre inside a gap between two segments takes the nearer of the two.
 */
export function frameLabels(
  segments: readonly Segment[],
  frames: number,
  geometry: { length: number; shift: number; snipEdges?: boolean },
  file = 'PHN file',
  utt = '?',
): Int32Array {
  // Resolve q by splitting its span between its neighbours.
  const segs: Array<{ start: number; end: number; label: number }> = [];
  const raw = segments.map((s) => ({ start: s.start, end: s.end, label: index48(s.label, file, utt) }));
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i]!;
    if (s.label !== null) {
      segs.push({ start: s.start, end: s.end, label: s.label });
      continue;
    }
    const mid = Math.floor((s.start + s.end) / 2);
    const prev = segs[segs.length - 1];
    const next = raw.slice(i + 1).find((r) => r.label !== null);
    if (prev && prev.end >= s.start) prev.end = next ? mid : s.end;
    if (next) next.start = Math.min(next.start, prev ? mid : s.start);
  }
  if (segs.length === 0) throw invalidFile(file, `utterance "${utt}": no phone segments (after removing q)`);
  for (let i = 1; i < segs.length; i++) {
    if (segs[i]!.start < segs[i - 1]!.start) throw invalidFile(file, `utterance "${utt}": segment ${i + 1} starts at ${segs[i]!.start}, before the previous one (${segs[i - 1]!.start})`);
  }
  const labels = new Int32Array(frames);
  const half = Math.floor(geometry.length / 2);
  let k = 0;
  for (let f = 0; f < frames; f++) {
    const start = geometry.snipEdges === false ? f * geometry.shift + Math.floor(geometry.shift / 2) - half : f * geometry.shift;
    const c = start + half;
    while (k < segs.length - 1 && c >= segs[k]!.end) k++;
    const s = segs[k]!;
    if (c < s.start && k > 0) {
      // In a gap: the nearer neighbour.
      const p = segs[k - 1]!;
      labels[f] = c - p.end < s.start - c ? p.label : s.label;
    } else {
      labels[f] = s.label;
    }
  }
  return labels;
}
