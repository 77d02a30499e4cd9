/**
 * Import of PyTorch weights: a `state_dict` saved with `safetensors.torch.save_file` becomes a mohaq
 * model. Layers, sizes and directions are inferred from tensor names and shapes:
 *
 * - LSTM / GRU (and LiGRU saved the same way): `torch.nn.LSTM`/`GRU` names `<p>weight_ih_l{k}` [G*H, in],
 *   `<p>weight_hh_l{k}` [G*H, H], `<p>bias_ih_l{k}`, `<p>bias_hh_l{k}` [G*H], `_reverse` for the backward
 *   direction. Gate order as PyTorch: LSTM i,f,g,o; GRU r,z,n; LiGRU z,n. Several modules are chained in
 *   natural order of their prefixes (`rnn1.`, `rnn2.`, ...). GRU layers use PyTorch's convention
 *   (`r * (U_n h + b_hn)`); LSTM and LiGRU biases are summed (b_ih + b_hh).
 * - SRU: the `sru` package (v2) names `<p>rnn_lst.{k}.weight` [in, D*H*K], `.weight_proj` [in, P],
 *   `.weight_c` [2*D*H], `.bias` [2*D*H], `.scale_x` [1]. The state_dict does not say whether layers are
 *   bidirectional (the same shapes fit D*H units either way): bidirectional unless told otherwise.
 * - The output layer: a `torch.nn.Linear` (`<q>weight` [out, in], `<q>bias` [out]) whose input is the
 *   last recurrent layer's output; `fc` picks one when several fit.
 * Matrices are transposed to mohaq's [in x out]; tensors that are not used are reported, not an error.
 */
import { MohaqError, invalidFile, invalidParameter } from '../util/errors.js';
import type { Architecture, CellType, LayerSpec } from './arch.js';
import { modelFromParams, modelLayout, toResolved } from './model.js';
import type { Model } from './model.js';
import { readSafetensors, shapeString, tensorToFloat32 } from './safetensors.js';
import type { StoredTensor } from './safetensors.js';

export interface TorchImportOptions {
  cell: CellType;
  /** safetensors files holding the state_dict (tensors are merged; a name may appear only once). */
  files: readonly string[];
  /** Prefix of the output Linear (e.g. `fc.` or `mlp.wx.0.`) when several fit. */
  fc?: string;
  /** SRU only: the layers are bidirectional. @default true */
  bidirectional?: boolean;
  /** SRU only: layers whose input and output sizes are equal have the highway skip term. @default true */
  skipTerm?: boolean;
  /** Architecture name. @default `<cell>-torch` */
  name?: string;
}

export interface TorchImportResult {
  model: Model;
  /** State-dict tensors that became parameters. */
  used: string[];
  /** State-dict tensors that were not used (e.g. a second head, unused normalisation layers). */
  ignored: string[];
}

interface Source {
  tensor: StoredTensor;
  file: string;
}

const GATES: Record<Exclude<CellType, 'sru'>, number> = { lstm: 4, gru: 3, ligru: 2 };

/** Natural order: `rnn2.` before `rnn10.`. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

class StateDict {
  readonly tensors = new Map<string, Source>();
  readonly used = new Set<string>();
  readonly where: string;

  constructor(files: readonly string[]) {
    if (files.length === 0) throw invalidParameter('--weights', 'at least one safetensors file', files.length);
    this.where = files.join(' + ');
    for (const file of files) {
      const st = readSafetensors(file);
      for (const [name, tensor] of st.tensors) {
        const prev = this.tensors.get(name);
        if (prev) throw invalidFile(file, `tensor "${name}" is also in ${prev.file} (a tensor name may appear in one file only)`);
        this.tensors.set(name, { tensor, file });
      }
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Float values of a tensor of exactly this shape. */
  take(name: string, shape: readonly number[], why = ''): Float32Array {
    const s = this.tensors.get(name);
    if (!s) throw new MohaqError('NOT_FOUND', `${this.where}: tensor "${name}" is missing${why}`);
    const t = s.tensor;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw invalidFile(s.file, `tensor "${name}": expected shape ${shapeString(shape)}${why} but found ${shapeString(t.shape)}`);
    if (!t.dtype.startsWith('F') && t.dtype !== 'BF16') throw invalidFile(s.file, `tensor "${name}": expected a float tensor but found ${t.dtype}`);
    this.used.add(name);
    return tensorToFloat32(t);
  }

  shape(name: string): readonly number[] {
    return this.tensors.get(name)!.tensor.shape;
  }

  fileOf(name: string): string {
    return this.tensors.get(name)!.file;
  }
}

