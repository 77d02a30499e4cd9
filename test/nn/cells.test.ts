/**
 * The cell kernels on hand-worked numbers, and the pytorch-kaldi GRU / LiGRU (BatchNorm in inference)
 * against references written here from pytorch-kaldi's equations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refCells } from '../../src/kernels/cells.js';
import { forward } from '../../src/nn/forward.js';
import { createModel } from '../../src/nn/model.js';
import type { Model } from '../../src/nn/model.js';
import { BN_EPS } from '../../src/nn/batchnorm.js';
import { Rng } from '../../src/util/rng.js';
import { randomBatch, utterance } from './helpers.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('lstmStep by hand: c = f c + i g, h = o tanh(c); padding holds c and outputs zero', () => {
  // B = 2, H = 1: row 0 real, row 1 padding (length 0)
  const g = Float32Array.from([0.5, -1, 0.25, 2, /* row 1 */ 9, 9, 9, 9]);
  const cPrev = Float32Array.from([0.75, -0.5]);
  const c = new Float32Array(2);
  const h = Float32Array.from([7, 7, 7, 7]); // stride 2: h at [0] and [2]
  refCells.lstmStep(g, cPrev, c, h, 2, 2, 1, Int32Array.from([3, 0]), 0, null, null);
  const [i, f, gg, o] = [sig(0.5), sig(-1), Math.tanh(0.25), sig(2)];
  close(c[0]!, f * 0.75 + i * gg);
  close(h[0]!, o * Math.tanh(f * 0.75 + i * gg));
  close(g[0]!, i);
  close(g[2]!, gg);
  assert.deepEqual([c[1], h[2], h[1], h[3]], [-0.5, 0, 7, 7]);
  assert.deepEqual(Array.from(g.subarray(4)), [0, 0, 0, 0]);
});

test('lstmStep with 16-bit fixed point rounds gates, state and output', () => {
  const g = Float32Array.from([0.3, 0.3, 0.3, 0.3]);
  const c = new Float32Array(1);
  const h = new Float32Array(1);
  refCells.lstmStep(g, Float32Array.of(1), c, h, 1, 1, 1, Int32Array.of(1), 0, null, { sigmoid: 2, candidate: 3, state: 4, output: 5 });
  // sigmoid(0.3) = 0.574 -> 0.5 (2 bits); tanh(0.3) = 0.291 -> 0.25 (3 bits)
  assert.deepEqual(Array.from(g), [0.5, 0.5, 0.25, 0.5]);
  assert.equal(c[0], 0.625); // 0.5 * 1 + 0.5 * 0.25 = 0.625 (exact in 4 bits)
  assert.equal(h[0], Math.round(0.5 * Math.tanh(0.625) * 32) / 32);
});

test('sruForward by hand: two steps, scaled skip term, reverse direction', () => {
  // T = 2, B = 1, H = 1, K = 3: u rows [x~, f~, r~]
  const u = Float32Array.from([0.5, 0.1, -0.2, /* t=1 */ -1, 0.3, 0.4]);
  const x = Float32Array.from([0.2, -0.4]);
  const v = Float32Array.from([0.5, -0.25]);
  const bias = Float32Array.from([0.1, -1]);
  const c = new Float32Array(2);
  const h = new Float32Array(2);
  const alpha = Math.sqrt(1 + 2 * Math.exp(-1));
  refCells.sruForward(u, 3, 3, x, 1, alpha, v, bias, c, h, 1, 2, 1, 1, Int32Array.of(2), false, null, null);
  let cp = 0;
  for (let t = 0; t < 2; t++) {
    const f = sig([0.1, 0.3][t]! + 0.5 * cp + 0.1);
    const r = sig([-0.2, 0.4][t]! - 0.25 * cp - 1);
    const cv = f * cp + (1 - f) * [0.5, -1][t]!;
    close(c[t]!, cv);
    close(h[t]!, r * cv + (1 - r) * alpha * x[t]!);
    cp = cv;
  }
  const u2 = Float32Array.from([0.5, 0.1, -0.2, -1, 0.3, 0.4]);
  refCells.sruForward(u2, 3, 3, null, 1, 1, v, bias, c, h, 1, 2, 1, 1, Int32Array.of(2), true, null, null);
  const f1 = sig(0.3 + 0.1);
  const c1 = (1 - f1) * -1;
  close(c[1]!, c1);
  close(h[1]!, sig(0.4 - 1) * c1); // no skip term
  close(c[0]!, sig(0.1 + 0.5 * c1 + 0.1) * c1 + (1 - sig(0.1 + 0.5 * c1 + 0.1)) * 0.5);
});

