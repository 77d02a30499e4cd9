import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listMatrices, parseArchitecture, presetArchitecture, resolveArchitecture } from '../src/nn/arch.js';

test('paper-sru matrices match the papers (layer 0 with the 4th skip matrix)', () => {
  const m = listMatrices(resolveArchitecture(presetArchitecture('paper-sru')));
  const by = Object.fromEntries(m.map((x) => [x.name, x.weights]));
  assert.deepEqual(Object.keys(by), ['L0', 'L1.proj', 'L1', 'L2.proj', 'L2', 'L3.proj', 'L3', 'FC']);
  assert.equal(by['L0'], 23 * 4 * 1100);
  assert.equal(by['L1.proj'], 1100 * 256);
  assert.equal(by['L1'], 256 * 3 * 1100);
  assert.equal(by['FC'], 1100 * 1904);
});

test('paper-lstm counts both directions', () => {
  const m = listMatrices(resolveArchitecture(presetArchitecture('paper-lstm')));
  const by = Object.fromEntries(m.map((x) => [x.name, x]));
  assert.equal(by['L0']!.weights, 2 * 23 * 4 * 550);
  assert.equal(by['L1']!.weights, 2 * 1100 * 4 * 550);
  assert.equal(by['L1.U']!.weights, 2 * 550 * 4 * 550);
});

test('architecture errors name the field', () => {
  assert.throws(() => parseArchitecture({ input: 23, output: 48, layers: [{ type: 'sru', hidden: 0 }] }, 'a.json'), /layers\[0\]\.hidden in a\.json/);
  assert.throws(() => parseArchitecture({ input: 23, output: 48, layers: [{ type: 'lstm', hidden: 8, projection: 4 }] }, 'a.json'), /layers\[0\]\.projection in a\.json/);
  assert.throws(() => parseArchitecture({ input: 23, output: 48, layers: [{ type: 'lstm', hidden: 8, colour: 1 }] }), /Unknown field layers\[0\]\.colour/);
});
