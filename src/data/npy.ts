/**
 * numpy `.npy` and `.npz` files, so that numpy users can hand mohaq features and labels (and read what
 * mohaq writes) without any converter.
 *
 * `.npy` (format versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, a header length, then a
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces
 * to a multiple of 64 bytes and ended by `\n`, then the raw elements. `.npz` is a zip of `.npy` files
 * (`np.savez` stores, `np.savez_compressed` deflates); the entry `x.npy` is the array named `x`.
 *
 * Reading accepts little- and big-endian data and C or Fortran order (Fortran arrays are transposed to
 * C order). Writing always produces little-endian C order, version 1.0 (2.0 when the header is too
 * long). float16 has no typed array in Node 20: an 'f2' array keeps its raw IEEE half bits in a
 * Uint16Array; `npyToFloat32` decodes it (and any other numeric dtype).
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { invalidFile, invalidParameter, MohaqError } from '../util/errors.js';

export type NpyDtype = 'f4' | 'f8' | 'f2' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'b1';

export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array;

export interface NpyArray {
  dtype: NpyDtype;
  /** Row-major (C order) shape; `[]` is a scalar. */
  shape: number[];
  /** The elements in C order. 'f2' holds IEEE half bits, 'b1' holds 0/1 bytes, 'i8' holds bigints. */
  data: NpyData;
}

interface DtypeInfo {
  size: number;
  make: (n: number) => NpyData;
  ctor: abstract new (...args: never[]) => NpyData;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  f4: { size: 4, make: (n) => new Float32Array(n), ctor: Float32Array },
  f8: { size: 8, make: (n) => new Float64Array(n), ctor: Float64Array },
  f2: { size: 2, make: (n) => new Uint16Array(n), ctor: Uint16Array },
  i1: { size: 1, make: (n) => new Int8Array(n), ctor: Int8Array },
  i2: { size: 2, make: (n) => new Int16Array(n), ctor: Int16Array },
  i4: { size: 4, make: (n) => new Int32Array(n), ctor: Int32Array },
  i8: { size: 8, make: (n) => new BigInt64Array(n), ctor: BigInt64Array },
  u1: { size: 1, make: (n) => new Uint8Array(n), ctor: Uint8Array },
  u2: { size: 2, make: (n) => new Uint16Array(n), ctor: Uint16Array },
  u4: { size: 4, make: (n) => new Uint32Array(n), ctor: Uint32Array },
  b1: { size: 1, make: (n) => new Uint8Array(n), ctor: Uint8Array },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Parses the header dict. numpy writes it with Python's repr, so a small literal parser suffices. */
function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw new MohaqError('UNSUPPORTED', `${file}: structured numpy dtypes are not supported (save one plain array per name)`);
    throw invalidFile(file, `npy header has no 'descr' entry: ${JSON.stringify(text.trim().slice(0, 80))}`);
  }
  if (!fortran) throw invalidFile(file, `npy header has no 'fortran_order' entry: ${JSON.stringify(text.trim().slice(0, 80))}`);
  if (!shape) throw invalidFile(file, `npy header has no 'shape' entry: ${JSON.stringify(text.trim().slice(0, 80))}`);
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s !== '')
    .map((s) => {
      const d = Number(s);
      if (!Number.isSafeInteger(d) || d < 0) throw invalidFile(file, `npy shape (${shape[1]}) has an invalid dimension ${JSON.stringify(s)}`);
      return d;
    });
  return { descr: descr[1]!, fortran: fortran[1] === 'True', shape: dims };
}

function parseDescr(descr: string, file: string): { dtype: NpyDtype; bigEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const key = m ? `${m[2]}${m[3]}` : '';
  const dtype = (key === '?1' ? 'b1' : key) as NpyDtype;
  if (!m || !(dtype in DTYPES)) {
    throw new MohaqError('UNSUPPORTED', `${file}: numpy dtype ${JSON.stringify(descr)} is not supported (expected one of ${Object.keys(DTYPES).join(', ')})`);
  }
  return { dtype, bigEndian: m[1] === '>' && DTYPES[dtype].size > 1 };
}

