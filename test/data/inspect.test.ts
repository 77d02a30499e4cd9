import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { inspectSource, formatInspectReport } from '../../src/data/inspect.js';
import { writeArk } from '../../src/data/kaldi/ark.js';
import { writeNpy, writeNpz } from '../../src/data/npy.js';
import { readNumpyUtterances } from '../../src/data/numpy-utterances.js';
import { buildStoreFromNumpy } from '../../src/data/store/build-numpy.js';
import { buildStoreFromTimit } from '../../src/data/store/build-timit.js';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { standardTinyTimit, tempDir } from './helpers.js';

const f32 = (n: number, start = 0) => Float32Array.from({ length: n }, (_, i) => start + i);

describe('numpy sources', () => {
  it('reads the concatenated, per-utterance, two-file and single-array layouts', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'cat.npz'),
      writeNpz({
        feats: { dtype: 'f4', shape: [5, 2], data: f32(10) },
        offsets: { dtype: 'i8', shape: [3], data: BigInt64Array.from([0n, 2n, 5n]) },
        labels: { dtype: 'i4', shape: [5], data: Int32Array.from([1, 1, 2, 2, 3]) },
      }),
    );
    const cat = readNumpyUtterances(join(dir, 'cat.npz'));
    assert.equal(cat.layout, 'concatenated');
    assert.deepEqual(cat.utterances.map((u) => [u.id, u.frames, Array.from(u.labels!)]), [['utt0', 2, [1, 1]], ['utt1', 3, [2, 2, 3]]]);
    assert.deepEqual(Array.from(cat.utterances[1]!.feats), [4, 5, 6, 7, 8, 9]);

    writeFileSync(
      join(dir, 'per.npz'),
      writeNpz({
        'feats/A_1': { dtype: 'f8', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) },
        'labels/A_1': { dtype: 'i8', shape: [2], data: BigInt64Array.from([4n, 5n]) },
      }),
    );
    const per = readNumpyUtterances(join(dir, 'per.npz'));
    assert.deepEqual([per.layout, per.dim, per.utterances[0]!.id, Array.from(per.utterances[0]!.labels!)], ['per-utterance', 3, 'A_1', [4, 5]]);

    writeFileSync(join(dir, 'f.npz'), writeNpz({ B_2: { dtype: 'f4', shape: [3, 1], data: f32(3) } }));
    writeFileSync(join(dir, 'l.npz'), writeNpz({ B_2: { dtype: 'i4', shape: [3], data: Int32Array.from([0, 0, 7]) } }));
    const two = readNumpyUtterances(join(dir, 'f.npz'), join(dir, 'l.npz'));
    assert.deepEqual(Array.from(two.utterances[0]!.labels!), [0, 0, 7]);

    writeFileSync(join(dir, 'one.npy'), writeNpy({ dtype: 'f4', shape: [4, 2], data: f32(8) }));
    writeFileSync(join(dir, 'one.labels.npy'), writeNpy({ dtype: 'i4', shape: [3], data: Int32Array.from([0, 1, 2]) }));
    assert.equal(readNumpyUtterances(join(dir, 'one.npy')).utterances[0]!.id, 'one');
    assert.throws(() => readNumpyUtterances(join(dir, 'one.npy'), join(dir, 'one.labels.npy')), /one\.labels\.npy: utterance "one": 3 labels but .*one\.npy has 4 frames/);
  });

  it('builds a store and refuses labels outside the 48 phones', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'x.npz'),
      writeNpz({ 'feats/S1_a': { dtype: 'f4', shape: [3, 2], data: f32(6) }, 'labels/S1_a': { dtype: 'i4', shape: [3], data: Int32Array.from([5, 5, 9]) } }),
    );
    buildStoreFromNumpy(join(dir, 'store'), { input: join(dir, 'x.npz'), split: 'dev', cmvn: 'none' });
    const dev = loadFeatureStore(join(dir, 'store')).split('dev');
    assert.deepEqual(Array.from(dev.feats), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(dev.refPhones(0)), [5, 9]);
    writeFileSync(join(dir, 'y.npz'), writeNpz({ 'feats/S1_a': { dtype: 'f4', shape: [1, 2], data: f32(2) }, 'labels/S1_a': { dtype: 'i4', shape: [1], data: Int32Array.from([60]) } }));
    assert.throws(() => buildStoreFromNumpy(join(dir, 's2'), { input: join(dir, 'y.npz') }), /y\.npz: utterance "S1_a": frame 0 has label 60, expected a 48-phone index 0\.\.47/);
    const pdf = buildStoreFromNumpy(join(dir, 's3'), { input: join(dir, 'y.npz'), labelKind: 'pdf' });
    assert.deepEqual([pdf.labels.kind, pdf.labels.numLabels], ['pdf', 61]);
  });
});

