/**
 * C export of an integer-only model: `model.h` (sizes, formats, the `mohaq_infer` prototype, and,
 * under MOHAQ_MODEL_DATA, every weight, multiplier and shift as static const arrays) and `model.c`
 * (the C99 engine of c-source.ts, static buffers for up to `maxFrames` frames, no allocation, a
 * test `main` behind MOHAQ_MAIN). The engine computes the integers of `runIntegerModel` exactly.
 *
 *   gcc -std=c99 -O2 -DMOHAQ_MAIN model.c -o model && ./model test_input.txt | cmp - test_expected.txt
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { invalidParameter } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { VERSION } from '../util/version.js';
import { C_COMMON, C_GATED, C_MAIN, C_SRU, C_TANH, C_TYPES } from './c-source.js';
import { SIGMOID_ENTRIES } from './fixed-point.js';
import type { IntGatedLayer, IntOperand, IntProduct, IntSruLayer, IntegerModel } from './integer-model.js';
import { packCodes, packedLength } from './packing.js';

export interface CExportOptions {
  /** Longest utterance (frames) the static buffers hold. @default 1000 */
  maxFrames?: number;
}

export interface CExportFiles {
  header: string;
  source: string;
}

type CType = 'int8_t' | 'uint8_t' | 'int16_t' | 'int32_t' | 'int64_t';

/** Static const arrays, named uniquely, in the order they are declared. */
class DataWriter {
  readonly lines: string[] = [];
  private readonly names = new Set<string>();

  array(type: CType, name: string, values: ArrayLike<number>, comment?: string): string {
    if (this.names.has(name)) throw new Error(`duplicate C array ${name}`);
    this.names.add(name);
    if (comment) this.lines.push(`/* ${comment} */`);
    const items: string[] = [];
    for (let i = 0; i < values.length; i++) items.push(type === 'int64_t' ? int64Literal(values[i]!) : String(values[i]!));
    const rows: string[] = [];
    const perRow = type === 'int64_t' ? 8 : 20;
    for (let i = 0; i < items.length; i += perRow) rows.push(`  ${items.slice(i, i + perRow).join(', ')}`);
    this.lines.push(`static const ${type} ${name}[${values.length}] = {\n${rows.join(',\n')}\n};`);
    return name;
  }

  raw(text: string): void {
    this.lines.push(text);
  }
}

function int64Literal(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`int64 constant ${v} is not an integer`);
  return Math.abs(v) > 2147483647 ? `${v}LL` : String(v);
}

function operandLiteral(w: DataWriter, name: string, op: IntOperand): string {
  if (!op.rescale) return `{ ${op.lo}, ${op.hi}, ${op.zero}, 0, 0 }`;
  const m = w.array('int64_t', `${name}_mult`, op.rescale.mult);
  const s = w.array('int8_t', `${name}_shift`, op.rescale.shift);
  return `{ ${op.lo}, ${op.hi}, ${op.zero}, ${m}, ${s} }`;
}

function productData(w: DataWriter, name: string, p: IntProduct): string {
  const parts = p.parts.map((part, i) => {
    const pn = `${name}_p${i}`;
    const desc = `${part.block}: ${part.n} outputs x ${part.k} inputs, ${part.weightBits}-bit weights${part.weightBits < 8 ? ' (packed)' : ''}; operand ${part.operand.name} at ${part.operand.bits} bits (${part.operand.kind})`;
    let w8 = '0';
    let w16 = '0';
    let wp = '0';
    // output-major: mohaq's [k x n] block transposed to [n x k]; packed codes per output from a fresh byte
    const t = part.weightBits === 16 ? new Int16Array(part.codes.length) : new Int8Array(part.codes.length);
    for (let i = 0; i < part.k; i++) for (let j = 0; j < part.n; j++) t[j * part.k + i] = part.codes[i * part.n + j]!;
    if (part.weightBits === 16) w16 = w.array('int16_t', `${pn}_w`, t, desc);
    else if (part.weightBits === 8) w8 = w.array('int8_t', `${pn}_w`, t, desc);
    else {
      const row = packedLength(part.k, part.weightBits);
      const packed = new Uint8Array(row * part.n);
      for (let j = 0; j < part.n; j++) packed.set(packCodes(t.subarray(j * part.k, (j + 1) * part.k), part.weightBits), j * row);
      wp = w.array('uint8_t', `${pn}_w`, packed, desc);
    }
    const op = operandLiteral(w, `${pn}_in`, part.operand);
    return `  { ${part.start}, ${part.n}, ${part.k}, ${part.weightBits}, ${w8}, ${w16}, ${wp}, ${op} }`;
  });
  w.raw(`static const mohaq_part ${name}_parts[${parts.length}] = {\n${parts.join(',\n')}\n};`);
  const mult = w.array('int64_t', `${name}_mult`, p.mult, `${p.name} requantization to Q${p.frac}: multipliers, bias, shifts per output column`);
  const gmult = p.gmult ? w.array('int64_t', `${name}_gmult`, p.gmult) : '0';
  const bias = w.array('int64_t', `${name}_bias`, p.bias);
  const shift = w.array('int8_t', `${name}_shift`, p.shift);
  w.raw(`static const mohaq_product ${name} = { ${p.k}, ${p.n}, ${p.colStart}, ${p.parts.length}, ${p.frac}, ${name}_parts, ${mult}, ${gmult}, ${bias}, ${shift} };`);
  return name;
}

