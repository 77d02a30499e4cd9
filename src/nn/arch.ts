/**
 * Model architectures: what a user writes (JSON or a preset name), how it resolves into a complete
 * read-only description, and the matrix names every other part of mohaq uses (bits specs, cost models,
 * reports, exports).
 *
 * Matrix names: `L{k}` is the input (gate) matrix of recurrent layer k (both directions), `L{k}.U` its
 * recurrent matrix (LSTM/GRU/LiGRU), `L{k}.proj` its projection (SRU with n_proj), `FC` the output layer.
 * Each name is also the name of the activation that feeds that matrix (its operand), so one bits entry
 * `NAME=W/A` sets both.
 */
import { z } from 'zod';
import { MohaqError, invalidParameter } from '../util/errors.js';

export type CellType = 'sru' | 'lstm' | 'gru' | 'ligru';
export const CELL_TYPES: readonly CellType[] = ['sru', 'lstm', 'gru', 'ligru'];

/** GRU candidate convention: `kaldi` = tanh(W_n x + U_n (r*h)); `torch` = tanh(W_n x + b_in + r*(U_n h + b_hn)) (ONNX linear_before_reset). */
export type GruConvention = 'kaldi' | 'torch';

/** One recurrent layer as a user writes it; omitted fields take the defaults documented here. */
export interface LayerSpec {
  type: CellType;
  /** Units per direction. */
  hidden: number;
  /** @default true */
  bidirectional?: boolean;
  /** SRU only: n_proj, a low-rank projection before the gate matrix; used only where it is smaller than both the layer input and output (as the sru package does). */
  projection?: number;
  /** LSTM/GRU/LiGRU: BatchNorm on W x (then the input matrix has no bias). @default true for LiGRU, false otherwise */
  batchNorm?: boolean;
  /** SRU: initial reset-gate bias. @default -1 */
  highwayBias?: number;
  /** SRU: scale the highway (skip) term by sqrt(1 + 2 e^highwayBias). @default true */
  rescale?: boolean;
  /** SRU: the highway skip term (with a 4th matrix projecting x when input size != output size). @default true */
  skipTerm?: boolean;
  /** GRU only. @default 'kaldi' */
  gru?: GruConvention;
  /** Dropout on the layer output during training. @default 0 */
  dropout?: number;
}

export interface Architecture {
  /** Feature dimension per frame. */
  input: number;
  layers: LayerSpec[];
  /** Output labels (softmax size of the FC layer). */
  output: number;
  /** A name for reports (`sru-small`, `my-lstm`). */
  name?: string;
}

/** A layer with every default filled in and every derived size computed. */
export interface ResolvedLayer {
  readonly index: number;
  readonly type: CellType;
  readonly hidden: number;
  readonly directions: 1 | 2;
  readonly inputSize: number;
  /** hidden x directions */
  readonly outputSize: number;
  /** Effective SRU projection size, or null when none is applied. */
  readonly projection: number | null;
  /** Gate blocks of the input matrix per direction: SRU 3 or 4, LSTM 4, GRU 3, LiGRU 2. */
  readonly inputGates: number;
  /** Gate blocks of the recurrent matrix per direction: LSTM 4, GRU 3, LiGRU 2, SRU 0 (no recurrent matrix). */
  readonly recurrentGates: number;
  readonly batchNorm: boolean;
  readonly highwayBias: number;
  readonly rescale: boolean;
  readonly skipTerm: boolean;
  readonly gru: GruConvention;
  readonly dropout: number;
}

export interface ResolvedArchitecture {
  readonly name: string;
  readonly input: number;
  readonly output: number;
  readonly layers: readonly ResolvedLayer[];
}

export type MatrixKind = 'input' | 'recurrent' | 'projection' | 'output';

/** One quantizable matrix (a bits-spec entry), with its shape per copy. */
export interface MatrixInfo {
  readonly name: string;
  readonly kind: MatrixKind;
  /** Recurrent layer index, or -1 for FC. */
  readonly layer: number;
  /** Rows = operand length (input features of the product). */
  readonly rows: number;
  /** Columns = outputs of the product per copy. */
  readonly cols: number;
  /** Separate weight tensors under this name (2 for per-direction matrices of a bidirectional LSTM/GRU/LiGRU layer). */
  readonly copies: number;
  /** rows x cols x copies: weights, and also MACs per frame. */
  readonly weights: number;
  /** Operand of this matrix: the layer input `x`, the recurrent state `h`, or a projection output. */
  readonly operand: 'x' | 'h' | 'proj' | 'features';
}

const layerSchema = z
  .object({
    type: z.enum(['sru', 'lstm', 'gru', 'ligru']),
    hidden: z.number().int().min(1).max(65536),
    bidirectional: z.boolean().optional(),
    projection: z.number().int().min(1).optional(),
    batchNorm: z.boolean().optional(),
    highwayBias: z.number().finite().optional(),
    rescale: z.boolean().optional(),
    skipTerm: z.boolean().optional(),
    gru: z.enum(['kaldi', 'torch']).optional(),
    dropout: z.number().min(0).max(0.95).optional(),
  })
  .strict();

