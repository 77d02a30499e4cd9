/**
 * The C export compiles with gcc -std=c99 -Wall -Werror (and -Wextra -pedantic), has no floating point,
 * and its test driver prints exactly the integers of mohaq's integer-only engine on test utterances,
 * for every cell and variant and every precision (2- and 4-bit packed weights, 16-bit Q-formats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCInput, formatCOutput, writeCExport } from '../../src/export/c-export.js';
import { quantizeInput, runIntegerModel } from '../../src/export/integer-engine.js';
import { buildIntegerModel } from '../../src/export/integer-model.js';
import type { QuantOptions } from '../../src/quant/options.js';
import { ARCHS, features, fixture } from './helpers.js';

const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
const GCC_MISSING = gcc.error || gcc.status !== 0 ? `gcc is required for the C export test but \`gcc --version\` failed (${gcc.error?.message ?? gcc.stderr}); install gcc (CI has it)` : null;
const dir = mkdtempSync(join(tmpdir(), 'mohaq-c-export-'));

const CASES: Array<[keyof typeof ARCHS, string, QuantOptions]> = [
  ['sru', '*=4/4,FC=8/8', {}],
  ['sru', '*=2/8,L1.proj=16/16,FC=4/16', { perChannel: true }],
  ['sru-skip0', '*=8/8', {}],
  ['sru-proj0', '*=4/8', { asymmetric: true }],
  ['lstm', '*=8/8', {}],
  ['lstm', '*=2/4', { skipCandidate: 'all' }],
  ['gru', '*=4/8,FC=16/16', {}],
  ['gru', '*=2/2', { skipCandidate: 1, asymmetric: true }],
  ['ligru', '*=16/16', {}],
  ['ligru', '*=4/4', { skipCandidate: 'all', perChannel: true }],
];

/** Compiles the export of a case, runs its driver on the set's utterances, returns [C output, expected]. */
function runCase(name: keyof typeof ARCHS, spec: string, quant: QuantOptions, i: number): { got: string; expected: string; source: string } {
  const { model, set, calibration } = fixture(name);
  const im = buildIntegerModel(model, spec, calibration, { quant });
  const out = join(dir, `case${i}`);
  const files = writeCExport(im, out, { maxFrames: 40 });
  execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-pedantic', '-Werror', '-O1', '-DMOHAQ_MAIN', '-o', join(out, 'model'), join(out, 'model.c')], { stdio: 'pipe' });
  const utts = set.utterances.map((u, k) => ({ T: u.frames, codes: quantizeInput(im, features(set, k), u.frames) }));
  writeFileSync(join(out, 'input.txt'), formatCInput(utts, im.input.dim));
  const expected = formatCOutput(utts.map((u) => ({ T: u.T, logits: runIntegerModel(im, u.codes, u.T) })), im.fc.n);
  const got = execFileSync(join(out, 'model'), [join(out, 'input.txt')], { encoding: 'utf8' });
  return { got, expected, source: files.header + files.source };
}

test('the C export computes the integer-only engine bit for bit (every cell, precision and option)', () => {
  if (GCC_MISSING) assert.fail(GCC_MISSING);
  CASES.forEach(([name, spec, quant], i) => {
    const { got, expected } = runCase(name, spec, quant, i);
    assert.ok(got === expected, `${name} ${spec} ${JSON.stringify(quant)}: the C output differs from runIntegerModel`);
  });
});

test('the C sources: no floating point, no allocation, strict C99 with -Wall -Werror, errors for bad input', () => {
  if (GCC_MISSING) assert.fail(GCC_MISSING);
  const { model, calibration } = fixture('lstm');
  const im = buildIntegerModel(model, '*=4/8', calibration);
  const out = join(dir, 'plain');
  const files = writeCExport(im, out, { maxFrames: 8 });
  const code = (files.header + files.source).replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(code, /\b(float|double)\b/);
  assert.doesNotMatch(code, /\b(malloc|calloc|realloc|free)\b/);
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-c', '-o', join(out, 'model.o'), join(out, 'model.c')], { stdio: 'pipe' });
  execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-DMOHAQ_MAIN', '-o', join(out, 'model'), join(out, 'model.c')], { stdio: 'pipe' });
  assert.match(readFileSync(join(out, 'model.h'), 'utf8'), /#define MOHAQ_MAX_FRAMES 8\n#define MOHAQ_INPUT_DIM 5\n#define MOHAQ_OUTPUT_DIM 48\n#define MOHAQ_LOGIT_FRAC \d+\n#define MOHAQ_INPUT_LO -128\n#define MOHAQ_INPUT_HI 127\n#define MOHAQ_INPUT_ZERO 0\n/);
  // an utterance longer than the buffers, and a code out of range, are refused
  const long = { T: 9, codes: new Int16Array(9 * 5) };
  const r1 = spawnSync(join(out, 'model'), [], { input: formatCInput([long], 5), encoding: 'utf8' });
  assert.equal(r1.status, 1);
  assert.equal(r1.stderr, 'utterance 0: expected D = 5 and T in 0..8 but read T = 9, D = 5\n');
  const bad = { T: 1, codes: Int16Array.of(0, 0, 300, 0, 0) };
  const r2 = spawnSync(join(out, 'model'), [], { input: formatCInput([bad], 5), encoding: 'utf8' });
  assert.equal(r2.stderr, 'utterance 0: mohaq_infer failed (-2)\n');
});
