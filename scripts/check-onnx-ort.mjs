// By hand, not part of the tests (onnxruntime-node is not a mohaq dependency): mohaq's ONNX exports and
// imports checked against onnxruntime.
//
//   mkdir -p /tmp/ort && cd /tmp/ort && echo '{"private":true}' > package.json \
//     && ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node
//   cd /work/main && node --conditions=mohaq-source --import tsx scripts/check-onnx-ort.mjs [MODEL] [FEATDIR]
//   (ORT_DIR=/tmp/ort by default; MODEL models/sru-small.safetensors, FEATDIR /work/data/feats)
//
// 1. The default model exported at a few bits specs: onnxruntime's logits against mohaq's fake
//    quantization on dev utterances (one utterance per run).
// 2. Tiny LSTM, GRU (both conventions, BatchNorm) and LiGRU models, Scan and LSTM/GRU-operator forms:
//    onnxruntime against mohaq's fake quantization and against mohaq's ONNX interpreter.
// 3. A PyTorch-layout LSTM graph: onnxruntime's output against mohaq's import of it.
import { createRequire } from 'node:module';
import { loadFeatureStore } from '../src/data/store/store.js';
import { exportOnnx } from '../src/export/onnx-export.js';
import { runOnnx } from '../src/export/onnx-eval.js';
import { importOnnx } from '../src/export/onnx-import.js';
import { tensor } from '../src/export/onnx-proto.js';
import { forward } from '../src/nn/forward.js';
import { loadModel } from '../src/nn/io.js';
import { createModel } from '../src/nn/model.js';
import { calibrate } from '../src/quant/calibration.js';
import { createQuantHook } from '../src/quant/hook.js';
import { storeCalibration } from '../src/quant/store.js';
import { Rng } from '../src/util/rng.js';
import { randomTorchRnn, torchOnnx } from '../test/export/torch-onnx.js';

const ort = createRequire(`${process.env.ORT_DIR ?? '/tmp/ort'}/package.json`)('onnxruntime-node');
const modelPath = process.argv[2] ?? 'models/sru-small.safetensors';
const featDir = process.argv[3] ?? '/work/data/feats';

function compare(a, b, outputs) {
  let max = 0;
  let same = 0;
  let agree = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
    if (a[i] === b[i]) same++;
  }
  const rows = a.length / outputs;
  for (let r = 0; r < rows; r++) {
    let x = 0;
    let y = 0;
    for (let j = 1; j < outputs; j++) {
      if (a[r * outputs + j] > a[r * outputs + x]) x = j;
      if (b[r * outputs + j] > b[r * outputs + y]) y = j;
    }
    if (x === y) agree++;
  }
  return `max |diff| ${max.toExponential(2)}, identical ${(100 * same / a.length).toFixed(1)}%, same argmax ${(100 * agree / rows).toFixed(2)}%`;
}

async function ortRun(bytes, x, dims) {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  return (await session.run({ features: new ort.Tensor('float32', x, dims) })).logits.data;
}

console.log(`onnxruntime ${ort.env.versions?.common ?? ''}`);

// 1. the default model
{
  const model = loadModel(modelPath);
  const store = loadFeatureStore(featDir);
  const { calibration } = storeCalibration(model, store);
  const dev = store.split('dev');
  const D = model.arch.input;
  const O = model.arch.output;
  for (const spec of ['*=8/8', '*=4/4,FC=8/8', '*=2/4,L0=8/8,FC=8/8', '*=16/16']) {
    const ex = exportOnnx(model, spec, calibration);
    const hook = createQuantHook(model, spec, calibration);
    const a = [];
    const b = [];
    let seconds = 0;
    let frames = 0;
    for (let u = 0; u < 10; u++) {
      const utt = dev.utterances[u];
      const T = utt.frames;
      const x = Float32Array.from(dev.feats.subarray(utt.offset * D, (utt.offset + T) * D));
      const t0 = performance.now();
      a.push(...(await ortRun(ex.bytes, x, [T, 1, D])));
      seconds += (performance.now() - t0) / 1000;
      frames += T;
      b.push(...forward(model, { x, T, B: 1, lengths: Int32Array.of(T) }, { hook }));
    }
    console.log(`${model.arch.name} ${spec} (${ex.layers.map((l) => l.form).join(',')}, ${(ex.bytes.length / 1024).toFixed(0)} KiB): onnxruntime vs mohaq fake quantization on 10 dev utterances: ${compare(a, b, O)} (onnxruntime ${(frames / seconds).toFixed(0)} frames/s incl. session creation)`);
  }
}

