/**
 * Delta networks (issue 11): is the skipped work really skipped?
 *
 * 1. Kernel: the sparse row product (int8 weights, i32 accumulation; only the weight rows of the
 *    transmitted inputs are read) against the dense int8 GEMM of the same rows, 800 rows x
 *    [512 x 2048], at several shares of transmitted inputs.
 * 2. Inference: one forward pass over the optimization subset (100 dev utterances) of the default model
 *    at 8/8 and 4/4: integer-exact dense (what delta inference at threshold 0 equals bit for bit) and
 *    fake-quant dense (f32 GEMM, the search's default) against delta inference at threshold 0 and at
 *    the thresholds of the sweeps' headline points, with the measured share of MACs eliminated; the
 *    same for lstm-small when /work/data/models/lstm-small.safetensors exists. Passes run
 *    round-robin, so load from other jobs hits them alike.
 * Uses models/sru-small.safetensors (else a randomly initialised sru-small) and the store
 * /work/data/feats (MOHAQ_BENCH_DATA overrides).
 */
import { existsSync } from 'node:fs';
import { makeBatches } from '../src/data/batch.js';
import { loadFeatureStore } from '../src/data/store/store.js';
import { createKernels } from '../src/kernels/backend.js';
import { presetArchitecture } from '../src/nn/arch.js';
import { forward } from '../src/nn/forward.js';
import { loadModel } from '../src/nn/io.js';
import { createModel } from '../src/nn/model.js';
import type { Model } from '../src/nn/model.js';
import type { QuantHook } from '../src/nn/hook.js';
import { calibrate } from '../src/quant/calibration.js';
import { QuantizationHook, resolveBits } from '../src/quant/hook.js';
import { optSubset } from '../src/quant/subset.js';
import { DeltaHook, denseHook } from '../src/delta/hook.js';
import { summarizeDelta } from '../src/delta/stats.js';
import { formatThresholdSpec } from '../src/delta/thresholds.js';
import { Rng } from '../src/util/rng.js';
import { report } from './harness.js';
import type { Measurement } from './harness.js';

// ---- 1. the kernel -------------------------------------------------------------------------------

const k = createKernels({ backend: 'wasm' });
const [M, K, N] = [800, 512, 2048];
const rng = new Rng(1);
const W = Int8Array.from({ length: K * N }, () => rng.intBetween(-128, 127));
const gops = (2 * M * K * N) / 1e9;
const rowsPacked = k.packDeltaI8(W, K, N);
const kernelRows = k.scope(() => {
  const a = k.i8(M * K);
  for (let i = 0; i < a.length; i++) a[i] = rng.intBetween(-128, 127);
  const c = k.i32(M * N);
  const packed = k.packI8(W, K, N);
  const kernels = [{ name: 'dense int8 GEMM 800x512x2048', run: () => k.gemmI8(a, M, K, packed, c) }];
  for (const transmitted of [1, 0.5, 0.25, 0.1, 0.05]) {
    const start = k.i32(M + 1);
    const index = k.i32(M * K);
    const delta = k.i32(M * K);
    let e = 0;
    for (let r = 0; r < M; r++) {
      for (let i = 0; i < K; i++) {
        if (rng.uniform(0, 1) < transmitted) {
          index[e] = i;
          delta[e] = rng.intBetween(-255, 255);
          e++;
        }
      }
      start[r + 1] = e;
    }
    const acc = k.i32(M * N);
    kernels.push({ name: `delta rows, ${(100 * transmitted).toFixed(0)} % transmitted (${(100 * (1 - transmitted)).toFixed(0)} % skipped)`, run: () => k.deltaProductI8(rowsPacked, M, start, index, delta, acc, N) });
  }
  return interleaved(kernels, 15, { amount: gops, unit: 'dense-equivalent GOP/s' });
});

/**
 * Runs the passes round-robin (one of each per round) and reports the median of each: under varying
 * load from other jobs, the ratios stay fair where consecutive repeats of one pass would not.
 */