function sruData(w: DataWriter, l: IntSruLayer): string {
  const n = `L${l.index}`;
  w.raw(`\n/* ---- ${n}: SRU, ${l.hidden} units x ${l.directions} direction(s), ${l.blocks} blocks, input ${l.inputSize} ---- */`);
  const proj = l.proj ? `&${productData(w, `${n}_proj`, l.proj)}` : '0';
  const gates = productData(w, `${n}_gates`, l.gates);
  const v = w.array('int16_t', `${n}_v`, l.v, `v_f, v_r per direction in Q${l.vFrac}`);
  const b = w.array('int16_t', `${n}_b`, l.b, `b_f, b_r per direction in Q${l.bFrac}`);
  const skipMult = l.skip ? w.array('int64_t', `${n}_skip_mult`, l.skip.mult, `alpha x in Q${l.skip.frac}`) : '0';
  const skipShift = l.skip ? w.array('int8_t', `${n}_skip_shift`, l.skip.shift) : '0';
  const dirs = [0, 1].map((d) => {
    const q = l.dirs[d];
    return q ? `{ ${q.stateFrac}, ${q.outFrac}, ${q.gateSumFrac}, ${q.stateSumFrac}, ${q.outSumFrac} }` : '{ 0, 0, 0, 0, 0 }';
  });
  w.raw(`static const mohaq_sru_layer ${n} = { ${l.hidden}, ${l.directions}, ${l.blocks}, ${l.inputSize}, ${l.outputSize}, ${proj}, &${gates}, ${v}, ${b}, ${l.vFrac}, ${l.bFrac}, ${skipMult}, ${skipShift}, ${l.skip ? l.skip.frac : 0}, { ${dirs.join(', ')} } };`);
  return n;
}

const CELL_CODE = { lstm: 0, gru: 1, torchGru: 2, ligru: 3 } as const;

function gatedData(w: DataWriter, l: IntGatedLayer): string {
  const n = `L${l.index}`;
  const cell = l.type === 'lstm' ? CELL_CODE.lstm : l.type === 'ligru' ? CELL_CODE.ligru : l.convention === 'torch' ? CELL_CODE.torchGru : CELL_CODE.gru;
  w.raw(`\n/* ---- ${n}: ${l.type.toUpperCase()}${l.convention ? ` (${l.convention} convention)` : ''}, ${l.hidden} units x ${l.directions} direction(s), input ${l.inputSize} ---- */`);
  const dirs = [0, 1].map((d) => {
    const q = l.dirs[d];
    if (!q) return '{ 0, { 0, 0 }, 0, 0, 0, 0, 0, 0, 0, 0, 0 }';
    const p = `${n}_${d === 0 ? 'fwd' : 'bwd'}`;
    const input = productData(w, `${p}_in`, q.input);
    const rec = q.recurrent.map((r, i) => `&${productData(w, `${p}_rec${i}`, r)}`);
    while (rec.length < 2) rec.push('0');
    const am = q.inputAffine ? w.array('int64_t', `${p}_aff_mult`, q.inputAffine.mult, `input product into the gate sums (Q${q.preSumFrac})`) : '0';
    const ab = q.inputAffine ? w.array('int64_t', `${p}_aff_bias`, q.inputAffine.bias) : '0';
    return `{ &${input}, { ${rec.join(', ')} }, ${q.recurrent.length}, ${am}, ${ab}, ${q.stateFrac}, ${q.outFrac}, ${q.candFrac}, ${q.stateSumFrac}, ${q.outSumFrac}, ${q.preSumFrac} }`;
  });
  w.raw(`static const mohaq_gated_layer ${n} = { ${cell}, ${l.hidden}, ${l.directions}, ${l.inputSize}, ${l.outputSize}, { ${dirs.join(', ')} } };`);
  return n;
}

