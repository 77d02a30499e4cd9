import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetArchitecture, resolveArchitecture } from '../../src/nn/arch.js';
import { parseBitsSpec } from '../../src/quant/bits-spec.js';
import { buildInventory } from '../../src/hw/inventory.js';
import { platformCost } from '../../src/hw/cost.js';
import { lookupPrecision, parsePlatform, readPlatformFile } from '../../src/hw/platform.js';
import { parseSize } from '../../src/util/units.js';
import { BUILTIN_PLATFORM_SPECS, builtinPlatform, loadPlatform } from '../../src/hw/platforms/index.js';

const user = () => ({
  name: 'npu',
  precisions: { weights: [4, 8], activations: [8], shared: false },
  speedup: { kind: 'table', table: { '4x8': 2, '8x8': 1.5 } },
  energy: { perMac: { '8': 0.5, '4x8': 0.3 }, perBitSram: 0.05 },
  memory: { capacity: '1MiB' },
});

test('every built-in platform passes the user schema', () => {
  for (const [name, spec] of Object.entries(BUILTIN_PLATFORM_SPECS)) {
    const p = parsePlatform(JSON.parse(JSON.stringify(spec)), name);
    assert.equal(p.name, name);
  }
  assert.equal(builtinPlatform('silago')!.capacityBytes, 6 * 1024 * 1024);
  assert.equal(builtinPlatform('bitfusion')!.capacityBytes, 2 * 1024 * 1024);
  assert.equal(builtinPlatform('constructor'), undefined);
});

test('precision tables: an exact WxA entry wins over the wider-operand P entry', () => {
  const t = { '8': 1, '4x8': 3 };
  assert.equal(lookupPrecision(t, 4, 8), 3);
  assert.equal(lookupPrecision(t, 8, 4), 1);
  assert.equal(lookupPrecision(t, 8, 8), 1);
  assert.equal(lookupPrecision(t, 16, 4), undefined);
  assert.equal(parseSize('2MiB'), 2 * 1024 * 1024);
  assert.equal(parseSize('6 MB'), 6e6);
  assert.equal(parseSize('2 parsecs'), null);
});

test('a user platform file is costed like a built-in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-hw-'));
  const file = join(dir, 'npu.json');
  writeFileSync(file, JSON.stringify(user()));
  const p = loadPlatform(file);
  assert.equal(p.capacityBytes, 1024 * 1024);
  const sru = buildInventory(resolveArchitecture(presetArchitecture('sru-small')));
  const c = platformCost(p, sru, parseBitsSpec('*=8,FC=4/8', sru.matrices));
  const fc = sru.matrices.find((m) => m.name === 'FC')!;
  assert.equal(c.speedup, (fc.macsPerFrame * 2 + (sru.totalMacs - fc.macsPerFrame) * 1.5) / sru.totalMacs);
  const pj = fc.macsPerFrame * 0.3 + (sru.totalMacs - fc.macsPerFrame) * 0.5 + 0.05 * (fc.weights * 4 + (sru.totalWeights - fc.weights) * 8 + sru.extras * 16);
  assert.ok(Math.abs(c.energyPj! - pj) < 1e-6 * pj);
  assert.equal(c.energyAll16Pj, null); // no 16-bit energy: no saving
  assert.equal(c.energySaving, null);
  assert.ok(c.feasible);
});

test('on-chip memory: parameter bits beyond it are read at the DRAM price', () => {
  const spec = { ...user(), energy: { perBitSram: 1, perBitDram: 10 }, memory: { onChip: 100 } };
  const p = parsePlatform(spec, 'npu.json');
  const inv = buildInventory(resolveArchitecture({ input: 4, output: 2, layers: [{ type: 'sru', hidden: 2, bidirectional: false }] }));
  const c = platformCost(p, inv, parseBitsSpec('*=8', inv.matrices));
  const bits = inv.extras * 16 + inv.totalWeights * 8;
  assert.equal(c.energyPj, Math.min(bits, 800) * 1 + Math.max(0, bits - 800) * 10);
});

