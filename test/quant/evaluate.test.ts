/**
 * Evaluation: FER and PER as the metrics module scores them, independent of batching and threads; the
 * optimization subset; the genome evaluator (same figures, layer outputs reused); quantized model files
 * that evaluate as their float original under the same bits; size accounting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch } from '../../src/data/batch.js';
import { kernels } from '../../src/kernels/backend.js';
import { scoreFeatureSet } from '../../src/metrics/per.js';
import { presetArchitecture, resolveArchitecture } from '../../src/nn/arch.js';
import { forward } from '../../src/nn/forward.js';
import { loadModel, saveModel } from '../../src/nn/io.js';
import { uniformBits, parseBitsSpec } from '../../src/quant/bits-spec.js';
import { calibrate } from '../../src/quant/calibration.js';
import { evaluateModel } from '../../src/quant/evaluate.js';
import { GenomeEvaluator, createGenomePool } from '../../src/quant/genome.js';
import { quantizeModel, storedQuantization } from '../../src/quant/quantize-model.js';
import { modelSize } from '../../src/quant/size.js';
import { optSubset, optSubsetIndices } from '../../src/quant/subset.js';
import { DECODER_METADATA_KEY, decoderFromMetadata } from '../../src/quant/decoder.js';
import { decoderFor, randomSet, tinyModel } from './helpers.js';

const set = randomSet(14, 21);
const decoder = decoderFor(set);

test('FER and PER equal the metrics module scoring each utterance alone, for any batching', async () => {
  const model = tinyModel('lstm');
  const k = kernels();
  const logPost = set.utterances.map((u, i) => {
    const logits = forward(model, makeBatch(set, [i]));
    const lp = new Float32Array(logits.length);
    k.logSoftmaxRows(logits, lp, u.frames, 48);
    return lp;
  });
  const expected = scoreFeatureSet(set, logPost, decoder);
  for (const batchFrames of [20, 100, 10000]) {
    const r = await evaluateModel(model, set, { decoder, batchFrames });
    assert.equal(r.fer, expected.fer.fer);
    assert.equal(r.per, expected.per.per);
    assert.deepEqual([r.frames, r.frameErrors, r.refPhones, r.substitutions, r.deletions, r.insertions], [
      expected.fer.frames, expected.fer.errors, expected.per.refPhones, expected.per.substitutions, expected.per.deletions, expected.per.insertions,
    ]);
    assert.equal(r.utterances, 14);
  }
});

test('two worker threads give the same figures as one (float and quantized)', async () => {
  const model = tinyModel('sru');
  const calibration = calibrate(model, set);
  for (const bits of [undefined, '*=4/8,FC=8/8']) {
    const one = await evaluateModel(model, set, { decoder, bits, calibration, batchFrames: 40 });
    const two = await evaluateModel(model, set, { decoder, bits, calibration, batchFrames: 40, threads: 2 });
    assert.deepEqual({ ...two, seconds: 0 }, { ...one, seconds: 0 });
  }
});

test('evaluation errors name what is missing or mismatched', async () => {
  const model = tinyModel('gru');
  await assert.rejects(evaluateModel(model, set), /Expected a decoder for evaluateModel \(the model has no "mohaq.decoder" metadata; build one with resolveDecoder\(model, store\)\) but received nothing/);
  await assert.rejects(evaluateModel(model, randomSet(3, 1, 4, 5, 'dev'), { decoder, bits: '*=4/4' }), /Expected a calibration/);
  const wide = { ...set, dim: 7 };
  await assert.rejects(evaluateModel(model, wide, { decoder }), { message: "Expected 5 values per frame (the model's input size) for the features of test but received 7" });
  // a decoder stored in the model's metadata is used, and checked
  model.metadata[DECODER_METADATA_KEY] = JSON.stringify(decoder.toJSON());
  assert.equal((await evaluateModel(model, set)).per, (await evaluateModel(model, set, { decoder })).per);
  model.metadata[DECODER_METADATA_KEY] = '{"model": 3}';
  assert.throws(() => decoderFromMetadata(model, 'm.safetensors'), (e: Error) => e.message.startsWith('m.safetensors: metadata "mohaq.decoder": model: '));
  model.metadata[DECODER_METADATA_KEY] = JSON.stringify({ ...decoder.toJSON(), model: { ...decoder.toJSON().model, numPhones: 39 } });
  assert.throws(() => decoderFromMetadata(model, 'm.safetensors'), { message: 'm.safetensors: metadata "mohaq.decoder": expected a phone loop over the model\'s 48 outputs but found 39 phones' });
});

test('the optimization subset is a fixed, seeded subset in the set\'s order', () => {
  const a = optSubsetIndices(set, { size: 5, seed: 1 });
  assert.equal(a.length, 5);
  assert.deepEqual(a, [...a].sort((x, y) => x - y));
  assert.deepEqual(optSubsetIndices(set, { size: 5, seed: 1 }), a);
  assert.notDeepEqual(optSubsetIndices(set, { size: 5, seed: 2 }), a);
  assert.equal(optSubsetIndices(set, { size: 100 }).length, 14);
  const opt = optSubset(set, { size: 5 });
  assert.equal(opt.name, 'opt');
  assert.deepEqual(opt.utterances.map((u) => u.id), a.map((i) => set.utterances[i]!.id));
  assert.throws(() => optSubsetIndices(set, { size: 0 }), /Expected an integer >= 1 for opt subset size but received 0/);
});

test('the genome evaluator gives evaluateModel\'s figures and reuses the outputs of shared layer prefixes', async () => {
  const model = tinyModel('sru', 5);
  const calibration = calibrate(model, set);
  const ev = new GenomeEvaluator(model, set, { calibration, decoder, batchFrames: 50 });
  const genomes = ['*=8/8', '*=8/8,FC=2/4', '*=8/8,L1=4/4', '*=8/8,L1.proj=2/8,FC=16/16', '*=4/4', '*=8/8,FC=2/4'];
  const reused: number[] = [];
  for (const g of genomes) {
    const r = ev.evaluate(g);
    const expected = await evaluateModel(model, set, { decoder, bits: g, calibration, batchFrames: 50 });
    assert.deepEqual({ ...r, seconds: 0, reusedLayers: 0, cached: false }, { ...expected, seconds: 0, reusedLayers: 0, cached: false }, g);
    reused.push(r.cached ? -1 : r.reusedLayers);
  }
  // L0 is layer 0; L1.proj and L1 are layer 1; FC needs every layer
  assert.deepEqual(reused, [0, 2, 1, 1, 0, -1]);
  const s = ev.stats();
  assert.equal(s.evaluations, 6);
  assert.equal(s.cachedResults, 1);
  // no room for layer outputs: nothing is reused, the figures stay the same
  const tight = new GenomeEvaluator(model, set, { calibration, decoder, batchFrames: 50, cacheBytes: 16 });
  tight.evaluate('*=8/8');
  const r = tight.evaluate('*=8/8,FC=2/4');
  assert.equal(r.reusedLayers, 0);
  assert.equal(r.per, ev.evaluate('*=8/8,FC=2/4').per);
  // on two worker threads: the same figures, in task order
  const pool = await createGenomePool(model, set, { calibration, decoder, batchFrames: 50 }, 2);
  try {
    const results = await pool.map(genomes);
    results.forEach((x, i) => assert.deepEqual([x.fer, x.per, x.frames], [ev.evaluate(genomes[i]!).fer, ev.evaluate(genomes[i]!).per, ev.evaluate(genomes[i]!).frames]));
  } finally {
    await pool.close();
  }
});

test('a quantized model file evaluates as its float original under the same bits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-qmodel-'));
  for (const cell of ['sru', 'lstm'] as const) {
    const model = tinyModel(cell, 9);
    const calibration = calibrate(model, set);
    const quant = cell === 'lstm' ? { skipCandidate: 'all' as const, perChannel: true } : {};
    const bits = '*=4/8,FC=2/16,L0=16/8';
    const { model: q, stored } = quantizeModel(model, bits, calibration, quant);
    const path = join(dir, `${cell}.safetensors`);
    saveModel(path, q);
    const loaded = loadModel(path);
    const s = storedQuantization(loaded, path)!;
    assert.equal(s.bits, '*=4/8,L0=16/8,FC=2/16');
    assert.deepEqual(s.options, quant);
    const expected = await evaluateModel(model, set, { decoder, bits, calibration, quant });
    const got = await evaluateModel(loaded, set, { decoder });
    assert.deepEqual({ ...got, seconds: 0 }, { ...expected, seconds: 0 }, cell);
    const gotInt = await evaluateModel(loaded, set, { decoder, quant: { integer: true } });
    const expectedInt = await evaluateModel(model, set, { decoder, bits, calibration, quant: { ...quant, integer: true } });
    assert.equal(gotInt.per, expectedInt.per);
    assert.equal(stored.size.compression, modelSize(model.arch, parseBitsSpec(bits, Object.keys(s.assignment)), quant).compression);
    await assert.rejects(evaluateModel(loaded, set, { decoder, bits: '*=8/8', calibration }), /already quantized/);
    assert.throws(() => quantizeModel(loaded, '*=8/8', calibration), /already quantized/);
  }
});

test('size accounting: bits x weights per tensor plus 16-bit extras; candidate blocks at 16 bits with path skipping', () => {
  const sru = resolveArchitecture(presetArchitecture('sru-small'));
  const names = ['L0', 'L1.proj', 'L1', 'L2.proj', 'L2', 'L3.proj', 'L3', 'FC'];
  const s4 = modelSize(sru, uniformBits(names, 4));
  // 232,448 weights at 4 bits + 4,144 extras (v_f, v_r, b_f, b_r of 4 bidirectional layers of 128, FC bias) at 16
  assert.equal(s4.bytes, 232448 / 2 + 4144 * 2);
  assert.equal(s4.fp32Bytes, (232448 + 4144) * 4);
  assert.equal(s4.matrices[0]!.bytes, (23 * 1024) / 2);
  assert.equal(s4.matrices[0]!.compression, 8);
  assert.equal(modelSize(sru, uniformBits(names, 32)).compression, 1);
  // paper-scale SRU: 4/4 compresses more than 7.9x (the extras are a smaller share)
  const paper = resolveArchitecture(presetArchitecture('paper-sru'));
  const pnames = ['L0', 'L1.proj', 'L1', 'L2.proj', 'L2', 'L3.proj', 'L3', 'FC'];
  assert.ok(modelSize(paper, uniformBits(pnames, 4)).compression >= 7.9);
  // LSTM path skipping: U = [96 x 384] per direction, its g block (96 columns) at 16 bits, the rest at 2
  const lstm = resolveArchitecture(presetArchitecture('lstm-small'));
  const lnames = ['L0', 'L0.U', 'L1', 'L1.U', 'L2', 'L2.U', 'FC'];
  const plain = modelSize(lstm, uniformBits(lnames, 2, 8));
  const skip = modelSize(lstm, uniformBits(lnames, 2, 8), { skipCandidate: 2 });
  const u0 = skip.matrices.find((m) => m.name === 'L0.U')!;
  assert.equal(u0.bytes, 2 * ((96 * 288 * 2) / 8 + (96 * 96 * 16) / 8));
  assert.equal(u0.skippedWeights, 2 * 96 * 96);
  assert.equal(skip.matrices.find((m) => m.name === 'L2.U')!.bytes, plain.matrices.find((m) => m.name === 'L2.U')!.bytes);
  assert.ok(skip.compression < plain.compression);
});
