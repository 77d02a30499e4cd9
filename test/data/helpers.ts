/** Small corpora built in code for the data tests: TIMIT-layout trees in SPHERE or RIFF. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSegments, formatTranscript, writeRiffWav, writeSphere, type Segment } from '../../src/data/timit/format.js';
import { Rng } from '../../src/util/rng.js';

export function tempDir(prefix = 'mohaq-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TinyUtterance {
  part: 'TRAIN' | 'TEST';
  dialect: string;
  speaker: string;
  sentence: string;
  /** Phone labels (61 set) with durations in samples. */
  phones: Array<[string, number]>;
  riff?: boolean;
}

/** A tone per phone (frequency from the label) plus a little noise, so features differ by phone. */
export function synthesize(phones: Array<[string, number]>, rng: Rng): { samples: Int16Array; segments: Segment[] } {
  const total = phones.reduce((s, [, n]) => s + n, 0);
  const samples = new Int16Array(total);
  const segments: Segment[] = [];
  let pos = 0;
  for (const [label, n] of phones) {
    let h = 0;
    for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) % 997;
    const freq = 200 + (h % 40) * 90;
    for (let i = 0; i < n; i++) samples[pos + i] = Math.round(4000 * Math.sin((2 * Math.PI * freq * (pos + i)) / 16000) + 200 * rng.normal());
    segments.push({ start: pos, end: pos + n, label });
    pos += n;
  }
  return { samples, segments };
}

/** Writes a TIMIT-layout tree; returns its root. */
export function writeTinyTimit(root: string, utts: readonly TinyUtterance[], seed = 1): string {
  const rng = new Rng(seed);
  for (const u of utts) {
    const dir = join(root, u.part, u.dialect, u.speaker);
    mkdirSync(dir, { recursive: true });
    const { samples, segments } = synthesize(u.phones, rng.fork(`${u.speaker}_${u.sentence}`));
    const audio = { sampleRate: 16000, samples };
    writeFileSync(join(dir, `${u.sentence}.WAV`), u.riff ? writeRiffWav(audio) : writeSphere(audio, { speaker_id: u.speaker.slice(1) }));
    writeFileSync(join(dir, `${u.sentence}.PHN`), formatSegments(segments));
    writeFileSync(join(dir, `${u.sentence}.TXT`), formatTranscript(0, samples.length, 'a tiny sentence.'));
    writeFileSync(join(dir, `${u.sentence}.WRD`), formatSegments([{ start: 0, end: samples.length, label: 'tiny' }]));
  }
  return root;
}

const PHONE_SETS: Array<Array<[string, number]>> = [
  [['h#', 2400], ['sh', 1500], ['iy', 1800], ['hv', 900], ['ae', 2200], ['dcl', 600], ['d', 400], ['h#', 2000]],
  [['h#', 2000], ['q', 500], ['ix', 1300], ['n', 1100], ['ao', 2000], ['l', 1200], ['pau', 1600], ['h#', 1900]],
  [['h#', 1900], ['k', 700], ['ah', 1500], ['m', 1400], ['s', 2000], ['ux', 1300], ['epi', 500], ['h#', 1800]],
];

/** A tree with train speakers, two dev and one test speaker (override lists in mohaq-splits.json). */
export function standardTinyTimit(root: string, opts: { riff?: boolean; splitsFile?: boolean } = {}): string {
  const utts: TinyUtterance[] = [];
  const add = (part: 'TRAIN' | 'TEST', dialect: string, speaker: string, sentences: string[]) => {
    sentences.forEach((sentence, i) => utts.push({ part, dialect, speaker, sentence, phones: PHONE_SETS[(i + speaker.length) % PHONE_SETS.length]!, riff: opts.riff }));
  };
  add('TRAIN', 'DR1', 'FCJF0', ['SA1', 'SI1027', 'SX127']);
  add('TRAIN', 'DR2', 'MAEB0', ['SA2', 'SI1411', 'SX180']);
  add('TEST', 'DR1', 'FAKS0', ['SA1', 'SI1573', 'SX133']);
  add('TEST', 'DR4', 'FADG0', ['SI1279']);
  add('TEST', 'DR1', 'MDAB0', ['SI1039', 'SX229']);
  add('TEST', 'DR3', 'MXYZ0', ['SI1111']);
  writeTinyTimit(root, utts);
  if (opts.splitsFile) writeFileSync(join(root, 'mohaq-splits.json'), JSON.stringify({ dev: ['FAKS0'], test: ['MDAB0', 'MXYZ0'] }));
  return root;
}
