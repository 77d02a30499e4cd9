import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FOLD48TO39_INDEX,
  MAP48TO39,
  MAP61TO48,
  PHONE48_INDEX,
  PHONES39,
  PHONES48,
  PHONES61,
  fold48to39,
  fold61to48,
  foldIndices48to39,
  phoneTo48,
} from '../../src/data/phones.js';
import { CORE_TEST_SPEAKERS, DEV_SPEAKERS } from '../../src/data/timit/splits.js';

// Kaldi egs/timit/s5/conf/phones.60-48-39.map, as published (q has no mapping).
const KALDI_MAP = `aa aa aa|ae ae ae|ah ah ah|ao ao aa|aw aw aw|ax ax ah|ax-h ax ah|axr er er|ay ay ay|b b b|bcl vcl sil|
ch ch ch|d d d|dcl vcl sil|dh dh dh|dx dx dx|eh eh eh|el el l|em m m|en en n|eng ng ng|epi epi sil|er er er|ey ey ey|
f f f|g g g|gcl vcl sil|h# sil sil|hh hh hh|hv hh hh|ih ih ih|ix ix ih|iy iy iy|jh jh jh|k k k|kcl cl sil|l l l|m m m|
n n n|ng ng ng|nx n n|ow ow ow|oy oy oy|p p p|pau sil sil|pcl cl sil|q|r r r|s s s|sh sh sh|t t t|tcl cl sil|th th th|
uh uh uh|uw uw uw|ux uw uw|v v v|w w w|y y y|z z z|zh zh sh`
  .replace(/\n/g, '')
  .split('|')
  .map((l) => l.trim().split(' '));

describe('phone sets and folding', () => {
  it('has 61, 48 and 39 phones', () => {
    assert.equal(PHONES61.length, 61);
    assert.equal(PHONES48.length, 48);
    assert.equal(PHONES39.length, 39);
    assert.equal(new Set(PHONES61).size, 61);
  });

  it('matches the published 61 -> 48 -> 39 map line by line', () => {
    assert.equal(KALDI_MAP.length, 61);
    for (const [p61, p48, p39] of KALDI_MAP) {
      assert.ok(PHONES61.includes(p61!), p61);
      if (p61 === 'q') {
        assert.equal(MAP61TO48.get('q'), null);
        assert.equal(fold61to48('q'), null);
        continue;
      }
      assert.equal(fold61to48(p61!), p48, `${p61} -> 48`);
      assert.equal(fold48to39(p48!), p39, `${p48} -> 39`);
    }
  });

  it('folds the Lee and Hon groups', () => {
    // The nine 48-phones that are merged into another class for scoring.
    const merged = [...MAP48TO39].filter(([a, b]) => a !== b);
    assert.deepEqual(
      merged.sort(),
      [
        ['ao', 'aa'],
        ['ax', 'ah'],
        ['cl', 'sil'],
        ['el', 'l'],
        ['en', 'n'],
        ['epi', 'sil'],
        ['ix', 'ih'],
        ['vcl', 'sil'],
        ['zh', 'sh'],
      ],
    );
    // Index tables agree with the name tables.
    PHONES48.forEach((p, i) => assert.equal(PHONES39[FOLD48TO39_INDEX[i]!], MAP48TO39.get(p)));
    assert.deepEqual(Array.from(foldIndices48to39([PHONE48_INDEX.get('ao')!, PHONE48_INDEX.get('cl')!])), [PHONES39.indexOf('aa'), PHONES39.indexOf('sil')]);
  });

  it('lists the 48 set in alphabetical (Kaldi phones.txt) order', () => {
    assert.deepEqual([...PHONES48], [...PHONES48].sort());
    assert.equal(PHONES48[0], 'aa');
    assert.equal(PHONE48_INDEX.get('sil'), PHONES48.indexOf('sil'));
  });

  it('maps names from other tools to the 48 set', () => {
    assert.equal(phoneTo48('AA'), 'aa');
    assert.equal(phoneTo48('sil_B'), 'sil');
    assert.equal(phoneTo48('ax-h'), 'ax');
    assert.equal(phoneTo48('h#'), 'sil');
    assert.equal(phoneTo48('<eps>'), null);
    assert.equal(phoneTo48('#0'), null);
    assert.equal(phoneTo48('q'), null);
    assert.equal(phoneTo48('xyz'), undefined);
  });

  it('names unknown phones', () => {
    assert.throws(() => fold61to48('xx', 'A.PHN'), /A\.PHN: unknown phone "xx" \(expected one of the 61 TIMIT phones\)/);
    assert.throws(() => fold48to39('ax-h'), /unknown phone "ax-h" \(expected one of the 48 training phones\)/);
  });

  it('has the standard dev (50) and core test (24) speaker lists', () => {
    assert.equal(DEV_SPEAKERS.length, 50);
    assert.equal(new Set(DEV_SPEAKERS).size, 50);
    assert.equal(CORE_TEST_SPEAKERS.length, 24);
    assert.equal(CORE_TEST_SPEAKERS.filter((s) => s.startsWith('F')).length, 8, 'one woman per dialect region');
    assert.ok(!CORE_TEST_SPEAKERS.some((s) => DEV_SPEAKERS.includes(s)));
    assert.ok(DEV_SPEAKERS.includes('FAKS0') && DEV_SPEAKERS.includes('MRWS1'));
  });
});
