/**
 * Kaldi archives (`.ark`): a sequence of `key<space>object`. A binary object starts with `\0B` and is
 * one of
 *   `FM `/`DM ` float32/float64 matrix: `\4` int32 rows, `\4` int32 cols, rows*cols values row-major;
 *   `FV `/`DV ` float32/float64 vector: `\4` int32 dim, dim values;
 *   `CM `/`CM2 `/`CM3 ` compressed matrix (see compressed.ts);
 *   an int32 vector (alignments, as `ali-to-phones`/`ali-to-pdf` write them): `\4` int32 n, then n
 *   times `\4` int32 value.
 * A text object is a matrix `[\n  1 2 3 \n  4 5 6 ]`, a vector `[ 1 2 3 ]`, or an integer vector
 * `1 2 3` up to the end of the line. Values are little-endian, as every Kaldi build writes them.
 */
import { gunzipSync } from 'node:zlib';
import { invalidFile, MohaqError } from '../../util/errors.js';
import { readCompressed, writeCompressed, type CompressedFormat } from './compressed.js';

export type KaldiFormat = 'FM' | 'DM' | 'CM' | 'CM2' | 'CM3' | 'FV' | 'DV' | 'ints' | 'text';

export type KaldiObject =
  | { kind: 'matrix'; rows: number; cols: number; data: Float32Array | Float64Array; format: KaldiFormat }
  | { kind: 'vector'; data: Float32Array | Float64Array; format: KaldiFormat }
  | { kind: 'ints'; data: Int32Array; format: KaldiFormat };

export interface ArkEntry {
  key: string;
  value: KaldiObject;
  /** Byte offset of the object (what an scp line points at). */
  offset: number;
}

const SPACE = 0x20;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;
}

/** Unzips `.gz` content (Kaldi's ali.*.gz); other bytes are returned unchanged. */
export function maybeGunzip(buf: Uint8Array, file: string): Uint8Array {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw invalidFile(file, `cannot decompress gzip data: ${(e as Error).message}`);
    }
  }
  return buf;
}

class Cursor {
  pos: number;
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    pos: number,
    readonly file: string,
    public key: string,
  ) {
    this.pos = pos;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(detail: string): MohaqError {
    return invalidFile(this.file, `utterance "${this.key}": ${detail}`);
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
  need(bytes: number, what: string): void {
    if (this.remaining() < bytes) throw this.fail(`${what} truncated, expected ${bytes} bytes but only ${this.remaining()} remain`);
  }
  /** Kaldi WriteBasicType<int32>: a size byte 4, then the value. */
  int32(what: string): number {
    this.need(5, what);
    const size = this.buf[this.pos]!;
    if (size !== 4) throw this.fail(`${what}: expected an int32 (size byte 4) but found size byte ${size}`);
    const v = this.view.getInt32(this.pos + 1, true);
    this.pos += 5;
    return v;
  }
  /** A token up to the next space (the space is consumed). */
  token(): string {
    let end = this.pos;
    while (end < this.buf.length && end - this.pos < 16 && this.buf[end] !== SPACE) end++;
    if (end >= this.buf.length || this.buf[end] !== SPACE) throw this.fail('truncated: no object token after "\\0B"');
    const t = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, end - this.pos).toString('latin1');
    this.pos = end + 1;
    return t;
  }
}

function copyFloats(c: Cursor, n: number, bytesPer: 4 | 8, what: string): Float32Array | Float64Array {
  const bytes = n * bytesPer;
  if (c.remaining() < bytes) {
    throw c.fail(`${what} truncated, expected ${n} ${bytesPer === 4 ? 'floats' : 'doubles'} (${bytes} bytes) but only ${c.remaining()} bytes remain`);
  }
  const raw = new Uint8Array(bytes);
  raw.set(c.buf.subarray(c.pos, c.pos + bytes));
  c.pos += bytes;
  return bytesPer === 4 ? new Float32Array(raw.buffer) : new Float64Array(raw.buffer);
}