test('schema errors name the file, the field and the expected form', () => {
  const err = (mutate: (p: any) => void, message: string) => {
    const p: any = user();
    mutate(p);
    assert.throws(() => parsePlatform(p, 'platform.json'), { code: 'INVALID_FILE', message });
  };
  err((p) => (p.energy.perMac['8'] = 'x'), 'platform.json: energy.perMac.8: Expected a positive number (pJ per MAC) but received "x"');
  err((p) => (p.energy.perMak = 1), 'platform.json: energy.perMak: Unknown field (expected one of perMac, perBitSram, perBitDram)');
  err((p) => (p.speedup.kind = 'magic'), 'platform.json: speedup.kind: Expected one of "table", "per-mac", "bitfusion", "none" but received "magic"');
  err((p) => (p.speedup.perMac = {}), 'platform.json: speedup.perMac: Unknown field (expected one of kind, table)');
  err(
    (p) => delete p.speedup.table['4x8'],
    'platform.json: speedup.table.4x8: Expected a speedup factor for weights 4 / activations 8 (an entry "4x8", or "8" for the wider operand) but received nothing',
  );
  err((p) => (p.speedup.table['8y8'] = 1), 'platform.json: speedup.table.8y8: Expected a precision key "W x A" such as "8x4", or "P" such as "8" (the wider operand) but received "8y8"');
  err(
    (p) => Object.assign(p, { precisions: { weights: [16], shared: true }, speedup: { kind: 'per-mac', perMac: { '16': 2 } }, energy: undefined }),
    'platform.json: speedup.perMac.16: Expected 1 (speedups are relative to 16x16 on the same platform) but received 2',
  );
  err((p) => (p.memory.capacity = '2 parsecs'), 'platform.json: memory.capacity: Expected a size in bytes or a string such as "2MiB", "512KiB", "6MB" but received "2 parsecs"');
  err((p) => (p.precisions.weights = [4, 3]), 'platform.json: precisions.weights[1]: Expected one of 2, 4, 8, 16, 32 but received 3');
  err((p) => (p.precisions.shared = true), 'platform.json: precisions.activations: Expected the same precisions as precisions.weights (4, 8) because precisions.shared is true but received [8]');
  err((p) => delete p.speedup, 'platform.json: speedup: Expected a speedup model ({ "kind": "table" | "per-mac" | "bitfusion" | "none" }) or a fusionArray section but received nothing');
  err((p) => (p.colour = 'red'), 'platform.json: colour: Unknown field (expected one of name, description, source, precisions, speedup, energy, fusionArray, memory, deltaSkipping)');
  err((p) => (p.memory = { onChip: '1KiB' }), 'platform.json: energy.perBitDram: Expected pJ per bit read from DRAM, because memory.onChip is set but received nothing');
  assert.throws(() => parsePlatform(42, 'platform.json'), { message: 'platform.json: (root): Expected a platform object but received 42' });
});

test('fusion-array platforms reject float and unrunnable precisions', () => {
  const spec: any = JSON.parse(JSON.stringify(BUILTIN_PLATFORM_SPECS['bitfusion-sim']));
  spec.precisions.weights = [4, 32];
  assert.throws(() => parsePlatform(spec, 'sim.json'), {
    message: 'sim.json: precisions.weights: Expected integer precisions a fusion array runs (at most pmax = 8, or multiples of it in several passes; no 32-bit float) but received 32',
  });
});

test('loadPlatform: a built-in name, a file, or a clear error', () => {
  assert.equal(loadPlatform('bitfusion').name, 'bitfusion');
  assert.throws(() => loadPlatform('tpu', '--platform'), { message: 'Expected a platform name (one of silago, bitfusion, bitfusion-sim, size) or a platform JSON file for --platform but received "tpu"' });
  assert.throws(() => loadPlatform('/nonexistent/p.json'), { code: 'NOT_FOUND' });
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-hw-'));
  writeFileSync(join(dir, 'bad.json'), '{ "name": ');
  assert.throws(() => readPlatformFile(join(dir, 'bad.json')), { code: 'INVALID_FILE', message: /bad\.json: not valid JSON/ });
});
