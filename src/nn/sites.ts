/**
 * The product sites of an architecture: every matrix product a forward pass makes, described once so
 * hooks can recognise them (matrix name, direction, operand, gate blocks, candidate path).
 */
import type { CellType, ResolvedArchitecture, ResolvedLayer } from './arch.js';
import type { GateBlock, ProductSite, RecurrenceSite } from './hook.js';

export interface LayerSites {
  /** SRU projection (`L{k}.proj`), or null. */
  readonly proj: ProductSite | null;
  /** The input matrix `L{k}`: one site shared by both directions (SRU), or one per direction. */
  readonly input: readonly ProductSite[];
  /** Per direction, the recurrent products of one step: [U] or, for the pytorch-kaldi GRU, [U_rz on h, U_n on r*h]. Empty for SRU. */
  readonly recurrent: readonly (readonly ProductSite[])[];
  /** Per direction, the element-wise recurrence. */
  readonly recurrence: readonly RecurrenceSite[];
}

export interface ModelSites {
  readonly layers: readonly LayerSites[];
  readonly fc: ProductSite;
  /** Every site in forward order. */
  readonly all: readonly ProductSite[];
}

export const DIRECTION_NAMES = ['fwd', 'bwd'] as const;

/** Gate names of a gated cell's W and U column blocks, in order. */
export function gateNames(cell: Exclude<CellType, 'sru'>): readonly string[] {
  return cell === 'lstm' ? ['i', 'f', 'g', 'o'] : cell === 'gru' ? ['r', 'z', 'n'] : ['z', 'n'];
}

const CANDIDATE: Record<Exclude<CellType, 'sru'>, string> = { lstm: 'g', gru: 'n', ligru: 'n' };

export const SRU_BLOCKS = ['x', 'f', 'r', 'skip'] as const;

function site(s: Omit<ProductSite, 'key'>): ProductSite {
  return Object.freeze({ ...s, gates: Object.freeze(s.gates.map((g) => Object.freeze({ ...g }))), key: `${s.tensor}[${s.colStart}:${s.colStart + s.n}]` });
}

function gatedBlocks(cell: Exclude<CellType, 'sru'>, H: number, from = 0, to = Infinity): GateBlock[] {
  return gateNames(cell)
    .map((name, m) => ({ name, start: m * H, size: H, candidate: name === CANDIDATE[cell] }))
    .filter((g) => g.start >= from && g.start < to)
    .map((g) => ({ ...g, start: g.start - from }));
}

function layerSites(l: ResolvedLayer): LayerSites {
  const k = l.index;
  const H = l.hidden;
  const recurrence: RecurrenceSite[] = [];
  for (let d = 0; d < l.directions; d++) recurrence.push(Object.freeze({ matrix: `L${k}`, layer: k, cell: l.type, direction: d as 0 | 1 }));
  if (l.type === 'sru') {
    let operand: ProductSite['operand'] = k === 0 ? 'features' : 'x';
    let rows = l.inputSize;
    let proj: ProductSite | null = null;
    if (l.projection !== null) {
      proj = site({
        matrix: `L${k}.proj`, kind: 'projection', layer: k, cell: 'sru', direction: -1, tensor: `L${k}.proj.W`,
        k: rows, cols: l.projection, colStart: 0, n: l.projection, operand, mode: 'sequence',
        gates: [{ name: 'out', start: 0, size: l.projection, candidate: false }],
      });
      operand = 'proj';
      rows = l.projection;
    }
    const K = l.inputGates;
    const cols = l.directions * K * H;
    const gates: GateBlock[] = [];
    for (let d = 0; d < l.directions; d++) {
      for (let m = 0; m < K; m++) gates.push({ name: `${DIRECTION_NAMES[d]}.${SRU_BLOCKS[m]}`, start: (d * K + m) * H, size: H, candidate: false });
    }
    const input = site({ matrix: `L${k}`, kind: 'input', layer: k, cell: 'sru', direction: -1, tensor: `L${k}.W`, k: rows, cols, colStart: 0, n: cols, operand, mode: 'sequence', gates });
    return { proj, input: [input], recurrent: [], recurrence };
  }
  const cell = l.type;
  const G = l.inputGates * H;
  const input: ProductSite[] = [];
  const recurrent: ProductSite[][] = [];
  for (let d = 0; d < l.directions; d++) {
    const dir = DIRECTION_NAMES[d]!;
    const direction = d as 0 | 1;
    input.push(site({
      matrix: `L${k}`, kind: 'input', layer: k, cell, direction, tensor: `L${k}.${dir}.W`,
      k: l.inputSize, cols: G, colStart: 0, n: G, operand: k === 0 ? 'features' : 'x', mode: 'sequence', gates: gatedBlocks(cell, H),
    }));
    const U = `L${k}.${dir}.U`;
    const base = { matrix: `L${k}.U`, kind: 'recurrent' as const, layer: k, cell, direction, tensor: U, k: H, cols: G, mode: 'step' as const };
    if (cell === 'gru' && l.gru === 'kaldi') {
      recurrent.push([
        site({ ...base, colStart: 0, n: 2 * H, operand: 'h', gates: gatedBlocks(cell, H, 0, 2 * H) }),
        site({ ...base, colStart: 2 * H, n: H, operand: 'rh', gates: gatedBlocks(cell, H, 2 * H) }),
      ]);
    } else {
      recurrent.push([site({ ...base, colStart: 0, n: G, operand: 'h', gates: gatedBlocks(cell, H) })]);
    }
  }
  return { proj: null, input, recurrent, recurrence };
}

export function buildSites(arch: ResolvedArchitecture): ModelSites {
  const layers = arch.layers.map(layerSites);
  const last = arch.layers[arch.layers.length - 1]!;
  const fc = site({
    matrix: 'FC', kind: 'output', layer: -1, cell: 'linear', direction: -1, tensor: 'FC.W',
    k: last.outputSize, cols: arch.output, colStart: 0, n: arch.output, operand: 'x', mode: 'sequence',
    gates: [{ name: 'out', start: 0, size: arch.output, candidate: false }],
  });
  const all: ProductSite[] = [];
  for (const l of layers) {
    if (l.proj) all.push(l.proj);
    for (let d = 0; d < Math.max(l.input.length, l.recurrent.length); d++) {
      if (l.input[d]) all.push(l.input[d]!);
      all.push(...(l.recurrent[d] ?? []));
    }
  }
  all.push(fc);
  return { layers, fc, all };
}
