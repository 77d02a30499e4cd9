import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { computeFbank } from '../../src/data/features/fbank.js';
import { readNpz } from '../../src/data/npy.js';
import { PHONE48_INDEX, PHONES48 } from '../../src/data/phones.js';
import { buildStoreFromTimit } from '../../src/data/store/build-timit.js';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { frameLabels, referencePhones, scanTimit, timitSplits } from '../../src/data/timit/corpus.js';
import { readAudio } from '../../src/data/timit/format.js';
import { standardTinyTimit, tempDir, writeTinyTimit } from './helpers.js';

const ix = (names: string) => names.split(' ').map((n) => PHONE48_INDEX.get(n)!);
const G = { length: 400, shift: 160 };

describe('frame labels (frame-centre rule)', () => {
  it('labels frame i by the segment holding sample i*160 + 200', () => {
    // Centres: 200, 360, 520, 680, 840. Boundaries at 361 and 680.
    const segs = [
      { start: 0, end: 361, label: 'h#' },
      { start: 361, end: 680, label: 'aa' },
      { start: 680, end: 1040, label: 'b' },
    ];
    assert.deepEqual(Array.from(frameLabels(segs, 5, G)), ix('sil sil aa b b'));
  });

  it('splits a q segment between its neighbours at its midpoint', () => {
    // q spans 300..700 (midpoint 500): centres 360 -> aa, 520 -> b.
    const segs = [
      { start: 0, end: 300, label: 'aa' },
      { start: 300, end: 700, label: 'q' },
      { start: 700, end: 1200, label: 'b' },
    ];
    assert.deepEqual(Array.from(frameLabels(segs, 5, G)), ix('aa aa b b b'));
    // q first: the next segment takes all of it.
    assert.deepEqual(Array.from(frameLabels([{ start: 0, end: 400, label: 'q' }, { start: 400, end: 900, label: 'ae' }], 3, G)), ix('ae ae ae'));
  });

  it('takes the nearest segment past the ends and inside gaps', () => {
    const segs = [
      { start: 250, end: 400, label: 'aa' },
      { start: 600, end: 700, label: 'b' },
    ];
    // centres 200 (before first) -> aa, 360 -> aa, 520 (gap 400..600, nearer to 600) -> b, 680 -> b, 840 (after last) -> b
    assert.deepEqual(Array.from(frameLabels(segs, 5, G)), ix('aa aa b b b'));
  });

  it('follows the frame centres of snip-edges=false', () => {
    // Frame i starts at i*160 + 80 - 200; its centre is i*160 + 80.
    const segs = [{ start: 0, end: 100, label: 'aa' }, { start: 100, end: 1000, label: 'b' }];
    assert.deepEqual(Array.from(frameLabels(segs, 3, { ...G, snipEdges: false })), ix('aa b b'));
  });

  it('names the file and the utterance for an unknown phone', () => {
    assert.throws(() => frameLabels([{ start: 0, end: 500, label: 'zz' }], 1, G, 'X.PHN', 'FADG0_SI1279'), /X\.PHN: utterance "FADG0_SI1279": unknown phone "zz"/);
  });

  it('makes reference phone sequences as Kaldi does: 48 set, q deleted, repeats kept', () => {
    const segs = ['h#', 'q', 'ix', 'dcl', 'd', 'pau', 'h#'].map((label, i) => ({ start: i * 100, end: i * 100 + 100, label }));
    assert.deepEqual(Array.from(referencePhones(segs)), ix('sil ix vcl d sil sil'));
  });
});