function interleaved(passes: Array<{ name: string; run: () => void }>, rounds: number, work: { amount: number; unit: string }): Measurement[] {
  for (const p of passes) p.run();
  const times = passes.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    passes.forEach((p, i) => {
      const t0 = performance.now();
      p.run();
      times[i]!.push((performance.now() - t0) / 1000);
    });
  }
  return passes.map((p, i) => {
    const t = times[i]!.sort((x, y) => x - y);
    const median = t.length % 2 ? t[t.length >> 1]! : (t[t.length / 2 - 1]! + t[t.length / 2]!) / 2;
    return { name: p.name, median, min: t[0]!, max: t[t.length - 1]!, runs: rounds, rate: { value: work.amount / median, unit: work.unit } };
  });
}

report('delta kernel vs dense int8 GEMM (1 thread, WASM SIMD128)', kernelRows);
const dense = kernelRows[0]!.median;
console.log(kernelRows.slice(1).map((r) => `${r.name}: ${(dense / r.median).toFixed(2)}x the dense GEMM's speed`).join('\n'));

// ---- 2. inference ------------------------------------------------------------------------------------

const DATA = process.env.MOHAQ_BENCH_DATA ?? '/work/data/feats';
const SRU = new URL('../models/sru-small.safetensors', import.meta.url).pathname;
const LSTM = '/work/data/models/lstm-small.safetensors';
const store = loadFeatureStore(DATA);
const opt = optSubset(store.split('dev'));
const batches = makeBatches(opt, { maxFrames: 8000 });
const frames = opt.utterances.reduce((s, u) => s + u.frames, 0);

/** The sweeps' headline points (<= 1 PER point over the same bits without deltas; see src/delta/README.md). */
const REPORTED: Record<string, Array<[bits: string, thresholds: string]>> = {
  'sru-small': [['*=8/8', '*=4,L0=0,L1=8,L2=8'], ['*=4/4', '*=0,L1.proj=1,L1=1']],
  'lstm-small': [['*=8/8', '*=16,L0=0,L2.U=32,FC=32'], ['*=4/4', '*=1,L0=0,FC=0']],
};

function inference(model: Model, label: string): void {
  const calibration = calibrate(model, opt);
  const rows: Measurement[] = [];
  const lines: string[] = [];
  const pass = (hook: QuantHook) => () => batches.forEach((b) => forward(model, b, { hook }));
  for (const [spec, reported] of REPORTED[model.arch.name] ?? [['*=8/8', '*=8,L0=0']]) {
    const bits = resolveBits(model, spec);
    const hooks = ['*=0', reported].map((th) => new DeltaHook(model, bits, calibration, th));
    const measured = interleaved(
      [
        { name: `${label} ${spec} integer-exact dense`, run: pass(denseHook(model, bits, calibration)) },
        { name: `${label} ${spec} fake-quant dense (f32 GEMM)`, run: pass(new QuantizationHook(model, bits, calibration)) },
        ...hooks.map((h) => ({ name: `${label} ${spec} delta ${formatThresholdSpec(h.thresholds, Object.keys(bits))}`, run: pass(h) })),
      ],
      7,
      { amount: frames, unit: 'frames/s' },
    );
    rows.push(...measured);
    hooks.forEach((hook, i) => {
      hook.resetCounters();
      pass(hook)();
      const s = summarizeDelta(model, bits, hook.thresholds, hook.counters.values());
      const m = measured[i + 2]!;
      lines.push(`${m.name}: ${(100 * s.eliminatedOps).toFixed(1)} % of the MACs eliminated, ${(measured[0]!.median / m.median).toFixed(2)}x the integer-exact dense speed, ${(measured[1]!.median / m.median).toFixed(2)}x the fake-quant dense speed`);
    });
  }
  report(`${label}: one forward pass over the opt subset (${opt.utterances.length} utterances, ${frames} frames), 1 thread, passes interleaved`, rows);
  console.log(lines.join('\n'));
}

inference(existsSync(SRU) ? loadModel(SRU) : createModel(presetArchitecture('sru-small'), new Rng(1)), existsSync(SRU) ? 'sru-small' : 'sru-small (random init)');
if (existsSync(LSTM)) inference(loadModel(LSTM), 'lstm-small');
