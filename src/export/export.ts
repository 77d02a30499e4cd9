/**
 * `mohaq export`: one resolved source (source.ts) written in a deployable form.
 *
 *   safetensors  integer codes (I8/I16, 2- and 4-bit packed), scales, calibration, Q-formats and the
 *                integer engine's constants; `loadQuantizedModel` reads it back exactly
 *   c            model.h + model.c (C99, integer-only), and a test input with the expected output
 *   onnx         QDQ graph (LSTM/GRU operators or Scan), opset 13
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../nn/model.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import type { QuantOptions } from '../quant/options.js';
import { storedQuantization } from '../quant/quantize-model.js';
import { storeSplit } from '../quant/store.js';
import type { WeightParams } from '../quant/weights.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { formatCInput, formatCOutput, writeCExport } from './c-export.js';
import { quantizeInput, runIntegerModel } from './integer-engine.js';
import { buildIntegerModel } from './integer-model.js';
import type { IntegerModel } from './integer-model.js';
import { exportOnnx } from './onnx-export.js';
import { saveQuantizedModel } from './quantized-file.js';
import type { ExportSource } from './source.js';
import { formatBitsSpec } from '../quant/bits-spec.js';

export type ExportFormat = 'safetensors' | 'c' | 'onnx';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['safetensors', 'c', 'onnx'];

export interface ExportOptions {
  format: ExportFormat;
  /** A file (safetensors, onnx) or a directory (c). */
  out: string;
  /** C: frames the static buffers hold. @default 1000 */
  maxFrames?: number;
  /** ONNX: LSTM/GRU operators where only weights are quantized (auto), or Scan everywhere. */
  recurrence?: 'auto' | 'scan';
  /** C: utterances of the source's feature store written as a test input with the expected logits. @default 3 */
  testUtterances?: number;
  /** C: the split the test utterances come from. @default 'test' */
  split?: string;
}

export interface ExportSummary {
  format: ExportFormat;
  out: string;
  files: Array<{ path: string; bytes: number }>;
  bits: string;
  source: string;
  /** Format-specific facts (layer forms, sizes, Q-formats, test files). */
  details: Record<string, unknown>;
}

function fileInfo(path: string): { path: string; bytes: number } {
  return { path, bytes: statSync(path).size };
}

/**
 * The integer model `mohaq eval --integer-only` runs: a quantized model file's stored quantization, or
 * `bits` with `calibration` and `quant` for a float model.
 */
export function integerModelFor(model: Model, bits: BitsAssignment, calibration: Calibration | null, quant: QuantOptions, file?: string): IntegerModel {
  const stored = storedQuantization(model, file);
  if (stored) {
    const weightParams: Record<string, WeightParams> = {};
    for (const [key, p] of Object.entries(stored.weights)) weightParams[key] = p.kind === 'integer' ? { kind: 'integer', bits: p.bits, clips: Float64Array.from(p.clips) } : p;
    return buildIntegerModel(model, stored.assignment, stored.calibration, { quant: stored.options, weightParams });
  }
  if (!calibration) throw new MohaqError('INVALID_ARGUMENT', 'Expected a calibration for integer-only inference of a float model but received nothing');
  return buildIntegerModel(model, bits, calibration, { quant });
}

/** The integer model of a source (its own, for an integer export file). */
export function integerModelOf(source: ExportSource): IntegerModel {
  return source.integer ?? buildIntegerModel(source.model, source.bits, source.calibration, { quant: source.quant, weightParams: source.weightParams });
}

/** Writes `source` in `opts.format` (see the module comment). */
export function exportModel(source: ExportSource, opts: ExportOptions): ExportSummary {
  const bits = formatBitsSpec(source.bits, Object.keys(source.bits));
  const base = { format: opts.format, out: opts.out, bits, source: source.description };
  switch (opts.format) {
    case 'safetensors': {
      const ex = saveQuantizedModel(opts.out, source.model, source.bits, source.calibration, { quant: source.quant, weightParams: source.weightParams });
      return {
        ...base,
        files: [fileInfo(opts.out)],
        details: {
          blocks: ex.table.blocks.length,
          packed: ex.table.blocks.filter((b) => b.packing).length,
          vectors: ex.table.vectors.length,
          integerEngine: ex.integer !== null,
          compression: ex.stored.size.compression,
          quantizedBytes: ex.stored.size.bytes,
        },
      };
    }
    case 'c': {
      const im = integerModelOf(source);
      const maxFrames = opts.maxFrames ?? 1000;
      const written = writeCExport(im, opts.out, { maxFrames });
      const files = written.files.map(fileInfo);
      const details: Record<string, unknown> = { maxFrames, logitFrac: im.logitFrac, input: { operand: im.input.operand.name, kind: im.input.operand.kind, bits: im.input.operand.bits, zero: im.input.operand.zero } };
      const n = opts.testUtterances ?? 3;
      if (!(Number.isInteger(n) && n >= 0)) throw invalidParameter('--test-utterances', 'an integer >= 0', n);
      if (source.store && n > 0) {
        const set = storeSplit(source.store, opts.split ?? 'test');
        const picked = set.utterances.filter((u) => u.frames > 0 && u.frames <= maxFrames).slice(0, n);
        const D = im.input.dim;
        const utts = picked.map((u) => ({ id: u.id, T: u.frames, codes: quantizeInput(im, set.feats.subarray(u.offset * D, (u.offset + u.frames) * D), u.frames) }));
        const input = join(opts.out, 'test_input.txt');
        const expected = join(opts.out, 'test_expected.txt');
        writeFileAtomic(input, formatCInput(utts, D));
        writeFileAtomic(expected, formatCOutput(utts.map((u) => ({ T: u.T, logits: runIntegerModel(im, u.codes, u.T) })), im.fc.n));
        files.push(fileInfo(input), fileInfo(expected));
        details.test = { split: set.name, utterances: utts.map((u) => u.id), command: `gcc -std=c99 -O2 -DMOHAQ_MAIN model.c -o model && ./model test_input.txt | cmp - test_expected.txt` };
      }
      return { ...base, files, details };
    }
    case 'onnx': {
      const ex = exportOnnx(source.model, source.bits, source.calibration, { quant: source.quant, weightParams: source.weightParams, recurrence: opts.recurrence });
      writeFileAtomic(opts.out, ex.bytes);
      return { ...base, files: [fileInfo(opts.out)], details: { opset: 13, layers: ex.layers, nodes: ex.model.graph?.node?.length ?? 0 } };
    }
  }
}