/** dst [c x r] (at column offset `col` of rows of width ld) = transpose of src [r x c]. */
function transposeInto(src: Float32Array, r: number, c: number, dst: Float32Array, ld = r, col = 0): void {
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) dst[j * ld + col + i] = src[i * c + j]!;
}

interface ImportedLayer {
  spec: LayerSpec;
  /** Fills the layer's tensors once the model exists. */
  fill: (view: (name: string) => Float32Array) => void;
  outputSize: number;
  inputSize: number;
}

// ---- torch.nn.LSTM / GRU names ----------------------------------------------------------------------

const RNN_NAME = /^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/;

function torchRnnLayers(sd: StateDict, cell: Exclude<CellType, 'sru'>): ImportedLayer[] {
  const groups = new Map<string, Set<number>>();
  for (const name of sd.tensors.keys()) {
    const m = RNN_NAME.exec(name);
    if (!m) continue;
    if (m[2] === 'weight_hr') throw new MohaqError('UNSUPPORTED', `${sd.fileOf(name)}: tensor "${name}": LSTM projections (proj_size) are not supported`);
    const set = groups.get(m[1]!) ?? new Set<number>();
    set.add(Number(m[3]));
    groups.set(m[1]!, set);
  }
  if (groups.size === 0) {
    const some = [...sd.tensors.keys()].slice(0, 5).map((n) => `"${n}"`).join(', ');
    throw invalidFile(sd.where, `no ${cell.toUpperCase()} weights: expected torch.nn names such as "rnn.weight_ih_l0", "rnn.weight_hh_l0" (found ${some}${sd.tensors.size > 5 ? ', ...' : ''})`);
  }
  const G = GATES[cell];
  const layers: ImportedLayer[] = [];
  let input = -1;
  for (const prefix of [...groups.keys()].sort(naturalCompare)) {
    const idx = [...groups.get(prefix)!].sort((a, b) => a - b);
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] !== i) throw new MohaqError('NOT_FOUND', `${sd.where}: tensor "${prefix}weight_ih_l${i}" is missing (layers of "${prefix}" must be numbered from 0 without gaps; found l${idx.join(', l')})`);
    }
    for (const li of idx) {
      const wName = `${prefix}weight_ih_l${li}`;
      if (!sd.has(wName)) throw new MohaqError('NOT_FOUND', `${sd.where}: tensor "${wName}" is missing`);
      const ws = sd.shape(wName);
      if (ws.length !== 2 || ws[0]! % G !== 0 || ws[0] === 0) throw invalidFile(sd.fileOf(wName), `tensor "${wName}": expected shape [${G} x hidden, inputs] (${cell.toUpperCase()} has ${G} gates) but found ${shapeString(ws)}`);
      const H = ws[0]! / G;
      const D = input < 0 ? ws[1]! : input;
      const reverse = sd.has(`${prefix}weight_ih_l${li}_reverse`) || sd.has(`${prefix}weight_hh_l${li}_reverse`);
      const dirs = reverse ? 2 : 1;
      const suffixes = reverse ? ['', '_reverse'] : [''];
      const why = input < 0 ? '' : ` (inputs = the ${input} outputs of the previous layer)`;
      const w = suffixes.map((s) => sd.take(`${prefix}weight_ih_l${li}${s}`, [G * H, D], why));
      const u = suffixes.map((s) => sd.take(`${prefix}weight_hh_l${li}${s}`, [G * H, H]));
      const hasBias = suffixes.map((s) => [sd.has(`${prefix}bias_ih_l${li}${s}`), sd.has(`${prefix}bias_hh_l${li}${s}`)]);
      const bih = suffixes.map((s, d) => (hasBias[d]![0] ? sd.take(`${prefix}bias_ih_l${li}${s}`, [G * H]) : new Float32Array(G * H)));
      const bhh = suffixes.map((s, d) => (hasBias[d]![1] ? sd.take(`${prefix}bias_hh_l${li}${s}`, [G * H]) : new Float32Array(G * H)));
      const k = layers.length;
      const spec: LayerSpec = { type: cell, hidden: H, bidirectional: reverse, batchNorm: false, dropout: 0 };
      if (cell === 'gru') spec.gru = 'torch';
      layers.push({
        spec,
        inputSize: D,
        outputSize: dirs * H,
        fill: (view) => {
          for (let d = 0; d < dirs; d++) {
            const p = `L${k}.${d === 0 ? 'fwd' : 'bwd'}`;
            transposeInto(w[d]!, G * H, D, view(`${p}.W`));
            transposeInto(u[d]!, G * H, H, view(`${p}.U`));
            const b = view(`${p}.b`);
            if (cell === 'gru') {
              b.set(bih[d]!);
              view(`${p}.bh`).set(bhh[d]!);
            } else {
              for (let j = 0; j < G * H; j++) b[j] = bih[d]![j]! + bhh[d]![j]!;
            }
          }
        },
      });
      input = dirs * H;
    }
  }
  return layers;
}

