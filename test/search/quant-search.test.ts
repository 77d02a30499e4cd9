import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../../src/nn/model.js';
import { saveModel } from '../../src/nn/io.js';
import { allGenomes, buildGenes, decodeGenome, encodeGenome, spaceSize } from '../../src/search/genes.js';
import { balancedChunks, resumeQuantSearch, runQuantSearch } from '../../src/search/quant-search.js';
import { readRunDir } from '../../src/search/run-dir.js';
import { builtinPlatform } from '../../src/hw/platforms/index.js';
import { Rng } from '../../src/util/rng.js';
import type { Progress } from '../../src/util/progress.js';
import { learnableSet, writeStore } from '../helpers/store.js';
import { runMohaq } from '../helpers/cli.js';

const DIM = 6;
const dir = mkdtempSync(join(tmpdir(), 'mohaq-search-'));
const data = join(dir, 'feats');
writeStore(data, { train: learnableSet('train', 20, DIM, 1), dev: learnableSet('dev', 24, DIM, 2), test: learnableSet('test', 8, DIM, 3) });
const modelPath = join(dir, 'tiny.safetensors');
saveModel(modelPath, createModel({ name: 'tiny-sru', input: DIM, output: 48, layers: [{ type: 'sru', hidden: 8 }, { type: 'sru', hidden: 8, projection: 6 }] }, new Rng(4)));

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('genes index the platform precisions; decode and encode round trip', () => {
  const matrices = ['L0', 'L1.proj', 'L1', 'FC'];
  const silago = buildGenes(matrices, builtinPlatform('silago')!);
  assert.equal(silago.length, 4);
  assert.deepEqual(silago[0]!.choices, [4, 8, 16]);
  assert.equal(spaceSize(silago), 81);
  const bf = buildGenes(matrices, builtinPlatform('bitfusion')!);
  assert.equal(bf.length, 8);
  assert.deepEqual(decodeGenome(bf, [0, 1, 2, 3, 0, 0, 3, 3]), { L0: { w: 2, a: 4 }, 'L1.proj': { w: 8, a: 16 }, L1: { w: 2, a: 2 }, FC: { w: 16, a: 16 } });
  let n = 0;
  for (const g of allGenomes(silago)) {
    assert.deepEqual(encodeGenome(silago, decodeGenome(silago, g)), g);
    n++;
  }
  assert.equal(n, 81);
  assert.equal(encodeGenome(silago, { L0: { w: 4, a: 8 }, 'L1.proj': { w: 4, a: 4 }, L1: { w: 4, a: 4 }, FC: { w: 4, a: 4 } }), null, 'w != a is not a SiLago genome');
});

function abortAfter(generation: number, controller: AbortController): Progress {
  let updates = 0;
  return {
    start() {},
    update() {
      if (++updates === generation) controller.abort();
    },
    stop() {},
    log() {},
  };
}

const base = { model: modelPath, data, platform: 'bitfusion', objectives: ['error' as const, 'speedup' as const], maxMemoryBytes: 1400, generations: 4, populationSize: 8, offspringSize: 4, seed: 3, opt: { size: 12 } };

function rows(run: string): unknown[] {
  // every evaluation without its timing (seconds differ between runs)
  return readRunDir(run).evaluations.map(({ seconds: _seconds, ...rest }) => rest);
}

test('a search writes a readable run directory; 1 and 2 workers give identical results', async () => {
  const one = await runQuantSearch({ ...base, workers: 1, out: join(dir, 'w1') });
  assert.equal(one.state, 'finished');
  assert.equal(one.evaluations, 8 + 3 * 4);
  const run = readRunDir(join(dir, 'w1'));
  assert.equal(run.status.state, 'finished');
  assert.equal(run.evaluations.length, 20);
  assert.equal(run.history.length, 4);
  assert.ok(run.front && run.front.final);
  assert.deepEqual(run.front!.references.map((r) => r.name), ['fp32', 'all-16', 'all-8', 'all-4']);
  for (const e of run.front!.entries) assert.ok(e.memoryBytes <= 1400, 'front points satisfy the memory constraint');
  const two = await runQuantSearch({ ...base, workers: 2, out: join(dir, 'w2') });
  assert.deepEqual(rows(join(dir, 'w2')), rows(join(dir, 'w1')));
  assert.deepEqual(two.front.entries, one.front.entries);
});

