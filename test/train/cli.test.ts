import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/nn/io.js';
import { readJson } from '../../src/util/fsx.js';
import { runMohaq } from '../helpers/cli.js';
import { writeStore } from '../helpers/store.js';
import { TINY_DIM, tinySet } from './tiny-task.js';

function writeTinyStore(dir: string): void {
  writeStore(dir, { train: tinySet('train', 60, 1, 4, 48), dev: tinySet('dev', 20, 2, 4, 48), test: tinySet('test', 20, 3, 4, 48) });
}

test('mohaq train, eval of its output, resume and retrain on a tiny store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mohaq-train-cli-'));
  try {
    const data = join(dir, 'feats');
    writeTinyStore(data);
    const arch = join(dir, 'tiny.json');
    writeFileSync(arch, JSON.stringify({ name: 'tiny', input: TINY_DIM, output: 48, layers: [{ type: 'sru', hidden: 16 }] }));
    const out = join(dir, 'm.safetensors');
    const args = ['train', '--arch', arch, '--data', data, '--out', out, '--epochs', '3', '--lr', '0.01', '--curriculum', 'none', '--seed', '5'];
    const r = runMohaq([...args, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.epochs, 3);
    assert.ok(res.dev.fer < 0.05 && res.dev.per < 0.1, r.stdout);
    assert.ok(existsSync(join(dir, 'm.safetensors.ckpt', 'checkpoint.safetensors')));
    const log = readJson<{ epochs: unknown[]; result: { seed: number } }>(`${out}.log.json`);
    assert.equal(log.epochs.length, 3);
    assert.equal(log.result.seed, 5);
    const model = loadModel(out);
    const training = JSON.parse(model.metadata['mohaq.training']!);
    assert.equal(training.command, `mohaq ${[...args, '--json'].join(' ')}`);
    assert.ok(model.metadata['mohaq.decoder']);

    // `mohaq eval` reproduces the recorded figures from the file and the store alone.
    const ev = runMohaq(['eval', '--model', out, '--data', data, '--split', 'test', '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    const e = JSON.parse(ev.stdout);
    assert.equal(e.per, training.test.per, ev.stdout);
    assert.equal(e.fer, training.test.fer);

    // Resuming a finished run with other settings is refused; with the same ones it changes nothing.
    const bad = runMohaq(['train', '--arch', arch, '--data', data, '--out', out, '--epochs', '3', '--lr', '0.01', '--curriculum', 'none', '--seed', '6', '--resume']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Expected seed 5 \(as in the checkpoint .*checkpoint\.safetensors\) but received 6; resume with the same settings, or start afresh without --resume/);
    const again = runMohaq([...args, '--resume', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(loadModel(out).params, model.params);

    const noArch = runMohaq(['train', '--arch', 'nope', '--data', data, '--out', out]);
    assert.equal(noArch.code, 2);
    assert.match(noArch.stderr, /Expected a preset \(sru-small, lstm-small, .*\) or an architecture JSON file for --arch but received "nope"/);

    // A monophone head from a second store over the same utterances (here the same labels).
    const mono = runMohaq(['train', '--arch', arch, '--data', data, '--out', join(dir, 'mono.safetensors'), '--epochs', '1', '--curriculum', 'none', '--mono-data', data, '--mono-weight', '0.5', '--json']);
    assert.equal(mono.code, 0, mono.stderr);
    const monoLog = readJson<{ epochs: Array<{ auxLoss: number }> }>(join(dir, 'mono.safetensors.log.json'));
    assert.ok(monoLog.epochs[0]!.auxLoss > 0);

    const q = runMohaq(['retrain', '--model', out, '--data', data, '--bits', '*=4/4', '--out', join(dir, 'q.safetensors'), '--epochs', '2', '--lr', '0.003', '--json']);
    assert.equal(q.code, 0, q.stderr);
    const qr = JSON.parse(q.stdout);
    assert.equal(qr.bits, '*=4/4');
    assert.ok(qr.after.dev.fer <= qr.before.dev.fer + 0.01, q.stdout);
    assert.ok(JSON.parse(loadModel(join(dir, 'q.safetensors')).metadata['mohaq.retraining']!).bits === '*=4/4');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mohaq train: usage errors name the flag', () => {
  const r = runMohaq(['train', '--arch', 'nope', '--data', '/nonexistent', '--out', '/tmp/x.safetensors']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /feature store not found: \/nonexistent has no index.json/);
  const c = runMohaq(['train', '--arch', 'sru-small', '--data', '/nonexistent', '--out', '/tmp/x.safetensors', '--curriculum', '100,2']);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /Expected START,GROWTH,MAX \(e\.g\. 100,2,1000\) or none for --curriculum but received "100,2"/);
});
