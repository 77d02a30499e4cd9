import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listMatrices, presetArchitecture, resolveArchitecture } from '../../src/nn/arch.js';
import { formatBitsSpec, parseBitsSpec, uniformBits } from '../../src/quant/bits-spec.js';

const sru = listMatrices(resolveArchitecture(presetArchitecture('paper-sru')));
const names = sru.map((m) => m.name); // L0, L1.proj, L1, L2.proj, L2, L3.proj, L3, FC

test('NAME=W/A, NAME=B and * for the rest', () => {
  const b = parseBitsSpec('*=8/8,FC=4/8,L0=16', sru);
  assert.deepEqual(Object.keys(b), names);
  assert.deepEqual(b['FC'], { w: 4, a: 8 });
  assert.deepEqual(b['L0'], { w: 16, a: 16 });
  for (const n of ['L1.proj', 'L1', 'L2.proj', 'L2', 'L3.proj', 'L3']) assert.deepEqual(b[n], { w: 8, a: 8 });
});

test('whitespace, case-insensitive names, and a bare W/A as shorthand for *', () => {
  assert.deepEqual(parseBitsSpec(' fc = 4/8 , l1.PROJ=2/4, * = 8 ', names), { ...uniformBits(names, 8), FC: { w: 4, a: 8 }, 'L1.proj': { w: 2, a: 4 } });
  assert.deepEqual(parseBitsSpec('4/8', names), uniformBits(names, 4, 8));
  assert.deepEqual(parseBitsSpec('32', names), uniformBits(names, 32));
});

test('a spec without * must name every matrix, unless the caller gives the rest explicitly', () => {
  assert.throws(() => parseBitsSpec('L0=8,FC=4', names, { flag: '--bits' }), {
    message: 'Expected bits for every matrix in --bits (missing L1.proj, L1, L2.proj, L2, L3.proj, L3; add "*=W/A" to set the rest) but received "L0=8,FC=4"',
  });
  const all = names.map((n) => `${n}=4`).join(',');
  assert.deepEqual(parseBitsSpec(all, names), uniformBits(names, 4));
  assert.deepEqual(parseBitsSpec('FC=4/8', names, { rest: { w: 16, a: 16 } }), { ...uniformBits(names, 16), FC: { w: 4, a: 8 } });
});

test('spec errors name the flag, the entry and what was expected', () => {
  const err = (spec: string, message: string, allowed?: number[]) =>
    assert.throws(() => parseBitsSpec(spec, sru, { flag: '--bits', ...(allowed ? { allowed } : {}) }), { code: 'INVALID_ARGUMENT', message });
  err('*=8,L9=4', 'Expected a matrix name (one of L0, L1.proj, L1, L2.proj, L2, L3.proj, L3, FC) for --bits but received "L9"');
  err('*=8,FC=3/8', 'Expected one of 2, 4, 8, 16, 32 bits for the weights of FC in --bits but received "3"');
  err('*=8,FC=8/x', 'Expected one of 2, 4, 8, 16, 32 bits for the activations of FC in --bits but received "x"');
  err('*=8,FC=2', 'Expected one of 4, 8, 16 bits for FC in --bits but received "2"', [4, 8, 16]);
  err('*=8/8/8', 'Expected W/A or B bits (e.g. 8/8 or 8) for * (every other matrix) in --bits but received "8/8/8"');
  err('', 'Expected a bits spec such as "*=8/8,FC=4/8" for --bits but received ""');
  err('*=8,,FC=4', 'Expected comma-separated NAME=W/A entries such as "*=8/8,FC=4/8" (no empty entry) for --bits but received "*=8,,FC=4"');
  err('*=8,FC', 'Expected NAME=W/A or NAME=B entries such as "*=8/8,FC=4/8" for --bits but received "FC"');
  err('*=8,FC=4,fc=8', 'Expected each matrix at most once (FC appears twice) for --bits but received "*=8,FC=4,fc=8"');
  err('*=8,*=4', 'Expected at most one "*" entry for --bits but received "*=8,*=4"');
});

test('long name lists keep their head and tail', () => {
  const many = Array.from({ length: 20 }, (_, i) => `M${i}`);
  assert.throws(() => parseBitsSpec('X=8', many), { message: 'Expected a matrix name (one of M0, M1, M2, ..., M19) for the bits spec but received "X"' });
});

test('formatBitsSpec is the shortest canonical form and round-trips', () => {
  const b = parseBitsSpec('*=8/8,FC=4/8', sru);
  assert.equal(formatBitsSpec(b, sru), '*=8/8,FC=4/8');
  assert.equal(formatBitsSpec(uniformBits(names, 16), names), '*=16/16');
  // the most common pair becomes *; others follow in forward order
  const mixed = parseBitsSpec('*=2/4,L0=16,FC=4/4,L3=8', sru);
  const text = formatBitsSpec(mixed, sru);
  assert.equal(text, '*=2/4,L0=16/16,L3=8/8,FC=4/4');
  assert.deepEqual(parseBitsSpec(text, sru), mixed);
  // ties go to the pair of the earliest matrix
  assert.equal(formatBitsSpec({ A: { w: 4, a: 4 }, B: { w: 8, a: 8 } }, ['A', 'B']), '*=4/4,B=8/8');
  assert.throws(() => formatBitsSpec({ A: { w: 4, a: 4 } }, ['A', 'B']), /no entry for B/);
});