test('a search stopped after generation 2 and resumed ends with the same evaluations and front', async () => {
  const full = await runQuantSearch({ ...base, workers: 1, out: join(dir, 'full') });
  const controller = new AbortController();
  const stopped = await runQuantSearch({ ...base, workers: 1, out: join(dir, 'part'), progress: abortAfter(2, controller), signal: controller.signal });
  assert.equal(stopped.state, 'interrupted');
  assert.equal(readRunDir(join(dir, 'part')).status.state, 'interrupted');
  const resumed = await resumeQuantSearch(join(dir, 'part'), { workers: 2 });
  assert.equal(resumed.state, 'finished');
  assert.deepEqual(rows(join(dir, 'part')), rows(join(dir, 'full')));
  assert.deepEqual(resumed.front.entries, full.front.entries);
});

test('exhaustive SiLago search evaluates every genome once and its front dominates the NSGA-II archive', async () => {
  const ex = await runQuantSearch({ model: modelPath, data, platform: 'silago', objectives: ['error', 'speedup', 'energy'], exhaustive: true, workers: 2, out: join(dir, 'ex'), opt: { size: 12 } });
  assert.equal(ex.evaluations, 81);
  const ga = await runQuantSearch({ model: modelPath, data, platform: 'silago', objectives: ['error', 'speedup', 'energy'], generations: 3, populationSize: 8, offspringSize: 4, workers: 1, out: join(dir, 'ga'), opt: { size: 12 } });
  assert.ok(ga.front.hypervolume <= ex.front.hypervolume + 1e-12);
  assert.ok(ex.front.hypervolume > 0);
});

test('mohaq search CLI: missing flags, a finished run and mohaq front', () => {
  const missing = runMohaq(['search', '--model', modelPath, '--data', data]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Expected a value \(or --resume RUN_DIR\) for --platform/);
  const out = join(dir, 'cli');
  const r = runMohaq(['search', '--model', modelPath, '--data', data, '--platform', 'silago', '--generations', '2', '--population', '6', '--offspring', '3', '--workers', '1', '--opt-size', '10', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /finished after 2 generation\(s\): [89] evaluations/);
  const f = runMohaq(['front', out]);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /tiny-sru on silago, [89] evaluations/);
  assert.match(f.stdout, /all-16/);
  const again = runMohaq(['search', '--model', modelPath, '--data', data, '--platform', 'silago', '--out', out]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a mohaq run/);
});

test('beacon search: promising genomes get beacons, errors are min(PTQ, beacon), resume keeps finished beacons', async () => {
  const { readBeacons } = await import('../../src/search/beacons.js');
  const { statSync } = await import('node:fs');
  const beaconRun = { ...base, maxMemoryBytes: undefined, generations: 3, beacons: { mode: 'auto' as const, maxBeacons: 2, epochs: 1, distance: 3, minError: 0, maxError: 100 } };
  await runQuantSearch({ ...beaconRun, workers: 1, out: join(dir, 'bfull') });
  const beacons = readBeacons(join(dir, 'bfull'));
  assert.equal(beacons.length, 2);
  const evals = readRunDir(join(dir, 'bfull')).evaluations;
  const served = evals.filter((e) => e.beacon !== undefined);
  assert.ok(served.length >= 2, 'beacons served genomes');
  for (const e of served) {
    assert.equal(e.error, Math.min(e.baseError!, e.beaconError!));
    assert.ok(beacons.some((b) => b.id === e.beacon));
  }
  // the genome that became a beacon is served by it
  for (const b of beacons) assert.equal(evals[b.origin]!.beacon, b.id);

  const controller = new AbortController();
  const part = join(dir, 'bpart');
  await runQuantSearch({ ...beaconRun, workers: 1, out: part, progress: abortAfter(2, controller), signal: controller.signal });
  const before = readBeacons(part);
  const mtimes = before.map((b) => statSync(join(part, b.model)).mtimeMs);
  const resumed = await resumeQuantSearch(part, { workers: 1 });
  assert.equal(resumed.state, 'finished');
  const after = readBeacons(part);
  assert.deepEqual(after.slice(0, before.length).map((b) => b.id), before.map((b) => b.id));
  before.forEach((b, i) => assert.equal(statSync(join(part, b.model)).mtimeMs, mtimes[i], `beacon ${b.id} was not retrained`));
  assert.deepEqual(rows(part), rows(join(dir, 'bfull')));
});

