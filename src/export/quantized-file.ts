/**
 * The integer safetensors export (`mohaq export --format safetensors`): a quantized model as integers.
 *
 * Tensors:
 * - `<block>.codes`: the weight codes of every product block (`L0.fwd.U[0:288]`), [k, n] row-major:
 *   I8 for 8 bits, I16 for 16-bit Q-format codes, U8 packed for 2 and 4 bits (packing.ts layout);
 *   F32 values for a block left at 32 bits;
 * - `<block>.scale`: F32, the real value of one code, one per block or one per column (per-channel);
 * - `<tensor>.codes`: I16 codes of every bias, BatchNorm parameter and SRU vector (16-bit fixed point);
 * - `int.<path>`: the arrays of the integer-only engine (multipliers I64, shifts I8, the sigmoid table
 *   I32, ...) when every matrix is quantized.
 * Metadata: `mohaq.format` = `mohaq-quantized/1`, `mohaq.architecture`, `mohaq.quantization` (bits,
 * options, calibration, weight clips or Q-formats per block: what `mohaq quantize` stores),
 * `mohaq.export` (the block and vector table with dtypes, shapes, packing layouts and Q-formats, and
 * the integer model's structure and formats), `mohaq.version`, and the model's other metadata (its
 * phone loop). `loadQuantizedModel` rebuilds the fake-quantized model bit for bit (weights
 * fround(code * scale), vectors code 2^-frac) and the integer model exactly.
 */
import { kernels } from '../kernels/backend.js';
import { weightBlock } from '../nn/hook.js';
import type { ProductSite } from '../nn/hook.js';
import { explicitArchitecture, parseArchitecture } from '../nn/arch.js';
import { modelFromParams, modelLayout, toResolved } from '../nn/model.js';
import type { Model } from '../nn/model.js';
import { readSafetensors, shapeString, tensorData, writeSafetensors } from '../nn/safetensors.js';
import type { SafetensorsDtype, StoredTensor, TensorToWrite } from '../nn/safetensors.js';
import { formatBitsSpec } from '../quant/bits-spec.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import type { Calibration } from '../quant/calibration.js';
import { isFloatAssignment, productParts, resolveBits } from '../quant/hook.js';
import { QUANTIZATION_FORMAT, QUANTIZATION_METADATA_KEY, storedQuantization } from '../quant/quantize-model.js';
import type { StoredQuantization, StoredWeightParams } from '../quant/quantize-model.js';
import { resolveQuantOptions } from '../quant/options.js';
import type { QuantOptions } from '../quant/options.js';
import { qFractionBits } from '../quant/quantizer.js';
import { modelSize } from '../quant/size.js';
import type { WeightParams } from '../quant/weights.js';
import { blockCodes } from './blocks.js';
import { MohaqError, invalidFile } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { buildIntegerModel } from './integer-model.js';
import type { IntegerModel } from './integer-model.js';
import { PACKING_LAYOUT, packCodes, packedLength, unpackCodes } from './packing.js';

export const QUANTIZED_FORMAT = 'mohaq-quantized/1';
export const EXPORT_METADATA_KEY = 'mohaq.export';

/** One weight block as stored. */
export interface StoredBlock {
  /** Site key: `tensor[c0:c1]`. */
  key: string;
  tensor: string;
  colStart: number;
  k: number;
  n: number;
  /** Weight bits (2, 4, 8, 16; 32 = float values). */
  bits: number;
  kind: 'integer' | 'fixed' | 'float';
  /** Q-format of 16-bit codes. */
  fracBits?: number;
  codes: string;
  dtype: SafetensorsDtype;
  /** 2- and 4-bit codes: how they are packed into the U8 tensor. */
  packing?: { bits: number; codesPerByte: number; layout: string };
  /** The F32 scale tensor: one value, or one per column. */
  scale?: string;
  perChannel?: boolean;
}

export interface StoredVector {
  name: string;
  shape: number[];
  frac: number;
  codes: string;
}

export interface ExportTable {
  format: typeof QUANTIZED_FORMAT;
  blocks: StoredBlock[];
  vectors: StoredVector[];
  /** The integer model with its arrays replaced by `{ "$tensor": name }` (codes by `{ "$block": key }`), or null when a matrix is at 32 bits. */
  integer: unknown;
}

export interface QuantizedExport {
  /** The fake-quantized model (what `mohaq quantize` writes), with its `mohaq.quantization` metadata. */
  model: Model;
  stored: StoredQuantization & { assignment: BitsAssignment };
  /** The integer-only model, or null when a matrix is at 32 bits. */
  integer: IntegerModel | null;
  table: ExportTable;
}

// ---- the integer model as JSON + tensors --------------------------------------------------------------

