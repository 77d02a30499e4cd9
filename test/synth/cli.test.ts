import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMohaq } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'mohaq-synth-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('mohaq corpus synth writes a TIMIT tree and reports its size', () => {
  const out = join(tmp, 'corpus');
  const r = runMohaq(['corpus', 'synth', '--out', out, '--train', '3', '--dev', '1', '--test', '1', '--no-sa', '--workers', '1', '--snr', '30']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /train {2}3 utterances, 1 speaker\n/);
  assert.match(r.stdout, /dev {4}1 utterance, 1 speaker\n/);
  assert.doesNotMatch(r.stdout, /SA/);
  assert.ok(existsSync(join(out, 'mohaq-splits.json')));
  const manifest = JSON.parse(readFileSync(join(out, 'mohaq-synth.json'), 'utf8'));
  assert.equal(manifest.options.snrDb, 30);
  assert.equal(manifest.options.saSentences, false);

  const again = runMohaq(['corpus', 'synth', '--out', out, '--train', '3']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a synthetic corpus \(mohaq-synth.json\); replace it with --force/);
});

test('bad flags are usage errors naming the flag', () => {
  const r = runMohaq(['corpus', 'synth', '--out', join(tmp, 'x'), '--coarticulation', '9']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Expected a number in \[0.25, 4\] for --coarticulation but received "9"/);
  const missing = runMohaq(['corpus', 'synth']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--out <dir>' not specified/);
});

test('mohaq corpus spectrogram draws a labelled PNG of an utterance', () => {
  const dir = join(tmp, 'corpus', 'TRAIN');
  const dr = readdirSync(dir)[0]!;
  const spk = readdirSync(join(dir, dr))[0]!;
  const wav = join(dir, dr, spk, readdirSync(join(dir, dr, spk)).find((f) => f.endsWith('.WAV'))!);
  const png = join(tmp, 'spec.png');
  const r = runMohaq(['corpus', 'spectrogram', wav, '--out', png, '--to', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wrote .*spec\.png \(\d+x\d+\)\n$/);
  const bytes = readFileSync(png);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const missing = runMohaq(['corpus', 'spectrogram', join(tmp, 'none.wav'), '--out', png]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /audio file not found: .*none\.wav/);
});
