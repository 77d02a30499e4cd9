/**
 * Post-training quantization speed for the search: one genome's evaluation (PTQ forward + FER + PER) of
 * the default model on the optimization subset (100 dev utterances) on one thread, cold (no layer
 * output to reuse) and in a search-like sequence of random genomes (layer outputs reused), plus the
 * float forward and the calibration. Uses models/sru-small.safetensors when present, else a randomly
 * initialised sru-small (timing does not depend on accuracy), and the default store /work/data/feats
 * (MOHAQ_BENCH_DATA overrides).
 */
import { existsSync } from 'node:fs';
import { loadFeatureStore } from '../src/data/store/store.js';
import { forward } from '../src/nn/forward.js';
import { loadModel } from '../src/nn/io.js';
import { createModel } from '../src/nn/model.js';
import { listMatrices, presetArchitecture } from '../src/nn/arch.js';
import { PhoneLoopDecoder } from '../src/metrics/phone-loop.js';
import { makeBatches } from '../src/data/batch.js';
import { calibrate } from '../src/quant/calibration.js';
import { GenomeEvaluator, createGenomePool } from '../src/quant/genome.js';
import { optSubset } from '../src/quant/subset.js';
import { decoderFromMetadata } from '../src/quant/decoder.js';
import type { BitsAssignment } from '../src/quant/bits-spec.js';
import { Rng } from '../src/util/rng.js';
import { measure, median, report } from './harness.js';

const MODEL = new URL('../models/sru-small.safetensors', import.meta.url).pathname;
const DATA = process.env.MOHAQ_BENCH_DATA ?? '/work/data/feats';
const model = existsSync(MODEL) ? loadModel(MODEL) : createModel(presetArchitecture('sru-small'), new Rng(1));
const modelName = existsSync(MODEL) ? 'sru-small (models/)' : 'sru-small (random init)';
const store = loadFeatureStore(DATA);
const opt = optSubset(store.split('dev'));
const frames = opt.utterances.reduce((s, u) => s + u.frames, 0);
const decoder = decoderFromMetadata(model) ?? PhoneLoopDecoder.fromFeatureSet(store.split('train'));
const rows = [];

const batches = makeBatches(opt, { maxFrames: 8000 });
rows.push(await measure(`float forward only, ${modelName}, ${opt.utterances.length} utts / ${frames} frames`, () => batches.forEach((b) => forward(model, b)), { repeats: 5, work: { amount: frames, unit: 'frames/s' } }));

let calibration = calibrate(model, opt);
rows.push(await measure('calibration on the opt subset', () => (calibration = calibrate(model, opt)), { warmup: 0, repeats: 3 }));

const ev = new GenomeEvaluator(model, opt, { calibration, decoder });
const matrices = listMatrices(model.arch).map((m) => m.name);
const rng = new Rng(7);
const CHOICES = [2, 4, 8, 16];
const randomGenome = (): BitsAssignment => Object.fromEntries(matrices.map((n) => [n, { w: CHOICES[rng.int(4)]!, a: CHOICES[rng.int(4)]! }]));
let g = randomGenome();
// CPU time too: on this shared 2-core machine other jobs inflate wall time
const cpu: number[] = [];
rows.push(
  await measure('one genome, cold (no reusable layer outputs)', () => {
    ev.clear();
    g = randomGenome();
    const c0 = process.cpuUsage();
    ev.evaluate(g);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }, { warmup: 2, repeats: 9, target: '<= 1 s' }),
);
const measured = cpu.slice(2);
rows.push({ name: '  the same, CPU time of this process', median: median(measured), min: Math.min(...measured), max: Math.max(...measured), runs: measured.length, target: '<= 1 s' });
rows.push(
  await measure('one genome differing only in FC (all layers reused)', () => {
    ev.evaluate({ ...g, FC: { w: CHOICES[rng.int(4)]!, a: CHOICES[rng.int(4)]! } });
  }, { warmup: 1, repeats: 9 }),
);

// a search-like stream: mutate 1-3 genes of a parent drawn from the last 40 genomes
ev.clear();
const population: BitsAssignment[] = Array.from({ length: 40 }, randomGenome);
for (const p of population) ev.evaluate(p);
const before = ev.stats();
const STREAM = 60;
rows.push(
  await measure(`search-like stream of ${STREAM} mutated genomes (per genome)`, () => {
    for (let i = 0; i < STREAM; i++) {
      const child = structuredClone(population[rng.int(population.length)]!);
      for (let m = 1 + rng.int(3); m > 0; m--) child[matrices[rng.int(matrices.length)]!] = { w: CHOICES[rng.int(4)]!, a: CHOICES[rng.int(4)]! };
      ev.evaluate(child);
      population[rng.int(population.length)] = child;
    }
  }, { warmup: 0, repeats: 1, work: { amount: STREAM, unit: 'genomes/s' } }),
);
for (const f of ['median', 'min', 'max'] as const) rows[rows.length - 1]![f] /= STREAM;
const after = ev.stats();

// two worker threads, each with its own evaluator (job-level parallelism, as the search runs them)
const pool = await createGenomePool(model, opt, { calibration, decoder }, 2);
const POOLED = 20;
const pooled = Array.from({ length: POOLED + 2 }, randomGenome);
await pool.map(pooled.slice(0, 2)); // start the workers
rows.push(await measure(`${POOLED} cold genomes on 2 worker threads (per genome)`, () => pool.map(pooled.slice(2)), { warmup: 0, repeats: 1, work: { amount: POOLED, unit: 'genomes/s' } }));
for (const f of ['median', 'min', 'max'] as const) rows[rows.length - 1]![f] /= POOLED;
await pool.close();
report(`post-training quantization (${modelName}, opt subset of ${store.dir}, 1 thread)`, rows);
const passes = after.layerPasses - before.layerPasses;
const reused = after.reusedLayers - before.reusedLayers;
console.log(`stream: ${reused} of ${passes + reused} layer passes reused (${((100 * reused) / (passes + reused)).toFixed(0)} %), ${after.cachedResults - before.cachedResults} repeated genomes`);
