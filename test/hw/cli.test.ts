import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMohaq } from '../helpers/cli.js';

test('mohaq hw prints the per-matrix table and the totals', () => {
  const r = runMohaq(['hw', '--arch', 'paper-sru', '--platform', 'silago', '--bits', '*=4']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^paper-sru on silago/);
  assert.equal(lines[1], 'bits *=4/4');
  assert.match(r.stdout, /^matrix +rows x cols +copies +MACs\/frame +weights +W\/A +bytes +speedup +energy nJ$/m);
  assert.match(r.stdout, /^L0 +23 x 4400 +1 +101,200 +101,200 +4\/4 +50,600 +4\.00 +47\.89$/m);
  assert.match(r.stdout, /^total +5,574,800 +5,574,800 +2,826,408 +4\.00 +2663\.2$/m);
  assert.match(r.stdout, /^memory +2,826,408 bytes \(2\.70 MiB\), capacity 6\.00 MiB; 7\.92x smaller than fp32 \(21\.34 MiB\)$/m);
  assert.match(r.stdout, /^speedup +4\.000x vs all-16 on silago$/m);
  assert.match(r.stdout, /^energy +2\.663 uJ per frame; all-16 16\.448 uJ; saving 83\.8%$/m);
  assert.match(r.stdout, /^feasible +yes$/m);
});

test('mohaq hw --json has the same content, infeasible genomes list their reasons', () => {
  const r = runMohaq(['hw', '--arch', 'paper-sru', '--platform', 'silago', '--bits', '*=4,FC=2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.bits, '*=4/4,FC=2/2');
  assert.equal(report.matrices.length, 8);
  assert.deepEqual(Object.keys(report.matrices[0]).slice(0, 4), ['name', 'w', 'a', 'runW']);
  assert.equal(report.totals.feasible, false);
  assert.deepEqual(report.totals.violations, ['FC: 2/2 is not supported by silago: 2-bit weights (supported: 4, 8, 16); 2-bit activations (supported: 4, 8, 16); costed as 4/4']);
});

test('mohaq hw --list-matrices and --list-platforms', () => {
  const r = runMohaq(['hw', '--arch', 'paper-lstm', '--list-matrices']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^paper-lstm: 9 matrices, 26,430,800 MACs per frame/);
  assert.match(r.stdout, /^L0\.U +recurrent +550 +2200 +2 +2,420,000 +2,420,000 +h$/m);
  const p = runMohaq(['hw', '--list-platforms']);
  assert.equal(p.code, 0);
  assert.deepEqual(
    p.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]),
    ['silago', 'bitfusion', 'bitfusion-sim', 'size'],
  );
});

test('mohaq hw errors: bad spec is a usage error (2), a malformed platform file a failure (1)', () => {
  const bad = runMohaq(['hw', '--arch', 'paper-sru', '--platform', 'silago', '--bits', '*=8,L9=4']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'mohaq: Expected a matrix name (one of L0, L1.proj, L1, L2.proj, L2, L3.proj, L3, FC) for --bits but received "L9"\n');
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-hw-cli-'));
  const file = join(dir, 'npu.json');
  writeFileSync(file, JSON.stringify({ name: 'npu', precisions: { weights: [8], shared: true }, speedup: { kind: 'per-mac', perMac: { '8': 2 } }, energy: { perMac: { '8': 'x' } } }));
  const malformed = runMohaq(['hw', '--arch', 'paper-sru', '--platform', file, '--bits', '*=8']);
  assert.equal(malformed.code, 1);
  assert.equal(malformed.stderr, `mohaq: ${file}: energy.perMac.8: Expected a positive number (pJ per MAC) but received "x"\n`);
  const noArch = runMohaq(['hw', '--platform', 'silago', '--bits', '8']);
  assert.equal(noArch.code, 2);
  assert.equal(noArch.stderr, 'mohaq: Expected a preset, an ARCH.json or a MODEL.safetensors for --arch but received nothing\n');
});
