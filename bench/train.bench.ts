/**
 * Training benchmarks (issue 6), on the default corpus's feature store (/work/data/feats, or
 * MOHAQ_BENCH_FEATS): sru-small training frames/s on 1 and 2 workers (the 1500 training utterances at
 * full length, batch 8 in micro-batches of 4, dropout on), and one whole epoch of the default corpus
 * (then the dev set's FER and PER, pool start-up included) on 2 workers, against the target of 60 s.
 * Two workers only pay off on otherwise idle cores: a step waits for both micro-batches.
 */
import { existsSync } from 'node:fs';
import { loadFeatureStore } from '../src/data/store/store.js';
import { subsetFeatureSet } from '../src/data/store/feature-set.js';
import { presetArchitecture } from '../src/nn/arch.js';
import { createModel } from '../src/nn/model.js';
import { trainModel } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';
import { measure, median, report } from './harness.js';
import type { Measurement } from './harness.js';

const dir = process.env.MOHAQ_BENCH_FEATS ?? '/work/data/feats';
if (!existsSync(`${dir}/index.json`)) {
  console.log(`train bench skipped: no feature store at ${dir} (mohaq corpus synth + mohaq features, or set MOHAQ_BENCH_FEATS)`);
  process.exit(0);
}
const store = loadFeatureStore(dir);
const train = store.split('train');
const dev = store.split('dev');
const model = createModel(presetArchitecture('sru-small'), new Rng(1).fork('init'));
const fewDev = subsetFeatureSet(dev, Array.from({ length: 20 }, (_, i) => i), 'dev-20');
const frames = train.labels.length;

/**
 * Training throughput as the trainer measures it (frames of the epoch / seconds of its steps), on the
 * whole training set at full length: the pool's start-up and the dev pass are left out, the workers'
 * warm-up (first WASM compilations, first packings) is not. Median of 3 epochs.
 */
async function trainingRate(workers: number): Promise<Measurement> {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await trainModel(model, { train, dev: fewDev }, { epochs: 1, curriculum: null, devPer: false, workers });
    rates.push(r.history[0]!.framesPerSecond);
  }
  const seconds = rates.map((f) => frames / f);
  const med = median(seconds);
  return { name: `sru-small training epoch (steps only), ${workers} worker${workers > 1 ? 's' : ''}`, median: med, min: Math.min(...seconds), max: Math.max(...seconds), runs: 3, rate: { value: frames / med, unit: 'frames/s' } };
}

const rows = [await trainingRate(1), await trainingRate(2)];
rows.push(
  await measure(`one epoch of the default corpus (${train.labels.length} frames, whole utterances) + dev FER/PER, 2 workers, with pool start-up`, () => trainModel(model, { train, dev }, { epochs: 1, curriculum: null, workers: 2 }), {
    warmup: 0,
    repeats: 1,
    work: { amount: train.labels.length, unit: 'frames/s' },
    target: '<= 60 s',
  }),
);
report('training (sru-small)', rows);
