import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forward } from '../../src/nn/forward.js';
import { loadModel, saveModel } from '../../src/nn/io.js';
import { createModel } from '../../src/nn/model.js';
import { presetArchitecture } from '../../src/nn/arch.js';
import {
  bfloat16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToHalfBits,
  halfBitsToFloat32,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  tensorData,
  tensorToFloat32,
  writeSafetensors,
} from '../../src/nn/safetensors.js';
import type { SafetensorsDtype, TensorToWrite } from '../../src/nn/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { randomBatch } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-st-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('float16 conversion rounds to nearest even like torch .half()', () => {
  const cases: Array<[number, number]> = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65519, 0x7bff], // below the halfway point to 65536
    [65520, 0x7c00], // halfway: ties to even (infinity), as torch
    [1 / 3, 0x3555],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to it: ties to even (zero)
    [1.5 * 2 ** -25, 0x0001],
    [2 ** -14, 0x0400], // smallest normal
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: even
    [1 + 3 * 2 ** -11, 0x3c02],
    [-0, 0x8000],
    [Infinity, 0x7c00],
  ];
  for (const [x, bits] of cases) assert.equal(float32ToHalfBits(x), bits, `half(${x})`);
  assert.ok(Number.isNaN(halfBitsToFloat32(float32ToHalfBits(NaN))));
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(float32ToHalfBits(halfBitsToFloat32(h)), h);
});

test('bfloat16 conversion rounds to nearest even like torch', () => {
  assert.equal(float32ToBfloat16Bits(1), 0x3f80);
  assert.equal(float32ToBfloat16Bits(1 / 3), 0x3eab); // 0x3eaaaaab rounds up
  assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie, even stays
  assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie, odd rounds up
  assert.equal(float32ToBfloat16Bits(-Infinity), 0xff80);
  assert.ok(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(NaN))));
  assert.equal(bfloat16BitsToFloat32(0x4049), 3.140625);
});

test('every dtype round-trips through a file', () => {
  const values = [0, 1, -2, 3.5, 100, -0.125];
  const tensors: TensorToWrite[] = [
    { name: 'f32', dtype: 'F32', shape: [2, 3], data: Float32Array.from(values) },
    { name: 'f64', dtype: 'F64', shape: [6], data: Float64Array.from([0.1, 1e300, -5, 0, 2, 3]) },
    { name: 'f16', dtype: 'F16', shape: [3, 2], data: Float32Array.from(values) },
    { name: 'bf16', dtype: 'BF16', shape: [6], data: Float32Array.from(values) },
    { name: 'i8', dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    { name: 'i16', dtype: 'I16', shape: [3], data: Int16Array.from([-32768, 5, 32767]) },
    { name: 'i32', dtype: 'I32', shape: [1, 3], data: Int32Array.from([-2147483648, 7, 2147483647]) },
    { name: 'i64', dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 12n]) },
    { name: 'u8', dtype: 'U8', shape: [2], data: Uint8Array.from([0, 255]) },
    { name: 'bool', dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
    { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(4) },
    { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
  ];
  const file = join(dir, 'all.safetensors');
  writeSafetensors(file, tensors, { note: 'hello' });
  const bytes = readFileSync(file);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0, 'data section 8-byte aligned');
  const st = readSafetensors(file);
  assert.deepEqual(st.metadata, { note: 'hello' });
  assert.deepEqual([...st.tensors.keys()], tensors.map((t) => t.name));
  for (const t of tensors) {
    const got = st.tensors.get(t.name)!;
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    if (t.dtype === 'F16' || t.dtype === 'BF16') {
      assert.deepEqual(Array.from(tensorToFloat32(got)), values, t.name); // exactly representable values
      assert.equal(tensorData(got).constructor, Uint16Array);
    } else {
      assert.deepEqual(Array.from(tensorData(got) as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), t.name);
    }
  }
  assert.deepEqual(Array.from(tensorToFloat32(st.tensors.get('i64')!)), [-(2 ** 62), 12]);
});

test('writing checks integer ranges and sizes', () => {
  assert.throws(() => serializeSafetensors([{ name: 'a', dtype: 'I8', shape: [1], data: Int32Array.of(200) }]), {
    message: 'Expected an integer in -128..127 for I8 for tensor "a" element 0 but received 200',
  });
  assert.throws(() => serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]), {
    message: 'Expected 4 values for shape [2, 2] for tensor "a" data but received a Float32Array of 3',
  });
});

function header(json: unknown, data = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(typeof json === 'string' ? json : JSON.stringify(json));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

test('malformed files give one-line errors naming the file and the tensor', () => {
  const f = 'm.safetensors';
  const err = (bytes: Uint8Array, message: string) => assert.throws(() => parseSafetensors(bytes, f), { message });
  err(new Uint8Array(5), 'm.safetensors: truncated: 5 bytes, but a safetensors file starts with an 8-byte header length');
  err(header('{}').subarray(0, 9), 'm.safetensors: header length 2 exceeds the 1 bytes after the length field (truncated, or not a safetensors file)');
  err(header('[1, 2]'), 'm.safetensors: header does not start with "{" (not a safetensors file)');
  err(header('{"a": '), 'm.safetensors: header is not valid JSON (Unexpected end of JSON input)');
  err(header({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }), 'm.safetensors: tensor "a": dtype "F8" is not one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL');
  err(header({ a: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }), 'm.safetensors: tensor "a": shape must be an array of non-negative integers but found [2,-1]');
  err(header({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }), 'm.safetensors: tensor "a": data_offsets must be [begin, end] with 0 <= begin <= end but found [8,0]');
  err(header({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)), 'm.safetensors: tensor "a": F32 [2, 3] needs 24 bytes but data_offsets [0, 20] hold 20');
  err(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, new Uint8Array(16)), 'm.safetensors: tensor "b" starts at byte 12 of the data section but the previous tensor ends at 8 (gap)');
  err(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), 'm.safetensors: tensor "b" starts at byte 4 of the data section, inside the previous tensor (which ends at 8)');
  err(header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(10)), 'm.safetensors: truncated: tensor "a" ends at byte 16 of the data section but the file holds only 10');
  err(header({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(6)), 'm.safetensors: 2 bytes after the last tensor (the data section must end with the last tensor)');
  err(header({ __metadata__: { n: 3 } }), 'm.safetensors: "__metadata__" entry "n" must be a string but found 3');
});

