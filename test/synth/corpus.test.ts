import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PHONES61 } from '../../src/data/phones.js';
import { SYNTH_DEFAULTS } from '../../src/data/synth/options.js';
import { readSphere, parseSegments, parseTranscript } from '../../src/data/timit/format.js';
import { scanTimit, timitSplits } from '../../src/data/timit/corpus.js';
import { loadSpeakerSplits } from '../../src/data/timit/splits.js';
import { buildStoreFromTimit } from '../../src/data/store/build-timit.js';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { synthesizeCorpus, MANIFEST_FILE } from '../../src/data/synth/corpus.js';
import { planCorpus } from '../../src/data/synth/plan.js';
import { loadLexicon } from '../../src/data/synth/lexicon.js';
import { resolveSynthOptions } from '../../src/data/synth/options.js';

const tmp = mkdtempSync(join(tmpdir(), 'mohaq-synth-test-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Relative path -> sha256 of every file under dir. */
function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

// 6 utterances (4 train, 1 dev, 1 test), three speakers, with the SA sentences: 12 files of audio.
const tiny = { seed: 11, train: 4, dev: 1, test: 1 };

test('the same seed and options give byte-identical corpora, for any worker count; another seed differs', async () => {
  const a = join(tmp, 'a');
  const b = join(tmp, 'b');
  const c = join(tmp, 'c');
  const summary = await synthesizeCorpus(a, { ...tiny, workers: 1 });
  assert.deepEqual(summary.utterances, { train: 4, dev: 1, test: 1, sa: 6 });
  assert.deepEqual(summary.speakers, { train: 1, dev: 1, test: 1 });
  await synthesizeCorpus(b, { ...tiny, workers: 2 });
  const da = digest(a);
  assert.deepEqual(digest(b), da);
  assert.equal([...da.keys()].filter((k) => k.endsWith('.WAV')).length, 12);
  await synthesizeCorpus(c, { ...tiny, seed: 12, workers: 1 });
  const dc = digest(c);
  const wavs = (d: Map<string, string>) => [...d.entries()].filter(([k]) => k.endsWith('.WAV')).map(([, h]) => h);
  for (const h of wavs(dc)) assert.ok(!wavs(da).includes(h), 'a different seed must give different audio');
});

test('every .PHN covers its .WAV exactly with TIMIT labels; .WRD and .TXT agree; SPHERE header has no times', async () => {
  const dir = join(tmp, 'a');
  const corpus = scanTimit(dir, { includeSA: true });
  assert.equal(corpus.utterances.length, 12);
  for (const u of corpus.utterances) {
    const bytes = readFileSync(u.audioPath);
    const head = bytes.subarray(0, 1024).toString('latin1');
    assert.match(head, /^NIST_1A\n {3}1024\n/);
    assert.match(head, /sample_rate -i 16000\n/);
    assert.match(head, /sample_n_bytes -i 2\n/);
    assert.doesNotMatch(head, /time|date/i);
    const audio = readSphere(bytes, u.audioPath);
    const phones = parseSegments(readFileSync(u.phnPath, 'utf8'), u.phnPath);
    assert.equal(phones[0]!.start, 0);
    assert.equal(phones[phones.length - 1]!.end, audio.samples.length);
    for (let i = 1; i < phones.length; i++) assert.equal(phones[i]!.start, phones[i - 1]!.end, `${u.phnPath} line ${i + 1}`);
    for (const p of phones) assert.ok(PHONES61.includes(p.label), `${u.phnPath}: ${p.label}`);
    const words = parseSegments(readFileSync(u.wrdPath!, 'utf8'), u.wrdPath!);
    const txt = parseTranscript(readFileSync(u.txtPath!, 'utf8'), u.txtPath!);
    assert.equal(txt.start, 0);
    assert.equal(txt.end, audio.samples.length);
    assert.deepEqual(words.map((w) => w.label), txt.text.toLowerCase().replace(/[.,?]/g, '').split(' '));
  }
  // SA sentences are shared by every speaker.
  const sa1 = corpus.utterances.filter((u) => u.sentence === 'SA1').map((u) => parseTranscript(readFileSync(u.txtPath!, 'utf8')).text);
  assert.equal(sa1.length, 3);
  assert.equal(new Set(sa1).size, 1);
});

test('the corpus reads back through the TIMIT reader with its split file, and builds a feature store', () => {
  const dir = join(tmp, 'a');
  const splitsFile = JSON.parse(readFileSync(join(dir, 'mohaq-splits.json'), 'utf8'));
  const testSpeakers = readdirSync(join(dir, 'TEST')).flatMap((dr) => readdirSync(join(dir, 'TEST', dr)));
  assert.deepEqual([...splitsFile.dev, ...splitsFile.test].sort(), testSpeakers.sort());
  for (const id of [...splitsFile.dev, ...splitsFile.test]) assert.match(id, /^[MF][A-Z]{3}\d$/);
  const splits = loadSpeakerSplits(dir);
  assert.deepEqual(splits.dev, splitsFile.dev);
  const bySplit = timitSplits(scanTimit(dir));
  assert.deepEqual([bySplit.train.length, bySplit.dev.length, bySplit.test.length], [4, 1, 1]);
  assert.ok(bySplit.train.every((u) => !u.sentence.startsWith('SA')));

  const store = join(tmp, 'store');
  const index = buildStoreFromTimit(dir, store);
  assert.equal(index.dim, 23);
  const train = loadFeatureStore(store).split('train');
  assert.equal(train.utterances.length, 4);
  assert.ok(train.labels.every((l) => l >= 0 && l < 48));
  assert.ok(train.refPhones(0).length > 10);
});

test('the manifest records seed, options and every utterance; DOC files are written', () => {
  const dir = join(tmp, 'a');
  const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
  assert.equal(m.format, 'mohaq-synth');
  assert.equal(m.seed, 11);
  assert.equal(m.options.snrDb, SYNTH_DEFAULTS.snrDb);
  assert.equal(m.speakers.length, 3);
  assert.equal(m.speakers.reduce((n: number, s: { utterances: unknown[] }) => n + s.utterances.length, 0), 12);
  assert.match(readFileSync(join(dir, 'DOC', 'PROMPTS.TXT'), 'utf8'), /\(sa1\)\n/);
  assert.match(readFileSync(join(dir, 'DOC', 'SPKRINFO.TXT'), 'utf8'), /\n[A-Z]{3}\d {2}[MF] {2}\d {2}(TRN|TST)/);
});

test('refuses to write over a foreign folder or an existing corpus unless asked to', async () => {
  const foreign = join(tmp, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'keep me');
  await assert.rejects(synthesizeCorpus(foreign, { ...tiny, workers: 1 }), {
    code: 'INVALID_ARGUMENT',
    message: `${foreign} is not empty and is not a corpus made by mohaq corpus synth (no mohaq-synth.json); choose an empty or new folder`,
  });
  assert.equal(readFileSync(join(foreign, 'notes.txt'), 'utf8'), 'keep me');
  const dir = join(tmp, 'c');
  await assert.rejects(synthesizeCorpus(dir, { ...tiny, workers: 1 }), { message: `${dir} already holds a synthetic corpus (mohaq-synth.json); replace it with --force (API: overwrite: true)` });
  await synthesizeCorpus(dir, { ...tiny, workers: 1 }, { overwrite: true });
  assert.deepEqual(digest(dir), digest(join(tmp, 'a')));
  assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.partial-') || n.includes('.old-')), []);
});

test('options are validated with the standard error sentence', async () => {
  assert.throws(() => resolveSynthOptions({ snrDb: 500 }), { message: 'Expected a number in [-10, 100] for snrDb but received 500' });
  assert.throws(() => resolveSynthOptions({ train: 1.5 }), { message: 'Expected an integer in 0..1000000 for train but received 1.5' });
  assert.throws(() => resolveSynthOptions({ train: 0, dev: 0, test: 0 }), { message: 'Expected at least one utterance for train + dev + test but received 0' });
  assert.throws(() => resolveSynthOptions({ phonology: { flapInWord: 2 } }), { message: 'Expected a probability in [0, 1] for phonology.flapInWord but received 2' });
});

test('the default plan: TIMIT-like speakers, SX sentences shared by about 7 speakers, disjoint TRAIN/TEST prompts', async () => {
  const plan = planCorpus(resolveSynthOptions({}), await loadLexicon());
  const count = (split: string) => plan.speakers.filter((s) => s.split === split);
  assert.deepEqual(['train', 'dev', 'test'].map((s) => count(s).length), [188, 32, 32]);
  const read = (split: string) => count(split).flatMap((s) => s.utterances.filter((u) => !u.id.startsWith('SA')));
  assert.deepEqual(['train', 'dev', 'test'].map((s) => read(s).length), [1500, 250, 250]);
  const ids = plan.speakers.map((s) => s.voice.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const s of plan.speakers) {
    assert.match(s.dir, new RegExp(`^(TRAIN|TEST)/DR[1-8]/${s.voice.id}$`));
    assert.equal(new Set(s.utterances.map((u) => u.id)).size, s.utterances.length);
  }
  const men = plan.speakers.filter((s) => s.voice.sex === 'M').length / plan.speakers.length;
  assert.ok(men > 0.65 && men < 0.75, `men ${men}`);
  const readers = new Map<string, number>();
  for (const u of [...read('train'), ...read('dev'), ...read('test')]) readers.set(u.id, (readers.get(u.id) ?? 0) + 1);
  for (const [id, n] of readers) assert.ok(id.startsWith('SX') ? n <= 7 : n === 1, `${id} read by ${n}`);
  const trainSx = new Set(read('train').map((u) => u.id).filter((id) => id.startsWith('SX')));
  assert.ok([...read('dev'), ...read('test')].every((u) => !trainSx.has(u.id)));
  const dialects = new Set(plan.speakers.map((s) => s.voice.dialect));
  assert.equal(dialects.size, 8);
});
