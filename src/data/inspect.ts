/**
 * `mohaq data inspect`: what a data source holds — a TIMIT tree, a feature store, a Kaldi scp/ark
 * (features or alignments) or numpy files — in the same few figures: utterances, speakers, frames,
 * feature dimension, label set size, shortest and longest utterance.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { invalidFile, notFound } from '../util/errors.js';
import { FBANK_DEFAULTS, frameGeometry, numFrames } from './features/fbank.js';
import { readTable, tablePath } from './kaldi/scp.js';
import { parseUtt2spk } from './kaldi/tables.js';
import { readNumpyUtterances } from './numpy-utterances.js';
import { STORE_INDEX, readStoreIndex } from './store/store.js';
import { findTimitRoot, scanTimit, SPLIT_NAMES, timitSplits } from './timit/corpus.js';
import { parseSegments } from './timit/format.js';

export type SourceKind = 'timit' | 'feature-store' | 'kaldi-scp' | 'kaldi-ark' | 'npz' | 'npy';

export interface UtteranceLength {
  id: string;
  frames: number;
}

export interface InspectFigures {
  utterances: number;
  /** null when the source does not say (no utt2spk). */
  speakers: number | null;
  frames: number;
  /** Feature dimension; null for alignments and raw audio. */
  dim: number | null;
  /** Size of the label set (distinct labels, or the declared set); null without labels. */
  labels: number | null;
  shortest: UtteranceLength | null;
  longest: UtteranceLength | null;
}

export interface InspectReport extends InspectFigures {
  path: string;
  kind: SourceKind;
  /** Per split (feature store, TIMIT). */
  splits?: Record<string, InspectFigures>;
  /** Source-specific facts (object formats, sample rate, label kind, ...). */
  details: Record<string, unknown>;
}

class Tally {
  utterances = 0;
  frames = 0;
  shortest: UtteranceLength | null = null;
  longest: UtteranceLength | null = null;
  speakers = new Set<string>();
  add(id: string, frames: number, speaker?: string): void {
    this.utterances++;
    this.frames += frames;
    if (!this.shortest || frames < this.shortest.frames) this.shortest = { id, frames };
    if (!this.longest || frames > this.longest.frames) this.longest = { id, frames };
    if (speaker !== undefined) this.speakers.add(speaker);
  }
  figures(dim: number | null, labels: number | null, knowSpeakers = true): InspectFigures {
    return { utterances: this.utterances, speakers: knowSpeakers ? this.speakers.size : null, frames: this.frames, dim, labels, shortest: this.shortest, longest: this.longest };
  }
}

/** Number of samples from a SPHERE or RIFF header, reading only the header. */
function audioSamples(path: string): { samples: number; sampleRate: number } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, n).toString('latin1');
    if (text.startsWith('NIST_1A')) {
      const count = /sample_count -i (\d+)/.exec(text);
      const rate = /sample_rate -i (\d+)/.exec(text);
      const bytes = /sample_n_bytes -i (\d+)/.exec(text);
      const headerSize = Number(text.split('\n')[1]?.trim());
      const samples = count ? Number(count[1]) : Math.floor((statSync(path).size - headerSize) / Number(bytes?.[1] ?? 2));
      return { samples, sampleRate: Number(rate?.[1] ?? 16000) };
    }
    if (text.startsWith('RIFF')) {
      let off = 12;
      let rate = 16000;
      let blockAlign = 2;
      while (off + 8 <= n) {
        const id = text.slice(off, off + 4);
        const len = head.readUInt32LE(off + 4);
        if (id === 'fmt ') {
          rate = head.readUInt32LE(off + 12);
          blockAlign = head.readUInt16LE(off + 20);
        } else if (id === 'data') {
          return { samples: Math.floor(Math.min(len, statSync(path).size - off - 8) / blockAlign), sampleRate: rate };
        }
        off += 8 + len + (len & 1);
      }
      throw invalidFile(path, 'RIFF file has no data chunk in its first 4 KiB');
    }
    throw invalidFile(path, 'unknown audio format (expected NIST SPHERE "NIST_1A" or RIFF WAVE)');
  } finally {
    closeSync(fd);
  }
}