type IntArray = Int8Array | Int16Array | Int32Array | Float32Array | Float64Array | Uint8Array;

function dtypeOf(a: IntArray): SafetensorsDtype {
  if (a instanceof Int8Array) return 'I8';
  if (a instanceof Int16Array) return 'I16';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Uint8Array) return 'U8';
  return 'I64';
}

function storeValue(value: unknown, path: string, tensors: TensorToWrite[]): unknown {
  if (ArrayBuffer.isView(value)) {
    const a = value as IntArray;
    const name = `int.${path}`;
    const dtype = dtypeOf(a);
    tensors.push({ name, dtype, shape: [a.length], data: dtype === 'I64' ? BigInt64Array.from(a as Float64Array, (v) => BigInt(v)) : a });
    return { $tensor: name };
  }
  if (Array.isArray(value)) return value.map((v, i) => storeValue(v, `${path}.${i}`, tensors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = key === 'codes' && 'block' in value ? { $block: (value as { block: string }).block } : storeValue(v, path ? `${path}.${key}` : key, tensors);
    }
    return out;
  }
  return value;
}

function loadValue(value: unknown, file: string, tensors: ReadonlyMap<string, StoredTensor>, codes: ReadonlyMap<string, Int8Array | Int16Array>): unknown {
  if (Array.isArray(value)) return value.map((v) => loadValue(v, file, tensors, codes));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$tensor === 'string') {
      const t = tensors.get(o.$tensor);
      if (!t) throw invalidFile(file, `tensor "${o.$tensor}" of the integer model is missing`);
      const data = tensorData(t);
      if (data instanceof BigInt64Array) {
        return Float64Array.from(data, (v) => {
          const n = Number(v);
          if (!Number.isSafeInteger(n)) throw invalidFile(file, `tensor "${o.$tensor}": ${v} is beyond the integer engine's 2^53`);
          return n;
        });
      }
      return data;
    }
    if (typeof o.$block === 'string') {
      const c = codes.get(o.$block);
      if (!c) throw invalidFile(file, `the integer model refers to weight block "${o.$block}", which has no integer codes`);
      return c;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = loadValue(v, file, tensors, codes);
    return out;
  }
  return value;
}

// ---- writing ------------------------------------------------------------------------------------------

export interface QuantizedExportOptions {
  quant?: QuantOptions;
  /** Fixed weight quantization per block (a quantized model file's). */
  weightParams?: Readonly<Record<string, WeightParams>> | null;
}

/**
 * The integer export of `model` under `bits` (see the module comment): tensors and metadata, and what
 * they describe.
 */
