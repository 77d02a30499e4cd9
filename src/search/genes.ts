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

/** Bits of every matrix for a genome (gene values are indices into the choices). */
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
  if (genes.length === 0) return [];
  const shared = genes[0]!.choices.filter((b) => genes.every((g) => g.choices.includes(b)));
  return shared.map((b) => genes.map((g) => g.choices.indexOf(b)));
}

export const genomeKey = (genome: readonly number[]): string => genome.join(',');
