import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBatch } from '../../src/data/batch.js';
import { createModel } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { auxiliaryLayoutEntries, initAuxiliary } from '../../src/train/auxiliary.js';
import { Replica } from '../../src/train/replica.js';
import type { GradientTask } from '../../src/train/replica.js';
import { tinyArch, tinySet } from './tiny-task.js';

test('auxiliary head: gradients of the head and of the layers below it match finite differences', () => {
  const set = tinySet('x', 3, 5);
  const model = createModel(tinyArch(4, 'gru', 8), new Rng(3));
  const auxSize = auxiliaryLayoutEntries(model, 2).reduce((a, e) => a + e.shape[0]! * (e.shape[1] ?? 1), 0);
  const shared = new SharedArrayBuffer((model.layout.total + auxSize) * 4);
  const master = new Float32Array(shared);
  master.set(model.params);
  initAuxiliary(model, 2, master.subarray(model.layout.total), new Rng(4));
  // Larger head weights than the initialisation, so that the head's share of the lower layers' gradients counts.
  for (let i = model.layout.total; i < master.length; i++) master[i]! *= 30;
  const replica = new Replica({ spec: model.spec, master: shared, auxiliary: { classes: 2, weight: 0.7 }, qat: null });
  const b = makeBatch(set, [0, 1, 2]);
  const auxLabels = Int32Array.from(b.labels, (l) => (l < 0 ? -1 : l % 2));
  let version = 0;
  const task = (): GradientTask => ({ kind: 'gradient', version: version++, batch: { x: b.x, T: b.T, B: b.B, lengths: b.lengths, labels: b.labels, auxLabels }, normalizer: 50, dropoutSeed: 1, dropout: 0 });
  const lossAt = () => {
    const r = replica.gradient(task());
    return (r.nll + 0.7 * r.auxNll) / 50;
  };
  const g = replica.gradient(task()).grads;
  const at = (name: string, i: number) => {
    const e = model.layout.has(name) ? model.layout.entry(name) : null;
    return e ? e.offset + i : model.layout.total + (name === 'AUX.W' ? i : auxSize - 2 + i);
  };
  for (const [name, i] of [['AUX.W', 5], ['AUX.b', 1], ['FC.W', 7], ['L0.fwd.U', 11], ['L0.bwd.W', 3]] as const) {
    const j = at(name, i);
    const h = 1e-2;
    const v = master[j]!;
    master[j] = v + h;
    const up = lossAt();
    master[j] = v - h;
    const down = lossAt();
    master[j] = v;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(fd - g[j]!) < 5e-4 + 0.02 * Math.abs(fd), `${name}[${i}]: finite difference ${fd}, gradient ${g[j]}`);
  }
});