export function quantizedExport(model: Model, bits: BitsAssignment | string, calibration: Calibration, opts: QuantizedExportOptions = {}): { tensors: TensorToWrite[]; metadata: Record<string, string>; exported: QuantizedExport } {
  const assignment = resolveBits(model, bits);
  if (isFloatAssignment(assignment)) throw new MohaqError('INVALID_ARGUMENT', 'Expected a bits spec with at least one quantized matrix for the export but received every matrix at 32/32');
  const { integer: _integer, ...quant } = opts.quant ?? {};
  resolveQuantOptions(quant);
  const tensors: TensorToWrite[] = [];
  const blocks: StoredBlock[] = [];
  const weights: Record<string, StoredWeightParams> = {};
  // the fake-quantized parameters, as quantizeModel makes them: weights fround(code * step), vectors in 16-bit fixed point
  const fakeParams = Float32Array.from(model.params);
  for (const part of productParts(model, assignment, quant)) {
    const site: ProductSite = part.site;
    const base = { key: site.key, tensor: site.tensor, colStart: site.colStart, k: site.k, n: site.n, bits: part.bits.w };
    const values = weightBlock(model, site);
    if (part.bits.w === 32) {
      tensors.push({ name: `${site.key}.codes`, dtype: 'F32', shape: [site.k, site.n], data: values });
      blocks.push({ ...base, kind: 'float', codes: `${site.key}.codes`, dtype: 'F32' });
      continue;
    }
    const { params, codes, steps, perChannel } = blockCodes(model, part, opts.weightParams?.[site.key] ?? null);
    weights[site.key] = params.kind === 'integer' ? { kind: 'integer', bits: params.bits, clips: Array.from(params.clips) } : params;
    const scale = perChannel ? steps : steps.subarray(0, 1);
    const w = model.layout.view(fakeParams, site.tensor);
    for (let i = 0; i < site.k; i++) for (let j = 0; j < site.n; j++) w[i * site.cols + site.colStart + j] = Math.fround(codes[i * site.n + j]! * scale[perChannel ? j : 0]!);
    const block: StoredBlock = { ...base, kind: params.kind === 'fixed' ? 'fixed' : 'integer', codes: `${site.key}.codes`, dtype: 'I8', scale: `${site.key}.scale`, perChannel };
    if (params.kind === 'fixed') {
      block.fracBits = params.fracBits;
      block.dtype = 'I16';
      tensors.push({ name: block.codes, dtype: 'I16', shape: [site.k, site.n], data: codes });
    } else if (part.bits.w < 8) {
      block.dtype = 'U8';
      block.packing = { bits: part.bits.w, codesPerByte: 8 / part.bits.w, layout: PACKING_LAYOUT };
      tensors.push({ name: block.codes, dtype: 'U8', shape: [packedLength(codes.length, part.bits.w)], data: packCodes(codes, part.bits.w) });
    } else {
      tensors.push({ name: block.codes, dtype: 'I8', shape: [site.k, site.n], data: codes });
    }
    tensors.push({ name: block.scale!, dtype: 'F32', shape: [scale.length], data: scale });
    blocks.push(block);
  }
  const vectors: StoredVector[] = [];
  for (const e of model.layout.entries) {
    if (e.role === 'matrix') continue;
    const raw = model.layout.view(model.params, e.name);
    let range = 0;
    for (let i = 0; i < raw.length; i++) range = Math.max(range, Math.abs(raw[i]!));
    const frac = qFractionBits(range);
    const q = model.layout.view(fakeParams, e.name);
    kernels().fixedPoint(raw, q, raw.length, frac);
    const codes = Int16Array.from(q, (v) => Math.round(v * 2 ** frac));
    tensors.push({ name: `${e.name}.codes`, dtype: 'I16', shape: [...e.shape], data: codes });
    vectors.push({ name: e.name, shape: [...e.shape], frac, codes: `${e.name}.codes` });
  }
  const size = modelSize(model.arch, assignment, quant);
  const storedQuant: StoredQuantization = {
    format: QUANTIZATION_FORMAT,
    bits: formatBitsSpec(assignment, Object.keys(assignment)),
    options: quant,
    calibration,
    weights,
    size: { bytes: size.bytes, fp32Bytes: size.fp32Bytes, compression: size.compression },
  };
  const everyQuantized = Object.values(assignment).every((b) => b.w !== 32 && b.a !== 32);
  const integer = everyQuantized ? buildIntegerModel(model, assignment, calibration, { quant, weightParams: opts.weightParams }) : null;
  const table: ExportTable = { format: QUANTIZED_FORMAT, blocks, vectors, integer: integer ? storeValue(integer, '', tensors) : null };
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(model.metadata)) if (key !== QUANTIZATION_METADATA_KEY) metadata[key] = v;
  metadata[QUANTIZATION_METADATA_KEY] = JSON.stringify(storedQuant);
  const fake = modelFromParams(model.spec, fakeParams, metadata);
  Object.assign(metadata, {
    'mohaq.format': QUANTIZED_FORMAT,
    'mohaq.architecture': JSON.stringify(model.spec),
    [EXPORT_METADATA_KEY]: JSON.stringify(table),
    'mohaq.version': VERSION,
  });
  return { tensors, metadata, exported: { model: fake, stored: { ...storedQuant, assignment }, integer, table } };
}

/** Writes the integer export (atomically). */
export function saveQuantizedModel(path: string, model: Model, bits: BitsAssignment | string, calibration: Calibration, opts: QuantizedExportOptions = {}): QuantizedExport {
  const { tensors, metadata, exported } = quantizedExport(model, bits, calibration, opts);
  writeSafetensors(path, tensors, metadata);
  return exported;
}

// ---- reading ------------------------------------------------------------------------------------------

/** True when a safetensors file is an integer export (by its metadata). */
export function isQuantizedExport(metadata: Readonly<Record<string, string>>): boolean {
  return metadata['mohaq.format'] === QUANTIZED_FORMAT;
}