const architectureSchema = z
  .object({
    input: z.number().int().min(1).max(1 << 20),
    layers: z.array(layerSchema).min(1).max(64),
    output: z.number().int().min(1).max(1 << 20),
    name: z.string().optional(),
  })
  .strict();

function zodPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(root)';
}

/** Validates a user architecture (JSON); errors name the field and the file. */
export function parseArchitecture(value: unknown, file?: string): Architecture {
  const r = architectureSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = file ? ` in ${file}` : '';
    const path = zodPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      throw new MohaqError('INVALID_ARGUMENT', `Unknown field ${issue.keys.map((k) => `${path === '(root)' ? '' : `${path}.`}${k}`).join(', ')}${where}`);
    }
    throw new MohaqError('INVALID_ARGUMENT', `Invalid architecture field ${path}${where}: ${issue.message}`);
  }
  const arch = r.data as Architecture;
  arch.layers.forEach((l, i) => {
    if (l.projection !== undefined && l.type !== 'sru') throw invalidParameter(`layers[${i}].projection`, 'no projection (only SRU layers have one)', l.projection, file);
    if (l.gru !== undefined && l.type !== 'gru') throw invalidParameter(`layers[${i}].gru`, 'no gru option (only GRU layers have one)', l.gru, file);
    for (const k of ['highwayBias', 'rescale', 'skipTerm'] as const) {
      if (l[k] !== undefined && l.type !== 'sru') throw invalidParameter(`layers[${i}].${k}`, `no ${k} (only SRU layers have one)`, l[k], file);
    }
    if (l.batchNorm !== undefined && l.type === 'sru') throw invalidParameter(`layers[${i}].batchNorm`, 'no batchNorm (SRU layers have none)', l.batchNorm, file);
  });
  return arch;
}

export function resolveArchitecture(arch: Architecture): ResolvedArchitecture {
  const layers: ResolvedLayer[] = [];
  let inputSize = arch.input;
  arch.layers.forEach((l, index) => {
    const directions = l.bidirectional === false ? 1 : 2;
    const outputSize = l.hidden * directions;
    const skipTerm = l.type === 'sru' ? l.skipTerm ?? true : false;
    const projection = l.type === 'sru' && l.projection !== undefined && l.projection < inputSize && l.projection < outputSize ? l.projection : null;
    const inputGates = l.type === 'sru' ? (skipTerm && inputSize !== outputSize ? 4 : 3) : l.type === 'lstm' ? 4 : l.type === 'gru' ? 3 : 2;
    const recurrentGates = l.type === 'sru' ? 0 : inputGates;
    layers.push({
      index,
      type: l.type,
      hidden: l.hidden,
      directions,
      inputSize,
      outputSize,
      projection,
      inputGates,
      recurrentGates,
      batchNorm: l.type === 'sru' ? false : l.batchNorm ?? l.type === 'ligru',
      highwayBias: l.type === 'sru' ? l.highwayBias ?? -1 : 0,
      rescale: l.type === 'sru' ? l.rescale ?? true : false,
      skipTerm,
      gru: l.gru ?? 'kaldi',
      dropout: l.dropout ?? 0,
    });
    inputSize = outputSize;
  });
  return { name: arch.name ?? 'custom', input: arch.input, output: arch.output, layers };
}

/** The quantizable matrices of an architecture, in forward order. */
export function listMatrices(arch: ResolvedArchitecture): MatrixInfo[] {
  const out: MatrixInfo[] = [];
  const add = (m: Omit<MatrixInfo, 'weights'>) => out.push({ ...m, weights: m.rows * m.cols * m.copies });
  for (const l of arch.layers) {
    const k = l.index;
    if (l.type === 'sru') {
      // Both directions share the input, so sru computes them with one matrix of dirs*k*H columns.
      let rows = l.inputSize;
      if (l.projection !== null) {
        add({ name: `L${k}.proj`, kind: 'projection', layer: k, rows, cols: l.projection, copies: 1, operand: k === 0 ? 'features' : 'x' });
        rows = l.projection;
      }
      add({ name: `L${k}`, kind: 'input', layer: k, rows, cols: l.directions * l.inputGates * l.hidden, copies: 1, operand: l.projection !== null ? 'proj' : k === 0 ? 'features' : 'x' });
    } else {
      add({ name: `L${k}`, kind: 'input', layer: k, rows: l.inputSize, cols: l.inputGates * l.hidden, copies: l.directions, operand: k === 0 ? 'features' : 'x' });
      add({ name: `L${k}.U`, kind: 'recurrent', layer: k, rows: l.hidden, cols: l.recurrentGates * l.hidden, copies: l.directions, operand: 'h' });
    }
  }
  const last = arch.layers[arch.layers.length - 1]!;
  add({ name: 'FC', kind: 'output', layer: -1, rows: last.outputSize, cols: arch.output, copies: 1, operand: 'x' });
  return out;
}