// ---- sru package names ------------------------------------------------------------------------------

const SRU_NAME = /^(.*?)rnn_lst\.(\d+)\.(weight|weight_proj|weight_c|bias|scale_x|layer_norm\.weight|layer_norm\.bias)$/;

function sruLayers(sd: StateDict, bidirectional: boolean, skipTermOption: boolean): ImportedLayer[] {
  const groups = new Map<string, Set<number>>();
  for (const name of sd.tensors.keys()) {
    const m = SRU_NAME.exec(name);
    if (!m) continue;
    if (m[3]!.startsWith('layer_norm')) throw new MohaqError('UNSUPPORTED', `${sd.fileOf(name)}: tensor "${name}": SRU layer normalisation (layer_norm=True) is not supported`);
    const set = groups.get(m[1]!) ?? new Set<number>();
    set.add(Number(m[2]));
    groups.set(m[1]!, set);
  }
  for (const name of sd.tensors.keys()) {
    if (/(^|\.)input_to_hidden\.weight$/.test(name)) throw new MohaqError('UNSUPPORTED', `${sd.fileOf(name)}: tensor "${name}": SRU proj_input_to_hidden_first is not supported`);
  }
  if (groups.size === 0) {
    const some = [...sd.tensors.keys()].slice(0, 5).map((n) => `"${n}"`).join(', ');
    throw invalidFile(sd.where, `no SRU weights: expected sru package names such as "rnn_lst.0.weight", "rnn_lst.0.weight_c", "rnn_lst.0.bias" (found ${some}${sd.tensors.size > 5 ? ', ...' : ''})`);
  }
  const dirs = bidirectional ? 2 : 1;
  const layers: ImportedLayer[] = [];
  let input = -1;
  for (const prefix of [...groups.keys()].sort(naturalCompare)) {
    const idx = [...groups.get(prefix)!].sort((a, b) => a - b);
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] !== i) throw new MohaqError('NOT_FOUND', `${sd.where}: tensor "${prefix}rnn_lst.${i}.weight" is missing (layers must be numbered from 0 without gaps; found ${idx.join(', ')})`);
    }
    for (const li of idx) {
      const p = `${prefix}rnn_lst.${li}.`;
      for (const part of ['weight', 'weight_c', 'bias']) if (!sd.has(p + part)) throw new MohaqError('NOT_FOUND', `${sd.where}: tensor "${p}${part}" is missing`);
      const wcShape = sd.shape(`${p}weight_c`);
      if (wcShape.length !== 1 || wcShape[0]! % (2 * dirs) !== 0 || wcShape[0] === 0) {
        throw invalidFile(sd.fileOf(`${p}weight_c`), `tensor "${p}weight_c": expected shape [2 x ${dirs} directions x hidden] but found ${shapeString(wcShape)}`);
      }
      const O = wcShape[0]! / 2;
      const H = O / dirs;
      const ws = sd.shape(`${p}weight`);
      if (ws.length !== 2 || ws[1]! % O !== 0 || (ws[1]! / O !== 3 && ws[1]! / O !== 4)) {
        throw invalidFile(sd.fileOf(`${p}weight`), `tensor "${p}weight": expected shape [inputs, ${3 * O} or ${4 * O}] (3 or 4 matrices of ${O} outputs) but found ${shapeString(ws)}`);
      }
      const K = ws[1]! / O;
      let D: number;
      let P: number | null = null;
      let projW: Float32Array | null = null;
      if (sd.has(`${p}weight_proj`)) {
        const ps = sd.shape(`${p}weight_proj`);
        D = input < 0 ? ps[0]! : input;
        P = ws[0]!;
        projW = sd.take(`${p}weight_proj`, [D, P], input < 0 ? '' : ` (inputs = the ${input} outputs of the previous layer)`);
        if (!(P < D && P < O)) throw invalidFile(sd.fileOf(`${p}weight_proj`), `tensor "${p}weight_proj": a projection of ${P} must be smaller than the layer's ${D} inputs and ${O} outputs`);
      } else {
        D = input < 0 ? ws[0]! : input;
      }
      const rows = P ?? D;
      const w = sd.take(`${p}weight`, [rows, K * O], P === null && input >= 0 ? ` (inputs = the ${input} outputs of the previous layer)` : '');
      const wc = sd.take(`${p}weight_c`, [2 * O]);
      const bias = sd.take(`${p}bias`, [2 * O]);
      let skipTerm: boolean;
      if (K === 4) {
        if (D === O) throw invalidFile(sd.fileOf(`${p}weight`), `tensor "${p}weight": 4 matrices but the layer's input and output sizes are both ${O} (sru uses a 4th matrix only when they differ)`);
        skipTerm = true;
      } else {
        skipTerm = D === O && skipTermOption;
      }
      let rescale = false;
      let highwayBias = 0;
      if (sd.has(`${p}scale_x`)) {
        const s = sd.take(`${p}scale_x`, [1])[0]!;
        if (!(s >= 1) || !Number.isFinite(s)) throw invalidFile(sd.fileOf(`${p}scale_x`), `tensor "${p}scale_x": expected a scale >= 1 but found ${s}`);
        if (s > 1) {
          rescale = true;
          // scale_x = sqrt(1 + 2 e^b): recover b so that mohaq's alpha equals the stored scale
          highwayBias = Math.log((s * s - 1) / 2);
        }
      }
      const k = layers.length;
      const spec: LayerSpec = { type: 'sru', hidden: H, bidirectional, highwayBias, rescale, skipTerm, dropout: 0 };
      if (P !== null) spec.projection = P;
      layers.push({
        spec,
        inputSize: D,
        outputSize: O,
        fill: (view) => {
          if (projW) view(`L${k}.proj.W`).set(projW);
          // sru columns are (direction, unit, matrix); mohaq's are (direction, matrix, unit)
          const dst = view(`L${k}.W`);
          for (let i = 0; i < rows; i++) {
            for (let d = 0; d < dirs; d++) {
              for (let j = 0; j < H; j++) {
                for (let m = 0; m < K; m++) dst[i * K * O + (d * K + m) * H + j] = w[i * K * O + (d * H + j) * K + m]!;
              }
            }
          }
          // weight_c and bias are (gate f|r, direction, unit); mohaq's are (direction, gate, unit)
          const v = view(`L${k}.v`);
          const b = view(`L${k}.b`);
          for (let g = 0; g < 2; g++) {
            for (let d = 0; d < dirs; d++) {
              for (let j = 0; j < H; j++) {
                v[(d * 2 + g) * H + j] = wc[(g * dirs + d) * H + j]!;
                b[(d * 2 + g) * H + j] = bias[(g * dirs + d) * H + j]!;
              }
            }
          }
        },
      });
      input = O;
    }
  }
  return layers;
}

