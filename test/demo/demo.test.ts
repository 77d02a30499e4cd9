/**
 * The main job end to end: `mohaq demo --quick` on a fresh cache generates the corpus and features,
 * runs both searches and the delta sweep, and writes the reports; a second run reuses everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMohaq } from '../helpers/cli.js';

test('mohaq demo --quick runs to the end and leaves the reports; a rerun reuses its work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-demo-'));
  try {
    const out = join(dir, 'out');
    const args = ['demo', '--quick', '--out', out, '--cache', join(dir, 'cache')];
    const first = runMohaq(args, { timeoutMs: 600_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /SiLago \(error, speedup, energy/);
    assert.match(first.stdout, /Bitfusion with beacons/);
    assert.match(first.stdout, /Delta networks at \*=8\/8: \d+% of the MACs eliminated/);
    for (const f of ['report.html', 'silago/report.html', 'bitfusion/report.html', 'silago/front.json', 'bitfusion/front.json', 'delta/sections/delta-sweep.json']) {
      assert.ok(existsSync(join(out, f)), `${f} exists`);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /Delta networks/);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/, 'the page loads nothing from the network');

    const again = runMohaq(args, { timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /reusing the finished search/);
    assert.match(again.stderr, /reusing the delta sweep/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
