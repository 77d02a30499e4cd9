/**
 * The commands: `mohaq export` in every format (from a float model, from its integer export, from a
 * search run's solution), `mohaq import onnx`, `mohaq eval --integer-only`; the C export's own test
 * files check out with gcc; errors name the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFeatureStore } from '../../src/data/store/store.js';
import { buildIntegerModel } from '../../src/export/integer-model.js';
import { evaluateIntegerModel } from '../../src/export/integer-eval.js';
import { loadQuantizedModel } from '../../src/export/quantized-file.js';
import { decodeModel } from '../../src/export/onnx-proto.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { loadModel, saveModel } from '../../src/nn/io.js';
import { storeCalibration } from '../../src/quant/store.js';
import { appendEvaluations, createRunDir, writeFront } from '../../src/search/run-dir.js';
import { RUN_FORMAT } from '../../src/search/run-format.js';
import type { RunConfig } from '../../src/search/run-format.js';
import { runMohaq } from '../helpers/cli.js';
import { writeStore } from '../helpers/store.js';
import { randomSet } from '../quant/helpers.js';
import { randomTorchRnn, torchOnnx } from './torch-onnx.js';
import { tiny } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-export-cli-'));
const data = join(dir, 'feats');
writeStore(data, { train: randomSet(12, 1), dev: randomSet(10, 2), test: randomSet(4, 3) });
const modelPath = join(dir, 'model.safetensors');
const model = tiny('sru', 4);
saveModel(modelPath, model);

function ok(args: string[]): string {
  const r = runMohaq(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('mohaq export --format c: model.h, model.c and test files that check out with gcc', () => {
  const out = join(dir, 'c');
  const stdout = ok(['export', '--model', modelPath, '--data', data, '--bits', '*=4/8,FC=8/8', '--format', 'c', '--out', out, '--max-frames', '64', '--test-utterances', '2', '--opt-size', '6']);
  assert.match(stdout, /^exported .*model\.safetensors \(\*=4\/8,FC=8\/8\) as c: \*=4\/8,FC=8\/8\n  .*\/c\/model\.h  [\d.]+ KiB\n  .*\/c\/model\.c  [\d.]+ KiB\n  .*test_input\.txt .*\n  .*test_expected\.txt .*\nstatic buffers for 64 frames; logits in Q\d+\ncheck: cd .*\/c && gcc -std=c99 -O2 -DMOHAQ_MAIN model\.c -o model && \.\/model test_input\.txt \| cmp - test_expected\.txt\n$/);
  if (spawnSync('gcc', ['--version']).status !== 0) assert.fail('gcc is required for this test (install gcc; CI has it)');
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-O2', '-DMOHAQ_MAIN', 'model.c', '-o', 'model'], { cwd: out });
  const got = execFileSync(join(out, 'model'), ['test_input.txt'], { cwd: out, encoding: 'utf8' });
  assert.ok(got === readFileSync(join(out, 'test_expected.txt'), 'utf8'));
});

test('mohaq export --format safetensors, then onnx from the export file; mohaq eval --integer-only', async () => {
  const q = join(dir, 'q.safetensors');
  const s = JSON.parse(ok(['export', '--model', modelPath, '--data', data, '--bits', '*=4/4,FC=8/8', '--format', 'safetensors', '--out', q, '--opt-size', '6', '--json']));
  assert.equal(s.bits, '*=4/4,FC=8/8');
  assert.equal(s.details.integerEngine, true);
  assert.ok(s.details.packed >= 3);
  const back = loadQuantizedModel(q);
  assert.equal(back.stored.bits, '*=4/4,FC=8/8');
  const onnx = join(dir, 'q.onnx');
  const o = JSON.parse(ok(['export', '--model', q, '--format', 'onnx', '--out', onnx, '--json']));
  assert.deepEqual(o.details.layers.map((l: { form: string }) => l.form), ['Scan', 'Scan']);
  assert.equal(decodeModel(readFileSync(onnx)).graph!.output![0]!.name, 'logits');
  // --integer-only: the library's figures
  const e = JSON.parse(ok(['eval', '--model', modelPath, '--data', data, '--split', 'test', '--bits', '*=4/4,FC=8/8', '--opt-size', '6', '--integer-only', '--json']));
  const store = loadFeatureStore(data);
  const { calibration } = storeCalibration(model, store, { opt: { size: 6 } });
  const want = await evaluateIntegerModel(buildIntegerModel(model, '*=4/4,FC=8/8', calibration), store.split('test'), { decoder: PhoneLoopDecoder.fromFeatureSet(store.split('train')) });
  assert.equal(e.integerOnly, true);
  assert.equal(e.per, want.per);
  assert.equal(e.fer, want.fer);
});

test('mohaq export --run RUN_DIR --solution ID: the solution\'s bits, the run\'s model, data and options', () => {
  const run = join(dir, 'run');
  const config: RunConfig = {
    format: RUN_FORMAT,
    mohaqVersion: '0.1.0',
    createdAt: new Date(0).toISOString(),
    model: { path: modelPath, name: model.arch.name, sha256: 'x', parameters: model.layout.total, fp32Bytes: model.layout.total * 4 },
    data: { path: data, split: 'opt', utterances: 6, frames: 60 },
    platform: { name: 'bitfusion', spec: {} },
    objectives: ['error', 'speedup'],
    constraints: {},
    search: { algorithm: 'nsga2', populationSize: 4, offspringSize: 2, generations: 1, seed: 1, crossover: { prob: 1, eta: 3 }, mutation: { eta: 3 }, workers: 1 },
    matrices: ['L0', 'L1.proj', 'L1', 'FC'],
    genes: [],
    settings: { opt: { size: 6 }, quant: { skipCandidate: null } },
  };
  createRunDir(run, config);
  const rec = { generation: 0, genome: [], error: 50, speedup: 4, energy: NaN, memoryBytes: 1000, compression: 8, feasible: true, violations: [], cacheHit: false, seconds: 1 };
  appendEvaluations(run, [{ ...rec, index: 0, bits: '*=8/8' }, { ...rec, index: 7, bits: '*=2/8,L0=4/8' }]);
  writeFront(run, { format: RUN_FORMAT, objectives: ['error', 'speedup'], final: true, entries: [{ id: 7, bits: '*=2/8,L0=4/8', perMatrix: {}, error: 50, speedup: 4, energy: 0, memoryBytes: 1000, compression: 8, fromBeacon: false }], references: [], hypervolume: 0, hypervolumeReference: [1, 1] });
  const out = join(dir, 'sol7.safetensors');
  const s = JSON.parse(ok(['export', '--run', run, '--solution', '7', '--format', 'safetensors', '--out', out, '--json']));
  assert.equal(s.bits, '*=2/8,L0=4/8');
  assert.match(s.source, /run solution 7 \(\*=2\/8,L0=4\/8\)$/);
  assert.equal(loadQuantizedModel(out).stored.bits, '*=2/8,L0=4/8');
  const missing = runMohaq(['export', '--run', run, '--solution', '3', '--format', 'c', '--out', join(dir, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /solution 3 not found in .*run: it is neither in front\.json \(ids 7\) nor in evaluations\.csv \(2 evaluations\)/);
});

test('mohaq import onnx: a PyTorch LSTM graph becomes a model file; errors name the flag', () => {
  const m = randomTorchRnn('lstm', { input: 5, hidden: 4, layers: 2, bidirectional: true, output: 48, seed: 3 });
  const onnx = join(dir, 'torch.onnx');
  writeFileSync(onnx, torchOnnx(m));
  const out = join(dir, 'imported.safetensors');
  const stdout = ok(['import', 'onnx', '--model', onnx, '--out', out, '--name', 'torch-lstm']);
  assert.match(stdout, /^torch-lstm: 2 LSTM layers, 5 inputs -> 48 outputs, [\d,]+ parameters\n  L0  LSTM node .*: 4 units x 2 directions\n  L1  LSTM node .*: 4 units x 2 directions\n  FC  8 -> 48\nchecked: the graph and the imported model agree to .* on a random input\nwrote .*imported\.safetensors \([\d.]+ MiB, F32\)\n$/);
  assert.equal(loadModel(out).arch.layers.length, 2);
  const r = runMohaq(['export', '--model', modelPath, '--format', 'c', '--out', join(dir, 'nobits')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Expected a bits spec such as "\*=8\/8,FC=4\/8" \(or --run RUN_DIR --solution ID\) for --bits but received nothing/);
  assert.ok(!existsSync(join(dir, 'nobits')));
});