test('delta search: threshold genes, eliminated operations as an objective, delta-aware speedup on a skipping platform', async () => {
  const { writeFileSync } = await import('node:fs');
  const { builtinPlatform: bp } = await import('../../src/hw/platforms/index.js');
  const r = await runQuantSearch({ model: modelPath, data, platform: 'silago', delta: true, generations: 3, populationSize: 8, offspringSize: 4, workers: 1, out: join(dir, 'delta'), opt: { size: 12 } });
  const run = readRunDir(join(dir, 'delta'));
  assert.deepEqual(run.config.objectives, ['error', 'speedup', 'eliminated']);
  assert.equal(run.config.genes.filter((g) => g.target === 'delta').length, 4);
  for (const e of run.evaluations) {
    assert.ok(e.eliminatedOps !== undefined && e.eliminatedOps >= 0 && e.eliminatedOps <= 1);
    assert.ok(e.thresholds, 'every genome records its thresholds');
  }
  assert.ok(r.front.entries.every((e) => e.thresholds !== undefined && e.eliminatedOps !== undefined));
  assert.ok(run.evaluations.some((e) => e.eliminatedOps! > 0), 'integer activations repeat: something is eliminated');

  const skipping = join(dir, 'silago-skip.json');
  writeFileSync(skipping, JSON.stringify({ ...bp('silago')!.spec, name: 'silago-skip', deltaSkipping: true }));
  await runQuantSearch({ model: modelPath, data, platform: skipping, delta: true, objectives: ['error', 'speedup'], generations: 2, populationSize: 6, offspringSize: 3, workers: 1, out: join(dir, 'delta-skip'), opt: { size: 12 } });
  const skip = readRunDir(join(dir, 'delta-skip'));
  const faster = skip.evaluations.filter((e) => e.eliminatedOps! > 0);
  assert.ok(faster.length > 0);
  const silago = builtinPlatform('silago')!;
  const { platformCost } = await import('../../src/hw/cost.js');
  const { buildInventory } = await import('../../src/hw/inventory.js');
  const { loadModel } = await import('../../src/nn/io.js');
  const { parseBitsSpec } = await import('../../src/quant/bits-spec.js');
  const inv = buildInventory(loadModel(modelPath).arch);
  for (const e of faster) {
    const plain = platformCost(silago, inv, parseBitsSpec(e.bits, skip.config.matrices), { capacityBytes: null }).speedup;
    assert.ok(e.speedup > plain, `delta skipping makes ${e.bits} faster than ${plain}`);
  }
});

test('an interrupted exhaustive search resumes without evaluating a genome twice', async () => {
  const controller = new AbortController();
  const out = join(dir, 'ex-part');
  const opts = { model: modelPath, data, platform: 'silago', objectives: ['error' as const, 'speedup' as const], exhaustive: true, opt: { size: 12 } };
  const stopped = await runQuantSearch({ ...opts, workers: 1, out, progress: abortAfter(1, controller), signal: controller.signal });
  assert.equal(stopped.state, 'interrupted');
  const partial = readRunDir(out).evaluations.length;
  assert.ok(partial > 0 && partial < 81);
  const resumed = await resumeQuantSearch(out, { workers: 2 });
  assert.equal(resumed.state, 'finished');
  const rows = readRunDir(out).evaluations;
  assert.equal(rows.length, 81);
  assert.equal(new Set(rows.map((r) => r.genome.join(','))).size, 81);
  assert.deepEqual(rows.map((r) => r.index), rows.map((_, i) => i));
});

test('balancedChunks: consecutive chunks, a multiple of the worker count, sizes within one', () => {
  const sizes = (n: number, max: number, threads: number) => balancedChunks([...Array(n).keys()], max, threads).map((c) => c.length);
  assert.deepEqual(sizes(10, 2, 2), [2, 2, 2, 2, 1, 1]);
  assert.deepEqual(sizes(40, 2, 2), Array(20).fill(2));
  assert.deepEqual(sizes(7, 2, 2), [2, 2, 2, 1]);
  assert.deepEqual(sizes(1, 2, 2), [1]);
  assert.deepEqual(sizes(0, 2, 2), []);
  assert.deepEqual(sizes(6561, Infinity, 2), [3281, 3280]);
  assert.deepEqual(sizes(10, 3, 4), [3, 3, 2, 2]);
  assert.deepEqual(balancedChunks([...Array(5).keys()], 2, 2).flat(), [0, 1, 2, 3, 4]);
});
