/**
 * Export speed: building the integer model of the default model, the TypeScript integer-only engine
 * and the exported C engine (gcc -O2) on the same 30 dev utterances, the fake-quantized forward for
 * reference, and the three exports' build times. Uses models/sru-small.safetensors and /work/data/feats
 * (MOHAQ_BENCH_DATA overrides); CPU time is reported beside wall time (this is a shared 2-core machine).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFeatureStore } from '../src/data/store/store.js';
import { formatCInput, writeCExport } from '../src/export/c-export.js';
import { quantizeInput, runIntegerModel } from '../src/export/integer-engine.js';
import { buildIntegerModel } from '../src/export/integer-model.js';
import { exportOnnx } from '../src/export/onnx-export.js';
import { quantizedExport } from '../src/export/quantized-file.js';
import { forward } from '../src/nn/forward.js';
import { loadModel } from '../src/nn/io.js';
import { createQuantHook } from '../src/quant/hook.js';
import { storeCalibration } from '../src/quant/store.js';
import { measure, report } from './harness.js';

const MODEL = new URL('../models/sru-small.safetensors', import.meta.url).pathname;
const DATA = process.env.MOHAQ_BENCH_DATA ?? '/work/data/feats';
const SPEC = '*=4/4,FC=8/8';
const model = loadModel(MODEL);
const store = loadFeatureStore(DATA);
const { calibration } = storeCalibration(model, store);
const dev = store.split('dev');
const D = model.arch.input;
const utts = dev.utterances.slice(0, 30).map((u) => ({ T: u.frames, x: dev.feats.subarray(u.offset * D, (u.offset + u.frames) * D) }));
const frames = utts.reduce((s, u) => s + u.T, 0);
const rows = [];

let im = buildIntegerModel(model, SPEC, calibration);
rows.push(await measure(`build the integer model (sru-small, ${SPEC})`, () => (im = buildIntegerModel(model, SPEC, calibration)), { repeats: 3 }));
const coded = utts.map((u) => ({ T: u.T, codes: quantizeInput(im, u.x, u.T) }));
const cpu = (fn: () => void) => () => {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  cpuSeconds.push((c.user + c.system) / 1e6);
};
let cpuSeconds: number[] = [];
rows.push(await measure(`TypeScript integer-only engine, ${utts.length} utterances / ${frames} frames, 1 thread`, cpu(() => coded.forEach((u) => runIntegerModel(im, u.codes, u.T))), { repeats: 3, work: { amount: frames, unit: 'frames/s' } }));
{
  const timed = cpuSeconds.slice(1).sort((a, b) => a - b); // without the warm-up run
  const med = timed[Math.floor(timed.length / 2)]!;
  rows.push({ name: '  the same, CPU time (all threads of the process)', median: med, min: timed[0]!, max: timed[timed.length - 1]!, runs: timed.length, rate: { value: frames / med, unit: 'frames/s' } });
}
cpuSeconds = [];
const hook = createQuantHook(model, SPEC, calibration);
rows.push(await measure('fake-quantized forward (WASM kernels), the same utterances one by one', () => utts.forEach((u) => forward(model, { x: Float32Array.from(u.x), T: u.T, B: 1, lengths: Int32Array.of(u.T) }, { hook })), { repeats: 3, work: { amount: frames, unit: 'frames/s' } }));

const dir = mkdtempSync(join(tmpdir(), 'mohaq-bench-c-'));
writeCExport(im, dir, { maxFrames: 1000 });
const gcc = spawnSync('gcc', ['-std=c99', '-O2', '-DMOHAQ_MAIN', '-o', join(dir, 'model'), join(dir, 'model.c')]);
if (gcc.status === 0) {
  writeFileSync(join(dir, 'input.txt'), formatCInput(coded, D));
  rows.push(await measure(`C engine (gcc -O2), the same ${frames} frames, incl. text I/O`, () => execFileSync(join(dir, 'model'), [join(dir, 'input.txt')], { maxBuffer: 1 << 28 }), { repeats: 5, work: { amount: frames, unit: 'frames/s' } }));
} else {
  console.log(`gcc failed or is missing: ${gcc.stderr?.toString() ?? gcc.error?.message}`);
}

rows.push(await measure('safetensors export (in memory)', () => quantizedExport(model, SPEC, calibration), { repeats: 3 }));
rows.push(await measure('C export (sources in memory)', () => writeCExport(im, join(dir, 'again'), { maxFrames: 1000 }), { repeats: 3 }));
rows.push(await measure('ONNX export (encoded)', () => exportOnnx(model, SPEC, calibration), { repeats: 3 }));
report('export', rows);
