/**
 * Delta thresholds: one per matrix (its input; both operands of a pytorch-kaldi GRU `L{k}.U`, h and
 * r*h, use the matrix's threshold), written like a bits spec:
 *
 *   NAME=VALUE   the input of matrix NAME transmits an element when it changed by more than VALUE
 *   *=VALUE      every matrix not named elsewhere;  a lone VALUE is shorthand for *=VALUE
 *
 * e.g. `*=16,L0=0,FC=32`. Units: quantization steps of the matrix's input (the integer codes of a
 * 2/4/8-bit operand, the Q-format steps of a 16-bit one); absolute values for a float (32-bit) input.
 * As with bits specs, a spec without `*` must name every matrix.
 *
 * Candidate thresholds per activation precision (the genes of a delta search, the values of a sweep):
 * DESIGN.md section 8 gives 0, 1, 2 for 4-bit and 0, 8, 16, 32, 48 for 8-bit, i.e. 0 and 1/16, 1/8,
 * 1/4, 3/8 of the 8-bit half range (128 steps). mohaq adds 2 and 4 to the 8-bit set: on small models
 * (sru-small: +4 PER points at 8 on every input but the features) the useful part of the front lies
 * below 8. 16-bit takes the 8-bit set times 256 (the same fractions of its 32768-step half range).
 * 2-bit codes are {-2, -1, 0, 1}: 0 and 1 (a threshold of 2 would leave only the jumps between the
 * extremes). A float input takes the 8-bit candidates in units of its 8-bit quantization step
 * (calibrated MMSE clip / 127), so its thresholds mean what they mean at 8 bits.
 */
import type { MatrixInfo } from '../nn/arch.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import { MohaqError, describeValue, invalidParameter } from '../util/errors.js';

/** Threshold of every matrix's input, keyed by matrix name (all present, in forward order). */
export type ThresholdAssignment = Record<string /* matrix name */, number>;

/** Candidate thresholds (in quantization steps) of an integer or fixed-point input of `bits`. */
export const THRESHOLD_CANDIDATES: Readonly<Record<number, readonly number[]>> = {
  2: [0, 1],
  4: [0, 1, 2],
  8: [0, 2, 4, 8, 16, 32, 48],
  16: [0, 512, 1024, 2048, 4096, 8192, 12288],
};

const EXAMPLE = '"*=16,L0=0,FC=32"';
const MAX_LISTED_NAMES = 12;

function matrixNames(matrices: readonly string[] | readonly MatrixInfo[]): string[] {
  return matrices.map((m) => (typeof m === 'string' ? m : m.name));
}

function listNames(names: readonly string[]): string {
  if (names.length <= MAX_LISTED_NAMES) return names.join(', ');
  return `${names.slice(0, 3).join(', ')}, ..., ${names[names.length - 1]}`;
}

export interface ParseThresholdOptions {
  /** What to call the spec in errors. @default 'the threshold spec' */
  flag?: string;
  /** Threshold of the matrices the spec does not name when it has no `*` entry; without it they are an error. */
  rest?: number;
}

function parseValue(text: string, label: string, flag: string): number {
  const t = text.trim();
  const v = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(v)) throw invalidParameter(label, 'a threshold >= 0 (quantization steps, or an absolute value for a float input)', t, flag);
  return v;
}