// ---- output layer -----------------------------------------------------------------------------------

function outputLayer(sd: StateDict, inputs: number, fc: string | undefined): { prefix: string; out: number } {
  if (fc !== undefined) {
    if (!fc.endsWith('.') && !sd.has(`${fc}weight`) && sd.has(`${fc}.weight`)) fc = `${fc}.`;
    const name = `${fc}weight`;
    if (!sd.has(name)) throw new MohaqError('NOT_FOUND', `${sd.where}: tensor "${name}" (the output layer chosen with --fc ${fc}) is missing`);
    const s = sd.shape(name);
    if (s.length !== 2 || s[1] !== inputs) throw invalidFile(sd.fileOf(name), `tensor "${name}": expected shape [outputs, ${inputs}] (the output layer reads the ${inputs} outputs of the last recurrent layer) but found ${shapeString(s)}`);
    return { prefix: fc, out: s[0]! };
  }
  const fits: string[] = [];
  const others: string[] = [];
  for (const name of sd.tensors.keys()) {
    if (sd.used.has(name) || !name.endsWith('weight')) continue;
    const s = sd.shape(name);
    if (s.length !== 2) continue;
    if (s[1] === inputs) fits.push(name);
    else others.push(`"${name}" ${shapeString(s)}`);
  }
  if (fits.length === 1) {
    const prefix = fits[0]!.slice(0, -'weight'.length);
    return { prefix, out: sd.shape(fits[0]!)[0]! };
  }
  if (fits.length === 0) {
    throw new MohaqError('NOT_FOUND', `${sd.where}: no output layer: expected a torch.nn.Linear weight of shape [outputs, ${inputs}] (the last recurrent layer has ${inputs} outputs)${others.length ? `; other 2-D tensors: ${others.slice(0, 4).join(', ')}` : ''}`);
  }
  throw invalidParameter('--fc', `the prefix of one output layer (several fit: ${fits.map((n) => `"${n.slice(0, -'weight'.length)}"`).join(', ')})`, undefined);
}