/** pytorch-kaldi GRU / LiGRU (one direction each, per-direction weights) + FC in float64, BatchNorm with running statistics. */
function kaldiReference(model: Model, x: number[][]): number[][] {
  const view = (n: string) => model.layout.view(model.params, n);
  let seq = x;
  for (const l of model.arch.layers) {
    const H = l.hidden;
    const G = l.inputGates;
    const D = l.inputSize;
    const outs: number[][][] = [];
    for (let d = 0; d < l.directions; d++) {
      const p = `L${l.index}.${d === 0 ? 'fwd' : 'bwd'}`;
      const W = view(`${p}.W`);
      const U = view(`${p}.U`);
      // W x for all steps, then BatchNorm (running statistics) or bias
      const wx = seq.map((v) => {
        const y = new Array<number>(G * H).fill(0);
        for (let j = 0; j < G * H; j++) for (let i = 0; i < D; i++) y[j]! += v[i]! * W[i * G * H + j]!;
        if (l.batchNorm) {
          const [ga, be, mu, va] = ['gamma', 'beta', 'mean', 'var'].map((s) => view(`${p}.bn.${s}`));
          return y.map((yj, j) => (ga![j]! * (yj - mu![j]!)) / Math.sqrt(va![j]! + BN_EPS) + be![j]!);
        }
        const b = view(`${p}.b`);
        return y.map((yj, j) => yj + b[j]!);
      });
      const uh = (h: number[], gate: number) => Array.from({ length: H }, (_, j) => h.reduce((s, hv, i) => s + hv * U[i * G * H + gate * H + j]!, 0));
      let h = new Array<number>(H).fill(0);
      const out: number[][] = [];
      const order = [...seq.keys()];
      if (d === 1) order.reverse();
      for (const t of order) {
        const a = wx[t]!;
        if (l.type === 'gru') {
          const ur = uh(h, 0);
          const uz = uh(h, 1);
          const r = ur.map((v, j) => sig(a[j]! + v));
          const z = uz.map((v, j) => sig(a[H + j]! + v));
          const un = uh(h.map((v, j) => r[j]! * v), 2); // U_h (r * h)
          h = h.map((hv, j) => z[j]! * hv + (1 - z[j]!) * Math.tanh(a[2 * H + j]! + un[j]!));
        } else {
          const uz = uh(h, 0);
          const un = uh(h, 1);
          h = h.map((hv, j) => {
            const z = sig(a[j]! + uz[j]!);
            return z * hv + (1 - z) * Math.max(0, a[H + j]! + un[j]!);
          });
        }
        out[t] = h;
      }
      outs.push(out);
    }
    seq = seq.map((_, t) => outs.flatMap((o) => o[t]!));
  }
  const W = view('FC.W');
  const b = view('FC.b');
  const O = model.arch.output;
  return seq.map((v) => Array.from({ length: O }, (_, j) => v.reduce((s, xv, i) => s + xv * W[i * O + j]!, b[j]!)));
}

for (const type of ['gru', 'ligru'] as const) {
  test(`pytorch-kaldi ${type === 'gru' ? 'GRU (U_h (r*h))' : 'LiGRU (ReLU, no reset gate)'} with BatchNorm matches a float64 reference`, () => {
    const rng = new Rng(type === 'gru' ? 31 : 32);
    const model = createModel({ input: 4, output: 3, layers: [{ type, hidden: 5, batchNorm: true }, { type, hidden: 3, batchNorm: false, bidirectional: false }] }, rng);
    for (const e of model.layout.entries) {
      const v = model.params.subarray(e.offset, e.offset + e.size);
      if (e.role === 'bn-mean' || e.role === 'bn-shift') rng.fillUniform(v, -0.3, 0.3);
      if (e.role === 'bn-var' || e.role === 'bn-scale') rng.fillUniform(v, 0.5, 1.5);
      if (e.name === 'FC.W') rng.fillUniform(v, -1, 1);
    }
    const batch = randomBatch(rng, 4, [6, 3]);
    const logits = forward(model, batch);
    for (let b = 0; b < 2; b++) {
      const u = utterance(batch, b, 4);
      const ref = kaldiReference(model, Array.from({ length: u.T }, (_, t) => Array.from(u.x.subarray(t * 4, t * 4 + 4))));
      for (let t = 0; t < u.T; t++) for (let j = 0; j < 3; j++) close(logits[(t * 2 + b) * 3 + j]!, ref[t]![j]!, 1e-5);
    }
  });
}