/** C-order copy of an array stored in Fortran order (first index fastest). */
function fortranToC(src: NpyData, shape: readonly number[], make: (n: number) => NpyData): NpyData {
  const n = src.length;
  const out = make(n);
  const rank = shape.length;
  if (rank < 2) {
    (out as { set(a: ArrayLike<unknown>): void }).set(src as ArrayLike<unknown>);
    return out;
  }
  // Fortran strides: stride[0] = 1, stride[k] = stride[k-1] * shape[k-1]. Walk C order with an odometer.
  const stride = new Array<number>(rank);
  stride[0] = 1;
  for (let k = 1; k < rank; k++) stride[k] = stride[k - 1]! * shape[k - 1]!;
  const idx = new Array<number>(rank).fill(0);
  const o = out as unknown as unknown[];
  const s = src as unknown as unknown[];
  let f = 0;
  for (let c = 0; c < n; c++) {
    o[c] = s[f];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      f += stride[k]!;
      if (idx[k]! < shape[k]!) break;
      f -= stride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Reads one `.npy` file. `file` names it in error messages. The data is copied unless `copy: false`
 * allows a view into `buf` (only possible for aligned little-endian C-order data).
 */
export function readNpy(buf: Uint8Array, file = 'npy file', opts: { copy?: boolean } = {}): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw invalidFile(file, 'not a numpy .npy file (expected the magic "\\x93NUMPY" at byte 0)');
  const major = buf[6]!;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw invalidFile(file, 'truncated npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new MohaqError('UNSUPPORTED', `${file}: npy format version ${major}.${buf[7]} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) throw invalidFile(file, `truncated: the npy header declares ${headerLen} bytes but only ${buf.length - headerStart} remain`);
  const text = Buffer.from(buf.buffer, buf.byteOffset + headerStart, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const header = parseHeader(text, file);
  const { dtype, bigEndian } = parseDescr(header.descr, file);
  const info = DTYPES[dtype];
  const count = shapeSize(header.shape);
  const bytes = count * info.size;
  if (buf.length - dataStart < bytes) {
    throw invalidFile(file, `truncated: shape (${header.shape.join(', ')}) of ${header.descr} needs ${bytes} data bytes but only ${buf.length - dataStart} are present`);
  }
  const Ctor = info.ctor as unknown as new (b: ArrayBufferLike, o: number, n: number) => NpyData;
  if (opts.copy === false && !bigEndian && !header.fortran && (buf.byteOffset + dataStart) % info.size === 0) {
    return { dtype, shape: header.shape, data: new Ctor(buf.buffer, buf.byteOffset + dataStart, count) };
  }
  // Copy into a fresh, aligned buffer (the source offset is rarely a multiple of the element size).
  const raw = new Uint8Array(bytes);
  raw.set(buf.subarray(dataStart, dataStart + bytes));
  if (bigEndian) {
    const w = info.size;
    for (let p = 0; p < bytes; p += w) {
      for (let i = 0, j = w - 1; i < j; i++, j--) {
        const t = raw[p + i]!;
        raw[p + i] = raw[p + j]!;
        raw[p + j] = t;
      }
    }
  }
  let data = new Ctor(raw.buffer, 0, count);
  if (header.fortran) data = fortranToC(data, header.shape, info.make);
  return { dtype, shape: header.shape, data };
}

function checkArray(a: NpyArray, name: string): DtypeInfo {
  const info = DTYPES[a.dtype];
  if (!info) throw invalidParameter(`${name}.dtype`, `one of ${Object.keys(DTYPES).join(', ')}`, a.dtype);
  if (!(a.data instanceof info.ctor)) throw invalidParameter(`${name}.data`, `a ${info.ctor.name} for dtype '${a.dtype}'`, a.data);
  if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw invalidParameter(`${name}.shape`, 'non-negative integer dimensions', `[${a.shape.join(', ')}]`);
  const n = shapeSize(a.shape);
  if (a.data.length !== n) throw invalidParameter(`${name}.data`, `${n} elements for shape (${a.shape.join(', ')})`, a.data);
  return info;
}

/** Writes a little-endian, C-order `.npy` (version 1.0, or 2.0 when the header exceeds 64 KiB). */
export function writeNpy(a: NpyArray, name = 'array'): Uint8Array {
  const info = checkArray(a, name);
  const descr = a.dtype === 'b1' ? '|b1' : info.size === 1 ? `|${a.dtype}` : `<${a.dtype}`;
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  let major = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 0xffff) {
    major = 2;
    prefix = 12;
  }
  // numpy pads the header with spaces so that the data starts on a 64-byte boundary.
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const bytes = a.data.byteLength;
  const out = new Uint8Array(total + bytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(Buffer.from(dict, 'latin1'), prefix);
  // Typed arrays are in the platform's byte order; Node runs on little-endian hosts only.
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, bytes), total);
  return out;
}

/** Reads an `.npz` (stored or deflated); keys are the entry names without `.npy`. */
export function readNpz(buf: Uint8Array, file = 'npz file'): Map<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(buf);
  } catch (e) {
    throw invalidFile(file, `not a readable .npz (zip) archive: ${(e as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [entry, bytes] of Object.entries(entries)) {
    if (entry.endsWith('/')) continue;
    const name = entry.endsWith('.npy') ? entry.slice(0, -4) : entry;
    // Each entry was unzipped into its own buffer, so the arrays may view it without a copy.
    out.set(name, readNpy(bytes, `${file}[${name}]`, { copy: false }));
  }
  return out;
}

/** Writes an `.npz`: stored like `np.savez` by default, deflated like `np.savez_compressed` with `compress`. */
export function writeNpz(entries: Record<string, NpyArray> | Map<string, NpyArray>, opts: { compress?: boolean } = {}): Uint8Array {
  const files: Zippable = {};
  const list = entries instanceof Map ? [...entries] : Object.entries(entries);
  for (const [name, a] of list) files[`${name}.npy`] = writeNpy(a, name);
  // A fixed timestamp keeps the archive byte-identical across runs.
  return zipSync(files, { level: opts.compress ? 6 : 0, mtime: new Date(1980, 0, 1, 0, 0, 0) });
}

/** IEEE 754 half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Any numeric npy array as float32 (f4 data is returned as is, not copied). */
export function npyToFloat32(a: NpyArray): Float32Array {
  if (a.dtype === 'f4') return a.data as Float32Array;
  const n = a.data.length;
  const out = new Float32Array(n);
  if (a.dtype === 'f2') {
    const d = a.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = halfToFloat(d[i]!);
  } else if (a.dtype === 'i8') {
    const d = a.data as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = Number(d[i]!);
  } else {
    const d = a.data as Exclude<NpyData, BigInt64Array>;
    for (let i = 0; i < n; i++) out[i] = d[i]!;
  }
  return out;
}

/** An integer npy array as int32; refuses floats with fractions and values outside int32. */
export function npyToInt32(a: NpyArray, file = 'npy array'): Int32Array {
  if (a.dtype === 'i4') return a.data as Int32Array;
  const n = a.data.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = a.dtype === 'i8' ? Number((a.data as BigInt64Array)[i]!) : a.dtype === 'f2' ? halfToFloat((a.data as Uint16Array)[i]!) : (a.data as Exclude<NpyData, BigInt64Array>)[i]!;
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw invalidFile(file, `element ${i} is ${v}, expected an integer label`);
    out[i] = v;
  }
  return out;
}
