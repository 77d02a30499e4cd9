/**
 * A model: a resolved architecture plus its parameters in one slab (see params.ts for the tensor names),
 * and the product sites the quantization hook sees. `createModel` initialises the weights the way the
 * reference implementations do; `touchModel` must be called after parameters change so packed weights
 * are rebuilt.
 */
import { kernels } from '../kernels/backend.js';
import type { Kernels } from '../kernels/types.js';
import { Rng } from '../util/rng.js';
import { invalidParameter } from '../util/errors.js';
import { explicitArchitecture, parseArchitecture, resolveArchitecture, sruAlpha } from './arch.js';
import type { Architecture, ResolvedArchitecture, ResolvedLayer } from './arch.js';
import { ParamLayout } from './params.js';
import type { ParamRole } from './params.js';
import { buildSites, DIRECTION_NAMES } from './sites.js';
import type { ModelSites } from './sites.js';

export interface Model {
  readonly arch: ResolvedArchitecture;
  /** The architecture with every default written out (stored in model files). */
  readonly spec: Architecture;
  readonly layout: ParamLayout;
  /** All parameters, in `layout` order. */
  readonly params: Float32Array;
  readonly sites: ModelSites;
  /** Increases whenever parameters change (`touchModel`); caches of packed or quantized weights key on it. */
  version: number;
  /** Extra `__metadata__` entries of the file the model came from (or is saved with). */
  readonly metadata: Record<string, string>;
}

/** Declares that parameters changed (after an optimizer step, a load, an edit): packed weights are rebuilt. */
export function touchModel(model: Model): void {
  model.version++;
}

/** The parameter layout of an architecture (names and shapes in params.ts). */
export function modelLayout(arch: ResolvedArchitecture): ParamLayout {
  const specs: Array<{ name: string; shape: number[]; role: ParamRole }> = [];
  const add = (name: string, shape: number[], role: ParamRole) => specs.push({ name, shape, role });
  for (const l of arch.layers) {
    const k = l.index;
    const H = l.hidden;
    if (l.type === 'sru') {
      let rows = l.inputSize;
      if (l.projection !== null) {
        add(`L${k}.proj.W`, [rows, l.projection], 'matrix');
        rows = l.projection;
      }
      add(`L${k}.W`, [rows, l.directions * l.inputGates * H], 'matrix');
      add(`L${k}.v`, [l.directions, 2, H], 'vector');
      add(`L${k}.b`, [l.directions, 2, H], 'bias');
      continue;
    }
    const G = l.inputGates * H;
    for (let d = 0; d < l.directions; d++) {
      const p = `L${k}.${DIRECTION_NAMES[d]}`;
      add(`${p}.W`, [l.inputSize, G], 'matrix');
      add(`${p}.U`, [H, G], 'matrix');
      if (l.batchNorm) {
        add(`${p}.bn.gamma`, [G], 'bn-scale');
        add(`${p}.bn.beta`, [G], 'bn-shift');
        add(`${p}.bn.mean`, [G], 'bn-mean');
        add(`${p}.bn.var`, [G], 'bn-var');
      } else {
        add(`${p}.b`, [G], 'bias');
      }
      if (l.type === 'gru' && l.gru === 'torch') add(`${p}.bh`, [G], 'bias');
    }
  }
  const last = arch.layers[arch.layers.length - 1]!;
  add('FC.W', [last.outputSize, arch.output], 'matrix');
  add('FC.b', [arch.output], 'bias');
  return new ParamLayout(specs);
}

/** Accepts a user architecture (validated) or an already resolved one. */
export function toResolved(arch: Architecture | ResolvedArchitecture): ResolvedArchitecture {
  if ((arch as ResolvedArchitecture).layers.every((l) => 'directions' in l)) return arch as ResolvedArchitecture;
  return resolveArchitecture(parseArchitecture(arch));
}

/** A model around existing parameters (a loaded file, an import); `params` must match the layout. */
export function modelFromParams(arch: Architecture | ResolvedArchitecture, params: Float32Array, metadata: Record<string, string> = {}): Model {
  const resolved = toResolved(arch);
  const layout = modelLayout(resolved);
  if (params.length !== layout.total) throw invalidParameter('parameters', `${layout.total} values for ${resolved.name}`, params);
  return { arch: resolved, spec: explicitArchitecture(resolved), layout, params, sites: buildSites(resolved), version: 0, metadata: { ...metadata } };
}

/**
 * A freshly initialised model, as the reference implementations initialise theirs:
 * - SRU (sru v2): W ~ U(+-sqrt(3/rows)), projection ~ U(+-sqrt(3/in)); the f and r blocks scaled by
 *   sqrt(1/2), the x~ block by sqrt(1 - dropout), the 4th (skip) block by alpha when rescaling;
 *   v ~ U(+-sqrt(3)) * sqrt(1/2); b_f = 0, b_r = highwayBias.
 * - LSTM/GRU/LiGRU (pytorch-kaldi): W and b ~ U(+-1/sqrt(in)) (torch.nn.Linear's default), each gate
 *   block of U orthogonal, GRU b_h ~ U(+-1/sqrt(H)) (torch.nn.GRU); BatchNorm gamma 1, beta 0, running
 *   mean 0, variance 1.
 * - FC (pytorch-kaldi MLP): W ~ U(+-sqrt(0.01/(in+out))), b = 0.
 */
