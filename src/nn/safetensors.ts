/**
 * safetensors files (the format of Hugging Face `safetensors`, what `safetensors.torch.save_file`
 * writes): an 8-byte little-endian header length N, N bytes of JSON header, then the data section.
 * The header maps tensor names to `{ "dtype", "shape", "data_offsets": [begin, end] }` (byte offsets in
 * the data section) and may hold `"__metadata__"`, an object of string values.
 *
 * Reading is strict, as the reference implementation is: the header must be a JSON object, every
 * tensor's byte range must match its dtype and shape, and the ranges must tile the data section
 * exactly (contiguous, no gap, no overlap, nothing after the last tensor). Errors name the file and the
 * tensor. Floats are converted as PyTorch does: F16 and BF16 round to nearest even.
 */
import { MohaqError, invalidFile, invalidParameter } from '../util/errors.js';
import { readFileOrThrow, writeFileAtomic } from '../util/fsx.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

const DTYPES = Object.keys(DTYPE_BYTES) as SafetensorsDtype[];

/** A tensor as stored: dtype, shape and its raw little-endian bytes. */
export interface StoredTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** The path (or name) used in error messages. */
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in the order of their data. */
  readonly tensors: ReadonlyMap<string, StoredTensor>;
}

/** Values to write: floats are encoded to the dtype (F16/BF16 with rounding); integer dtypes take integer arrays. */
export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;
}

/** Largest header accepted (as the reference implementation: 100 MB). */
const MAX_HEADER = 100_000_000;

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Parses a safetensors file held in memory. */
export function parseSafetensors(buf: Uint8Array, file = 'safetensors file'): SafetensorsFile {
  if (buf.length < 8) throw invalidFile(file, `truncated: ${buf.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > buf.length - 8 || n > MAX_HEADER) throw invalidFile(file, `header length ${n} exceeds the ${buf.length - 8} bytes after the length field (truncated, or not a safetensors file)`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(8, 8 + n));
  if (!text.startsWith('{')) throw invalidFile(file, 'header does not start with "{" (not a safetensors file)');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw invalidFile(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalidFile(file, 'header is not a JSON object');
  const data = buf.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const infos: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidFile(file, '"__metadata__" must be an object of strings');
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw invalidFile(file, `"__metadata__" entry "${key}" must be a string but found ${JSON.stringify(v)}`);
        metadata[key] = v;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw invalidFile(file, `tensor "${name}": expected {dtype, shape, data_offsets} but found ${JSON.stringify(value)}`);
    if (typeof info.dtype !== 'string' || !DTYPES.includes(info.dtype as SafetensorsDtype)) {
      throw invalidFile(file, `tensor "${name}": dtype ${JSON.stringify(info.dtype)} is not one of ${DTYPES.join(', ')}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalidFile(file, `tensor "${name}": shape must be an array of non-negative integers but found ${JSON.stringify(shape)}`);
    }
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw invalidFile(file, `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end but found ${JSON.stringify(off)}`);
    }
    const dtype = info.dtype as SafetensorsDtype;
    const need = elementCount(shape) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== need) {
      throw invalidFile(file, `tensor "${name}": ${dtype} ${shapeString(shape)} needs ${need} bytes but data_offsets [${off[0]}, ${off[1]}] hold ${off[1] - off[0]}`);
    }
    infos.push({ name, dtype, shape: shape as number[], begin: off[0], end: off[1] });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  const tensors = new Map<string, StoredTensor>();
  for (const t of infos) {
    if (t.begin !== pos) {
      throw invalidFile(file, t.begin > pos ? `tensor "${t.name}" starts at byte ${t.begin} of the data section but the previous tensor ends at ${pos} (gap)` : `tensor "${t.name}" starts at byte ${t.begin} of the data section, inside the previous tensor (which ends at ${pos})`);
    }
    if (t.end > data.length) throw invalidFile(file, `truncated: tensor "${t.name}" ends at byte ${t.end} of the data section but the file holds only ${data.length}`);
    tensors.set(t.name, { name: t.name, dtype: t.dtype, shape: t.shape, bytes: data.subarray(t.begin, t.end) });
    pos = t.end;
  }
  if (pos !== data.length) throw invalidFile(file, `${data.length - pos} bytes after the last tensor (the data section must end with the last tensor)`);
  return { file, metadata, tensors };
}

export function readSafetensors(path: string): SafetensorsFile {
  return parseSafetensors(readFileOrThrow(path, 'safetensors file'), path);
}

// ---- float16 / bfloat16 ---------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of x (round to nearest even; overflow to infinity; NaN kept). */
export function float32ToHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent, up to infinity: correct
  return sign | h;
}

export function halfBitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits of x: the top 16 bits of the f32, rounded to nearest even (as PyTorch). */
export function float32ToBfloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff; // quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16BitsToFloat32(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

// ---- decoding -------------------------------------------------------------------------------------