function sizes(im: IntegerModel): { maxK: number; maxN: number; maxH: number; maxWidth: number } {
  let maxK = im.fc.k;
  let maxN = im.fc.n;
  let maxH = 1;
  let maxWidth = 1;
  const product = (p: IntProduct) => {
    maxK = Math.max(maxK, p.k);
    maxN = Math.max(maxN, p.n);
  };
  for (const l of im.layers) {
    maxH = Math.max(maxH, l.hidden);
    maxWidth = Math.max(maxWidth, l.outputSize);
    maxK = Math.max(maxK, l.inputSize);
    if (l.type === 'sru') {
      if (l.proj) product(l.proj);
      product(l.gates);
    } else {
      for (const d of l.dirs) [d.input, ...d.recurrent].forEach(product);
    }
  }
  return { maxK, maxN, maxH, maxWidth };
}

/** The C files of an integer-only model (see the module comment). */
export function cExport(im: IntegerModel, opts: CExportOptions = {}): CExportFiles {
  const maxFrames = opts.maxFrames ?? 1000;
  if (!(Number.isInteger(maxFrames) && maxFrames >= 1 && maxFrames <= 1 << 20)) throw invalidParameter('max frames', 'an integer in 1..1048576', maxFrames);
  const arch = im.architecture;
  const op = im.input.operand;
  const s = sizes(im);
  const hasSru = im.layers.some((l) => l.type === 'sru');
  const hasGated = im.layers.some((l) => l.type !== 'sru');
  const w = new DataWriter();
  w.array('int32_t', 'mohaq_sigmoid_table', im.sigmoid, 'sigmoid(i / 128) in Q30, i = 0 .. 2049');
  const layerNames = im.layers.map((l) => (l.type === 'sru' ? sruData(w, l) : gatedData(w, l)));
  w.raw(`\n/* ---- FC: ${im.fc.k} -> ${im.fc.n}, logits in Q${im.logitFrac} ---- */`);
  productData(w, 'FC', im.fc);

  const layersText = im.layers.map((l) => `   L${l.index}: ${l.type.toUpperCase()}${l.type === 'gru' ? ` (${(l as IntGatedLayer).convention})` : ''} ${l.hidden} x ${l.directions}, input ${l.inputSize}`).join('\n *');
  const header = `/*
 * ${arch.name ?? 'model'}: integer-only inference, generated by mohaq ${VERSION}. Do not edit.
 * Bits: ${im.bits}
 * Layers:
 *${layersText}
 *   FC: ${im.fc.k} -> ${im.fc.n}
 *
 * Input: per frame ${im.input.dim} ${op.name === 'features' ? `features in Q${Math.round(-Math.log2(op.step))} (16-bit fixed point; the layer-0 skip term reads them)` : `codes of the model's first operand (${op.name}), ${op.kind} ${op.bits}-bit`}:
 *   code = clamp(round_half_even(x * ${op.inv}) + ${op.zero}, ${op.lo}, ${op.hi})   (x a feature value; one code is ${op.step})
 * Output: per frame ${im.fc.n} int16 logits in Q${im.logitFrac} (logit = value / 2^${im.logitFrac}).
 * Integer arithmetic only (int16 activations, int64 sums); see mohaq's src/export/README.md.
 */
#ifndef MOHAQ_MODEL_H
#define MOHAQ_MODEL_H
#include <stdint.h>

#define MOHAQ_MAX_FRAMES ${maxFrames}
#define MOHAQ_INPUT_DIM ${im.input.dim}
#define MOHAQ_OUTPUT_DIM ${im.fc.n}
#define MOHAQ_LOGIT_FRAC ${im.logitFrac}
#define MOHAQ_INPUT_LO ${op.lo}
#define MOHAQ_INPUT_HI ${op.hi}
#define MOHAQ_INPUT_ZERO ${op.zero}

/* Logits (T x MOHAQ_OUTPUT_DIM) of one utterance of T <= MOHAQ_MAX_FRAMES frames given as input codes
 * (T x MOHAQ_INPUT_DIM). Returns 0, -1 when T is out of range, -2 when a code is out of range. Not
 * reentrant: the engine works in static buffers. */
int mohaq_infer(const int16_t *features_q, int T, int16_t *logits);

#ifdef MOHAQ_MODEL_DATA
#define MOHAQ_MAX_K ${s.maxK}
#define MOHAQ_MAX_N ${s.maxN}
#define MOHAQ_MAX_H ${s.maxH}
#define MOHAQ_MAX_WIDTH ${s.maxWidth}
#define MOHAQ_SIGMOID_ENTRIES ${SIGMOID_ENTRIES}

${C_TYPES}
${w.lines.join('\n')}
#endif /* MOHAQ_MODEL_DATA */
#endif /* MOHAQ_MODEL_H */
`;

  // 16-bit input codes use the whole int16 range: nothing to check (and -Wextra would say so)
  const fullRange = op.lo === -32768 && op.hi === 32767;
  let x = 'features_q';
  const calls: string[] = [];
  im.layers.forEach((l, i) => {
    const out = `mohaq_buf[${i % 2}]`;
    calls.push(l.type === 'sru' ? `  sru_layer(&${layerNames[i]}, ${x}, ${i === 0 ? 'MOHAQ_INPUT_ZERO' : '0'}, T, ${out});` : `  gated_layer(&${layerNames[i]}, ${x}, T, ${out});`);
    x = out;
  });
  const source = `/*
 * ${arch.name ?? 'model'}: the integer-only engine of mohaq ${VERSION} (C99, no floating point, no allocation).
 *   gcc -std=c99 -O2 -c model.c                          the engine and the model data
 *   gcc -std=c99 -O2 -DMOHAQ_MAIN model.c -o model       with a test driver (see main below)
 */
#define MOHAQ_MODEL_DATA
#include "model.h"

${C_COMMON}${hasGated ? C_TANH : ''}${hasSru ? C_SRU : ''}${hasGated ? C_GATED : ''}
/* ---- the model ------------------------------------------------------------------------------------- */

static int16_t mohaq_buf[2][(long)MOHAQ_MAX_FRAMES * MOHAQ_MAX_WIDTH];

int mohaq_infer(const int16_t *features_q, int T, int16_t *logits) {
${fullRange ? '' : '  long i;\n'}  int t;
  if (T < 0 || T > MOHAQ_MAX_FRAMES) return -1;
${fullRange ? '' : `  for (i = 0; i < (long)T * MOHAQ_INPUT_DIM; i++) {
    if (features_q[i] < MOHAQ_INPUT_LO || features_q[i] > MOHAQ_INPUT_HI) return -2;
  }
`}${calls.join('\n')}
  for (t = 0; t < T; t++) {
    widen16(${x} + (long)t * FC.k, FC.k, src32);
    product_row(&FC, src32, 0, 0, FC.n, logits + (long)t * FC.n);
  }
  return 0;
}
${C_MAIN}`;
  return { header, source };
}

/** Writes model.h and model.c into `dir` (created), atomically each. */
export function writeCExport(im: IntegerModel, dir: string, opts: CExportOptions = {}): CExportFiles & { files: string[] } {
  const files = cExport(im, opts);
  mkdirSync(dir, { recursive: true });
  const h = join(dir, 'model.h');
  const c = join(dir, 'model.c');
  writeFileAtomic(h, files.header);
  writeFileAtomic(c, files.source);
  return { ...files, files: [h, c] };
}

/** The test driver's input: per utterance "T D" and T lines of D codes. */
export function formatCInput(utterances: ReadonlyArray<{ codes: Int16Array; T: number }>, dim: number): string {
  const out: string[] = [];
  for (const u of utterances) {
    out.push(`${u.T} ${dim}`);
    for (let t = 0; t < u.T; t++) out.push(Array.from(u.codes.subarray(t * dim, (t + 1) * dim)).join(' '));
  }
  return `${out.join('\n')}\n`;
}

/** What the test driver prints for these logits (int16, T x outputs per utterance). */
export function formatCOutput(logits: ReadonlyArray<{ logits: Int16Array; T: number }>, outputs: number): string {
  const out: string[] = [];
  for (const u of logits) {
    out.push(`${u.T} ${outputs}`);
    for (let t = 0; t < u.T; t++) out.push(Array.from(u.logits.subarray(t * outputs, (t + 1) * outputs)).join(' '));
  }
  return `${out.join('\n')}\n`;
}
