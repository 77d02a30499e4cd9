import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { readArk, readArkMap, writeArk, type KaldiObject } from '../../src/data/kaldi/ark.js';
import { readCompressed, writeCompressed } from '../../src/data/kaldi/compressed.js';
import { parseScp, readScp, readTable } from '../../src/data/kaldi/scp.js';
import { PHONE48_INDEX, PHONES48 } from '../../src/data/phones.js';
import { buildStoreFromKaldi } from '../../src/data/store/build-kaldi.js';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from './helpers.js';

function matrix(rows: number, cols: number, seed = 1): KaldiObject {
  const rng = new Rng(seed);
  return { kind: 'matrix', rows, cols, data: Float32Array.from({ length: rows * cols }, () => Math.fround(rng.normal() * 3 + 1)), format: 'FM' };
}

const ints = (v: number[]): KaldiObject => ({ kind: 'ints', data: Int32Array.from(v), format: 'ints' });

describe('Kaldi archives', () => {
  it('round-trips binary FM, DM, FV, DV and integer vectors exactly', () => {
    const m = matrix(4, 3);
    const dm: KaldiObject = { kind: 'matrix', rows: 2, cols: 2, data: Float64Array.from([Math.PI, -1e-300, 1e300, 0]), format: 'DM' };
    const v: KaldiObject = { kind: 'vector', data: Float32Array.from([1.5, -2.25]), format: 'FV' };
    const empty: KaldiObject = { kind: 'matrix', rows: 0, cols: 0, data: new Float32Array(0), format: 'FM' };
    const { ark } = writeArk([
      ['utt1', m],
      ['utt2', ints([1, 1, 2, 47])],
      ['utt3', v],
      ['utt4', empty],
    ]);
    const { ark: dark } = writeArk([['d1', dm], ['d2', { kind: 'vector', data: Float64Array.from([Math.E]), format: 'DV' }]], { double: true });
    const back = readArkMap(ark, 'a.ark');
    assert.deepEqual([...back.keys()], ['utt1', 'utt2', 'utt3', 'utt4']);
    const m1 = back.get('utt1')!;
    assert.ok(m1.kind === 'matrix' && m1.format === 'FM' && m1.rows === 4 && m1.cols === 3);
    assert.deepEqual(m1.data, m.data);
    assert.deepEqual(back.get('utt2'), { kind: 'ints', data: Int32Array.from([1, 1, 2, 47]), format: 'ints' });
    assert.deepEqual(back.get('utt3')!.data, Float32Array.from([1.5, -2.25]));
    assert.equal((back.get('utt4') as { rows: number }).rows, 0);
    const d = readArkMap(dark);
    assert.deepEqual(d.get('d1')!.data, dm.data);
    assert.equal(d.get('d1')!.format, 'DM');
    assert.deepEqual(d.get('d2')!.data, Float64Array.from([Math.E]));
  });

  it('has the byte layout Kaldi writes (key, \\0B, token, size-prefixed ints)', () => {
    const { ark } = writeArk([['a', { kind: 'matrix', rows: 1, cols: 2, data: Float32Array.from([1, 2]), format: 'FM' }], ['b', ints([7, 8])]]);
    const hex = Buffer.from(ark).toString('hex');
    // "a " \0B "FM " \4 rows=1 \4 cols=2 then 1.0f 2.0f
    assert.ok(hex.startsWith('6120' + '0042' + '464d20' + '0401000000' + '0402000000' + '0000803f' + '00000040'));
    // "b " \0B \4 n=2 \4 7 \4 8
    assert.ok(hex.endsWith('6220' + '0042' + '0402000000' + '0407000000' + '0408000000'));
  });

  it('reads the text forms: matrices, vectors, integer vectors', () => {
    const text = 'utt1  [\n  1 2 3 \n  4 5.5 -6e-3 ]\nutt2  [ 0.5 inf -inf ]\nutt3 1 1 2 2 2 \nutt4 [ ]\n';
    const m = readArkMap(Buffer.from(text), 't.ark');
    assert.deepEqual(m.get('utt1'), { kind: 'matrix', rows: 2, cols: 3, data: Float32Array.from([1, 2, 3, 4, 5.5, -6e-3]), format: 'text' });
    assert.deepEqual(m.get('utt2'), { kind: 'vector', data: Float32Array.from([0.5, Infinity, -Infinity]), format: 'text' });
    assert.deepEqual(m.get('utt3'), { kind: 'ints', data: Int32Array.from([1, 1, 2, 2, 2]), format: 'text' });
    assert.equal(m.get('utt4')!.data.length, 0);
    // And our own text writer reads back.
    const mm = matrix(3, 2, 4);
    const back = readArkMap(writeArk([['x', mm], ['y', ints([3, 4])]], { binary: false }).ark);
    assert.deepEqual(back.get('x')!.data, mm.data);
    assert.deepEqual(back.get('y')!.data, Int32Array.from([3, 4]));
  });

  it('decodes hand-built CM2 and CM3 matrices', () => {
    // CM2: min -1, range 2, 1x3, uint16 [0, 65535, 32768]
    const cm2 = new Uint8Array(16 + 6);
    const v2 = new DataView(cm2.buffer);
    v2.setFloat32(0, -1, true);
    v2.setFloat32(4, 2, true);
    v2.setInt32(8, 1, true);
    v2.setInt32(12, 3, true);
    [0, 65535, 32768].forEach((u, i) => v2.setUint16(16 + 2 * i, u, true));
    const a = readCompressed(cm2, 0, 'CM2', 'x');
    assert.equal(a.data[0], -1);
    assert.ok(Math.abs(a.data[1]! - 1) < 1e-6);
    assert.ok(Math.abs(a.data[2]! - 1 / 65535) < 1e-6);
    // CM3: min 0, range 255, 2x2 bytes [0, 10, 200, 255]: exact integers.
    const cm3 = new Uint8Array(16 + 4);
    const v3 = new DataView(cm3.buffer);
    v3.setFloat32(4, 255, true);
    v3.setInt32(8, 2, true);
    v3.setInt32(12, 2, true);
    cm3.set([0, 10, 200, 255], 16);
    assert.deepEqual(Array.from(readCompressed(cm3, 0, 'CM3', 'x').data), [0, 10, 200, 255]);
  });

  it('decodes a hand-built CM column through its percentile pieces', () => {
    // min 0, range 65535: uint16 u decodes to u. Percentiles 0, 16384, 49152, 65535.
    const cm = new Uint8Array(16 + 8 + 5);
    const v = new DataView(cm.buffer);
    v.setFloat32(4, 65535, true);
    v.setInt32(8, 5, true);
    v.setInt32(12, 1, true);
    [0, 16384, 49152, 65535].forEach((u, i) => v.setUint16(16 + 2 * i, u, true));
    cm.set([0, 32, 64, 128, 255], 24);
    const got = Array.from(readCompressed(cm, 0, 'CM', 'x').data);
    // byte 32: p0 + (p25 - p0) * 32/64; byte 128: p25 + (p75 - p25) * 64/128; byte 255: p100.
    const want = [0, 8192, 16384, 32768, 65535];
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 0.01, `${g} vs ${want[i]}`));
  });

  it('compresses like Kaldi and reads back within the format\'s step', () => {
    const m = matrix(40, 5, 7);
    const span = Math.max(...m.data) - Math.min(...m.data);
    for (const [format, tol] of [['CM2', span / 65535], ['CM3', span / 255], ['CM', span / 64]] as const) {
      const { ark, scp } = writeArk([['u', m]], { compress: format });
      const back = readArkMap(ark, 'c.ark').get('u')!;
      assert.ok(back.kind === 'matrix' && back.format === format && back.rows === 40 && back.cols === 5);
      let worst = 0;
      m.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - back.data[i]!))));
      assert.ok(worst <= tol, `${format}: error ${worst} > ${tol}`);
      assert.match(scp, /^u archive\.ark:2\n$/);
      // Re-compressing the decoded values gives the same bytes (the code values are stable).
      assert.deepEqual(writeCompressed(back.data, 40, 5, format), writeCompressed(m.data, 40, 5, format));
    }
  });

  it('reads scp offsets and ranges, relative to the scp folder', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data/train'), { recursive: true });
    mkdirSync(join(dir, 'fbank'));
    const a = matrix(5, 3, 1);
    const b = matrix(2, 3, 2);
    const { ark, scp } = writeArk([['A_1', a], ['B_1', b]], { arkPath: 'fbank/raw.1.ark', compress: undefined });
    writeFileSync(join(dir, 'fbank/raw.1.ark'), ark);
    writeFileSync(join(dir, 'data/train/feats.scp'), `${scp}A_2 fbank/raw.1.ark:${scp.match(/A_1 \S+:(\d+)/)![1]}[1:2]\nA_3 fbank/raw.1.ark:${scp.match(/A_1 \S+:(\d+)/)![1]}[0:1,1:2]\n`);
    const got = [...readScp(join(dir, 'data/train/feats.scp'))];
    assert.deepEqual(got.map((g) => g.key), ['A_1', 'B_1', 'A_2', 'A_3']);
    assert.deepEqual(got[0]!.value.data, a.data);
    assert.deepEqual(got[1]!.value.data, b.data);
    assert.deepEqual(got[2]!.value.data, a.data.subarray(3, 9));
    assert.deepEqual(Array.from(got[3]!.value.data), [a.data[1], a.data[2], a.data[4], a.data[5]]);
    assert.deepEqual(parseScp('x /a/b.ark:12[0:4]\n')[0], { key: 'x', path: '/a/b.ark', offset: 12, rows: [0, 4], cols: null, line: 1 });
    assert.throws(() => parseScp('x copy-feats ark:a.ark ark:- |\n', 'f.scp'), /f\.scp: line 1 \(utterance "x"\): piped input/);
    writeFileSync(join(dir, 'bad.scp'), 'Z_1 nowhere.ark:5\n');
    assert.throws(() => [...readScp(join(dir, 'bad.scp'))], /bad\.scp: line 1 \(utterance "Z_1"\): file nowhere\.ark not found/);
  });

  it('reads gzip archives and ark:/scp: specifiers', () => {
    const dir = tempDir();
    const { ark } = writeArk([['u1', ints([3, 3, 4])]]);
    writeFileSync(join(dir, 'ali.1.gz'), gzipSync(ark));
    assert.deepEqual([...readTable(`ark:${join(dir, 'ali.1.gz')}`)].map((e) => Array.from(e.value.data)), [[3, 3, 4]]);
  });

  it('names the file and the utterance for a truncated archive', () => {
    const m = matrix(312, 23);
    const { ark } = writeArk([['FADG0_SI1033', matrix(2, 23)], ['FADG0_SI1279', m]]);
    const cut = ark.subarray(0, ark.length - 100);
    assert.throws(
      () => [...readArk(cut, 'train.ark')],
      new RegExp(`train\\.ark: utterance "FADG0_SI1279": matrix truncated, expected 312x23 floats but only ${312 * 23 * 4 - 100} bytes remain`),
    );
    const cm = writeArk([['u', m]], { compress: 'CM' }).ark;
    assert.throws(() => [...readArk(cm.subarray(0, 200), 'c.ark')], /c\.ark: utterance "u": CM matrix truncated: expected 312x23 compressed values/);
    assert.throws(() => [...readArk(Buffer.from('u1 \0BXM \x04'), 'x.ark')], /x\.ark: utterance "u1": unsupported Kaldi object token "XM"/);
    assert.throws(() => [...readArk(Buffer.from('justakey'), 'k.ark')], /k\.ark: entry after "\(start of file\)": key "justakey" is not followed by a space/);
  });
});

