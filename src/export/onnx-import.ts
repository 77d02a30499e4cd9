/**
 * Import of LSTM/GRU graphs as `torch.onnx.export` writes them (`mohaq import onnx`): LSTM/GRU nodes
 * (W [dirs, G*H, in] in ONNX gate order i,o,f,c or z,r,h, R, B [dirs, 2*G*H], zero initial states),
 * the glue around them (Transpose/Squeeze/Unsqueeze/Reshape/Concat/Slice, Shape/Gather/
 * ConstantOfShape for the zero states, Constant, Identity, Cast), and a MatMul (+ Add) or Gemm output
 * layer, optionally followed by (Log)Softmax (dropped: mohaq works with logits, and log-softmax
 * leaves decoding unchanged).
 *
 * Weights are read by evaluating the graph (so weights computed from initializers by Slice/Concat,
 * as PyTorch writes them, need no pattern matching), and the import is checked the same way: the
 * graph runs on a random input in mohaq's ONNX interpreter and its output-layer values must equal the
 * imported model's logits; glue that does something other than the layout mohaq expects fails there.
 */
import type { Architecture, LayerSpec } from '../nn/arch.js';
import { forward } from '../nn/forward.js';
import { modelFromParams, modelLayout, toResolved } from '../nn/model.js';
import type { Model } from '../nn/model.js';
import { MohaqError, invalidFile } from '../util/errors.js';
import { readFileOrThrow } from '../util/fsx.js';
import { Rng } from '../util/rng.js';
import { runOnnx } from './onnx-eval.js';
import { attrInt, attrInts, attrString, decodeModel, numberOf, tensor } from './onnx-proto.js';
import type { OnnxNode, Tensor } from './onnx-proto.js';

/** Operators an importable graph may hold. */
export const IMPORT_OPS: readonly string[] = [
  'LSTM', 'GRU', 'Transpose', 'Squeeze', 'Unsqueeze', 'Reshape', 'Concat', 'Slice', 'MatMul', 'Gemm', 'Add', 'Constant', 'Identity', 'Cast',
  'Shape', 'Gather', 'ConstantOfShape', 'Expand', 'Flatten', 'LogSoftmax', 'Softmax',
];

const GLUE = 'LSTM/GRU nodes, Transpose/Squeeze/Unsqueeze/Reshape/Concat/Slice glue and a MatMul/Gemm/Add output layer';

export interface OnnxImportOptions {
  /** Architecture name. @default the graph's name, else `onnx-<cell>` */
  name?: string;
}

export interface OnnxImportResult {
  model: Model;
  /** Per recurrent layer: the operator it came from. */
  layers: Array<{ node: string; op: 'LSTM' | 'GRU'; hidden: number; directions: number; convention?: 'torch' | 'kaldi' }>;
  /** The graph input was batch-major ([B, T, D], batch_first). */
  batchFirst: boolean;
  /** A (Log)Softmax after the output layer that the import dropped. */
  dropped: string[];
  /** Largest |difference| between the graph's output-layer values and mohaq's logits on the check input. */
  checkDifference: number;
}

/** mohaq column block m of each gate from ONNX's block order: LSTM i,f,g,o from i,o,f,c; GRU r,z,n from z,r,h. */
const FROM_ONNX = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2] } as const;

function describeUnsupported(file: string, nodes: readonly OnnxNode[]): void {
  const counts = new Map<string, number>();
  for (const n of nodes) if (!IMPORT_OPS.includes(n.opType ?? '')) counts.set(n.opType ?? '(none)', (counts.get(n.opType ?? '(none)') ?? 0) + 1);
  if (counts.size === 0) return;
  const list = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op, n]) => `${op} (${n})`);
  throw new MohaqError('UNSUPPORTED', `${file}: unsupported nodes: ${list.join(', ')}; mohaq imports LSTM/GRU graphs as torch.onnx.export writes them (${GLUE})`);
}

