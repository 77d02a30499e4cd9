/**
 * Feature extraction speed (target: >= 100x real time on one core), feature store loading (target:
 * ~2000 utterances well under a second), batching and phone-loop decoding.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatches } from '../src/data/batch.js';
import { FeatureExtractor } from '../src/data/features/fbank.js';
import { PHONES48 } from '../src/data/phones.js';
import { loadFeatureStore, phone48Labels, writeStoreIndex, writeStoreSplit } from '../src/data/store/store.js';
import { PhoneLoopDecoder } from '../src/metrics/phone-loop.js';
import { Rng } from '../src/util/rng.js';
import { measure, report } from './harness.js';

const rng = new Rng(1);
const seconds = 60;
const sr = 16000;
// A speech-like test signal: a few drifting harmonics plus noise.
const audio = new Int16Array(seconds * sr);
for (let i = 0; i < audio.length; i++) {
  const f0 = 120 + 40 * Math.sin(i / 8000);
  let v = 0;
  for (let h = 1; h <= 8; h++) v += Math.sin((2 * Math.PI * f0 * h * i) / sr) / h;
  audio[i] = Math.round(3000 * v + 300 * rng.normal());
}

const fbank = new FeatureExtractor({ kind: 'fbank' }, sr);
const mfcc = new FeatureExtractor({ kind: 'mfcc' }, sr);
const fbank40 = new FeatureExtractor({ kind: 'fbank', numMelBins: 40 }, sr);
const rows = [
  await measure('fbank 23 bins, 60 s of 16 kHz audio', () => fbank.compute(audio), { repeats: 7, work: { amount: seconds, unit: 'x real time' }, target: '>= 100x real time' }),
  await measure('fbank 40 bins, 60 s', () => fbank40.compute(audio), { repeats: 7, work: { amount: seconds, unit: 'x real time' } }),
  await measure('mfcc 13, 60 s', () => mfcc.compute(audio), { repeats: 7, work: { amount: seconds, unit: 'x real time' } }),
];

// A store the size of TIMIT's dev+test (~2000 utterances of ~3 s).
const dir = mkdtempSync(join(tmpdir(), 'mohaq-bench-store-'));
const numUtts = 2000;
const dim = 23;
const lengths = Array.from({ length: numUtts }, () => 150 + rng.int(300));
const offsets = [0];
for (const l of lengths) offsets.push(offsets[offsets.length - 1]! + l);
const frames = offsets[numUtts]!;
const feats = new Float32Array(frames * dim);
rng.fillNormal(feats);
const labels = Int32Array.from({ length: frames }, () => rng.int(PHONES48.length));
const phoneOffsets = offsets.map((o) => Math.floor(o / 8));
const phones = Int32Array.from({ length: phoneOffsets[numUtts]! }, () => rng.int(PHONES48.length));
const ids = lengths.map((_, i) => `SPK${i % 100}_S${i}`);
const entry = writeStoreSplit(dir, 'train', dim, { ids, speakers: ids.map((id) => id.split('_')[0]!), offsets, feats, labels, phones, phoneOffsets });
writeStoreIndex(dir, { dim, features: { kind: 'bench' }, cmvn: 'none', labels: phone48Labels(), source: { kind: 'bench' }, splits: { train: entry } });
const storeRows = [
  await measure(`load store: ${numUtts} utterances, ${frames} frames (${((frames * dim * 4) / 2 ** 20).toFixed(0)} MiB)`, () => loadFeatureStore(dir).split('train'), { repeats: 5, target: 'well under 1 s' }),
];
const set = loadFeatureStore(dir).split('train');
storeRows.push(await measure('plan + build batches (maxFrames 8000, seeded)', () => makeBatches(set, { maxFrames: 8000, rng: new Rng(3) }), { repeats: 5, work: { amount: frames / 1e6, unit: 'M frames/s' } }));
rmSync(dir, { recursive: true, force: true });

const decoder = PhoneLoopDecoder.fromSequences(Array.from({ length: 200 }, () => Array.from({ length: 40 }, () => rng.int(48))), 48);
const post = Array.from({ length: 20 }, () => {
  const lp = new Float32Array(300 * 48);
  for (let t = 0; t < 300; t++) {
    let sum = 0;
    for (let p = 0; p < 48; p++) sum += (lp[t * 48 + p] = Math.exp(2 * rng.normal()));
    for (let p = 0; p < 48; p++) lp[t * 48 + p] = Math.log(lp[t * 48 + p]! / sum);
  }
  return lp;
});
const decodeRows = [
  await measure('viterbi phone loop, 20 utterances x 300 frames, 48 phones', () => post.forEach((lp) => decoder.decode(lp)), { repeats: 7, work: { amount: 20, unit: 'utterances/s' } }),
  await measure('viterbi phone loop, minDuration 3', () => post.forEach((lp) => decoder.withOptions({ minDuration: 3 }).decode(lp)), { repeats: 5, work: { amount: 20, unit: 'utterances/s' } }),
];

report('feature extraction (one core)', rows);
report('feature store', storeRows);
report('phone error rate decoding', decodeRows);
