/**
 * The integer safetensors export: packed 2/4-bit codes, I8/I16 codes, scales, 16-bit vectors and
 * the integer engine's constants; `loadQuantizedModel` gives back the fake-quantized model of
 * `mohaq quantize` (equal parameters, the same stored quantization) and the same integer model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantizeInput, runIntegerModel } from '../../src/export/integer-engine.js';
import { loadQuantizedModel, saveQuantizedModel } from '../../src/export/quantized-file.js';
import { saveModel } from '../../src/nn/io.js';
import { readSafetensors } from '../../src/nn/safetensors.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import { features, fixture } from './helpers.js';
import type { ARCHS } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-qfile-'));

const CASES: Array<[keyof typeof ARCHS, string, QuantOptions]> = [
  ['sru', '*=4/8,FC=2/16', {}],
  ['lstm', '*=2/4', { skipCandidate: 'all' }],
  ['gru', '*=8/8', { perChannel: true }],
  ['ligru', '*=8/32,FC=32/32', { asymmetric: true }],
];

test('round trip: the fake-quantized parameters of mohaq quantize, its stored quantization, the same integer outputs', () => {
  CASES.forEach(([name, spec, quant], i) => {
    const { model, set, calibration } = fixture(name);
    const path = join(dir, `m${i}.safetensors`);
    const saved = saveQuantizedModel(path, model, spec, calibration, { quant });
    const back = loadQuantizedModel(path);
    const q = quantizeModel(model, spec, calibration, quant);
    // equal values (a weight that rounds to code 0 from below is -0 in fake quantization and 0 here)
    for (let k = 0; k < q.model.params.length; k++) assert.ok(back.model.params[k] === q.model.params[k], `${name}: parameter ${k}`);
    assert.deepEqual(JSON.parse(back.model.metadata['mohaq.quantization']!), JSON.parse(q.model.metadata['mohaq.quantization']!));
    assert.equal(back.stored.bits, q.stored.bits);
    assert.deepEqual(back.model.spec, model.spec);
    if (saved.integer) {
      for (let u = 0; u < 3; u++) {
        const T = set.utterances[u]!.frames;
        const a = runIntegerModel(saved.integer, quantizeInput(saved.integer, features(set, u), T), T);
        const b = runIntegerModel(back.integer!, quantizeInput(back.integer!, features(set, u), T), T);
        assert.deepEqual(b, a);
      }
    } else {
      assert.equal(back.integer, null, `${name}: a matrix at 32 bits has no integer engine`);
    }
  });
});

test('what the file holds: dtypes, packing layout, scales, Q-formats, metadata', () => {
  const { model, calibration } = fixture('lstm');
  const path = join(dir, 'layout.safetensors');
  const saved = saveQuantizedModel(path, model, '*=4/8,L0.U=16/16,FC=8/8', calibration, { quant: { perChannel: true } });
  const st = readSafetensors(path);
  const t = (name: string) => st.tensors.get(name)!;
  // 4-bit: packed U8, [k x n] = 5 x 24 codes in 60 bytes, per-channel scale [24]
  assert.deepEqual([t('L0.fwd.W[0:24].codes').dtype, t('L0.fwd.W[0:24].codes').shape], ['U8', [60]]);
  assert.deepEqual([t('L0.fwd.W[0:24].scale').dtype, t('L0.fwd.W[0:24].scale').shape], ['F32', [24]]);
  // 16-bit Q-format weights: I16 [6 x 24]
  assert.deepEqual([t('L0.fwd.U[0:24].codes').dtype, t('L0.fwd.U[0:24].codes').shape], ['I16', [6, 24]]);
  assert.deepEqual([t('FC.W[0:48].codes').dtype, t('FC.W[0:48].codes').shape], ['I8', [5, 48]]);
  // vectors: I16 codes with their format in the table
  assert.deepEqual([t('L0.fwd.bn.gamma.codes').dtype, t('L0.fwd.bn.gamma.codes').shape], ['I16', [24]]);
  const table = JSON.parse(st.metadata['mohaq.export']!);
  const w = table.blocks.find((b: { key: string }) => b.key === 'L0.fwd.W[0:24]');
  assert.deepEqual(w.packing, { bits: 4, codesPerByte: 2, layout: "row-major codes, 8/bits per byte, first code in the lowest bits, two's complement" });
  const u = table.blocks.find((b: { key: string }) => b.key === 'L0.fwd.U[0:24]');
  assert.equal(u.kind, 'fixed');
  assert.equal(typeof u.fracBits, 'number');
  assert.ok(table.vectors.every((v: { frac: number }) => Number.isInteger(v.frac)));
  assert.equal(st.metadata['mohaq.format'], 'mohaq-quantized/1');
  assert.equal(JSON.parse(st.metadata['mohaq.quantization']!).calibration.model.hash, calibration.model.hash);
  // the integer engine: multipliers as I64, shifts as I8, the sigmoid table as I32
  assert.ok(saved.integer);
  assert.equal(t('int.sigmoid').dtype, 'I32');
  assert.equal(t('int.fc.mult').dtype, 'I64');
  assert.equal(t('int.fc.shift').dtype, 'I8');
});

test('a mohaq quantize file exports to the same integers; a plain model file is not an integer export', () => {
  const { model, set, calibration } = fixture('sru');
  const q = quantizeModel(model, '*=4/4', calibration);
  const direct = saveQuantizedModel(join(dir, 'a.safetensors'), model, '*=4/4', calibration);
  const stored = JSON.parse(q.model.metadata['mohaq.quantization']!) as { weights: Record<string, { kind: 'integer'; bits: number; clips: number[] }> };
  const params = Object.fromEntries(Object.entries(stored.weights).map(([k, p]) => [k, { kind: 'integer' as const, bits: p.bits, clips: Float64Array.from(p.clips) }]));
  const { ['mohaq.quantization']: _drop, ...metadata } = q.model.metadata;
  const fake = { ...q.model, metadata };
  const again = saveQuantizedModel(join(dir, 'b.safetensors'), fake, '*=4/4', calibration, { weightParams: params });
  const T = set.utterances[0]!.frames;
  const x = features(set, 0);
  assert.deepEqual(runIntegerModel(again.integer!, quantizeInput(again.integer!, x, T), T), runIntegerModel(direct.integer!, quantizeInput(direct.integer!, x, T), T));
  const plain = join(dir, 'plain.safetensors');
  saveModel(plain, model);
  assert.throws(() => loadQuantizedModel(plain), { message: `${plain}: not an integer export: metadata "mohaq.format" is "mohaq-model/1", expected "mohaq-quantized/1" (written by mohaq export --format safetensors)` });
});