test('models save and load (F32 exactly, F16 rounded), with identical logits', () => {
  const rng = new Rng(4);
  const model = createModel(presetArchitecture('sru-small'), rng);
  model.metadata['mohaq.source'] = 'test';
  const file = join(dir, 'model.safetensors');
  saveModel(file, model);
  const st = readSafetensors(file);
  assert.equal(st.metadata['mohaq.format'], 'mohaq-model/1');
  assert.deepEqual(JSON.parse(st.metadata['mohaq.architecture']!), model.spec);
  const loaded = loadModel(file);
  assert.deepEqual(loaded.arch, model.arch);
  assert.deepEqual(loaded.params, model.params);
  assert.equal(loaded.metadata['mohaq.source'], 'test');
  const batch = randomBatch(rng, 23, [9, 5]);
  assert.deepEqual(forward(loaded, batch), forward(model, batch));

  const half = join(dir, 'half.safetensors');
  saveModel(half, model, { dtype: 'F16' });
  const h = loadModel(half);
  for (let i = 0; i < model.params.length; i += 97) assert.equal(h.params[i], halfBitsToFloat32(float32ToHalfBits(model.params[i]!)));
});

test('bad model files name the file and the tensor', () => {
  const rng = new Rng(5);
  const model = createModel({ name: 'tiny', input: 3, output: 2, layers: [{ type: 'lstm', hidden: 4 }] }, rng);
  const good = join(dir, 'good.safetensors');
  saveModel(good, model);
  const st = readSafetensors(good);
  const rewrite = (name: string, edit: (tensors: TensorToWrite[]) => TensorToWrite[], metadata = st.metadata) => {
    const tensors = [...st.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype as SafetensorsDtype, shape: [...t.shape], data: tensorToFloat32(t) }));
    const file = join(dir, name);
    writeSafetensors(file, edit(tensors), { ...metadata });
    return file;
  };
  const missing = rewrite('missing.safetensors', (ts) => ts.filter((t) => t.name !== 'L0.bwd.U'));
  assert.throws(() => loadModel(missing), { message: `${missing}: tensor "L0.bwd.U" is missing` });
  const shape = rewrite('shape.safetensors', (ts) => ts.map((t) => (t.name === 'L0.fwd.W' ? { ...t, shape: [3, 15], data: new Float32Array(45) } : t)));
  assert.throws(() => loadModel(shape), { message: `${shape}: tensor "L0.fwd.W": expected shape [3, 16] but found [3, 15]` });
  const extra = rewrite('extra.safetensors', (ts) => [...ts, { name: 'L9.W', dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
  assert.throws(() => loadModel(extra), { message: `${extra}: unexpected tensor "L9.W" (not a parameter of the architecture in the header)` });
  const nan = rewrite('nan.safetensors', (ts) => ts.map((t) => (t.name === 'FC.b' ? { ...t, data: Float32Array.of(0, NaN) } : t)));
  assert.throws(() => loadModel(nan), { message: `${nan}: tensor "FC.b": element 1 is NaN (parameters must be finite)` });
  const ints = rewrite('ints.safetensors', (ts) => ts.map((t) => (t.name === 'FC.b' ? { ...t, dtype: 'I8', data: Int8Array.of(0, 1) } : t)));
  assert.throws(() => loadModel(ints), { message: `${ints}: tensor "FC.b": expected a float dtype (F32, F16, BF16 or F64) but found I8` });
  const foreign = rewrite('foreign.safetensors', (ts) => ts, {});
  assert.throws(() => loadModel(foreign), { message: `${foreign}: not a mohaq model: the header has no "mohaq.format" metadata (convert PyTorch weights with \`mohaq import torch\`)` });

  const bytes = readFileSync(good);
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 4));
  const dataBytes = bytes.length - 8 - Number(bytes.readBigUInt64LE(0));
  assert.throws(() => loadModel(truncated), { message: `${truncated}: truncated: tensor "FC.b" ends at byte ${dataBytes} of the data section but the file holds only ${dataBytes - 4}` });
  const noHeader = join(dir, 'noheader.safetensors');
  writeFileSync(noHeader, bytes.subarray(0, 6));
  assert.throws(() => loadModel(noHeader), { message: `${noHeader}: truncated: 6 bytes, but a safetensors file starts with an 8-byte header length` });
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.from('PK\x03\x04 this is a zip file, not safetensors'));
  assert.throws(() => loadModel(garbage), /garbage\.safetensors: header length \d+ exceeds the 32 bytes after the length field \(truncated, or not a safetensors file\)$/);
  assert.throws(() => loadModel(join(dir, 'nope.safetensors')), { message: `safetensors file not found: ${join(dir, 'nope.safetensors')}` });
});