/** Converts a PyTorch state_dict (safetensors) into a mohaq model. */
export function importTorch(opts: TorchImportOptions): TorchImportResult {
  const sd = new StateDict(opts.files);
  const layers = opts.cell === 'sru' ? sruLayers(sd, opts.bidirectional ?? true, opts.skipTerm ?? true) : torchRnnLayers(sd, opts.cell);
  const last = layers[layers.length - 1]!;
  const { prefix, out } = outputLayer(sd, last.outputSize, opts.fc);
  const fcW = sd.take(`${prefix}weight`, [out, last.outputSize]);
  const fcB = sd.has(`${prefix}bias`) ? sd.take(`${prefix}bias`, [out]) : new Float32Array(out);
  const arch: Architecture = { name: opts.name ?? `${opts.cell}-torch`, input: layers[0]!.inputSize, output: out, layers: layers.map((l) => l.spec) };
  const resolved = toResolved(arch);
  const model = modelFromParams(resolved, new Float32Array(modelLayout(resolved).total), { 'mohaq.source': `PyTorch state_dict (${opts.cell}): ${opts.files.join(', ')}` });
  const view = (name: string) => model.layout.view(model.params, name);
  for (const l of layers) l.fill(view);
  transposeInto(fcW, out, last.outputSize, view('FC.W'));
  view('FC.b').set(fcB);
  const used = [...sd.tensors.keys()].filter((n) => sd.used.has(n));
  const ignored = [...sd.tensors.keys()].filter((n) => !sd.used.has(n));
  return { model, used, ignored };
}
