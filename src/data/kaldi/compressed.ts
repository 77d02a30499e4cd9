/**
 * Kaldi's compressed matrices (matrix/compressed-matrix.cc), byte-exact.
 *
 * On disk, after the token, a 16-byte global header: float32 min_value, float32 range, int32 num_rows,
 * int32 num_cols (the in-memory `int32 format` is given by the token instead). Then
 *   CM  (format 1, "speech feature"): per column four uint16 percentiles p0 p25 p75 p100 (8 bytes each,
 *       all columns first), then the uint8 data column by column; byte b decodes piecewise-linearly
 *       between the percentiles (0..64 → p0..p25, 64..192 → p25..p75, 192..255 → p75..p100);
 *   CM2 (format 2): uint16 per element, row-major, min + range * v / 65535;
 *   CM3 (format 3): uint8 per element, row-major, min + range * v / 255.
 * Kaldi decodes in float32 arithmetic; `Math.fround` reproduces each rounding so values match Kaldi's.
 */
import { invalidFile } from '../../util/errors.js';

export type CompressedFormat = 'CM' | 'CM2' | 'CM3';

const f = Math.fround;
const INV_65535 = f(1.52590218966964e-5);

export const COMPRESSED_HEADER_BYTES = 16;

/** Bytes after the token for a rows x cols matrix. */
export function compressedSize(format: CompressedFormat, rows: number, cols: number): number {
  if (format === 'CM') return COMPRESSED_HEADER_BYTES + cols * (8 + rows);
  if (format === 'CM2') return COMPRESSED_HEADER_BYTES + 2 * rows * cols;
  return COMPRESSED_HEADER_BYTES + rows * cols;
}

function uint16ToFloat(min: number, range: number, v: number): number {
  return f(min + f(f(range * INV_65535) * v));
}

function charToFloat(p0: number, p25: number, p75: number, p100: number, v: number): number {
  // (p25 - p0) * value is float; * (1/64.0) promotes to double; the sum is rounded to float on return.
  if (v <= 64) return f(p0 + f(f(p25 - p0) * v) * (1 / 64));
  if (v <= 192) return f(p25 + f(f(p75 - p25) * (v - 64)) * (1 / 128));
  return f(p75 + f(f(p100 - p75) * (v - 192)) * (1 / 63));
}

/**
 * Decodes a compressed matrix whose header starts at `off` in `buf`. Returns the (rows, cols)
 * row-major floats and the number of bytes consumed. `what` names the file and utterance for errors.
 */
export function readCompressed(buf: Uint8Array, off: number, format: CompressedFormat, what: string): { rows: number; cols: number; data: Float32Array; bytes: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (off + COMPRESSED_HEADER_BYTES > buf.length) throw invalidFile(what, `${format} matrix truncated: header needs 16 bytes but only ${buf.length - off} remain`);
  const min = view.getFloat32(off, true);
  const range = view.getFloat32(off + 4, true);
  const rows = view.getInt32(off + 8, true);
  const cols = view.getInt32(off + 12, true);
  if (rows < 0 || cols < 0) throw invalidFile(what, `${format} matrix has a negative size ${rows}x${cols}`);
  if (rows === 0 || cols === 0) return { rows: 0, cols: 0, data: new Float32Array(0), bytes: COMPRESSED_HEADER_BYTES };
  const size = compressedSize(format, rows, cols);
  if (off + size > buf.length) {
    throw invalidFile(what, `${format} matrix truncated: expected ${rows}x${cols} compressed values (${size - COMPRESSED_HEADER_BYTES} bytes) but only ${buf.length - off - COMPRESSED_HEADER_BYTES} bytes remain`);
  }
  const data = new Float32Array(rows * cols);
  const body = off + COMPRESSED_HEADER_BYTES;
  if (format === 'CM') {
    const bytesStart = body + 8 * cols;
    for (let c = 0; c < cols; c++) {
      const h = body + 8 * c;
      const p0 = uint16ToFloat(min, range, view.getUint16(h, true));
      const p25 = uint16ToFloat(min, range, view.getUint16(h + 2, true));
      const p75 = uint16ToFloat(min, range, view.getUint16(h + 4, true));
      const p100 = uint16ToFloat(min, range, view.getUint16(h + 6, true));
      const col = bytesStart + c * rows;
      for (let r = 0; r < rows; r++) data[r * cols + c] = charToFloat(p0, p25, p75, p100, buf[col + r]!);
    }
  } else if (format === 'CM2') {
    const inc = f(range * (1 / 65535));
    for (let i = 0; i < rows * cols; i++) data[i] = f(min + f(view.getUint16(body + 2 * i, true) * inc));
  } else {
    const inc = f(range * (1 / 255));
    for (let i = 0; i < rows * cols; i++) data[i] = f(min + f(buf[body + i]! * inc));
  }
  return { rows, cols, data, bytes: size };
}

