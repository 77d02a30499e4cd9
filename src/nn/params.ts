/**
 * Parameters live in one flat Float32Array (a "slab") described by a layout table of named tensors
 * (llm.c style). Gradients and optimizer moments use the same layout, so saving, loading, zeroing,
 * an Adam step or a copy are single loops over the slab, and a tensor is a `subarray` view.
 *
 * Tensor names (k = recurrent layer index, dir = `fwd` or `bwd`; H = units per direction,
 * D = directions, G = gate blocks). Matrices are stored [in x out], the B operand of our GEMM
 * (PyTorch's [out x in] is transposed at import); gate blocks are contiguous column blocks of H.
 *
 * | tensor | shape | what |
 * | --- | --- | --- |
 * | `L{k}.proj.W` | [in, P] | SRU projection (n_proj) before the gate matrix |
 * | `L{k}.W` (SRU) | [in or P, D*K*H] | gate matrix of both directions: direction d, block m, unit j at column (d*K + m)*H + j; blocks x~, f, r (, x') |
 * | `L{k}.v` (SRU) | [D, 2, H] | element-wise recurrent weights v_f, v_r per direction |
 * | `L{k}.b` (SRU) | [D, 2, H] | gate biases b_f, b_r per direction (b_r starts at highwayBias) |
 * | `L{k}.{dir}.W` | [in, G*H] | input matrix; LSTM gates i,f,g,o; GRU r,z,n; LiGRU z,n |
 * | `L{k}.{dir}.U` | [H, G*H] | recurrent matrix, same gate order |
 * | `L{k}.{dir}.b` | [G*H] | input bias (absent with BatchNorm; LSTM: b_ih + b_hh) |
 * | `L{k}.{dir}.bh` | [3H] | GRU PyTorch convention only: recurrent bias b_hh (inside r * (U_n h + b_hn)) |
 * | `L{k}.{dir}.bn.gamma/beta/mean/var` | [G*H] | BatchNorm on W x: scale, shift, running mean and variance |
 * | `FC.W` | [in, out] | output layer |
 * | `FC.b` | [out] | output bias |
 */
import { invalidParameter, notFound } from '../util/errors.js';

/** What a tensor is: quantizers treat matrices and everything else (kept at 16-bit) differently. */
export type ParamRole = 'matrix' | 'bias' | 'vector' | 'bn-scale' | 'bn-shift' | 'bn-mean' | 'bn-var';

export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** First element in the slab. */
  readonly offset: number;
  /** Element count (product of the shape). */
  readonly size: number;
  readonly role: ParamRole;
  /** False for BatchNorm running statistics (updated by the forward pass, not by the optimizer). */
  readonly trainable: boolean;
}

export class ParamLayout {
  readonly entries: readonly ParamEntry[];
  /** Elements of the whole slab. */
  readonly total: number;
  private readonly byName: Map<string, ParamEntry>;

  constructor(specs: ReadonlyArray<{ name: string; shape: readonly number[]; role: ParamRole }>) {
    const entries: ParamEntry[] = [];
    const byName = new Map<string, ParamEntry>();
    let offset = 0;
    for (const s of specs) {
      if (byName.has(s.name)) throw invalidParameter('parameter name', 'a unique name', s.name);
      const size = s.shape.reduce((a, b) => a * b, 1);
      const e: ParamEntry = { name: s.name, shape: [...s.shape], offset, size, role: s.role, trainable: s.role !== 'bn-mean' && s.role !== 'bn-var' };
      entries.push(e);
      byName.set(s.name, e);
      offset += size;
    }
    this.entries = entries;
    this.byName = byName;
    this.total = offset;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw notFound('parameter', `"${name}" (the model has ${this.entries.map((x) => x.name).join(', ')})`);
    return e;
  }

  /** The view of tensor `name` in a slab of this layout (parameters, gradients, moments). */
  view(slab: Float32Array, name: string): Float32Array {
    const e = this.entry(name);
    return slab.subarray(e.offset, e.offset + e.size);
  }

  /** A zeroed slab of this layout (gradients, optimizer moments). */
  zeros(): Float32Array {
    return new Float32Array(this.total);
  }
}