function readBinaryObject(c: Cursor): KaldiObject {
  if (c.buf[c.pos] === 4) {
    const n = c.int32('integer vector size');
    if (n < 0) throw c.fail(`integer vector has negative size ${n}`);
    if (c.remaining() < 5 * n) throw c.fail(`integer vector truncated, expected ${n} values (${5 * n} bytes) but only ${c.remaining()} bytes remain`);
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) data[i] = c.int32(`integer vector element ${i}`);
    return { kind: 'ints', data, format: 'ints' };
  }
  const token = c.token();
  switch (token) {
    case 'FM':
    case 'DM': {
      const rows = c.int32('matrix rows');
      const cols = c.int32('matrix columns');
      if (rows < 0 || cols < 0) throw c.fail(`matrix has a negative size ${rows}x${cols}`);
      const per = token === 'FM' ? 4 : 8;
      if (c.remaining() < rows * cols * per) {
        throw c.fail(`matrix truncated, expected ${rows}x${cols} ${per === 4 ? 'floats' : 'doubles'} but only ${c.remaining()} bytes remain`);
      }
      return { kind: 'matrix', rows, cols, data: copyFloats(c, rows * cols, per, 'matrix'), format: token };
    }
    case 'FV':
    case 'DV': {
      const n = c.int32('vector size');
      if (n < 0) throw c.fail(`vector has negative size ${n}`);
      return { kind: 'vector', data: copyFloats(c, n, token === 'FV' ? 4 : 8, 'vector'), format: token };
    }
    case 'CM':
    case 'CM2':
    case 'CM3': {
      const m = readCompressed(c.buf, c.pos, token, `${c.file}: utterance "${c.key}"`);
      c.pos += m.bytes;
      return { kind: 'matrix', rows: m.rows, cols: m.cols, data: m.data, format: token };
    }
    default:
      throw c.fail(`unsupported Kaldi object token ${JSON.stringify(token)} (expected FM, DM, CM, CM2, CM3, FV, DV or an integer vector)`);
  }
}

function parseNumber(text: string, c: Cursor): number {
  const v = Number(text);
  if (!Number.isNaN(v) || text === 'nan' || text === 'NaN') return v;
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  throw c.fail(`expected a number but found ${JSON.stringify(text.slice(0, 40))}`);
}

function readTextObject(c: Cursor): KaldiObject {
  const buf = c.buf;
  let p = c.pos;
  while (p < buf.length && (buf[p] === SPACE || buf[p] === 0x09)) p++;
  if (buf[p] !== 0x5b /* [ */) {
    // Integer vector up to the end of the line.
    let end = p;
    while (end < buf.length && buf[end] !== 0x0a) end++;
    const line = Buffer.from(buf.buffer, buf.byteOffset + p, end - p).toString('latin1').trim();
    c.pos = Math.min(end + 1, buf.length);
    const parts = line ? line.split(/\s+/) : [];
    const data = new Int32Array(parts.length);
    parts.forEach((s, i) => {
      if (!/^[-+]?\d+$/.test(s)) throw c.fail(`expected an integer vector (as ali-to-phones writes it) but found ${JSON.stringify(s.slice(0, 40))}`);
      data[i] = Number(s);
    });
    return { kind: 'ints', data, format: 'text' };
  }
  const close = buf.indexOf(0x5d /* ] */, p + 1);
  if (close < 0) throw c.fail('text matrix truncated: no closing "]"');
  const body = Buffer.from(buf.buffer, buf.byteOffset + p + 1, close - p - 1).toString('latin1');
  c.pos = close + 1;
  if (buf[c.pos] === 0x0a) c.pos++;
  // A matrix has a newline right after "[" (one row per line); a vector is on one line.
  const isMatrix = /^[ \t]*\r?\n/.test(body);
  if (!isMatrix) {
    const parts = body.trim() ? body.trim().split(/\s+/) : [];
    return { kind: 'vector', data: Float32Array.from(parts, (s) => parseNumber(s, c)), format: 'text' };
  }
  const lines = body.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const rowsData = lines.map((l) => l.split(/\s+/).map((s) => parseNumber(s, c)));
  const cols = rowsData.length ? rowsData[0]!.length : 0;
  rowsData.forEach((r, i) => {
    if (r.length !== cols) throw c.fail(`text matrix row ${i} has ${r.length} values but row 0 has ${cols}`);
  });
  const data = new Float32Array(rowsData.length * cols);
  rowsData.forEach((r, i) => data.set(r, i * cols));
  return { kind: 'matrix', rows: rowsData.length, cols, data, format: 'text' };
}

/** Reads the object at `offset` (just after `key `), binary (`\0B`) or text. */
export function readKaldiObject(buf: Uint8Array, offset: number, file: string, key: string): { value: KaldiObject; end: number } {
  const c = new Cursor(buf, offset, file, key);
  if (offset >= buf.length) throw c.fail(`no object at byte ${offset} (file has ${buf.length} bytes)`);
  let value: KaldiObject;
  if (buf[offset] === 0 && buf[offset + 1] === 0x42 /* B */) {
    c.pos += 2;
    value = readBinaryObject(c);
  } else {
    value = readTextObject(c);
  }
  return { value, end: c.pos };
}

