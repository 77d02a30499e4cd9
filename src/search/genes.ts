/**
 * The genome of the quantization search: integer genes that index each platform's allowed precisions,
 * so every genome is valid by construction (nothing to penalise or repair beyond rounding). Genes
 * follow the model's forward order — matrix by matrix, weights then activations — which keeps
 * genomes that differ only late in the network close together (the evaluator reuses layer prefixes).
 *
 * Shared platforms (SiLago): one gene per matrix sets both its weights and its input activation.
 * Independent platforms (Bitfusion): two genes per matrix.
 */
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Platform } from '../hw/platform.js';
import { invalidParameter } from '../util/errors.js';
import { THRESHOLD_CANDIDATES } from '../delta/thresholds.js';
import type { GeneSpec } from './run-format.js';

export function buildGenes(matrices: readonly string[], platform: Pick<Platform, 'weights' | 'activations' | 'shared' | 'name'>): GeneSpec[] {
  const genes: GeneSpec[] = [];
  if (platform.shared) {
    const choices = platform.weights.filter((b) => platform.activations.includes(b));
    if (choices.length === 0) throw invalidParameter(`platform ${platform.name}`, 'at least one precision shared by weights and activations', platform.weights);
    for (const m of matrices) genes.push({ name: m, matrices: [m], target: 'wa', choices: [...choices] });
  } else {
    for (const m of matrices) {
      genes.push({ name: `${m}:w`, matrices: [m], target: 'w', choices: [...platform.weights] });
      genes.push({ name: `${m}:a`, matrices: [m], target: 'a', choices: [...platform.activations] });
    }
  }
  return genes;
}

/**
 * Delta-network threshold genes (one per matrix, after the precision genes): the value is a level, the
 * index into the candidate thresholds of the matrix's activation precision (src/delta
 * THRESHOLD_CANDIDATES); a level past the end of a shorter list means its largest threshold.
 */
export function buildDeltaGenes(matrices: readonly string[], platform: Pick<Platform, 'activations'>): GeneSpec[] {
  const levels = Math.max(1, ...platform.activations.map((b) => THRESHOLD_CANDIDATES[b]?.length ?? 1));
  return matrices.map((m) => ({ name: `${m}:delta`, matrices: [m], target: 'delta' as const, choices: Array.from({ length: levels }, (_, i) => i) }));
}

/** The delta thresholds of a genome (in quantization steps of each matrix's input), or null without delta genes. */
export function decodeThresholds(genes: readonly GeneSpec[], genome: readonly number[], bits: BitsAssignment): Record<string, number> | null {
  let out: Record<string, number> | null = null;
  genes.forEach((g, i) => {
    if (g.target !== 'delta') return;
    out ??= {};
    for (const m of g.matrices) {
      const candidates = THRESHOLD_CANDIDATES[bits[m]!.a] ?? [0];
      out[m] = candidates[Math.min(genome[i]!, candidates.length - 1)]!;
    }
  });
  return out;
}

/** Bits of every matrix for a genome (gene values are indices into the choices; delta genes are ignored). */
export function decodeGenome(genes: readonly GeneSpec[], genome: readonly number[]): BitsAssignment {
  const bits: BitsAssignment = {};
  genes.forEach((g, i) => {
    const v = genome[i]!;
    const b = g.choices[v];
    if (b === undefined) throw invalidParameter(`gene ${g.name}`, `an index in 0..${g.choices.length - 1}`, v);
    for (const m of g.matrices) {
      const cur = bits[m] ?? { w: 16, a: 16 };
      if (g.target === 'w' || g.target === 'wa') cur.w = b;
      if (g.target === 'a' || g.target === 'wa') cur.a = b;
      bits[m] = cur;
    }
  });
  return bits;
}

/** The genome of a bits assignment, or null when a matrix's bits are not among its gene's choices. */
export function encodeGenome(genes: readonly GeneSpec[], bits: BitsAssignment): number[] | null {
  const out: number[] = [];
  for (const g of genes) {
    if (g.target === 'delta') {
      out.push(0);
      continue;
    }
    const m = bits[g.matrices[0]!];
    if (!m) return null;
    if (g.target === 'wa' && m.w !== m.a) return null;
    const b = g.target === 'a' ? m.a : m.w;
    const i = g.choices.indexOf(b);
    if (i < 0) return null;
    out.push(i);
  }
  return out;
}

/** Number of distinct genomes. */
export function spaceSize(genes: readonly GeneSpec[]): number {
  return genes.reduce((n, g) => n * g.choices.length, 1);
}

/** Every genome in lexicographic order (the last gene varies fastest). */
export function* allGenomes(genes: readonly GeneSpec[]): Generator<number[]> {
  const n = genes.length;
  const g = new Array<number>(n).fill(0);
  for (;;) {
    yield g.slice();
    let i = n - 1;
    while (i >= 0 && g[i] === genes[i]!.choices.length - 1) g[i--] = 0;
    if (i < 0) return;
    g[i]!++;
  }
}

/** The genomes that put every matrix at one precision (one per precision all genes share), lowest first. */
export function uniformGenomes(genes: readonly GeneSpec[]): number[][] {
  const precision = genes.filter((g) => g.target !== 'delta');
  if (precision.length === 0) return [];
  const shared = precision[0]!.choices.filter((b) => precision.every((g) => g.choices.includes(b)));
  return shared.map((b) => genes.map((g) => (g.target === 'delta' ? 0 : g.choices.indexOf(b))));
}

export const genomeKey = (genome: readonly number[]): string => genome.join(',');