export function createModel(arch: Architecture | ResolvedArchitecture, rng: Rng): Model {
  const model = modelFromParams(arch, new Float32Array(modelLayout(toResolved(arch)).total));
  const view = (name: string) => model.layout.view(model.params, name);
  for (const l of model.arch.layers) {
    const r = rng.fork(`init:L${l.index}`);
    if (l.type === 'sru') initSru(l, view, r);
    else initGated(l, view, r);
  }
  const fc = view('FC.W');
  const fin = model.arch.layers[model.arch.layers.length - 1]!.outputSize;
  const a = Math.sqrt(0.01 / (fin + model.arch.output));
  rng.fork('init:FC').fillUniform(fc, -a, a);
  return model;
}

function initSru(l: ResolvedLayer, view: (name: string) => Float32Array, rng: Rng): void {
  const k = l.index;
  const H = l.hidden;
  const K = l.inputGates;
  let rows = l.inputSize;
  if (l.projection !== null) {
    const a = Math.sqrt(3 / rows);
    rng.fillUniform(view(`L${k}.proj.W`), -a, a);
    rows = l.projection;
  }
  const w = view(`L${k}.W`);
  const a = Math.sqrt(3 / rows);
  rng.fillUniform(w, -a, a);
  const cols = l.directions * K * H;
  const scale = [l.dropout > 0 ? Math.sqrt(1 - l.dropout) : 1, Math.SQRT1_2, Math.SQRT1_2, l.rescale && K === 4 ? sruAlpha(l) : 1];
  for (let i = 0; i < rows; i++) {
    for (let d = 0; d < l.directions; d++) {
      for (let m = 0; m < K; m++) {
        const s = scale[m]!;
        if (s === 1) continue;
        const o = i * cols + (d * K + m) * H;
        for (let j = 0; j < H; j++) w[o + j]! *= s;
      }
    }
  }
  const v = view(`L${k}.v`);
  rng.fillUniform(v, -Math.sqrt(3), Math.sqrt(3));
  for (let i = 0; i < v.length; i++) v[i]! *= Math.SQRT1_2;
  const b = view(`L${k}.b`);
  for (let d = 0; d < l.directions; d++) b.fill(l.highwayBias, (2 * d + 1) * H, (2 * d + 2) * H);
}

function initGated(l: ResolvedLayer, view: (name: string) => Float32Array, rng: Rng): void {
  const H = l.hidden;
  const G = l.inputGates;
  for (let d = 0; d < l.directions; d++) {
    const p = `L${l.index}.${DIRECTION_NAMES[d]}`;
    const a = 1 / Math.sqrt(l.inputSize);
    rng.fillUniform(view(`${p}.W`), -a, a);
    const u = view(`${p}.U`);
    for (let m = 0; m < G; m++) {
      const q = orthogonal(H, rng);
      for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) u[i * G * H + m * H + j] = q[i * H + j]!;
    }
    if (l.batchNorm) {
      view(`${p}.bn.gamma`).fill(1);
      view(`${p}.bn.var`).fill(1);
    } else {
      rng.fillUniform(view(`${p}.b`), -a, a);
    }
    if (l.type === 'gru' && l.gru === 'torch') rng.fillUniform(view(`${p}.bh`), -1 / Math.sqrt(H), 1 / Math.sqrt(H));
  }
}

/**
 * A random n x n orthogonal matrix (rows orthonormal): Gaussian rows orthonormalised by block Gram-Schmidt
 * on the GEMM kernels. Each block of rows loses its components along all previous rows twice (classical
 * Gram-Schmidt applied twice is as stable as the modified one, and it is two GEMMs), then is
 * orthonormalised within itself (modified Gram-Schmidt in float64).
 */
export function orthogonal(n: number, rng: Rng, k: Kernels = kernels()): Float32Array {
  const gauss = new Float32Array(n * n);
  rng.fillNormal(gauss);
  return k.scope(() => {
    const q = k.f32(n * n);
    q.set(gauss);
    const nb = 32;
    const row = new Float64Array(n);
    for (let b0 = 0; b0 < n; b0 += nb) {
      const m = Math.min(nb, n - b0);
      const block = q.subarray(b0 * n, (b0 + m) * n);
      if (b0 > 0) {
        const prev = q.subarray(0, b0 * n);
        const prevT = k.packF32(prev, n, b0, true); // [n x b0] = prev^T
        const prevN = k.packF32(prev, b0, n);
        const r = k.f32(m * b0);
        for (let pass = 0; pass < 2; pass++) {
          k.gemmF32(block, m, n, prevT, r);
          for (let i = 0; i < r.length; i++) r[i] = -r[i]!;
          k.gemmF32(r, m, b0, prevN, block, { accumulate: true });
        }
        prevT.dispose();
        prevN.dispose();
      }
      for (let i = 0; i < m; i++) {
        const ri = i * n;
        for (let j = 0; j < n; j++) row[j] = block[ri + j]!;
        for (let p = 0; p < i; p++) {
          const rp = p * n;
          let dot = 0;
          for (let j = 0; j < n; j++) dot += row[j]! * block[rp + j]!;
          for (let j = 0; j < n; j++) row[j]! -= dot * block[rp + j]!;
        }
        let norm = 0;
        for (let j = 0; j < n; j++) norm += row[j]! * row[j]!;
        norm = 1 / Math.sqrt(norm);
        for (let j = 0; j < n; j++) block[ri + j] = row[j]! * norm;
      }
    }
    return Float32Array.from(q);
  });
}
