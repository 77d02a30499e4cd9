import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadArchitectureArgument, readSafetensorsMetadata } from '../../src/hw/arch-source.js';

const dir = mkdtempSync(join(tmpdir(), 'mohaq-hw-arch-'));

function safetensors(name: string, header: unknown, data = Buffer.alloc(4)): string {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

const arch = { name: 'tiny-lstm', input: 5, output: 3, layers: [{ type: 'lstm', hidden: 4 }] };

test('--arch accepts a preset, an ARCH.json and a model .safetensors', () => {
  assert.equal(loadArchitectureArgument('paper-sru').name, 'paper-sru');
  const json = join(dir, 'arch.json');
  writeFileSync(json, JSON.stringify(arch));
  assert.equal(loadArchitectureArgument(json).layers[0]!.hidden, 4);
  const model = safetensors('m.safetensors', { __metadata__: { 'mohaq.architecture': JSON.stringify(arch) }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  const r = loadArchitectureArgument(model);
  assert.equal(r.name, 'tiny-lstm');
  assert.equal(r.layers[0]!.outputSize, 8);
});

test('model file errors name the file and what is wrong', () => {
  assert.throws(() => loadArchitectureArgument('nope'), {
    code: 'INVALID_ARGUMENT',
    message: /^Expected a preset \(one of sru-small, .*paper-ligru\), an architecture \.json or a model \.safetensors for --arch but received "nope"$/,
  });
  const noMeta = safetensors('plain.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  assert.deepEqual(readSafetensorsMetadata(noMeta), {});
  assert.throws(() => loadArchitectureArgument(noMeta), { code: 'INVALID_FILE', message: `${noMeta}: no "mohaq.architecture" in the safetensors __metadata__ (not a mohaq model file?)` });
  const short = join(dir, 'short.safetensors');
  writeFileSync(short, Buffer.from([1, 2, 3]));
  assert.throws(() => readSafetensorsMetadata(short), { message: `${short}: not a safetensors file (3 bytes, shorter than the 8-byte header length)` });
  const huge = join(dir, 'huge.safetensors');
  const len = Buffer.alloc(16);
  len.writeBigUInt64LE(1000n);
  writeFileSync(huge, len);
  assert.throws(() => readSafetensorsMetadata(huge), { message: `${huge}: not a safetensors file (header length 1000 does not fit the file of 16 bytes)` });
  const badArch = safetensors('bad.safetensors', { __metadata__: { 'mohaq.architecture': JSON.stringify({ ...arch, layers: [{ type: 'lstm', hidden: 0 }] }) } });
  assert.throws(() => loadArchitectureArgument(badArch), /layers\[0\]\.hidden in .*bad\.safetensors/);
  const nonString = safetensors('ns.safetensors', { __metadata__: { 'mohaq.architecture': 5 } });
  assert.throws(() => readSafetensorsMetadata(nonString), { message: `${nonString}: __metadata__.mohaq.architecture: Expected a string (safetensors metadata values are strings)` });
  assert.throws(() => loadArchitectureArgument(join(dir, 'missing.safetensors')), { code: 'NOT_FOUND' });
});