describe('feature store from Kaldi files', () => {
  const phonesTxt = `<eps> 0\n${PHONES48.map((p, i) => `${p} ${i + 1}`).join('\n')}\n#0 49\n`;
  const id = (p: string) => PHONES48.indexOf(p) + 1;

  function kaldiDir() {
    const dir = tempDir();
    mkdirSync(join(dir, 'data/dev'), { recursive: true });
    const feats: Array<[string, KaldiObject]> = [['fadg0_si1279', matrix(6, 4, 1)], ['faks0_sx133', matrix(4, 4, 2)], ['faks0_si1573', matrix(3, 4, 3)]];
    const { ark, scp } = writeArk(feats, { arkPath: join(dir, 'feats.ark'), compress: 'CM2' });
    writeFileSync(join(dir, 'feats.ark'), ark);
    writeFileSync(join(dir, 'data/dev/feats.scp'), scp);
    writeFileSync(join(dir, 'data/dev/utt2spk'), 'fadg0_si1279 fadg0\nfaks0_sx133 faks0\nfaks0_si1573 faks0\n');
    writeFileSync(join(dir, 'phones.txt'), phonesTxt);
    const ali = writeArk([
      ['fadg0_si1279', ints([id('sil'), id('sil'), id('aa'), id('aa'), id('b'), id('sil')])],
      ['faks0_sx133', ints([id('sil'), id('k'), id('k'), id('sil')])],
    ]).ark;
    writeFileSync(join(dir, 'ali.ark'), ali);
    return dir;
  }

  it('builds a split from feats.scp + per-frame phone alignments + phones.txt', () => {
    const dir = kaldiDir();
    const out = join(dir, 'store');
    const r = buildStoreFromKaldi(out, { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'ali.ark'), phones: join(dir, 'phones.txt'), split: 'dev', cmvn: 'none' });
    assert.equal(r.utterances, 2);
    assert.deepEqual(r.missingAlignment, ['faks0_si1573']);
    const dev = loadFeatureStore(out).split('dev');
    assert.deepEqual(dev.utterances.map((u) => [u.id, u.speaker, u.frames]), [['fadg0_si1279', 'fadg0', 6], ['faks0_sx133', 'faks0', 4]]);
    const ix = (s: string) => s.split(' ').map((p) => PHONE48_INDEX.get(p)!);
    assert.deepEqual(Array.from(dev.labels), ix('sil sil aa aa b sil sil k k sil'));
    assert.deepEqual(Array.from(dev.refPhones(0)), ix('sil aa b sil'), 'references are the collapsed frame labels without a text');
    const cm2 = [...readScp(join(dir, 'data/dev/feats.scp'))][0]!.value.data;
    assert.deepEqual(dev.feats.subarray(0, 24), cm2);
  });

  it('takes references from a phone-level text and adds splits to the same store', () => {
    const dir = kaldiDir();
    const out = join(dir, 'store');
    writeFileSync(join(dir, 'text'), 'fadg0_si1279 sil aa aa b sil\nfaks0_sx133 sil k sil\n');
    buildStoreFromKaldi(out, { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'ali.ark'), phones: join(dir, 'phones.txt'), text: join(dir, 'text'), split: 'dev' });
    buildStoreFromKaldi(out, { feats: `scp:${join(dir, 'data/dev/feats.scp')}`, ali: join(dir, 'ali.ark'), phones: join(dir, 'phones.txt'), split: 'test' });
    const store = loadFeatureStore(out);
    assert.deepEqual(store.splitNames.sort(), ['dev', 'test']);
    assert.equal(store.split('dev').refPhones(0).length, 5);
  });

  it('keeps pdf ids as labels without phones.txt', () => {
    const dir = kaldiDir();
    writeFileSync(join(dir, 'pdf.ark'), writeArk([['fadg0_si1279', ints([0, 0, 1900, 5, 5, 2])], ['faks0_sx133', ints([1, 2, 3, 4])]]).ark);
    const out = join(dir, 'pdfstore');
    const r = buildStoreFromKaldi(out, { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'pdf.ark'), numPdfs: 1936 });
    assert.deepEqual([r.index.labels.kind, r.index.labels.numLabels], ['pdf', 1936]);
    const train = loadFeatureStore(out).split('train');
    assert.equal(train.labels[2], 1900);
    assert.equal(train.labelKind, 'pdf');
  });

  it('names the file and utterance when labels and frames disagree, or a phone is unknown', () => {
    const dir = kaldiDir();
    writeFileSync(join(dir, 'short.ark'), writeArk([['fadg0_si1279', ints([id('sil'), id('sil')])]]).ark);
    assert.throws(
      () => buildStoreFromKaldi(join(dir, 's'), { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'short.ark'), phones: join(dir, 'phones.txt') }),
      /short\.ark: utterance "fadg0_si1279": alignment has 2 labels but the features \(.*feats\.scp\) have 6 frames/,
    );
    writeFileSync(join(dir, 'tid.ark'), writeArk([['fadg0_si1279', ints([1, 2, 3, 4, 5, 900])]]).ark);
    assert.throws(
      () => buildStoreFromKaldi(join(dir, 's'), { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'tid.ark'), phones: join(dir, 'phones.txt') }),
      /tid\.ark: utterance "fadg0_si1279": frame 5 has phone id 900, which .*phones\.txt does not list .*ali-to-phones --per-frame=true/,
    );
    writeFileSync(join(dir, 'badphones.txt'), '<eps> 0\nsil 1\nxyz 2\n');
    assert.throws(
      () => buildStoreFromKaldi(join(dir, 's'), { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'ali.ark'), phones: join(dir, 'badphones.txt') }),
      /badphones\.txt: unknown phone "xyz" \(id 2\)/,
    );
    writeFileSync(join(dir, 'feats.ali.ark'), writeArk([['x', matrix(1, 1)]]).ark);
    assert.throws(
      () => buildStoreFromKaldi(join(dir, 's'), { feats: join(dir, 'data/dev/feats.scp'), ali: join(dir, 'feats.ali.ark') }),
      /feats\.ali\.ark: utterance "x": expected an integer-vector alignment but found a matrix/,
    );
  });
});
