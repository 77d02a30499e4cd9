/**
 * The one text form of a bits assignment, used by every flag and file that names precisions:
 *
 *   NAME=W/A   weights of matrix NAME at W bits, its input activation (operand) at A bits
 *   NAME=B     both at B bits
 *   *=W/A      every matrix not named elsewhere in the spec
 *
 * Entries are separated by commas, e.g. `*=8/8,FC=4/8,L0=16`. NAME is a matrix name of the
 * architecture (`L0`, `L1.U`, `L1.proj`, `FC`; see `listMatrices` in nn/arch.ts); names match
 * case-insensitively. A lone `W/A` or `B` is shorthand for `*=W/A`. Bits: 2, 4, 8 are integers,
 * 16 is 16-bit fixed point, 32 is the unquantized float.
 *
 * A spec without `*` must name every matrix: silently defaulting the unnamed ones would hide a typo
 * (`L1.u` instead of `L1.U`) or a matrix the user forgot exists (the 4th skip matrix of an SRU layer
 * is part of `L0`, the projections are separate). A caller that wants a default for the rest passes
 * it explicitly as `opts.rest`.
 */
import type { MatrixInfo } from '../nn/arch.js';
import { MohaqError, describeValue, invalidParameter } from '../util/errors.js';

/** Precision of one matrix: weights `w` and its input activation `a`, in bits. */
export interface MatrixBits {
  w: number;
  a: number;
}

/** Bits of every matrix of an architecture, keyed by matrix name (all present, in forward order). */
export type BitsAssignment = Record<string /* matrix name */, MatrixBits>;

/** Every precision mohaq knows: 2/4/8-bit integers, 16-bit fixed point, 32-bit float (unquantized). */
export const KNOWN_BITS: readonly number[] = [2, 4, 8, 16, 32];

export interface ParseBitsOptions {
  /** Bits a value may take. @default KNOWN_BITS */
  allowed?: readonly number[];
  /** What to call the spec in errors (`--bits`, `genome in run.json`). @default 'the bits spec' */
  flag?: string;
  /** Bits of the matrices the spec does not name when it has no `*` entry; without it they are an error. */
  rest?: MatrixBits;
}

const EXAMPLE = '"*=8/8,FC=4/8"';
/** Error lists of matrix names stay readable: long lists keep their head and tail. */
const MAX_LISTED_NAMES = 12;

function matrixNames(matrices: readonly string[] | readonly MatrixInfo[]): string[] {
  return matrices.map((m) => (typeof m === 'string' ? m : m.name));
}

function listNames(names: readonly string[]): string {
  if (names.length <= MAX_LISTED_NAMES) return names.join(', ');
  return `${names.slice(0, 3).join(', ')}, ..., ${names[names.length - 1]}`;
}

function parseBitsValue(text: string, allowed: readonly number[], what: string, flag: string): number {
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!allowed.includes(n)) throw invalidParameter(what, `one of ${allowed.join(', ')} bits`, t, flag);
  return n;
}

/** Parses `W/A` or `B` (the right-hand side of an entry). */
function parseMatrixBits(text: string, name: string, allowed: readonly number[], flag: string): MatrixBits {
  const parts = text.split('/');
  const label = name === '*' ? '* (every other matrix)' : name;
  if (parts.length === 1) {
    const b = parseBitsValue(parts[0]!, allowed, label, flag);
    return { w: b, a: b };
  }
  if (parts.length !== 2) throw invalidParameter(label, 'W/A or B bits (e.g. 8/8 or 8)', text.trim(), flag);
  return {
    w: parseBitsValue(parts[0]!, allowed, `the weights of ${label}`, flag),
    a: parseBitsValue(parts[1]!, allowed, `the activations of ${label}`, flag),
  };
}

/**
 * Parses a bits spec into a complete assignment for `matrices` (names or `listMatrices` entries).
 * Errors name the flag, the entry and what was expected.
 */
