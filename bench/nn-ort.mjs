// By hand, not part of `npm run bench` (onnxruntime-node is not a mohaq dependency): paper-scale LSTM
// forward in mohaq vs onnxruntime's fused LSTM op, on the same weights and input.
//
//   mkdir -p /tmp/ort && cd /tmp/ort && echo '{"private":true}' > package.json \
//     && ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node
//   cd /work/main && node --conditions=mohaq-source --import tsx bench/nn-ort.mjs [ORT_DIR=/tmp/ort]
//
// The model is paper-lstm without BatchNorm (ONNX's LSTM op has none): 4 bidirectional layers of 550
// units, 23 inputs, 1936 outputs; batch 8 utterances x 400 frames. mohaq runs on one thread and on two
// (two workers each doing half the batch, as nn.bench.ts); onnxruntime with intra-op threads 1 and 2.
import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';
import { presetArchitecture } from '../src/nn/arch.js';
import { forward } from '../src/nn/forward.js';
import { createModel } from '../src/nn/model.js';
import { kernels } from '../src/kernels/backend.js';
import { Rng } from '../src/util/rng.js';
import { spawnWorker } from '../src/util/workers.js';
import { median } from './harness.js';

const { onnx } = onnxProto;
const ort = createRequire(`${process.env.ORT_DIR ?? '/tmp/ort'}/package.json`)('onnxruntime-node');

const T = 400;
const B = 8;
const arch = presetArchitecture('paper-lstm');
arch.layers = arch.layers.map((l) => ({ ...l, batchNorm: false }));
const rng = new Rng(7);
const model = createModel(arch, rng);
const D = model.arch.input;
const x = new Float32Array(T * B * D);
rng.fillUniform(x, -1, 1);
const batch = { x, T, B, lengths: new Int32Array(B).fill(T) };

// ---- the same network as an ONNX graph --------------------------------------------------------------
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const tensor = (name, dims, data) => onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
const valueInfo = (name, dims) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const view = (name) => model.layout.view(model.params, name);
const nodes = [];
const inits = [];
let input = 'x';
const ONNX_GATES = [0, 3, 1, 2]; // ONNX order i, o, f, c from mohaq's i, f, g, o
for (const l of model.arch.layers) {
  const H = l.hidden;
  const In = l.inputSize;
  const W = new Float32Array(2 * 4 * H * In);
  const R = new Float32Array(2 * 4 * H * H);
  const Bias = new Float32Array(2 * 8 * H);
  for (let d = 0; d < 2; d++) {
    const p = `L${l.index}.${d ? 'bwd' : 'fwd'}`;
    const w = view(`${p}.W`);
    const u = view(`${p}.U`);
    const b = view(`${p}.b`);
    ONNX_GATES.forEach((m, g) => {
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < In; i++) W[((d * 4 + g) * H + j) * In + i] = w[i * 4 * H + m * H + j];
        for (let i = 0; i < H; i++) R[((d * 4 + g) * H + j) * H + i] = u[i * 4 * H + m * H + j];
        Bias[d * 8 * H + g * H + j] = b[m * H + j];
      }
    });
  }
  const k = l.index;
  inits.push(tensor(`W${k}`, [2, 4 * H, In], W), tensor(`R${k}`, [2, 4 * H, H], R), tensor(`B${k}`, [2, 8 * H], Bias));
  nodes.push(
    onnx.NodeProto.create({
      opType: 'LSTM',
      input: [input, `W${k}`, `R${k}`, `B${k}`],
      output: [`y${k}`],
      attribute: [
        onnx.AttributeProto.create({ name: 'hidden_size', type: onnx.AttributeProto.AttributeType.INT, i: H }),
        onnx.AttributeProto.create({ name: 'direction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('bidirectional') }),
      ],
    }),
    onnx.NodeProto.create({ opType: 'Transpose', input: [`y${k}`], output: [`t${k}`], attribute: [onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1, 3] })] }),
    onnx.NodeProto.create({ opType: 'Reshape', input: [`t${k}`, 'shape3'], output: [`h${k}`] }),
  );
  input = `h${k}`;
}
inits.push(onnx.TensorProto.create({ name: 'shape3', dims: [3], dataType: onnx.TensorProto.DataType.INT64, int64Data: [0, 0, -1] }));
inits.push(tensor('Wfc', [model.sites.fc.k, model.arch.output], view('FC.W')), tensor('bfc', [model.arch.output], view('FC.b')));
nodes.push(onnx.NodeProto.create({ opType: 'MatMul', input: [input, 'Wfc'], output: ['mm'] }), onnx.NodeProto.create({ opType: 'Add', input: ['mm', 'bfc'], output: ['logits'] }));
const graph = onnx.GraphProto.create({ name: 'paper-lstm', node: nodes, initializer: inits, input: [valueInfo('x', [T, B, D])], output: [valueInfo('logits', [T, B, model.arch.output])] });
const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, producerName: 'mohaq-bench', opsetImport: [{ domain: '', version: 13 }], graph })).finish();

async function time(fn, repeats = 3) {
  await fn();
  const t = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

const ours = forward(model, batch);
const line = (name, s) => console.log(`${name.padEnd(40)} ${s.toFixed(3)} s  ${((T * B) / s).toFixed(0)} frames/s`);
console.log(`paper-lstm without BatchNorm, batch ${B} x ${T} frames, mohaq kernels: ${kernels().name}, onnxruntime ${ort.env.versions?.common ?? ''}`);
for (const threads of [1, 2]) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', x, [T, B, D]) };
  const out = (await session.run(feeds)).logits.data;
  let diff = 0;
  for (let i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(out[i] - ours[i]));
  line(`onnxruntime LSTM, ${threads} thread${threads > 1 ? 's' : ''}`, await time(() => session.run(feeds)));
  if (threads === 1) console.log(`  max |logit difference| mohaq vs onnxruntime: ${diff.toExponential(2)}`);
}
line('mohaq, 1 thread', await time(() => forward(model, batch)));
{
  const worker = new URL('./nn-worker.ts', import.meta.url);
  const half = (from) => {
    const out = new Float32Array(T * (B / 2) * D);
    for (let t = 0; t < T; t++) out.set(x.subarray((t * B + from) * D, (t * B + from + B / 2) * D), t * (B / 2) * D);
    return out;
  };
  const ws = [0, B / 2].map((from) => spawnWorker(worker, { workerData: { spec: model.spec, params: model.params, x: half(from), T, B: B / 2 } }));
  await Promise.all(ws.map((w) => new Promise((res) => w.once('message', res))));
  const run = () => Promise.all(ws.map((w) => new Promise((res) => (w.once('message', res), w.postMessage('go')))));
  line('mohaq, 2 threads (2 workers x 4 utterances)', await time(run));
  await Promise.all(ws.map((w) => w.terminate()));
}
