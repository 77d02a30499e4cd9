/**
 * PyTorch state_dicts imported and run give the logits of torch.nn.LSTM / torch.nn.GRU / the sru package
 * (references written here from the published equations, in float64, on each utterance alone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forward } from '../../src/nn/forward.js';
import { importTorch } from '../../src/nn/import-torch.js';
import { writeSafetensors } from '../../src/nn/safetensors.js';
import type { TensorToWrite } from '../../src/nn/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { randomBatch, utterance } from './helpers.js';

type Dict = Map<string, { shape: number[]; data: Float32Array }>;

function put(dict: Dict, rng: Rng, name: string, shape: number[], scale = 0.3): void {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillUniform(data, -scale, scale);
  dict.set(name, { shape, data });
}

function save(dict: Dict, path: string): void {
  const tensors: TensorToWrite[] = [...dict].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: t.data }));
  writeSafetensors(path, tensors);
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** y[o] = sum_i W[o, i] x[i] (+ b[o]) for a torch weight W [out x in] at row offset `row0`. */
function affine(W: Float32Array, inputs: number, row0: number, rows: number, x: number[], b?: Float32Array): number[] {
  const y = new Array<number>(rows).fill(0);
  for (let o = 0; o < rows; o++) {
    let s = b ? b[row0 + o]! : 0;
    for (let i = 0; i < inputs; i++) s += W[(row0 + o) * inputs + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

/** torch.nn.LSTM / GRU (multi-layer, bidirectional) + Linear on one utterance x [T][D]. */
function torchReference(cell: 'lstm' | 'gru', dict: Dict, prefix: string, layers: number, H: number, x: number[][]): number[][] {
  const G = cell === 'lstm' ? 4 : 3;
  let seq = x;
  for (let l = 0; l < layers; l++) {
    const outs: number[][][] = [];
    for (const suffix of ['', '_reverse']) {
      const get = (n: string) => dict.get(`${prefix}${n}_l${l}${suffix}`)!.data;
      const Wih = get('weight_ih');
      const Whh = get('weight_hh');
      const bih = get('bias_ih');
      const bhh = get('bias_hh');
      const D = seq[0]!.length;
      let h = new Array<number>(H).fill(0);
      let c = new Array<number>(H).fill(0);
      const out: number[][] = new Array(seq.length);
      const order = [...seq.keys()];
      if (suffix) order.reverse();
      for (const t of order) {
        const gx = affine(Wih, D, 0, G * H, seq[t]!, bih);
        const gh = affine(Whh, H, 0, G * H, h, bhh);
        const next = new Array<number>(H);
        for (let j = 0; j < H; j++) {
          if (cell === 'lstm') {
            const i = sig(gx[j]! + gh[j]!);
            const f = sig(gx[H + j]! + gh[H + j]!);
            const g = Math.tanh(gx[2 * H + j]! + gh[2 * H + j]!);
            const o = sig(gx[3 * H + j]! + gh[3 * H + j]!);
            c[j] = f * c[j]! + i * g;
            next[j] = o * Math.tanh(c[j]!);
          } else {
            const r = sig(gx[j]! + gh[j]!);
            const z = sig(gx[H + j]! + gh[H + j]!);
            const n = Math.tanh(gx[2 * H + j]! + r * gh[2 * H + j]!);
            next[j] = (1 - z) * n + z * h[j]!;
          }
        }
        h = next;
        out[t] = h;
      }
      outs.push(out);
      c = [];
    }
    seq = seq.map((_, t) => [...outs[0]![t]!, ...outs[1]![t]!]);
  }
  const W = dict.get('fc.weight')!;
  return seq.map((v) => affine(W.data, v.length, 0, W.shape[0]!, v, dict.get('fc.bias')!.data));
}

/** sru v2 (elementwise_recurrence_naive) + Linear on one utterance. */
function sruReference(dict: Dict, layers: number, H: number, x: number[][]): number[][] {
  let seq = x;
  for (let l = 0; l < layers; l++) {
    const p = `sru.rnn_lst.${l}.`;
    const W = dict.get(`${p}weight`)!;
    const proj = dict.get(`${p}weight_proj`);
    const wc = dict.get(`${p}weight_c`)!.data;
    const bias = dict.get(`${p}bias`)!.data;
    const scale = dict.get(`${p}scale_x`)!.data[0]!;
    const O = 2 * H;
    const K = W.shape[1]! / O;
    // U = x (proj) W with W [in x O*K] (no transpose in sru)
    const U = seq.map((v) => {
      let a = v;
      if (proj) {
        const P = proj.shape[1]!;
        a = new Array<number>(P).fill(0).map((_, q) => v.reduce((s, xv, i) => s + xv * proj.data[i * P + q]!, 0));
      }
      const cols = O * K;
      return new Array<number>(cols).fill(0).map((_, j) => a.reduce((s, av, i) => s + av * W.data[i * cols + j]!, 0));
    });
    const h: number[][] = seq.map(() => new Array<number>(O).fill(0));
    for (let d = 0; d < 2; d++) {
      let c = new Array<number>(H).fill(0);
      const order = [...seq.keys()];
      if (d === 1) order.reverse();
      for (const t of order) {
        const next = new Array<number>(H);
        for (let j = 0; j < H; j++) {
          const u = (m: number) => U[t]![(d * H + j) * K + m]!;
          const f = sig(u(1) + c[j]! * wc[d * H + j]! + bias[d * H + j]!);
          const r = sig(u(2) + c[j]! * wc[O + d * H + j]! + bias[O + d * H + j]!);
          next[j] = u(0) + (c[j]! - u(0)) * f;
          const xp = K === 4 ? u(3) : seq[t]![d * H + j]! * scale;
          h[t]![d * H + j] = xp + (next[j]! - xp) * r;
        }
        c = next;
      }
    }
    seq = h;
  }
  const W = dict.get('fc.weight')!;
  return seq.map((v) => affine(W.data, v.length, 0, W.shape[0]!, v, dict.get('fc.bias')!.data));
}

function compareWithReference(model: ReturnType<typeof importTorch>['model'], D: number, reference: (x: number[][]) => number[][]): number {
  const rng = new Rng(5);
  const lengths = [7, 4, 6];
  const batch = randomBatch(rng, D, lengths);
  const logits = forward(model, batch);
  const out = model.arch.output;
  let worst = 0;
  for (let b = 0; b < lengths.length; b++) {
    const u = utterance(batch, b, D);
    const x = Array.from({ length: u.T }, (_, t) => Array.from(u.x.subarray(t * D, (t + 1) * D)));
    const ref = reference(x);
    for (let t = 0; t < u.T; t++) {
      for (let j = 0; j < out; j++) worst = Math.max(worst, Math.abs(logits[(t * batch.B + b) * out + j]! - ref[t]![j]!));
    }
  }
  // padding frames: zero logits
  for (let t = 0; t < batch.T; t++) for (let b = 0; b < batch.B; b++) if (t >= lengths[b]!) for (let j = 0; j < out; j++) assert.equal(logits[(t * batch.B + b) * out + j], 0);
  return worst;
}

const dir = mkdtempSync(join(tmpdir(), 'mohaq-torch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const cell of ['lstm', 'gru'] as const) {
  test(`torch.nn.${cell.toUpperCase()} (2 bidirectional layers) + Linear imported gives torch's logits within 1e-4`, () => {
    const rng = new Rng(cell === 'lstm' ? 11 : 12);
    const D = 6;
    const H = 5;
    const G = cell === 'lstm' ? 4 : 3;
    const dict: Dict = new Map();
    for (let l = 0; l < 2; l++) {
      for (const s of ['', '_reverse']) {
        put(dict, rng, `rnn.weight_ih_l${l}${s}`, [G * H, l === 0 ? D : 2 * H]);
        put(dict, rng, `rnn.weight_hh_l${l}${s}`, [G * H, H]);
        put(dict, rng, `rnn.bias_ih_l${l}${s}`, [G * H]);
        put(dict, rng, `rnn.bias_hh_l${l}${s}`, [G * H]);
      }
    }
    put(dict, rng, 'fc.weight', [7, 2 * H]);
    put(dict, rng, 'fc.bias', [7]);
    const file = join(dir, `${cell}.safetensors`);
    save(dict, file);
    const { model, ignored } = importTorch({ cell, files: [file] });
    assert.deepEqual(ignored, []);
    assert.equal(model.arch.layers.length, 2);
    assert.equal(model.arch.layers[1]!.inputSize, 2 * H);
    if (cell === 'gru') assert.equal(model.arch.layers[0]!.gru, 'torch');
    const worst = compareWithReference(model, D, (x) => torchReference(cell, dict, 'rnn.', 2, H, x));
    assert.ok(worst < 1e-4, `max |logit difference| ${worst}`);
  });
}

test('sru package state_dict (layer 0 with the 4th skip matrix, layer 1 with projection and scaled skip) imported gives sru logits within 1e-4', () => {
  const rng = new Rng(13);
  const D = 5;
  const H = 4;
  const O = 2 * H;
  const dict: Dict = new Map();
  put(dict, rng, 'sru.rnn_lst.0.weight', [D, O * 4]);
  put(dict, rng, 'sru.rnn_lst.0.weight_c', [2 * O]);
  put(dict, rng, 'sru.rnn_lst.0.bias', [2 * O]);
  dict.set('sru.rnn_lst.0.scale_x', { shape: [1], data: Float32Array.of(Math.sqrt(1 + 2 * Math.exp(-1))) });
  put(dict, rng, 'sru.rnn_lst.1.weight_proj', [O, 3]);
  put(dict, rng, 'sru.rnn_lst.1.weight', [3, O * 3]);
  put(dict, rng, 'sru.rnn_lst.1.weight_c', [2 * O]);
  put(dict, rng, 'sru.rnn_lst.1.bias', [2 * O]);
  dict.set('sru.rnn_lst.1.scale_x', { shape: [1], data: Float32Array.of(Math.sqrt(1 + 2 * Math.exp(-1))) });
  put(dict, rng, 'fc.weight', [6, O]);
  put(dict, rng, 'fc.bias', [6]);
  put(dict, rng, 'mono.weight', [3, 9]); // another head that does not fit: ignored
  const file = join(dir, 'sru.safetensors');
  save(dict, file);
  const { model, ignored } = importTorch({ cell: 'sru', files: [file] });
  assert.deepEqual(ignored, ['mono.weight']);
  const [l0, l1] = model.arch.layers;
  assert.equal(l0!.inputGates, 4);
  assert.equal(l1!.projection, 3);
  assert.equal(l1!.inputGates, 3);
  assert.ok(Math.abs(l1!.highwayBias - -1) < 1e-6);
  const worst = compareWithReference(model, D, (x) => sruReference(dict, 2, H, x));
  assert.ok(worst < 1e-4, `max |logit difference| ${worst}`);
});

test('import errors name the file and the tensor', () => {
  const rng = new Rng(3);
  const dict: Dict = new Map();
  put(dict, rng, 'rnn.weight_ih_l0', [20, 6]);
  put(dict, rng, 'rnn.weight_hh_l0', [20, 5]);
  put(dict, rng, 'rnn.weight_ih_l1', [20, 7]);
  put(dict, rng, 'rnn.weight_hh_l1', [20, 5]);
  put(dict, rng, 'fc.weight', [3, 5]);
  const file = join(dir, 'bad.safetensors');
  save(dict, file);
  assert.throws(() => importTorch({ cell: 'lstm', files: [file] }), {
    message: `${file}: tensor "rnn.weight_ih_l1": expected shape [20, 5] (inputs = the 5 outputs of the previous layer) but found [20, 7]`,
  });
  assert.throws(() => importTorch({ cell: 'gru', files: [file] }), {
    message: `${file}: tensor "rnn.weight_ih_l0": expected shape [3 x hidden, inputs] (GRU has 3 gates) but found [20, 6]`,
  });
  assert.throws(() => importTorch({ cell: 'sru', files: [file] }), /no SRU weights: expected sru package names such as "rnn_lst\.0\.weight"/);
  dict.delete('rnn.weight_ih_l1');
  dict.delete('rnn.weight_hh_l1');
  dict.set('fc.weight', { shape: [3, 5], data: new Float32Array(15) });
  dict.set('fc2.weight', { shape: [2, 5], data: new Float32Array(10) });
  save(dict, file);
  assert.throws(() => importTorch({ cell: 'lstm', files: [file] }), {
    message: 'Expected the prefix of one output layer (several fit: "fc.", "fc2.") for --fc but received nothing',
  });
  const { model } = importTorch({ cell: 'lstm', files: [file], fc: 'fc2' });
  assert.equal(model.arch.output, 2);
});