export function parseBitsSpec(spec: string, matrices: readonly string[] | readonly MatrixInfo[], opts: ParseBitsOptions = {}): BitsAssignment {
  const flag = opts.flag ?? 'the bits spec';
  const allowed = opts.allowed ?? KNOWN_BITS;
  const names = matrixNames(matrices);
  const byLowerName = new Map(names.map((n) => [n.toLowerCase(), n]));
  if (typeof spec !== 'string' || spec.trim() === '') throw invalidParameter(flag, `a bits spec such as ${EXAMPLE}`, spec);

  const named = new Map<string, MatrixBits>();
  let rest: MatrixBits | undefined;
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw invalidParameter(flag, `comma-separated NAME=W/A entries such as ${EXAMPLE} (no empty entry)`, spec);
    const eq = entry.indexOf('=');
    const lhs = eq < 0 ? '*' : entry.slice(0, eq).trim();
    const rhs = eq < 0 ? entry : entry.slice(eq + 1);
    if (eq < 0 && !/^\s*\d+\s*(\/\s*\d+\s*)?$/.test(rhs)) {
      throw invalidParameter(flag, `NAME=W/A or NAME=B entries such as ${EXAMPLE}`, entry);
    }
    if (lhs === '*') {
      if (rest) throw invalidParameter(flag, 'at most one "*" entry', spec);
      rest = parseMatrixBits(rhs, '*', allowed, flag);
      continue;
    }
    const name = names.includes(lhs) ? lhs : byLowerName.get(lhs.toLowerCase());
    if (name === undefined) throw invalidParameter(flag, `a matrix name (one of ${listNames(names)})`, lhs);
    if (named.has(name)) throw invalidParameter(flag, `each matrix at most once (${name} appears twice)`, spec);
    named.set(name, parseMatrixBits(rhs, name, allowed, flag));
  }

  rest ??= opts.rest;
  const missing = names.filter((n) => !named.has(n));
  if (missing.length > 0 && !rest) {
    throw new MohaqError(
      'INVALID_ARGUMENT',
      `Expected bits for every matrix in ${flag} (missing ${listNames(missing)}; add "*=W/A" to set the rest) but received ${describeValue(spec)}`,
    );
  }
  const out: BitsAssignment = {};
  for (const n of names) {
    const b = named.get(n) ?? rest!;
    out[n] = { w: b.w, a: b.a };
  }
  return out;
}

/** Every matrix at `w` bits for weights and `a` bits for activations. */
export function uniformBits(matrices: readonly string[] | readonly MatrixInfo[], w: number, a: number = w): BitsAssignment {
  const out: BitsAssignment = {};
  for (const n of matrixNames(matrices)) out[n] = { w, a };
  return out;
}

/**
 * The shortest canonical spec of an assignment: `*` takes the most common W/A pair (ties: the pair of
 * the earliest matrix), then the other matrices in forward order, e.g. `*=8/8,FC=4/8`. Always W/A, so
 * a reader never has to remember that `L0=16` means 16/16. Round-trips through `parseBitsSpec`.
 */
export function formatBitsSpec(assignment: BitsAssignment, matrices: readonly string[] | readonly MatrixInfo[]): string {
  const names = matrixNames(matrices);
  const pairs = names.map((n) => {
    const b = assignment[n];
    if (!b) throw invalidParameter('bits assignment', `bits for every matrix (${listNames(names)})`, `no entry for ${n}`);
    return `${b.w}/${b.a}`;
  });
  const counts = new Map<string, number>();
  for (const p of pairs) counts.set(p, (counts.get(p) ?? 0) + 1);
  let common = pairs[0] ?? '16/16';
  for (const p of pairs) if (counts.get(p)! > counts.get(common)!) common = p;
  const parts = [`*=${common}`];
  names.forEach((n, i) => {
    if (pairs[i] !== common) parts.push(`${n}=${pairs[i]}`);
  });
  return parts.join(',');
}