function tensorOf(file: string, tensors: ReadonlyMap<string, StoredTensor>, name: string, dtype: SafetensorsDtype, shape: readonly number[]): StoredTensor {
  const t = tensors.get(name);
  if (!t) throw invalidFile(file, `tensor "${name}" is missing`);
  if (t.dtype !== dtype) throw invalidFile(file, `tensor "${name}": expected ${dtype} but found ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw invalidFile(file, `tensor "${name}": expected shape ${shapeString(shape)} but found ${shapeString(t.shape)}`);
  return t;
}

/** Reads an integer export back: the fake-quantized model, its stored quantization and the integer model. */
export function loadQuantizedModel(path: string): QuantizedExport {
  const st = readSafetensors(path);
  const md = st.metadata;
  if (!isQuantizedExport(md)) throw invalidFile(path, `not an integer export: metadata "mohaq.format" is ${JSON.stringify(md['mohaq.format'] ?? null)}, expected "${QUANTIZED_FORMAT}" (written by mohaq export --format safetensors)`);
  const parse = (key: string): unknown => {
    const text = md[key];
    if (text === undefined) throw invalidFile(path, `metadata "${key}" is missing`);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw invalidFile(path, `metadata "${key}" is not valid JSON (${(e as Error).message})`);
    }
  };
  const arch = toResolved(parseArchitecture(parse('mohaq.architecture'), `${path} (mohaq.architecture)`));
  const table = parse(EXPORT_METADATA_KEY) as ExportTable;
  if (table?.format !== QUANTIZED_FORMAT || !Array.isArray(table.blocks) || !Array.isArray(table.vectors)) throw invalidFile(path, `metadata "${EXPORT_METADATA_KEY}" is not a ${QUANTIZED_FORMAT} table`);
  const layout = modelLayout(arch);
  const params = new Float32Array(layout.total);
  const covered = new Uint8Array(layout.total);
  const codes = new Map<string, Int8Array | Int16Array>();
  for (const b of table.blocks) {
    if (!layout.has(b.tensor)) throw invalidFile(path, `block "${b.key}": the architecture has no tensor "${b.tensor}"`);
    const e = layout.entry(b.tensor);
    const cols = e.shape[1]!;
    if (e.shape[0] !== b.k || b.colStart < 0 || b.colStart + b.n > cols) throw invalidFile(path, `block "${b.key}": ${b.k} x ${b.n} at column ${b.colStart} does not fit tensor "${b.tensor}" ${shapeString(e.shape)}`);
    let values: Float32Array;
    if (b.kind === 'float') {
      values = tensorData(tensorOf(path, st.tensors, b.codes, 'F32', [b.k, b.n])) as Float32Array;
    } else {
      let c: Int8Array | Int16Array;
      if (b.packing) c = unpackCodes(tensorData(tensorOf(path, st.tensors, b.codes, 'U8', [packedLength(b.k * b.n, b.packing.bits)])) as Uint8Array, b.packing.bits, b.k * b.n);
      else c = tensorData(tensorOf(path, st.tensors, b.codes, b.kind === 'fixed' ? 'I16' : 'I8', [b.k, b.n])) as Int8Array | Int16Array;
      codes.set(b.key, c);
      const scaleT = st.tensors.get(b.scale ?? '');
      if (!scaleT || scaleT.dtype !== 'F32' || (scaleT.shape[0] !== 1 && scaleT.shape[0] !== b.n)) throw invalidFile(path, `block "${b.key}": its scale tensor "${b.scale}" is missing or not F32 [1] or [${b.n}]`);
      const scale = tensorData(scaleT) as Float32Array;
      values = new Float32Array(b.k * b.n);
      // what fake quantization computes: fround(code * step), the step an f32
      for (let i = 0; i < b.k; i++) for (let j = 0; j < b.n; j++) values[i * b.n + j] = Math.fround(c[i * b.n + j]! * scale[scale.length === 1 ? 0 : j]!);
    }
    for (let i = 0; i < b.k; i++) {
      const o = e.offset + i * cols + b.colStart;
      params.set(values.subarray(i * b.n, (i + 1) * b.n), o);
      covered.fill(1, o, o + b.n);
    }
  }
  for (const v of table.vectors) {
    if (!layout.has(v.name)) throw invalidFile(path, `vector "${v.name}" is not a tensor of the architecture`);
    const e = layout.entry(v.name);
    const c = tensorData(tensorOf(path, st.tensors, v.codes, 'I16', e.shape)) as Int16Array;
    const s = 2 ** -v.frac;
    for (let i = 0; i < c.length; i++) params[e.offset + i] = c[i]! * s;
    covered.fill(1, e.offset, e.offset + e.size);
  }
  for (const e of layout.entries) {
    if (covered.subarray(e.offset, e.offset + e.size).some((x) => x === 0)) throw invalidFile(path, `tensor "${e.name}" is not fully covered by the stored blocks and vectors`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(md)) if (key !== 'mohaq.format' && key !== 'mohaq.architecture' && key !== 'mohaq.version' && key !== EXPORT_METADATA_KEY) metadata[key] = v;
  const model = modelFromParams(explicitArchitecture(arch), params, metadata);
  const stored = storedQuantization(model, path);
  if (!stored) throw invalidFile(path, `metadata "${QUANTIZATION_METADATA_KEY}" is missing`);
  const integer = table.integer ? (loadValue(table.integer, path, st.tensors, codes) as IntegerModel) : null;
  return { model, stored, integer, table };
}
