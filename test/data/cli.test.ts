import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeArk } from '../../src/data/kaldi/ark.js';
import { runMohaq } from '../helpers/cli.js';
import { standardTinyTimit, tempDir } from './helpers.js';

describe('mohaq features / data inspect', () => {
  it('builds a store from a TIMIT tree and inspects it', () => {
    const corpus = standardTinyTimit(tempDir(), { splitsFile: true });
    const out = join(tempDir(), 'feats');
    const r = runMohaq(['features', '--corpus', corpus, '--out', out, '--mel-bins', '40', '--cmvn', 'speaker-meanvar']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dim 40, cmvn speaker-meanvar, 48 phone48 labels/);
    assert.match(r.stdout, /test\s+3 utterances\s+\d+ frames {2}test\.npz/);
    const i = runMohaq(['data', 'inspect', out, '--json']);
    assert.equal(i.code, 0, i.stderr);
    const report = JSON.parse(i.stdout);
    assert.deepEqual([report.kind, report.utterances, report.dim, report.labels], ['feature-store', 9, 40, 48]);
    assert.deepEqual(Object.keys(report.splits), ['train', 'dev', 'test']);
  });

  it('exits 2 with the standard sentence for bad flags', () => {
    const a = runMohaq(['features', '--corpus', 'x', '--numpy', 'y.npz', '--out', 'o']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /Expected exactly one of --corpus, --kaldi-feats or --numpy for the input but received "--corpus and --numpy"/);
    const b = runMohaq(['features', '--corpus', 'x', '--out', 'o', '--mel-bins', '1']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /Expected an integer in 3\.\.256 for --mel-bins but received "1"/);
    const c = runMohaq(['features', '--kaldi-feats', 'f.scp', '--out', 'o']);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--kaldi-ali/);
  });

  it('exits 1 naming the file and utterance for inconsistent Kaldi input', () => {
    const dir = tempDir();
    const m = { kind: 'matrix' as const, rows: 4, cols: 3, data: new Float32Array(12), format: 'FM' as const };
    writeFileSync(join(dir, 'feats.ark'), writeArk([['u_1', m]]).ark);
    writeFileSync(join(dir, 'ali.ark'), writeArk([['u_1', { kind: 'ints', data: Int32Array.from([1, 2, 3]), format: 'ints' }]]).ark);
    const r = runMohaq(['features', '--kaldi-feats', join(dir, 'feats.ark'), '--kaldi-ali', join(dir, 'ali.ark'), '--out', join(dir, 'o')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mohaq: .*ali\.ark: utterance "u_1": alignment has 3 labels but the features \(.*feats\.ark\) have 4 frames/);
    const n = runMohaq(['data', 'inspect', join(dir, 'missing')]);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /mohaq: data source not found/);
  });
});
