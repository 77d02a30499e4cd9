/**
 * The integer-only engine against mohaq's fake quantization: every cell and variant, every precision
 * and quantizer option, with BatchNorm folded; the evaluation's figures for any thread count; errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateIntegerModel } from '../../src/export/integer-eval.js';
import { dequantizeLogits, quantizeInput, runIntegerModel } from '../../src/export/integer-engine.js';
import { buildIntegerModel } from '../../src/export/integer-model.js';
import { PhoneLoopDecoder } from '../../src/metrics/phone-loop.js';
import { forward } from '../../src/nn/forward.js';
import { createQuantHook } from '../../src/quant/hook.js';
import { evaluateModel } from '../../src/quant/evaluate.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { ARCHS, features, fixture } from './helpers.js';

const SPECS: Array<[string, QuantOptions]> = [
  ['*=8/8', {}],
  ['*=4/4', { skipCandidate: 'all' }],
  ['*=16/16', {}],
  ['*=2/8,FC=8/8', { perChannel: true }],
  ['*=4/8,FC=16/4', { asymmetric: true }],
];

/** Integer-only logits against fake quantization's, over a set: argmax agreement and mean |difference| in logit steps. */
function compare(name: keyof typeof ARCHS, spec: string, quant: QuantOptions): { agree: number; meanSteps: number; maxSteps: number } {
  const { model, set, calibration } = fixture(name);
  const im = buildIntegerModel(model, spec, calibration, { quant });
  const hook = createQuantHook(model, spec, calibration, quant);
  const O = model.arch.output;
  let agree = 0;
  let frames = 0;
  let sum = 0;
  let max = 0;
  set.utterances.forEach((u, i) => {
    const x = features(set, i);
    const li = dequantizeLogits(im, runIntegerModel(im, quantizeInput(im, x, u.frames), u.frames));
    const lf = forward(model, { x: Float32Array.from(x), T: u.frames, B: 1, lengths: Int32Array.of(u.frames) }, { hook });
    for (let t = 0; t < u.frames; t++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < O; j++) {
        const d = Math.abs(li[t * O + j]! - lf[t * O + j]!) * 2 ** im.logitFrac;
        sum += d;
        max = Math.max(max, d);
        if (li[t * O + j]! > li[t * O + a]!) a = j;
        if (lf[t * O + j]! > lf[t * O + b]!) b = j;
      }
      if (a === b) agree++;
      frames++;
    }
  });
  return { agree: agree / frames, meanSteps: sum / (frames * O), maxSteps: max };
}

for (const name of Object.keys(ARCHS) as Array<keyof typeof ARCHS>) {
  test(`integer-only ${name}: the logits of fake quantization within a fraction of a step on average, same argmax`, () => {
    for (const [spec, quant] of SPECS) {
      const r = compare(name, spec, quant);
      const what = `${name} ${spec} ${JSON.stringify(quant)}: agree ${r.agree}, mean ${r.meanSteps} steps, max ${r.maxSteps}`;
      assert.ok(r.agree >= 0.97, what);
      assert.ok(r.meanSteps <= 0.5, what);
    }
  });
}

test('the input: the first operand\'s codes, or the features in a Q-format when a layer-0 SRU skip term reads them', () => {
  const a = buildIntegerModel(fixture('sru').model, '*=4/8', fixture('sru').calibration);
  assert.deepEqual([a.input.operand.name, a.input.operand.kind, a.input.operand.bits, a.input.operand.rescale], ['L0', 'symmetric', 8, null]);
  const b = buildIntegerModel(fixture('sru-skip0').model, '*=4/8', fixture('sru-skip0').calibration);
  assert.deepEqual([b.input.operand.name, b.input.operand.kind, b.input.operand.bits], ['features', 'fixed', 16]);
  const l0 = b.layers[0]!;
  assert.ok(l0.type === 'sru' && l0.gates.parts[0]!.operand.rescale !== null && l0.skip !== null);
});

test('the integer model: formats, folded BatchNorm, parts with path skipping, the input operand', () => {
  const { model, calibration } = fixture('lstm');
  const im = buildIntegerModel(model, '*=4/8,L0.U=2/4', calibration, { quant: { skipCandidate: 'all' } });
  assert.equal(im.bits, '*=4/8,L0.U=2/4');
  assert.equal(im.input.operand.name, 'L0');
  assert.deepEqual([im.input.operand.kind, im.input.operand.bits, im.input.operand.lo, im.input.operand.hi], ['symmetric', 8, -128, 127]);
  const l0 = im.layers[0]!;
  assert.equal(l0.type, 'lstm');
  if (l0.type !== 'lstm') return;
  const fwd = l0.dirs[0]!;
  // BatchNorm folded into the recurrent product's g term (gmult) and bias; no input bias
  assert.ok(fwd.recurrent[0]!.gmult);
  assert.ok(fwd.input.bias.every((b) => b === 0));
  // path skipping: gate columns i,f at 2/4, the candidate g at 16/16, o at 2/4
  assert.deepEqual(fwd.recurrent[0]!.parts.map((p) => [p.start, p.n, p.weightBits, p.operand.bits]), [[0, 12, 2, 4], [12, 6, 16, 16], [18, 6, 2, 4]]);
  assert.equal(im.sigmoid.length, 2050);
});

test('evaluateIntegerModel: the same figures on 1 and 2 threads, close to fake quantization', async () => {
  const { model, set, calibration } = fixture('sru');
  const decoder = PhoneLoopDecoder.fromFeatureSet(set);
  const im = buildIntegerModel(model, '*=8/8', calibration);
  const one = await evaluateIntegerModel(im, set, { decoder });
  const two = await evaluateIntegerModel(im, set, { decoder, threads: 2 });
  assert.deepEqual({ ...one, seconds: 0 }, { ...two, seconds: 0 });
  const fq = await evaluateModel(model, set, { decoder, bits: '*=8/8', calibration });
  assert.equal(one.frames, fq.frames);
  assert.ok(Math.abs(one.fer - fq.fer) <= 0.02, `FER ${one.fer} vs ${fq.fer}`);
  assert.ok(Math.abs(one.per - fq.per) <= 0.03, `PER ${one.per} vs ${fq.per}`);
});

test('integer-only inference needs every matrix quantized; input codes are checked', () => {
  const { model, calibration } = fixture('sru');
  assert.throws(() => buildIntegerModel(model, '*=8/8,L1=8/32', calibration), {
    message: 'integer-only inference needs every matrix quantized, but L1 is at 8/32; use 2, 4, 8 or 16 bits for weights and activations',
  });
  const im = buildIntegerModel(model, '*=4/4', calibration);
  assert.throws(() => runIntegerModel(im, new Int16Array(im.input.dim).fill(9), 1), { message: 'Expected a 4-bit code in -8..7 for input code 0 (frame 0) but received 9' });
});