/** Parameters kept at 16-bit fixed point whatever the genome: biases, SRU vectors, BatchNorm (scale, shift, running statistics). */
export function extraParameterCount(arch: ResolvedArchitecture): number {
  let n = 0;
  for (const l of arch.layers) {
    if (l.type === 'sru') {
      n += l.directions * 2 * l.hidden * 2; // v_f, v_r and b_f, b_r per direction
      if (l.rescale && l.skipTerm && l.inputGates === 3) n += 0; // alpha is a constant, not a parameter
    } else {
      const g = l.inputGates * l.hidden;
      // batchNorm replaces the input-matrix bias with gamma, beta, running mean, running var
      n += l.directions * (l.batchNorm ? 4 * g : g);
      if (l.type === 'gru' && l.gru === 'torch') n += l.directions * g; // separate hidden bias b_h
    }
  }
  n += arch.output; // FC bias
  return n;
}

const sruSmall: Architecture = {
  name: 'sru-small',
  input: 23,
  output: 48,
  layers: [0, 1, 2, 3].map((i) => ({ type: 'sru' as const, hidden: 128, ...(i > 0 ? { projection: 64 } : {}), dropout: 0.1 })),
};

/** Paper-scale models (DESIGN.md section 3), used by cost models and benchmarks even without weights. */
export const PRESETS: Readonly<Record<string, Architecture>> = {
  'sru-small': sruSmall,
  'lstm-small': { name: 'lstm-small', input: 23, output: 48, layers: [0, 1, 2].map(() => ({ type: 'lstm' as const, hidden: 96, batchNorm: true, dropout: 0.1 })) },
  'gru-small': { name: 'gru-small', input: 23, output: 48, layers: [0, 1, 2].map(() => ({ type: 'gru' as const, hidden: 96, batchNorm: true, dropout: 0.1 })) },
  'ligru-small': { name: 'ligru-small', input: 23, output: 48, layers: [0, 1, 2].map(() => ({ type: 'ligru' as const, hidden: 96, batchNorm: true, dropout: 0.1 })) },
  'paper-sru': {
    name: 'paper-sru',
    input: 23,
    output: 1904,
    layers: [0, 1, 2, 3].map((i) => ({ type: 'sru' as const, hidden: 550, ...(i > 0 ? { projection: 256 } : {}), highwayBias: -1, dropout: 0.1 })),
  },
  'paper-lstm': { name: 'paper-lstm', input: 23, output: 1936, layers: [0, 1, 2, 3].map(() => ({ type: 'lstm' as const, hidden: 550, batchNorm: true, dropout: 0.2 })) },
  'paper-gru': { name: 'paper-gru', input: 23, output: 1936, layers: [0, 1, 2, 3, 4].map(() => ({ type: 'gru' as const, hidden: 550, batchNorm: true, dropout: 0.2 })) },
  'paper-ligru': { name: 'paper-ligru', input: 23, output: 1936, layers: [0, 1, 2, 3, 4].map(() => ({ type: 'ligru' as const, hidden: 550, batchNorm: true, dropout: 0.2 })) },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** A preset by name, as a fresh (mutable) copy. */
export function presetArchitecture(name: string): Architecture {
  const p = PRESETS[name];
  if (!p) throw invalidParameter('architecture preset', `one of ${presetNames().join(', ')}`, name);
  return structuredClone(p) as Architecture;
}

/**
 * The architecture with every default written out (what model files store in `mohaq.architecture`), so
 * a file says exactly what it holds even if defaults change later. `resolveArchitecture` of the result
 * gives back the same resolved architecture.
 */
export function explicitArchitecture(arch: ResolvedArchitecture): Architecture {
  return {
    name: arch.name,
    input: arch.input,
    output: arch.output,
    layers: arch.layers.map((l): LayerSpec => {
      const spec: LayerSpec = { type: l.type, hidden: l.hidden, bidirectional: l.directions === 2 };
      if (l.type === 'sru') {
        if (l.projection !== null) spec.projection = l.projection;
        spec.highwayBias = l.highwayBias;
        spec.rescale = l.rescale;
        spec.skipTerm = l.skipTerm;
      } else {
        spec.batchNorm = l.batchNorm;
        if (l.type === 'gru') spec.gru = l.gru;
      }
      spec.dropout = l.dropout;
      return spec;
    }),
  };
}

/** SRU highway scale alpha: sqrt(1 + 2 e^highwayBias) with rescale and a skip term, else 1 (sru v2's `scale_x`). */
export function sruAlpha(layer: ResolvedLayer): number {
  return layer.rescale && layer.skipTerm ? Math.sqrt(1 + 2 * Math.exp(layer.highwayBias)) : 1;
}
