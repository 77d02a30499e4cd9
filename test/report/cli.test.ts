import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMohaq } from '../helpers/cli.js';
import { writeSyntheticRun } from './fixtures.js';

const base = mkdtempSync(join(tmpdir(), 'mohaq-report-cli-'));
const silago = join(base, 'silago');
const bitfusion = join(base, 'bitfusion');
writeSyntheticRun(silago, { platform: 'silago', generations: 3 });
writeSyntheticRun(bitfusion, { platform: 'bitfusion', generations: 20, stopAfter: 3, state: 'interrupted' });

test('mohaq report RUN_DIR --png writes the page and the PNGs and prints their paths', () => {
  const r = runMohaq(['report', silago, '--png']);
  assert.equal(r.code, 0, r.stderr);
  const names = ['error-vs-speedup', 'error-vs-energy', 'speedup-vs-energy', 'error-vs-memory', 'hypervolume'];
  assert.equal(r.stdout, [join(silago, 'report.html'), ...names.map((n) => join(silago, 'plots', `${n}.png`))].map((l) => `${l}\n`).join(''));
  assert.equal(r.stderr, '');
  assert.match(readFileSync(join(silago, 'report.html'), 'utf8'), /^<!doctype html>/);
  for (const n of names) assert.ok(statSync(join(silago, 'plots', `${n}.png`)).size > 10_000);
});

test('mohaq report of an interrupted run prints its notes; several runs need --out', () => {
  const file = join(bitfusion, 'evaluations.csv');
  truncateSync(file, statSync(file).size - 7);
  const r = runMohaq(['report', bitfusion, '--out', join(base, 'b.html'), '--title', 'Bitfusion so far']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${join(base, 'b.html')}\n`);
  const rows = readFileSync(file, 'utf8').split('\n').length - 2; // header and the cut line
  assert.equal(
    r.stderr,
    `note: ${file} line ${rows + 2} is incomplete (the run was stopped while writing it) and was ignored\n` +
      `note: ${file} has ${rows} rows but ${join(bitfusion, 'status.json')} counts ${rows + 1} evaluations\n`,
  );
  const html = readFileSync(join(base, 'b.html'), 'utf8');
  assert.ok(html.includes('<title>Bitfusion so far</title>'));
  assert.ok(html.includes('This run is unfinished (interrupted at generation 3 of 20); the front shows what exists.'));
  assert.ok(!existsSync(join(bitfusion, 'report.html')));

  const usage = runMohaq(['report', silago, bitfusion]);
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, 'mohaq: Expected an output file (required when comparing 2 run directories) for --out but received nothing\n');
  const both = runMohaq(['report', silago, bitfusion, '--out', join(base, 'both.html')]);
  assert.equal(both.code, 0, both.stderr);
  assert.ok(readFileSync(join(base, 'both.html'), 'utf8').includes('<title>mohaq: sru-timit on silago vs sru-timit on bitfusion</title>'));
});

test('mohaq report errors: not a run directory (1), no argument (2)', () => {
  const missing = runMohaq(['report', join(base, 'nothing')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `mohaq: not a mohaq run directory: ${join(base, 'nothing')} does not exist\n`);
  const notRun = runMohaq(['report', base]);
  assert.equal(notRun.code, 1);
  assert.equal(notRun.stderr, `mohaq: not a mohaq run directory: ${join(base, 'config.json')} is missing\n`);
  const none = runMohaq(['report']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing required argument 'run-dir'/);
});