/** Every entry of an archive, in order (gzip-compressed archives are unzipped first). */
export function* readArk(input: Uint8Array, file = 'archive'): Generator<ArkEntry> {
  const buf = maybeGunzip(input, file);
  let pos = 0;
  let previous = '(start of file)';
  while (pos < buf.length) {
    while (pos < buf.length && isSpace(buf[pos]!)) pos++;
    if (pos >= buf.length) break;
    let end = pos;
    while (end < buf.length && buf[end] !== SPACE && buf[end] !== 0x0a && buf[end] !== 0) end++;
    const key = Buffer.from(buf.buffer, buf.byteOffset + pos, end - pos).toString('utf8');
    if (end >= buf.length || buf[end] !== SPACE) {
      throw invalidFile(file, `entry after "${previous}": key ${JSON.stringify(key.slice(0, 60))} is not followed by a space and an object (truncated or not a Kaldi archive)`);
    }
    const { value, end: next } = readKaldiObject(buf, end + 1, file, key);
    yield { key, value, offset: end + 1 };
    previous = key;
    pos = next;
  }
}

/** A whole archive as a map from key to object; a repeated key is an error. */
export function readArkMap(input: Uint8Array, file = 'archive'): Map<string, KaldiObject> {
  const out = new Map<string, KaldiObject>();
  for (const e of readArk(input, file)) {
    if (out.has(e.key)) throw invalidFile(file, `utterance "${e.key}" appears twice`);
    out.set(e.key, e.value);
  }
  return out;
}

// ---- writing (for exporting to Kaldi and for round-trip tests) ----

export interface WriteOptions {
  /** Binary (default) or text form. */
  binary?: boolean;
  /** Store matrices compressed in this format (binary only). */
  compress?: CompressedFormat;
  /** Write matrices/vectors as float64 (DM/DV) instead of float32. */
  double?: boolean;
}

function int32Basic(v: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = 4;
  new DataView(out.buffer).setInt32(1, v, true);
  return out;
}

function floatText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** The bytes of one object as Kaldi writes it after `key `. */
export function encodeKaldiObject(value: KaldiObject, opts: WriteOptions = {}): Uint8Array {
  const binary = opts.binary !== false;
  if (!binary) {
    if (value.kind === 'ints') return Buffer.from(`${Array.from(value.data).join(' ')} \n`, 'latin1');
    if (value.kind === 'vector') return Buffer.from(`[ ${Array.from(value.data, floatText).join(' ')} ]\n`, 'latin1');
    let s = '[';
    for (let r = 0; r < value.rows; r++) {
      s += '\n  ';
      for (let k = 0; k < value.cols; k++) s += `${floatText(value.data[r * value.cols + k]!)} `;
    }
    return Buffer.from(`${s}]\n`, 'latin1');
  }
  const parts: Uint8Array[] = [Buffer.from('\0B', 'latin1')];
  if (value.kind === 'ints') {
    parts.push(int32Basic(value.data.length));
    for (const v of value.data) parts.push(int32Basic(v));
  } else if (value.kind === 'vector') {
    parts.push(Buffer.from(opts.double ? 'DV ' : 'FV ', 'latin1'), int32Basic(value.data.length));
    const arr = opts.double ? Float64Array.from(value.data) : Float32Array.from(value.data);
    parts.push(new Uint8Array(arr.buffer));
  } else if (opts.compress) {
    parts.push(Buffer.from(`${opts.compress} `, 'latin1'), writeCompressed(value.data, value.rows, value.cols, opts.compress));
  } else {
    parts.push(Buffer.from(opts.double ? 'DM ' : 'FM ', 'latin1'), int32Basic(value.rows), int32Basic(value.cols));
    const arr = opts.double ? Float64Array.from(value.data) : Float32Array.from(value.data);
    parts.push(new Uint8Array(arr.buffer));
  }
  return Buffer.concat(parts);
}

/**
 * An archive and its scp: `scp` lines are `key <arkPath>:<offset>` with the offset of each object, as
 * `copy-feats ark:- ark,scp:x.ark,x.scp` writes them.
 */
export function writeArk(entries: Iterable<[string, KaldiObject]>, opts: WriteOptions & { arkPath?: string } = {}): { ark: Uint8Array; scp: string } {
  const parts: Uint8Array[] = [];
  let pos = 0;
  let scp = '';
  for (const [key, value] of entries) {
    if (!key || /\s/.test(key)) throw invalidFile(opts.arkPath ?? 'archive', `key ${JSON.stringify(key)} must be non-empty without whitespace`);
    const head = Buffer.from(`${key} `, 'utf8');
    const body = encodeKaldiObject(value, opts);
    parts.push(head, body);
    scp += `${key} ${opts.arkPath ?? 'archive.ark'}:${pos + head.length}\n`;
    pos += head.length + body.length;
  }
  return { ark: Buffer.concat(parts), scp };
}
