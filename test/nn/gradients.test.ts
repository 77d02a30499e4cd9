/**
 * Finite-difference checks of backward() for every cell, both directions, BatchNorm (batch statistics
 * in training, running statistics in inference), the SRU projection and both skip terms, seeded dropout
 * masks and the output layer, on batches with padding.
 */
import { test } from 'node:test';
import { createModel } from '../../src/nn/model.js';
import type { Architecture } from '../../src/nn/arch.js';
import { Rng } from '../../src/util/rng.js';
import { checkGradients, randomBatch } from './helpers.js';

const CASES: Array<{ name: string; layers: Architecture['layers'] }> = [
  {
    // L0: 4th (skip) matrix, 5 inputs != 8 outputs; L1: projection 3 and the alpha-scaled skip; L2: unidirectional, no skip term
    name: 'SRU (skip matrix, projection + scaled skip, unidirectional without skip)',
    layers: [{ type: 'sru', hidden: 4 }, { type: 'sru', hidden: 4, projection: 3 }, { type: 'sru', hidden: 3, bidirectional: false, skipTerm: false }],
  },
  { name: 'LSTM (bidirectional; unidirectional with BatchNorm)', layers: [{ type: 'lstm', hidden: 4 }, { type: 'lstm', hidden: 3, batchNorm: true, bidirectional: false }] },
  { name: 'GRU pytorch-kaldi convention (with and without BatchNorm)', layers: [{ type: 'gru', hidden: 4 }, { type: 'gru', hidden: 3, batchNorm: true }] },
  { name: 'GRU PyTorch convention (bidirectional, unidirectional)', layers: [{ type: 'gru', hidden: 4, gru: 'torch' }, { type: 'gru', hidden: 3, gru: 'torch', bidirectional: false }] },
  { name: 'LiGRU (BatchNorm bidirectional; plain unidirectional)', layers: [{ type: 'ligru', hidden: 4 }, { type: 'ligru', hidden: 3, batchNorm: false, bidirectional: false }] },
];

for (const c of CASES) {
  for (const mode of ['inference', 'training with dropout'] as const) {
    test(`gradients: ${c.name}, ${mode}`, () => {
      const rng = new Rng(1);
      const model = createModel({ input: 5, output: 3, layers: c.layers }, rng);
      // BatchNorm running statistics away from (0, 1) so inference mode tests them
      for (const e of model.layout.entries) {
        if (e.role === 'bn-mean') rng.fillUniform(model.params.subarray(e.offset, e.offset + e.size), -0.2, 0.2);
        if (e.role === 'bn-var') rng.fillUniform(model.params.subarray(e.offset, e.offset + e.size), 0.5, 1.5);
      }
      const batch = randomBatch(rng, 5, [5, 3, 4]);
      checkGradients(model, batch, mode === 'inference' ? {} : { trainSeed: 7, dropout: 0.3 });
    });
  }
}