/** Converts an ONNX LSTM/GRU graph (file or bytes) into a mohaq model. */
export function importOnnx(source: string | Uint8Array, opts: OnnxImportOptions & { file?: string } = {}): OnnxImportResult {
  const file = opts.file ?? (typeof source === 'string' ? source : 'model.onnx');
  const bytes = typeof source === 'string' ? new Uint8Array(readFileOrThrow(source, 'ONNX model')) : source;
  const m = decodeModel(bytes, file);
  const graph = m.graph;
  if (!graph) throw invalidFile(file, 'the model has no graph');
  const nodes = graph.node ?? [];
  describeUnsupported(file, nodes);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name!));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name!));
  if (inputs.length !== 1) throw invalidFile(file, `expected one graph input (the features) but found ${inputs.length}${inputs.length ? ` (${inputs.map((i) => i.name).join(', ')})` : ''}`);
  const input = inputs[0]!;
  const dimsInfo = input.type?.tensorType?.shape?.dim ?? [];
  if (dimsInfo.length !== 3) throw invalidFile(file, `graph input "${input.name}": expected 3 dimensions (time, batch, features) but found ${dimsInfo.length}`);

  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const rnns = nodes.filter((n) => n.opType === 'LSTM' || n.opType === 'GRU');
  if (rnns.length === 0) throw invalidFile(file, `no LSTM or GRU node: mohaq imports LSTM/GRU graphs (${GLUE})`);
  const kind = rnns[0]!.opType as 'LSTM' | 'GRU';
  if (rnns.some((n) => n.opType !== kind)) throw new MohaqError('UNSUPPORTED', `${file}: the graph mixes LSTM and GRU layers`);

  /** Values that depend on `roots` through the graph. */
  const derived = (roots: readonly string[]): Set<string> => {
    const set = new Set(roots);
    for (const n of nodes) if ((n.input ?? []).some((i) => i && set.has(i))) for (const o of n.output ?? []) if (o) set.add(o);
    return set;
  };
  const fromInput = derived([input.name!]);

  // batch-first: a Transpose [1, 0, 2] between the input and the first recurrent layer
  let batchFirst = false;
  for (let v = rnns[0]!.input![0]!, guard = 0; v !== input.name && guard < 1000; guard++) {
    const p = producer.get(v);
    if (!p) break;
    if (p.opType === 'Transpose' && (attrInts(p, 'perm') ?? []).join() === '1,0,2') batchFirst = !batchFirst;
    v = p.input![0]!;
  }

  // run the graph once on a random input: weights, states and the output layer's values
  const fixed = dimsInfo.map((d) => numberOf(d.dimValue as number));
  const T = fixed[batchFirst ? 1 : 0] || 7;
  const B = fixed[batchFirst ? 0 : 1] || 2;
  const D = fixed[2]!;
  if (!(D > 0)) throw invalidFile(file, `graph input "${input.name}": the feature dimension must be fixed`);
  const rng = new Rng(20240611);
  const xTime = new Float32Array(T * B * D);
  rng.fillNormal(xTime);
  const feed = batchFirst ? tensor('float32', [B, T, D]) : tensor('float32', [T, B, D], xTime);
  if (batchFirst) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) feed.data.set(xTime.subarray((t * B + b) * D, (t * B + b + 1) * D), (b * T + t) * D);
  const { values } = runOnnx(m, { [input.name!]: feed }, file);
  // zero states made from the input's shape (Shape -> ... -> ConstantOfShape/Expand) may depend on it
  const shapeOnly = new Set<string>();
  for (const n of nodes) {
    const ins = (n.input ?? []).filter((i) => i);
    if (n.opType === 'Shape' || (ins.some((i) => shapeOnly.has(i)) && ins.every((i) => shapeOnly.has(i) || !fromInput.has(i)))) for (const o of n.output ?? []) shapeOnly.add(o);
  }
  const constant = (name: string | undefined, what: string): Tensor | null => {
    if (!name) return null;
    if (fromInput.has(name) && !shapeOnly.has(name)) throw new MohaqError('UNSUPPORTED', `${file}: ${what} "${name}" depends on the graph input; mohaq imports constant weights`);
    return values.get(name)!;
  };

  const layers: OnnxImportResult['layers'] = [];
  const specs: LayerSpec[] = [];
  const fills: Array<(view: (name: string) => Float32Array) => void> = [];
  let prev: string[] = [input.name!];
  let inputSize = D;
  rnns.forEach((n, k) => {
    const name = n.name || `${kind} #${k}`;
    const what = `${kind} node "${name}"`;
    const direction = attrString(n, 'direction', 'forward');
    if (direction === 'reverse') throw new MohaqError('UNSUPPORTED', `${file}: ${what}: a reverse-only direction is not supported (forward or bidirectional)`);
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const H = attrInt(n, 'hidden_size', 0);
    const acts = n.attribute?.find((a) => a.name === 'activations');
    if (acts && (acts.strings ?? []).map((s) => new TextDecoder().decode(s)).some((a, i) => a !== (i % (kind === 'LSTM' ? 3 : 2) === 0 ? 'Sigmoid' : 'Tanh'))) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: non-default activations are not supported`);
    if (n.attribute?.some((a) => a.name === 'clip')) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: the clip attribute is not supported`);
    for (const a of ['input_forget', 'layout'] as const) if (attrInt(n, a, 0) !== 0) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: ${a} = ${attrInt(n, a, 0)} is not supported`);
    if (n.input?.[7]) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: peephole weights (input P) are not supported`);
    const G = kind === 'LSTM' ? 4 : 3;
    const X = n.input?.[0];
    if (!X || !derived(prev).has(X)) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: its input does not come from ${k === 0 ? 'the graph input' : 'the previous recurrent layer'}; mohaq imports a plain stack of layers`);
    const W = constant(n.input?.[1], `${what}: W`);
    const R = constant(n.input?.[2], `${what}: R`);
    const Bias = constant(n.input?.[3], `${what}: B`);
    if (!W || !R) throw invalidFile(file, `${what}: inputs W and R are required`);
    const expect = (t: Tensor, dims: number[], label: string) => {
      if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) throw invalidFile(file, `${what}: ${label} has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}]`);
    };
    expect(W, [dirs, G * H, inputSize], 'W');
    expect(R, [dirs, G * H, H], 'R');
    if (Bias) expect(Bias, [dirs, 2 * G * H], 'B');
    for (const [i, label] of [[5, 'initial_h'], [6, 'initial_c']] as const) {
      const s = n.input?.[i] ? values.get(n.input[i]!) : undefined;
      if (s && s.data.some((v) => v !== 0)) throw new MohaqError('UNSUPPORTED', `${file}: ${what}: ${label} is not zero; mohaq layers start from a zero state`);
    }
    const lbr = attrInt(n, 'linear_before_reset', 0);
    const spec: LayerSpec = { type: kind === 'LSTM' ? 'lstm' : 'gru', hidden: H, bidirectional: dirs === 2, batchNorm: false, dropout: 0 };
    if (kind === 'GRU') spec.gru = lbr ? 'torch' : 'kaldi';
    specs.push(spec);
    layers.push({ node: name, op: kind, hidden: H, directions: dirs, ...(kind === 'GRU' ? { convention: lbr ? ('torch' as const) : ('kaldi' as const) } : {}) });
    const I = inputSize;
    const order = FROM_ONNX[kind];
    fills.push((view) => {
      for (let d = 0; d < dirs; d++) {
        const p = `L${k}.${d === 0 ? 'fwd' : 'bwd'}`;
        const w = view(`${p}.W`);
        const u = view(`${p}.U`);
        const b = view(`${p}.b`);
        const bh = kind === 'GRU' && lbr ? view(`${p}.bh`) : null;
        order.forEach((g, m) => {
          for (let j = 0; j < H; j++) {
            const row = d * G * H + g * H + j;
            const col = m * H + j;
            for (let i = 0; i < I; i++) w[i * G * H + col] = W.data[row * I + i]!;
            for (let i = 0; i < H; i++) u[i * G * H + col] = R.data[row * H + i]!;
            const wb = Bias ? Bias.data[d * 2 * G * H + g * H + j]! : 0;
            const rb = Bias ? Bias.data[d * 2 * G * H + G * H + g * H + j]! : 0;
            // PyTorch GRU keeps b_hn inside r * (U_n h + b_hn); every other bias adds up
            if (bh) {
              b[col] = wb;
              bh[col] = rb;
            } else {
              b[col] = wb + rb;
            }
          }
        });
      }
    });
    prev = [n.output![0]!];
    inputSize = dirs * H;
  });

  // the output layer: MatMul (+ Add) or Gemm on the last layer's output, with constant weights
  const afterLast = derived(prev);
  const fcNodes = nodes.filter((n) => (n.opType === 'MatMul' || n.opType === 'Gemm') && afterLast.has(n.input![0]!));
  if (fcNodes.length !== 1) throw new MohaqError('UNSUPPORTED', `${file}: expected one MatMul or Gemm output layer after the last recurrent layer but found ${fcNodes.length}`);
  const fc = fcNodes[0]!;
  let fcW: Tensor = constant(fc.input![1], `output layer "${fc.name}": weight`)!;
  let fcOut = fc.output![0]!;
  let fcB: Tensor | null = null;
  if (fc.opType === 'Gemm') {
    if (attrInt(fc, 'transA', 0) !== 0) throw new MohaqError('UNSUPPORTED', `${file}: Gemm "${fc.name}": transA is not supported`);
    if (attrInt(fc, 'transB', 0) === 1) fcW = transpose2(fcW);
    const alpha = fc.attribute?.find((a) => a.name === 'alpha')?.f ?? 1;
    const beta = fc.attribute?.find((a) => a.name === 'beta')?.f ?? 1;
    if (alpha !== 1) fcW = { ...fcW, data: Float32Array.from(fcW.data, (v) => v * alpha) };
    if (fc.input?.[2]) {
      const c = constant(fc.input[2], `output layer "${fc.name}": bias`)!;
      fcB = { ...c, data: Float32Array.from(c.data, (v) => v * beta) };
    }
  } else {
    const add = nodes.find((n) => n.opType === 'Add' && (n.input ?? []).includes(fcOut));
    if (add) {
      const other = add.input!.find((i) => i !== fcOut)!;
      fcB = constant(other, `output layer bias "${other}"`);
      fcOut = add.output![0]!;
    }
  }
  if (fcW.dims.length !== 2 || fcW.dims[0] !== inputSize) throw invalidFile(file, `output layer "${fc.name}": weight of shape [${fcW.dims.join(', ')}], expected [${inputSize}, outputs]`);
  const outputs = fcW.dims[1]!;
  if (fcB && fcB.data.length !== outputs) throw invalidFile(file, `output layer "${fc.name}": bias of ${fcB.data.length} values for ${outputs} outputs`);
  const dropped = nodes.filter((n) => (n.opType === 'Softmax' || n.opType === 'LogSoftmax') && derived([fcOut]).has(n.input![0]!)).map((n) => n.opType!);

  const arch: Architecture = { name: opts.name ?? (graph.name || `onnx-${kind.toLowerCase()}`), input: D, output: outputs, layers: specs };
  const resolved = toResolved(arch);
  const model = modelFromParams(resolved, new Float32Array(modelLayout(resolved).total), { 'mohaq.source': `ONNX ${kind} graph: ${file}` });
  const view = (name: string) => model.layout.view(model.params, name);
  for (const f of fills) f(view);
  view('FC.W').set(fcW.data);
  if (fcB) view('FC.b').set(fcB.data);

  // the check: the graph's output-layer values against mohaq's logits on the same input
  const logits = forward(model, { x: xTime, T, B, lengths: new Int32Array(B).fill(T) });
  const got = values.get(fcOut)!;
  const difference = (batchMajor: boolean) => {
    if (got.data.length !== logits.length) return Infinity;
    let md = 0;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < outputs; j++) {
      const g = got.data[((batchMajor ? b * T + t : t * B + b) * outputs) + j]!;
      md = Math.max(md, Math.abs(g - logits[(t * B + b) * outputs + j]!));
    }
    return md;
  };
  const checkDifference = Math.min(difference(false), difference(true));
  let scale = 1;
  for (let i = 0; i < logits.length; i++) scale = Math.max(scale, Math.abs(logits[i]!));
  if (!(checkDifference <= 1e-4 * scale)) {
    throw new MohaqError('UNSUPPORTED', `${file}: the imported model does not reproduce the graph (largest logit difference ${checkDifference.toExponential(2)} on a random input); its glue is not the ${GLUE} layout mohaq expects`);
  }
  return { model, layers, batchFirst, dropped, checkDifference };
}

function transpose2(t: Tensor): Tensor {
  const [r, c] = t.dims as [number, number];
  const out = tensor('float32', [c, r]);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j * r + i] = t.data[i * c + j]!;
  return out;
}
