import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParamLayout } from '../../src/nn/params.js';
import { Adam, clipGradientNorm, gradientNorm, trainableRanges } from '../../src/train/adam.js';

const layout = new ParamLayout([
  { name: 'W', shape: [2], role: 'matrix' },
  { name: 'bn.mean', shape: [1], role: 'bn-mean' },
  { name: 'b', shape: [1], role: 'bias' },
]);

test('Adam: two steps by hand (torch.optim.Adam semantics), running statistics untouched', () => {
  const adam = new Adam(layout);
  const p = Float32Array.from([1, -2, 7, 0]);
  adam.step(p, Float32Array.from([0.5, 0.1, 3, 0]), 0.1);
  // Step 1: m/c1 = g and v/c2 = g^2, so every parameter moves by lr (less eps) against its gradient.
  assert.deepEqual(Array.from(p), [Math.fround(0.9), Math.fround(-2.1), 7, 0]);
  adam.step(p, Float32Array.from([-0.5, 0.1, 3, 0]), 0.1);
  // W[0]: m = 0.9*0.05 - 0.05 = -0.005, v = 0.999*0.00025 + 0.00025 = 0.00049975;
  //       m^ = -0.005/0.19, sqrt(v^) = sqrt(0.00049975/0.001999) = 0.5  ->  +0.1*0.0263158/0.5
  // W[1]: m = 0.019, v = 0.00001999; m^ = 0.1, sqrt(v^) = 0.1  ->  -0.1
  assert.ok(Math.abs(p[0]! - 0.9052632) < 1e-6, String(p[0]));
  assert.ok(Math.abs(p[1]! + 2.2) < 1e-6, String(p[1]));
  assert.equal(p[2], 7);
  assert.equal(adam.state.step, 2);
});

test('Adam: weight decay is an L2 term added to the gradient', () => {
  const adam = new Adam(layout, { weightDecay: 0.5 });
  const p = Float32Array.from([2, 0, 0, -1]);
  // g + 0.5 p = [1, 0, -0.5]: the first step moves each non-zero one by lr against its sign.
  adam.step(p, new Float32Array(4), 0.01);
  assert.deepEqual(Array.from(p), [Math.fround(1.99), 0, 0, Math.fround(-0.99)]);
});

test('Adam: state round trip continues identically', () => {
  const a = new Adam(layout);
  const pa = Float32Array.from([1, 2, 0, 3]);
  const g = Float32Array.from([0.3, -0.2, 0, 0.1]);
  a.step(pa, g, 0.01);
  const b = new Adam(layout, {}, { step: a.state.step, m: a.state.m.slice(), v: a.state.v.slice() });
  const pb = pa.slice();
  a.step(pa, g, 0.01);
  b.step(pb, g, 0.01);
  assert.deepEqual(pa, pb);
});

test('trainable ranges skip running statistics', () => {
  assert.deepEqual(trainableRanges(layout), [[0, 2], [3, 4]]);
});

test('gradient clipping: a 3-4-5 gradient clipped to norm 1', () => {
  const g = Float32Array.from([3, 4, 100, 0]);
  assert.equal(gradientNorm(layout, g), 5);
  const before = clipGradientNorm(layout, g, 1);
  assert.equal(before, 5);
  assert.ok(Math.abs(g[0]! - 0.6) < 1e-6 && Math.abs(g[1]! - 0.8) < 1e-6);
  assert.equal(g[2], 100, 'running statistics are not gradients');
  const small = Float32Array.from([0.3, 0.4, 0, 0]);
  clipGradientNorm(layout, small, 1);
  assert.deepEqual(small, Float32Array.from([0.3, 0.4, 0, 0]));
  assert.throws(() => clipGradientNorm(layout, Float32Array.from([NaN, 0, 0, 0]), 1), /Expected a finite number \(the loss diverged; lower the learning rate\) for gradient norm but received NaN/);
});

test('Adam: bad options are named', () => {
  assert.throws(() => new Adam(layout, { beta1: 1 }), /Expected a number in \[0, 1\) for adam beta1 but received 1/);
  assert.throws(() => new Adam(layout).step(new Float32Array(4), new Float32Array(3), 0.1), /Expected slabs of 4 values for params and grads/);
});