/** Parses a threshold spec into a complete assignment for `matrices`; errors name the flag and the entry. */
export function parseThresholdSpec(spec: string, matrices: readonly string[] | readonly MatrixInfo[], opts: ParseThresholdOptions = {}): ThresholdAssignment {
  const flag = opts.flag ?? 'the threshold spec';
  const names = matrixNames(matrices);
  const byLowerName = new Map(names.map((n) => [n.toLowerCase(), n]));
  if (typeof spec !== 'string' || spec.trim() === '') throw invalidParameter(flag, `a threshold spec such as ${EXAMPLE}`, spec);
  const named = new Map<string, number>();
  let rest: number | undefined;
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw invalidParameter(flag, `comma-separated NAME=VALUE entries such as ${EXAMPLE} (no empty entry)`, spec);
    const eq = entry.indexOf('=');
    const lhs = eq < 0 ? '*' : entry.slice(0, eq).trim();
    const rhs = eq < 0 ? entry : entry.slice(eq + 1);
    if (lhs === '*') {
      if (rest !== undefined) throw invalidParameter(flag, 'at most one "*" entry', spec);
      rest = parseValue(rhs, '* (every other matrix)', flag);
      continue;
    }
    const name = names.includes(lhs) ? lhs : byLowerName.get(lhs.toLowerCase());
    if (name === undefined) throw invalidParameter(flag, `a matrix name (one of ${listNames(names)})`, lhs);
    if (named.has(name)) throw invalidParameter(flag, `each matrix at most once (${name} appears twice)`, spec);
    named.set(name, parseValue(rhs, name, flag));
  }
  rest ??= opts.rest;
  const missing = names.filter((n) => !named.has(n));
  if (missing.length > 0 && rest === undefined) {
    throw new MohaqError('INVALID_ARGUMENT', `Expected a threshold for every matrix in ${flag} (missing ${listNames(missing)}; add "*=VALUE" to set the rest) but received ${describeValue(spec)}`);
  }
  const out: ThresholdAssignment = {};
  for (const n of names) out[n] = named.get(n) ?? rest!;
  return out;
}

/** The shortest canonical spec: `*` takes the most common value (ties: the earliest matrix's), then the other matrices in forward order. */
export function formatThresholdSpec(assignment: ThresholdAssignment, matrices: readonly string[] | readonly MatrixInfo[]): string {
  const names = matrixNames(matrices);
  const values = names.map((n) => {
    const v = assignment[n];
    if (v === undefined) throw invalidParameter('threshold assignment', `a threshold for every matrix (${listNames(names)})`, `no entry for ${n}`);
    return v;
  });
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let common = values[0] ?? 0;
  for (const v of values) if (counts.get(v)! > counts.get(common)!) common = v;
  const parts = [`*=${common}`];
  names.forEach((n, i) => {
    if (values[i] !== common) parts.push(`${n}=${values[i]}`);
  });
  return parts.join(',');
}

/** A threshold spec or assignment, checked against the matrices (every matrix, values finite and >= 0). */
export function resolveThresholds(thresholds: ThresholdAssignment | string, matrices: readonly string[] | readonly MatrixInfo[], flag = 'thresholds'): ThresholdAssignment {
  const names = matrixNames(matrices);
  if (typeof thresholds === 'string') return parseThresholdSpec(thresholds, names, { flag });
  const out: ThresholdAssignment = {};
  for (const n of names) {
    const v = thresholds[n];
    if (v === undefined) throw invalidParameter(flag, `a threshold for every matrix (no entry for ${n})`, thresholds);
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw invalidParameter(`the threshold of ${n} in ${flag}`, 'a number >= 0', v);
    out[n] = v;
  }
  for (const name of Object.keys(thresholds)) if (out[name] === undefined) throw invalidParameter(flag, `matrix names (${listNames(names)})`, name);
  return out;
}

/** Every matrix at the same threshold. */
export function uniformThresholds(matrices: readonly string[] | readonly MatrixInfo[], value: number): ThresholdAssignment {
  const out: ThresholdAssignment = {};
  for (const n of matrixNames(matrices)) out[n] = value;
  return out;
}

/** Two significant digits: absolute thresholds stay readable in specs and reports. */
function roundThreshold(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(2));
}

/**
 * Candidate thresholds of every matrix under `bits` (by its activation precision, see the module
 * comment). Float inputs need the calibration (their 8-bit step); `operandOf(matrix)` names the
 * calibration operand of the matrix's input (see quant/calibration.ts `operandName`).
 */
export function thresholdCandidates(bits: BitsAssignment, calibration?: Calibration | null, operandOf?: (matrix: string) => string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, b] of Object.entries(bits)) {
    const steps = THRESHOLD_CANDIDATES[b.a];
    if (steps) {
      out[name] = [...steps];
      continue;
    }
    const operand = operandOf?.(name) ?? name;
    const clip = calibration?.operands[operand]?.mmse['8'];
    if (clip === undefined) throw invalidParameter(`the candidate thresholds of ${name}`, `a calibration with the 8-bit clip of operand "${operand}" (its input is a float)`, calibration ? 'none for that operand' : 'no calibration');
    out[name] = THRESHOLD_CANDIDATES[8]!.map((c) => roundThreshold((c * clip) / 127));
  }
  return out;
}