describe('data inspect', () => {
  let timit = '';
  let store = '';
  before(() => {
    timit = standardTinyTimit(tempDir());
    store = tempDir();
    buildStoreFromTimit(timit, store);
  });

  it('reports a TIMIT tree with its splits', () => {
    const r = inspectSource(timit);
    assert.equal(r.kind, 'timit');
    // 13 utterances of 10300..11700 samples: frames = 1 + floor((n - 400) / 160).
    assert.deepEqual([r.utterances, r.speakers, r.dim], [13, 6, null]);
    assert.equal(r.labels, 19, 'distinct 61-set labels in the .PHN files');
    assert.deepEqual(r.splits!.dev!.utterances, 3);
    assert.deepEqual(r.splits!.test!.utterances, 2);
    assert.equal(r.splits!.train!.frames, 286);
    assert.match(formatInspectReport(r), /utterances {3}13/);
  });

  it('reports a feature store from its index alone', () => {
    const r = inspectSource(store);
    assert.equal(r.kind, 'feature-store');
    assert.deepEqual([r.utterances, r.speakers, r.frames, r.dim, r.labels], [9, 5, 635, 23, 48]);
    assert.deepEqual(r.shortest, { id: 'FADG0_SI1279', frames: 67 });
    assert.deepEqual(r.longest, { id: 'FCJF0_SI1027', frames: 72 });
    assert.deepEqual(inspectSource(join(store, 'index.json')).frames, 635);
  });

  it('reports Kaldi feature and alignment archives and scp files', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd'));
    const m = (rows: number) => ({ kind: 'matrix' as const, rows, cols: 4, data: new Float32Array(rows * 4), format: 'FM' as const });
    const { ark, scp } = writeArk([['s1_a', m(7)], ['s1_b', m(3)], ['s2_a', m(5)]], { arkPath: join(dir, 'd/feats.ark'), compress: 'CM3' });
    writeFileSync(join(dir, 'd/feats.ark'), ark);
    writeFileSync(join(dir, 'd/feats.scp'), scp);
    writeFileSync(join(dir, 'd/utt2spk'), 's1_a s1\ns1_b s1\ns2_a s2\n');
    const r = inspectSource(join(dir, 'd/feats.scp'));
    assert.deepEqual([r.kind, r.utterances, r.speakers, r.frames, r.dim, r.labels], ['kaldi-scp', 3, 2, 15, 4, null]);
    assert.deepEqual([r.shortest?.id, r.longest?.id], ['s1_b', 's1_a']);
    assert.deepEqual(r.details.objects, { CM3: 3 });
    assert.equal(inspectSource(join(dir, 'd')).kind, 'kaldi-scp', 'a Kaldi data dir is inspected through its feats.scp');
    const ints = (v: number[]) => ({ kind: 'ints' as const, data: Int32Array.from(v), format: 'ints' as const });
    writeFileSync(join(dir, 'ali.ark'), writeArk([['s1_a', ints([1, 1, 2])], ['s1_b', ints([3, 9])]], { binary: false }).ark);
    const a = inspectSource(join(dir, 'ali.ark'));
    assert.deepEqual([a.kind, a.utterances, a.speakers, a.frames, a.dim, a.labels], ['kaldi-ark', 2, null, 5, null, 4]);
    assert.equal(a.details.largestLabel, 9);
  });

  it('reports numpy files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.npz'), writeNpz({ 'feats/S1_a': { dtype: 'f4', shape: [3, 2], data: f32(6) }, 'feats/S2_b': { dtype: 'f4', shape: [8, 2], data: f32(16) } }));
    const r = inspectSource(join(dir, 'x.npz'));
    assert.deepEqual([r.kind, r.utterances, r.frames, r.dim, r.labels], ['npz', 2, 11, 2, null]);
    assert.deepEqual(r.longest, { id: 'S2_b', frames: 8 });
  });

  it('says what it could not recognise', () => {
    assert.throws(() => inspectSource(join(tempDir(), 'nothing')), /data source not found/);
    assert.throws(() => inspectSource(tempDir()), /is a directory but holds no index\.json \(feature store\), TRAIN\/TEST \(TIMIT\) or feats\.scp/);
  });
});