// 2. tiny models of every gated cell
{
  const rng = new Rng(3);
  const D = 5;
  const archs = {
    lstm: { input: D, output: 11, layers: [{ type: 'lstm', hidden: 6, batchNorm: true }, { type: 'lstm', hidden: 5, bidirectional: false }] },
    gru: { input: D, output: 11, layers: [{ type: 'gru', hidden: 6, batchNorm: true }, { type: 'gru', hidden: 5, gru: 'torch', batchNorm: true }] },
    ligru: { input: D, output: 11, layers: [{ type: 'ligru', hidden: 6 }] },
  };
  for (const [name, arch] of Object.entries(archs)) {
    const model = createModel(arch, rng);
    for (const e of model.layout.entries) {
      const v = model.params.subarray(e.offset, e.offset + e.size);
      if (e.role === 'bn-mean' || e.role === 'bn-shift' || e.role === 'bias') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-0.3, 0.3);
      if (e.role === 'bn-var' || e.role === 'bn-scale') for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0.5, 1.5);
    }
    const T = 20;
    const B = 3;
    const x = new Float32Array(T * B * D);
    rng.fillNormal(x);
    const set = { name: 'random', dim: D, numLabels: 11, labelKind: 'pdf', utterances: Array.from({ length: B }, (_, b) => ({ id: `u${b}`, speaker: 's', offset: b * T, frames: T })), feats: new Float32Array(B * T * D).map(() => rng.normal()), labels: new Int32Array(B * T), refPhones: () => new Int32Array(0) };
    const calibration = calibrate(model, set);
    for (const [spec, quant] of [['*=8/8', {}], ['*=4/4', { skipCandidate: 'all' }], ['*=4/8', { asymmetric: true, perChannel: true }], ['*=8/32', {}]]) {
      const ex = exportOnnx(model, spec, calibration, { quant });
      const a = await ortRun(ex.bytes, x, [T, B, D]);
      const i = runOnnx(ex.bytes, { features: tensor('float32', [T, B, D], x) }).outputs.logits.data;
      const f = forward(model, { x, T, B, lengths: new Int32Array(B).fill(T) }, { hook: createQuantHook(model, spec, calibration, quant) });
      console.log(`${name} ${spec} ${JSON.stringify(quant)} (${ex.layers.map((l) => l.form).join(',')}): onnxruntime vs fake quantization: ${compare(a, f, 11)}; vs mohaq's interpreter: ${compare(a, i, 11)}`);
    }
  }
}

// 3. import of a PyTorch-layout graph
{
  const m = randomTorchRnn('lstm', { input: 23, hidden: 32, layers: 2, bidirectional: true, output: 48, seed: 1 });
  const bytes = torchOnnx(m);
  const imported = importOnnx(bytes, { file: 'torch-lstm.onnx' });
  const T = 50;
  const B = 2;
  const x = new Float32Array(T * B * 23);
  new Rng(2).fillNormal(x);
  const session = await ort.InferenceSession.create(bytes);
  const a = (await session.run({ input: new ort.Tensor('float32', x, [T, B, 23]) })).output.data;
  const f = forward(imported.model, { x, T, B, lengths: new Int32Array(B).fill(T) });
  console.log(`import of a PyTorch-layout 2-layer bidirectional LSTM: onnxruntime on the graph vs mohaq on the imported model: ${compare(a, f, 48)}`);
}