function inspectTimit(root: string): InspectReport {
  const corpus = scanTimit(root, { includeSA: true });
  const bySplit = timitSplits(scanTimit(root));
  const geometry = frameGeometry(FBANK_DEFAULTS, 16000);
  const phones = new Set<string>();
  const framesOf = new Map<string, number>();
  const all = new Tally();
  const rates = new Set<number>();
  let seconds = 0;
  for (const u of corpus.utterances) {
    const a = audioSamples(u.audioPath);
    rates.add(a.sampleRate);
    const g = a.sampleRate === 16000 ? geometry : frameGeometry(FBANK_DEFAULTS, a.sampleRate);
    const frames = numFrames(a.samples, g.length, g.shift);
    seconds += a.samples / a.sampleRate;
    framesOf.set(u.id, frames);
    all.add(u.id, frames, u.speaker);
    for (const s of parseSegments(readFileSync(u.phnPath, 'latin1'), u.phnPath)) phones.add(s.label.toLowerCase());
  }
  const splits: Record<string, InspectFigures> = {};
  for (const name of SPLIT_NAMES) {
    const t = new Tally();
    for (const u of bySplit[name]) t.add(u.id, framesOf.get(u.id)!, u.speaker);
    splits[name] = t.figures(null, null);
  }
  const sa = corpus.utterances.filter((u) => u.sentence.startsWith('SA')).length;
  return {
    path: corpus.root,
    kind: 'timit',
    ...all.figures(null, phones.size),
    splits,
    details: {
      audioSeconds: Math.round(seconds * 10) / 10,
      sampleRates: [...rates],
      saSentences: sa,
      labelsAre: 'distinct phone labels in the .PHN files (61-phone set)',
      phoneLabels: [...phones].sort(),
      speakerLists: corpus.splits.source,
      framesAre: 'Kaldi frames at 25 ms / 10 ms (snip-edges)',
      splitsExcludeSA: true,
    },
  };
}

function inspectStore(dir: string): InspectReport {
  const index = readStoreIndex(dir);
  const all = new Tally();
  const splits: Record<string, InspectFigures> = {};
  for (const [name, s] of Object.entries(index.splits)) {
    const t = new Tally();
    s.ids.forEach((id, i) => {
      t.add(id, s.frameCounts[i]!, s.speakers[i]);
      all.add(id, s.frameCounts[i]!, `${s.speakers[i]}`);
    });
    splits[name] = t.figures(index.dim, index.labels.numLabels);
  }
  return {
    path: dir,
    kind: 'feature-store',
    ...all.figures(index.dim, index.labels.numLabels),
    splits,
    details: { features: index.features, cmvn: index.cmvn, labelKind: index.labels.kind, source: index.source },
  };
}

function inspectKaldi(spec: string): InspectReport {
  const file = tablePath(spec);
  const utt2spkFile = join(dirname(resolve(file)), 'utt2spk');
  const utt2spk = existsSync(utt2spkFile) ? parseUtt2spk(readFileSync(utt2spkFile, 'utf8'), utt2spkFile) : null;
  const t = new Tally();
  const formats: Record<string, number> = {};
  const labelValues = new Set<number>();
  let dim: number | null = null;
  const kinds = new Set<string>();
  for (const { key, value } of readTable(spec)) {
    formats[value.format] = (formats[value.format] ?? 0) + 1;
    kinds.add(value.kind);
    let frames: number;
    if (value.kind === 'matrix') {
      if (dim !== null && value.cols !== dim) throw invalidFile(file, `utterance "${key}": ${value.cols} columns but earlier utterances have ${dim}`);
      dim = value.cols;
      frames = value.rows;
    } else if (value.kind === 'ints') {
      frames = value.data.length;
      for (const v of value.data) labelValues.add(v);
    } else {
      frames = value.data.length;
    }
    t.add(key, frames, utt2spk?.get(key));
  }
  const isAli = kinds.size === 1 && kinds.has('ints');
  return {
    path: file,
    kind: /\.scp$/i.test(file) || spec.startsWith('scp') ? 'kaldi-scp' : 'kaldi-ark',
    ...t.figures(dim, isAli ? labelValues.size : null, !!utt2spk),
    details: {
      objects: formats,
      contents: isAli ? 'alignments (integer vectors)' : [...kinds].join(', '),
      ...(isAli ? { largestLabel: Math.max(-1, ...labelValues) } : {}),
      speakersFrom: utt2spk ? utt2spkFile : 'unknown (no utt2spk next to the file)',
    },
  };
}