describe('TIMIT corpus and feature store', () => {
  let root = '';
  before(() => {
    root = standardTinyTimit(tempDir());
  });

  it('finds utterances in SPHERE and RIFF trees in any letter case', () => {
    const c = scanTimit(root, { includeSA: true });
    assert.equal(c.utterances.length, 13);
    assert.equal(scanTimit(root).utterances.length, 10, 'SA sentences are left out by default');
    const u = c.utterances.find((x) => x.id === 'FADG0_SI1279')!;
    assert.deepEqual([u.speaker, u.dialect, u.part, u.sentence], ['FADG0', 'DR4', 'TEST', 'SI1279']);
    // A RIFF copy with lower-case names and the X.WAV.wav naming of converted copies.
    const riff = tempDir();
    writeTinyTimit(riff, [{ part: 'TRAIN', dialect: 'DR1', speaker: 'FCJF0', sentence: 'SI1027', phones: [['h#', 800], ['aa', 800]], riff: true }]);
    renameSync(join(riff, 'TRAIN'), join(riff, 'train'));
    renameSync(join(riff, 'train/DR1/FCJF0/SI1027.WAV'), join(riff, 'train/DR1/FCJF0/si1027.WAV.wav'));
    const r = scanTimit(riff);
    assert.equal(r.utterances.length, 1);
    const audio = readAudio(readFileSync(r.utterances[0]!.audioPath));
    assert.equal(audio.samples.length, 1600);
  });

  it('finds a corpus one folder down (timit/TIMIT/TRAIN)', () => {
    const outer = tempDir();
    standardTinyTimit(join(outer, 'TIMIT'));
    assert.equal(scanTimit(outer).root, join(outer, 'TIMIT'));
  });

  it('splits by the standard speaker lists, or by mohaq-splits.json', () => {
    const s = timitSplits(scanTimit(root));
    assert.deepEqual(s.train.map((u) => u.id), ['FCJF0_SI1027', 'FCJF0_SX127', 'MAEB0_SI1411', 'MAEB0_SX180']);
    assert.deepEqual(s.dev.map((u) => u.id), ['FADG0_SI1279', 'FAKS0_SI1573', 'FAKS0_SX133'], 'FADG0 and FAKS0 are dev speakers, SA excluded');
    assert.deepEqual(s.test.map((u) => u.id), ['MDAB0_SI1039', 'MDAB0_SX229'], 'MDAB0 is core test; MXYZ0 is in neither list');
    const custom = standardTinyTimit(tempDir(), { splitsFile: true });
    const c = timitSplits(scanTimit(custom));
    assert.deepEqual(c.dev.map((u) => u.speaker), ['FAKS0', 'FAKS0']);
    assert.deepEqual(c.test.map((u) => u.id), ['MDAB0_SI1039', 'MDAB0_SX229', 'MXYZ0_SI1111']);
    assert.equal(scanTimit(scanTimit(root, { includeSA: true }).root, { includeSA: true }).utterances.filter((u) => u.part === 'TRAIN').length, 6);
  });

  it('writes a store that reads back exactly: features, labels, references, offsets', () => {
    const out = tempDir();
    const index = buildStoreFromTimit(root, out, { cmvn: 'none' });
    assert.deepEqual(Object.keys(index.splits), ['train', 'dev', 'test']);
    const store = loadFeatureStore(out);
    const dev = store.split('dev');
    assert.deepEqual([dev.dim, dev.numLabels, dev.labelKind], [23, 48, 'phone48']);
    assert.deepEqual(dev.utterances.map((u) => u.id), ['FADG0_SI1279', 'FAKS0_SI1573', 'FAKS0_SX133']);
    // Recompute utterance 0 by hand and compare bit for bit.
    const c = scanTimit(root);
    const u0 = c.utterances.find((u) => u.id === 'FADG0_SI1279')!;
    const audio = readAudio(readFileSync(u0.audioPath));
    const feats = computeFbank(audio.samples, 16000);
    const info = dev.utterances[0]!;
    assert.equal(info.frames, feats.frames);
    assert.deepEqual(dev.feats.subarray(info.offset * 23, (info.offset + info.frames) * 23), feats.data);
    const phn = readFileSync(u0.phnPath, 'latin1');
    const segs = phn.trim().split('\n').map((l) => l.split(' ')).map(([s, e, label]) => ({ start: +s!, end: +e!, label: label! }));
    assert.deepEqual(dev.labels.subarray(info.offset, info.offset + info.frames), frameLabels(segs, feats.frames, G));
    assert.deepEqual(dev.refPhones(0), referencePhones(segs));
    // The npz holds exactly what numpy users are told.
    const z = readNpz(readFileSync(join(out, 'dev.npz')));
    assert.deepEqual([...z.keys()].sort(), ['feats', 'labels', 'offsets', 'phone_offsets', 'phones']);
    assert.deepEqual(z.get('feats')!.shape, [dev.feats.length / 23, 23]);
    assert.equal(z.get('offsets')!.dtype, 'i8');
    assert.deepEqual(store.index.labels.phones, [...PHONES48]);
    assert.equal(store.index.labels.fold39!.length, 48);
  });

  it('gives the same store from a RIFF copy of the corpus', () => {
    const riff = standardTinyTimit(tempDir(), { riff: true });
    const a = tempDir();
    const b = tempDir();
    buildStoreFromTimit(root, a, { splits: ['dev'] });
    buildStoreFromTimit(riff, b, { splits: ['dev'] });
    assert.match(readFileSync(scanTimit(riff).utterances[0]!.audioPath, 'latin1').slice(0, 4), /RIFF/);
    assert.deepEqual(readFileSync(join(a, 'dev.npz')), readFileSync(join(b, 'dev.npz')));
  });

  it('normalises per speaker: every speaker has zero mean after speaker-mean CMVN', () => {
    const out = tempDir();
    buildStoreFromTimit(root, out, { splits: ['dev'], cmvn: 'speaker-meanvar' });
    const dev = loadFeatureStore(out).split('dev');
    for (const spk of ['FADG0', 'FAKS0']) {
      const mean = new Float64Array(23);
      const sq = new Float64Array(23);
      let n = 0;
      for (const u of dev.utterances.filter((x) => x.speaker === spk)) {
        for (let t = u.offset; t < u.offset + u.frames; t++) {
          for (let d = 0; d < 23; d++) {
            mean[d]! += dev.feats[t * 23 + d]!;
            sq[d]! += dev.feats[t * 23 + d]! ** 2;
          }
          n++;
        }
      }
      for (let d = 0; d < 23; d++) {
        assert.ok(Math.abs(mean[d]! / n) < 1e-4, `${spk} dim ${d} mean ${mean[d]! / n}`);
        assert.ok(Math.abs(sq[d]! / n - 1) < 1e-3, `${spk} dim ${d} variance ${sq[d]! / n}`);
      }
    }
  });

  it('builds MFCC stores and keeps other splits when building one', () => {
    const out = tempDir();
    buildStoreFromTimit(root, out, { splits: ['train'], features: { kind: 'mfcc' } });
    const idx = buildStoreFromTimit(root, out, { splits: ['test'], features: { kind: 'mfcc' } });
    assert.deepEqual(Object.keys(idx.splits).sort(), ['test', 'train']);
    assert.equal(idx.dim, 13);
    assert.equal(idx.features.kind, 'mfcc');
  });

  it('names the file and utterance for inconsistent input', () => {
    const bad = standardTinyTimit(tempDir());
    const phn = join(bad, 'TEST/DR4/FADG0/SI1279.PHN');
    writeFileSync(phn, readFileSync(phn, 'latin1').replace(' ah\n', ' xx\n'));
    assert.throws(() => buildStoreFromTimit(bad, tempDir(), { splits: ['dev'] }), /SI1279\.PHN: utterance "FADG0_SI1279": unknown phone "xx"/);
    const long = standardTinyTimit(tempDir());
    const phn2 = join(long, 'TEST/DR4/FADG0/SI1279.PHN');
    writeFileSync(phn2, `${readFileSync(phn2, 'latin1')}11100 99000 h#\n`);
    assert.throws(() => buildStoreFromTimit(long, tempDir(), { splits: ['dev'] }), /utterance "FADG0_SI1279": phone segments end at sample 99000 but the audio .*SI1279\.WAV has only 11100 samples/);
    const cut = standardTinyTimit(tempDir());
    const wav = join(cut, 'TEST/DR4/FADG0/SI1279.WAV');
    writeFileSync(wav, readFileSync(wav).subarray(0, 3000));
    assert.throws(() => buildStoreFromTimit(cut, tempDir(), { splits: ['dev'] }), /SI1279\.WAV: truncated: header declares 11100 samples but only 988 are present/);
    const none = tempDir();
    mkdirSync(join(none, 'TRAIN'));
    assert.throws(() => scanTimit(none), /TIMIT utterances not found/);
    assert.throws(() => scanTimit(tempDir()), /TIMIT corpus not found: .* has no TRAIN\/ or TEST\/ folder/);
  });
});
