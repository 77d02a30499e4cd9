import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runMohaq, ROOT } from './helpers/cli.js';

test('mohaq --version prints the package version', () => {
  const r = runMohaq(['--version']);
  assert.equal(r.code, 0);
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
  assert.equal(r.stdout.trim(), pkg.version);
});

test('mohaq --help lists the commands', () => {
  const r = runMohaq(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: mohaq/);
  assert.match(r.stdout, /doctor/);
});

test('an unknown command or flag is a usage error with exit code 2', () => {
  const a = runMohaq(['frobnicate']);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /unknown command 'frobnicate'/);
  const b = runMohaq(['--frobnicate']);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /unknown option '--frobnicate'/);
});