/** An aligned copy of the tensor's bytes. */
function aligned(t: StoredTensor): ArrayBuffer {
  // (a Buffer's slice() is a view, not a copy: copy explicitly)
  const copy = new Uint8Array(t.bytes.length);
  copy.set(t.bytes);
  return copy.buffer;
}

/** The tensor's values as float32 (any numeric dtype; I64 must fit in a double). */
export function tensorToFloat32(t: StoredTensor): Float32Array {
  const n = elementCount(t.shape);
  const buf = aligned(t);
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(buf, 0, n);
    case 'F64':
      return Float32Array.from(new Float64Array(buf, 0, n));
    case 'F16': {
      const h = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfBitsToFloat32(h[i]!);
      return out;
    }
    case 'BF16': {
      const h = new Uint16Array(buf, 0, n);
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = h[i]! << 16;
      return out;
    }
    case 'I64':
      return Float32Array.from(new BigInt64Array(buf, 0, n), (v) => Number(v));
    case 'I32':
      return Float32Array.from(new Int32Array(buf, 0, n));
    case 'I16':
      return Float32Array.from(new Int16Array(buf, 0, n));
    case 'I8':
      return Float32Array.from(new Int8Array(buf, 0, n));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(buf, 0, n));
  }
}

/** The tensor's values in their own typed array (F16/BF16 as raw Uint16 bits). */
export function tensorData(t: StoredTensor): Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | BigInt64Array {
  const n = elementCount(t.shape);
  const buf = aligned(t);
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(buf, 0, n);
    case 'F64':
      return new Float64Array(buf, 0, n);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buf, 0, n);
    case 'I64':
      return new BigInt64Array(buf, 0, n);
    case 'I32':
      return new Int32Array(buf, 0, n);
    case 'I16':
      return new Int16Array(buf, 0, n);
    case 'I8':
      return new Int8Array(buf, 0, n);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf, 0, n);
  }
}

// ---- encoding -------------------------------------------------------------------------------------

const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = { I32: [-2147483648, 2147483647], I16: [-32768, 32767], I8: [-128, 127], U8: [0, 255], BOOL: [0, 1] };

function encode(t: TensorToWrite): Uint8Array {
  const n = elementCount(t.shape);
  if (t.data.length !== n) throw invalidParameter(`tensor "${t.name}" data`, `${n} values for shape ${shapeString(t.shape)}`, t.data);
  const out = new Uint8Array(n * DTYPE_BYTES[t.dtype]);
  const buf = out.buffer;
  const src = t.data;
  if (src instanceof BigInt64Array) {
    if (t.dtype !== 'I64') throw invalidParameter(`tensor "${t.name}" data`, `values for ${t.dtype}`, src);
    new BigInt64Array(buf).set(src);
    return out;
  }
  switch (t.dtype) {
    case 'F32':
      new Float32Array(buf).set(src);
      break;
    case 'F64':
      new Float64Array(buf).set(src);
      break;
    case 'F16': {
      const h = new Uint16Array(buf);
      for (let i = 0; i < n; i++) h[i] = float32ToHalfBits(src[i]!);
      break;
    }
    case 'BF16': {
      const h = new Uint16Array(buf);
      for (let i = 0; i < n; i++) h[i] = float32ToBfloat16Bits(src[i]!);
      break;
    }
    case 'I64': {
      const v = new BigInt64Array(buf);
      for (let i = 0; i < n; i++) v[i] = BigInt(checkInteger(t, src[i]!, i, [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]));
      break;
    }
    default: {
      const range = INT_RANGE[t.dtype]!;
      const v = t.dtype === 'I32' ? new Int32Array(buf) : t.dtype === 'I16' ? new Int16Array(buf) : t.dtype === 'I8' ? new Int8Array(buf) : new Uint8Array(buf);
      for (let i = 0; i < n; i++) v[i] = checkInteger(t, src[i]!, i, range);
    }
  }
  return out;
}

function checkInteger(t: TensorToWrite, v: number, i: number, [lo, hi]: [number, number]): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw invalidParameter(`tensor "${t.name}" element ${i}`, `an integer in ${lo}..${hi} for ${t.dtype}`, v);
  return v;
}

/** The bytes of a safetensors file with these tensors (in this order) and metadata. */
export function serializeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw invalidParameter('tensor name', 'a unique name other than __metadata__', t.name);
    if (!DTYPES.includes(t.dtype)) throw invalidParameter(`tensor "${t.name}" dtype`, `one of ${DTYPES.join(', ')}`, t.dtype);
    const bytes = encode(t);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [pos, pos + bytes.length] };
    parts.push(bytes);
    pos += bytes.length;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data section starts 8-byte aligned (as the reference writer does)
  const jsonBytes = new TextEncoder().encode(json);
  const pad = (8 - (jsonBytes.length % 8)) % 8;
  json += ' '.repeat(pad);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + pos);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  if (o !== out.length) throw new MohaqError('INTERNAL', 'safetensors serialisation size mismatch');
  return out;
}

/** Writes a safetensors file atomically. */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