function inspectNumpy(path: string, labelsPath?: string): InspectReport {
  const src = readNumpyUtterances(path, labelsPath);
  const t = new Tally();
  const labels = new Set<number>();
  for (const u of src.utterances) {
    t.add(u.id, u.frames, u.id.split('_')[0]);
    if (u.labels) for (const l of u.labels) labels.add(l);
  }
  const hasLabels = src.utterances.some((u) => u.labels);
  return {
    path,
    kind: /\.npy$/i.test(path) ? 'npy' : 'npz',
    ...t.figures(src.dim, hasLabels ? labels.size : null, false),
    details: { layout: src.layout, ...(hasLabels ? { largestLabel: Math.max(...labels) } : {}) },
  };
}

/** Detects what `path` is and reports its figures. `labelsPath` is a separate numpy labels file. */
export function inspectSource(path: string, opts: { labels?: string } = {}): InspectReport {
  const file = tablePath(path);
  if (!existsSync(file)) throw notFound('data source', path);
  if (statSync(file).isDirectory()) {
    if (existsSync(join(file, STORE_INDEX))) return inspectStore(file);
    if (findTimitRoot(file)) return inspectTimit(file);
    if (existsSync(join(file, 'feats.scp'))) return inspectKaldi(join(file, 'feats.scp'));
    throw notFound('data source', `${path} is a directory but holds no ${STORE_INDEX} (feature store), TRAIN/TEST (TIMIT) or feats.scp (Kaldi data dir)`);
  }
  if (/\.(npz|npy)$/i.test(file)) return inspectNumpy(file, opts.labels);
  if (file.endsWith(STORE_INDEX)) return inspectStore(dirname(file));
  const head = readFileSync(file).subarray(0, 4);
  if (head[0] === 0x93 && head[1] === 0x4e) return inspectNumpy(file, opts.labels);
  if (head[0] === 0x50 && head[1] === 0x4b) return inspectNumpy(file, opts.labels);
  return inspectKaldi(path);
}

function lengthText(u: UtteranceLength | null): string {
  return u ? `${u.id} (${u.frames} frames)` : '-';
}

/** Human-readable report. */
export function formatInspectReport(r: InspectReport): string {
  const lines: string[] = [`${r.path}: ${r.kind}`];
  const figures = (f: InspectFigures, indent: string) => {
    lines.push(`${indent}utterances   ${f.utterances}`);
    lines.push(`${indent}speakers     ${f.speakers ?? 'unknown'}`);
    lines.push(`${indent}frames       ${f.frames}`);
    lines.push(`${indent}feature dim  ${f.dim ?? '-'}`);
    lines.push(`${indent}labels       ${f.labels ?? '-'}`);
    lines.push(`${indent}shortest     ${lengthText(f.shortest)}`);
    lines.push(`${indent}longest      ${lengthText(f.longest)}`);
  };
  figures(r, '  ');
  if (r.splits) {
    for (const [name, f] of Object.entries(r.splits)) {
      lines.push(`  split ${name}:`);
      figures(f, '    ');
    }
  }
  for (const [k, v] of Object.entries(r.details)) {
    if (k === 'phoneLabels') continue;
    lines.push(`  ${k}: ${typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)}`);
  }
  return `${lines.join('\n')}\n`;
}
