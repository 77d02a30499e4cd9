/**
 * Calibration: per-utterance MMSE clips (and the other statistics) of every matrix input, medians over
 * the utterances, independent of how utterances are batched; files round-trip and are checked against
 * the model; the cache next to the store is written once and reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch } from '../../src/data/batch.js';
import { kernels } from '../../src/kernels/backend.js';
import { forward } from '../../src/nn/forward.js';
import { multiply, weightCache } from '../../src/nn/hook.js';
import type { QuantHook } from '../../src/nn/hook.js';
import { cachedCalibration, calibrate, loadCalibration, modelHash, operandName, saveCalibration } from '../../src/quant/calibration.js';
import { maxAbs, median, mmseClip, percentile } from '../../src/quant/quantizer.js';
import { randomSet, tinyModel } from './helpers.js';

/** Every operand of every product, recorded per operand name for one utterance run alone. */
function operandsOfUtterance(model: ReturnType<typeof tinyModel>, set: ReturnType<typeof randomSet>, u: number): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  const hook: QuantHook = {
    name: 'record',
    product(site, call) {
      const k = kernels();
      multiply(k, weightCache(k).get(call.model, site), site, call);
      if (site.kind === 'input' && site.direction === 1) return null;
      const name = operandName(site);
      const v = seen.get(name) ?? [];
      for (let r = 0; r < call.rows; r++) v.push(...call.x.subarray(r * call.lda, r * call.lda + site.k));
      seen.set(name, v);
      return null;
    },
    productBackward() {},
  };
  forward(model, makeBatch(set, [u]), { hook });
  return seen;
}

test('operand statistics are medians over utterances of per-utterance MMSE clips, whatever the batching', () => {
  for (const cell of ['sru', 'lstm', 'gru'] as const) {
    const model = tinyModel(cell);
    const set = randomSet(9, 11);
    const c = calibrate(model, set, { batchFrames: 40, percentile: 99 });
    assert.deepEqual(calibrate(model, set, { batchFrames: 1000, percentile: 99 }).operands, c.operands, 'independent of the batching');
    const perUtt = set.utterances.map((_, u) => operandsOfUtterance(model, set, u));
    const names = [...perUtt[0]!.keys()];
    assert.deepEqual(Object.keys(c.operands).sort(), names.sort());
    for (const name of names) {
      const values = perUtt.map((m) => Float32Array.from(m.get(name)!));
      const s = c.operands[name]!;
      for (const bits of [2, 4, 8] as const) assert.equal(s.mmse[bits], median(values.map((v) => mmseClip(v, bits))), `${cell} ${name} ${bits}-bit clip`);
      assert.equal(s.maxAbs, median(values.map((v) => maxAbs(v))));
      assert.equal(s.percentileAbs, median(values.map((v) => percentile(v, 99, true))));
      assert.equal(s.percentileHigh, median(values.map((v) => percentile(v, 99))));
      assert.equal(s.min, median(values.map((v) => Math.min(...v))));
      assert.equal(s.rangeAbs, Math.max(...values.map((v) => maxAbs(v))));
      assert.ok(s.mmse['2'] < s.mmse['4'] && s.mmse['4'] <= s.mmse['8'] && s.mmse['8'] <= s.maxAbs * 1.0000001);
    }
    assert.equal(c.data.utterances, 9);
    assert.equal(c.model.hash, modelHash(model));
    // recurrence ranges of every layer direction; output ranges of every product
    for (const l of model.arch.layers) for (let d = 0; d < l.directions; d++) assert.ok(c.recurrence[`L${l.index}.${d ? 'bwd' : 'fwd'}`]!.output > 0);
    for (const site of model.sites.all) assert.ok(c.outputs[site.key]! > 0, site.key);
  }
});

test('calibration files round-trip, are checked against the model, and name what is wrong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-calib-'));
  const model = tinyModel('lstm');
  const set = randomSet(5);
  const c = calibrate(model, set);
  const path = join(dir, 'calib.json');
  saveCalibration(path, c);
  assert.deepEqual(loadCalibration(path, model), c);
  const other = tinyModel('lstm', 2);
  assert.throws(() => loadCalibration(path, other), {
    message: `${path}: calibration of model ${modelHash(model)} (tiny-lstm) but this model's hash is ${modelHash(other)}; run mohaq calibrate for it`,
  });
  const broken = JSON.parse(readFileSync(path, 'utf8'));
  delete broken.operands.L0.mmse['4'];
  writeFileSync(path, JSON.stringify(broken));
  assert.throws(() => loadCalibration(path), (e: Error) => e.message.startsWith(`${path}: operands.L0.mmse.4: `) && e.message.endsWith('(expected a mohaq-calibration file written by mohaq calibrate)'));
  writeFileSync(path, '{ nope');
  assert.throws(() => loadCalibration(path), (e: Error) => e.message.startsWith(`${path}: not valid JSON`));
});

test('the implicit calibration is computed once and cached next to the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-calib-cache-'));
  const model = tinyModel('sru');
  const set = randomSet(4);
  const first = cachedCalibration(model, set, { cacheDir: dir });
  assert.equal(first.cached, false);
  assert.ok(first.path.startsWith(join(dir, '.mohaq-cache', `calibration-${modelHash(model)}-`)));
  const second = cachedCalibration(model, set, { cacheDir: dir });
  assert.equal(second.cached, true);
  assert.deepEqual(second.calibration, first.calibration);
  // another subset is another entry
  assert.notEqual(cachedCalibration(model, randomSet(5), { cacheDir: dir }).path, first.path);
});