function floatToUint16(min: number, range: number, value: number): number {
  let x = f(f(value - min) / range);
  if (x > 1) x = 1;
  if (x < 0) x = 0;
  return Math.trunc(f(x * 65535) + 0.499);
}

function floatToUint8(min: number, range: number, value: number): number {
  let x = f(f(value - min) / range);
  if (x > 1) x = 1;
  if (x < 0) x = 0;
  return Math.trunc(f(x * 255) + 0.499);
}

// Kaldi: static_cast<int>(f * 64 + 0.5) with f a float, so the product is rounded to float before adding the double 0.5.
function floatToChar(p0: number, p25: number, p75: number, p100: number, value: number): number {
  let ans: number;
  if (value < p25) {
    ans = Math.trunc(f(f(f(value - p0) / f(p25 - p0)) * 64) + 0.5);
    return Math.min(64, Math.max(0, ans));
  }
  if (value < p75) {
    ans = 64 + Math.trunc(f(f(f(value - p25) / f(p75 - p25)) * 128) + 0.5);
    return Math.min(192, Math.max(64, ans));
  }
  ans = 192 + Math.trunc(f(f(f(value - p75) / f(p100 - p75)) * 63) + 0.5);
  return Math.min(255, Math.max(192, ans));
}

/** Column percentile headers as Kaldi's ComputeColHeader picks them (partial sorts give the same order statistics). */
function columnHeader(min: number, range: number, col: Float32Array): [number, number, number, number] {
  const n = col.length;
  const s = Float32Array.from(col).sort();
  const u = (v: number) => floatToUint16(min, range, v);
  let p0: number;
  let p25: number;
  let p75: number;
  let p100: number;
  if (n >= 5) {
    const q = Math.floor(n / 4);
    p0 = Math.min(u(s[0]!), 65532);
    p25 = Math.min(Math.max(u(s[q]!), p0 + 1), 65533);
    p75 = Math.min(Math.max(u(s[3 * q]!), p25 + 1), 65534);
    p100 = Math.max(u(s[n - 1]!), p75 + 1);
  } else {
    p0 = Math.min(u(s[0]!), 65532);
    p25 = n > 1 ? Math.min(Math.max(u(s[1]!), p0 + 1), 65533) : p0 + 1;
    p75 = n > 2 ? Math.min(Math.max(u(s[2]!), p25 + 1), 65534) : p25 + 1;
    p100 = n > 3 ? Math.max(u(s[3]!), p75 + 1) : p75 + 1;
  }
  return [p0, p25, p75, p100];
}

/** Encodes a (rows, cols) matrix as Kaldi would write it after the token (header + data). */
export function writeCompressed(data: ArrayLike<number>, rows: number, cols: number, format: CompressedFormat): Uint8Array {
  const out = new Uint8Array(compressedSize(format, rows, cols));
  const view = new DataView(out.buffer);
  if (rows === 0 || cols === 0) return out.subarray(0, COMPRESSED_HEADER_BYTES);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < rows * cols; i++) {
    const v = f(data[i]!);
    if (!Number.isFinite(v)) throw invalidFile('compressed matrix', 'cannot compress a matrix with NaN or Inf values');
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) hi = f(lo + (1 + Math.abs(lo)));
  const min = f(lo);
  const range = f(hi - lo);
  view.setFloat32(0, min, true);
  view.setFloat32(4, range, true);
  view.setInt32(8, rows, true);
  view.setInt32(12, cols, true);
  const body = COMPRESSED_HEADER_BYTES;
  if (format === 'CM') {
    const bytesStart = body + 8 * cols;
    const col = new Float32Array(rows);
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < rows; r++) col[r] = data[r * cols + c]!;
      const h = columnHeader(min, range, col);
      h.forEach((v, k) => view.setUint16(body + 8 * c + 2 * k, v, true));
      const [p0, p25, p75, p100] = h.map((v) => uint16ToFloat(min, range, v)) as [number, number, number, number];
      for (let r = 0; r < rows; r++) out[bytesStart + c * rows + r] = floatToChar(p0, p25, p75, p100, col[r]!);
    }
  } else if (format === 'CM2') {
    for (let i = 0; i < rows * cols; i++) view.setUint16(body + 2 * i, floatToUint16(min, range, f(data[i]!)), true);
  } else {
    for (let i = 0; i < rows * cols; i++) out[body + i] = floatToUint8(min, range, f(data[i]!));
  }
  return out;
}
