/**
 * The WASM SIMD128 backend. One fixed-size WebAssembly memory per instance (never grown, so views into
 * it stay valid), laid out as:
 *
 *   [0, 64 KiB)          reserved: the spill tile of partial GEMM tiles lives here
 *   [64 KiB, stack top)  the scope stack: working arrays (`f32`, `i8`, ...) and temporaries
 *   [heap bottom, end)   the heap, growing down: packed weights, freed by `dispose()` (or when the packed
 *                        object is garbage-collected)
 *
 * Arrays that do not live in this memory are copied in (and out, for outputs) around each call, so any
 * Float32Array works; arrays from `f32()` avoid the copies.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GemmOptions, Kernels, PackedF32, PackedI8, QuantParams } from '../types.js';
import { quantConstants } from '../ref.js';
import { MohaqError, invalidParameter } from '../../util/errors.js';
import { KERNELS_WASM_FILE, SPILL_ADDRESS } from './assemble.js';
import { kernelsWat } from './wat.js';
import type { CellKernels, FixedPointSpec } from '../cells.js';
import { checkDeltaProduct, checkDeltaStep } from '../delta.js';
import type { DeltaOutput, PackedDelta } from '../delta.js';
import './wasm-global.js';
import { checkGemm, checkLength } from '../checks.js';

type Ptr = number;

type CellExport = (...args: number[]) => void;

interface KernelExports {
  sigmoid(x: Ptr, out: Ptr, n: number): void;
  tanh(x: Ptr, out: Ptr, n: number): void;
  relu(x: Ptr, out: Ptr, n: number): void;
  exp(x: Ptr, out: Ptr, n: number): void;
  fake_quant(x: Ptr, out: Ptr, n: number, inv: number, step: number, lo: number, hi: number): void;
  quantize(x: Ptr, out: Ptr, n: number, inv: number, lo: number, hi: number): void;
  fixed_point(x: Ptr, out: Ptr, n: number, s: number, inv: number): void;
  softmax_rows(x: Ptr, out: Ptr, rows: number, cols: number): void;
  log_softmax_rows(x: Ptr, out: Ptr, rows: number, cols: number): void;
  gemm_f32(a: Ptr, lda: number, m: number, k: number, bp: Ptr, n: number, c: Ptr, ldc: number, bias: Ptr, accumulate: number, fixed: number, fs: number, fi: number): void;
  widen_i8(a: Ptr, lda: number, m: number, k: number, out: Ptr, kp: number): void;
  gemm_i8(a: Ptr, kp: number, m: number, bp: Ptr, n: number, c: Ptr, ldc: number, accumulate: number): void;
  pack_f32(b: Ptr, k: number, n: number, ldb: number, transpose: number, out: Ptr): void;
  pack_i8(b: Ptr, k: number, n: number, kp: number, out: Ptr): void;
  transpose_f32(a: Ptr, m: number, k: number, lda: number, out: Ptr): void;
  viterbi_forward(lp: Ptr, T: number, P: number, bg: Ptr, init: Ptr, pri: Ptr, acw: number, pen: number, back: Ptr, ent: Ptr, prev: Ptr, cur: Ptr, best: Ptr, arg: Ptr): Ptr;
  delta_product_i8(w: Ptr, n: number, rows: number, start: Ptr, index: Ptr, delta: Ptr, acc: Ptr, ldacc: number): void;
  delta_product_f64(w: Ptr, n: number, rows: number, start: Ptr, index: Ptr, delta: Ptr, acc: Ptr, ldacc: number): void;
  delta_step_i8(w: Ptr, n: number, rows: number, start: Ptr, index: Ptr, delta: Ptr, slot: Ptr, acc: Ptr, scale: Ptr, bias: Ptr, y: Ptr, yrow: Ptr, ldy: number, accumulate: number): void;
  delta_step_f64(w: Ptr, n: number, rows: number, start: Ptr, index: Ptr, delta: Ptr, slot: Ptr, acc: Ptr, scale: Ptr, bias: Ptr, y: Ptr, yrow: Ptr, ldy: number, accumulate: number): void;
  [cell: string]: CellExport;
}

const PAGE = 65536;
const RESERVED = 65536;
const ALIGN = 64;
/** Bytes after a staged array that kernels may read (never write): vector tails, partial GEMM tiles. */
const SLACK = 32;
const DEFAULT_MEMORY_MIB = 2047;

let cachedModule: WebAssembly.Module | null = null;

/**
 * The compiled kernel module. From dist/ it is the binary the build assembled; from source (tests, tsx)
 * it is assembled once by a child process (wabt only initialises asynchronously, and backends are created
 * synchronously) into a cache file keyed by a hash of the generated text, so edits to the generator are
 * always picked up.
 */
function loadModule(): WebAssembly.Module {
  if (cachedModule) return cachedModule;
  const built = fileURLToPath(new URL(`./${KERNELS_WASM_FILE}`, import.meta.url));
  let file = built;
  if (import.meta.url.endsWith('.ts') || !existsSync(built)) {
    const hash = createHash('sha256').update(kernelsWat(SPILL_ADDRESS)).digest('hex').slice(0, 16);
    const cacheDir = fileURLToPath(new URL('../../../node_modules/.cache/mohaq/', import.meta.url));
    file = join(cacheDir, `kernels-${hash}.wasm`);
    if (!existsSync(file)) {
      mkdirSync(cacheDir, { recursive: true });
      const script = fileURLToPath(new URL(`./assemble-cli${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
      const args = import.meta.url.endsWith('.ts') ? ['--import', 'tsx', script, file] : [script, file];
      execFileSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
  cachedModule = new WebAssembly.Module(readFileSync(file));
  return cachedModule;
}

const align = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

type AnyTyped = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

class Packed implements PackedF32, PackedI8 {
  disposed = false;
  constructor(
    readonly k: number,
    readonly n: number,
    readonly ptr: number,
    readonly bytes: number,
    readonly owner: WasmKernels,
    readonly kind: 'f32' | 'i8',
  ) {}
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.releasePacked(this);
  }
}

/** Weights packed row-major for delta products (../delta.ts), never valid as GEMM panels. */
class PackedRows extends Packed implements PackedDelta {}

/** Records arrays copied in for one call and copies outputs back at the end. */
interface Staging {
  outputs: Array<{ arr: AnyTyped; ptr: number; len: number }>;
}

export class WasmKernels implements Kernels, CellKernels {
  readonly name = 'wasm' as const;
  readonly memory: WebAssembly.Memory;
  private readonly x: KernelExports;
  private readonly bytes: Uint8Array;
  private readonly f32v: Float32Array;
  private sp = RESERVED;
  private heapBottom: number;
  private readonly end: number;
  private depth = 0;
  private free: Array<{ ptr: number; size: number }> = [];
  private readonly finalizer = new FinalizationRegistry<{ ptr: number; size: number; token: Packed | null }>((held) => this.heapFree(held.ptr, held.size));

  constructor(module: WebAssembly.Module, memoryMiB = envMemoryMiB()) {
    const pages = Math.min(32767, Math.max(64, Math.ceil((memoryMiB * 1024 * 1024) / PAGE)));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const inst = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.x = inst.exports as unknown as KernelExports;
    this.bytes = new Uint8Array(this.memory.buffer);
    this.f32v = new Float32Array(this.memory.buffer);
    // a guard at the top: vector tails may read (never write) up to 16 bytes past an array
    this.end = pages * PAGE - 256;
    this.heapBottom = this.end;
  }

  // ---- memory -------------------------------------------------------------------------------------

  scope<T>(fn: () => T): T {
    const mark = this.sp;
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      this.sp = mark;
    }
  }

  private stackAlloc(bytes: number): number {
    const ptr = this.sp;
    const next = ptr + align(Math.max(bytes, 1));
    if (next > this.heapBottom) this.exhausted(bytes);
    this.sp = next;
    return ptr;
  }

  private exhausted(bytes: number): never {
    const mib = (this.end / 1048576).toFixed(0);
    throw new MohaqError(
      'RESOURCE',
      `kernel memory exhausted: ${(bytes / 1048576).toFixed(1)} MiB more were needed with ${((this.sp - RESERVED) / 1048576).toFixed(1)} MiB of working arrays and ${((this.end - this.heapBottom) / 1048576).toFixed(1)} MiB of packed weights in use (of ${mib} MiB); use smaller batches or set MOHAQ_KERNEL_MEMORY_MIB (max 2047)`,
    );
  }

  private alloc<T extends AnyTyped>(n: number, ctor: { new (buf: ArrayBuffer, off: number, len: number): T; BYTES_PER_ELEMENT: number }, zero: boolean): T {
    if (this.depth === 0) throw new MohaqError('INTERNAL', 'kernel working arrays must be allocated inside kernels.scope()');
    if (!Number.isInteger(n) || n < 0) throw invalidParameter('array length', 'a non-negative integer', n);
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    const ptr = this.stackAlloc(bytes);
    if (zero) this.bytes.fill(0, ptr, ptr + bytes);
    return new ctor(this.memory.buffer, ptr, n);
  }

  f32(n: number, zero = true): Float32Array {
    return this.alloc(n, Float32Array, zero);
  }
  i32(n: number, zero = true): Int32Array {
    return this.alloc(n, Int32Array, zero);
  }
  i16(n: number, zero = true): Int16Array {
    return this.alloc(n, Int16Array, zero);
  }
  i8(n: number, zero = true): Int8Array {
    return this.alloc(n, Int8Array, zero);
  }

  private heapAlloc(bytes: number): number {
    const size = align(bytes);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size >= size) {
        const ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else {
          b.ptr += size;
          b.size -= size;
        }
        return ptr;
      }
    }
    if (this.heapBottom - size < this.sp) this.exhausted(bytes);
    this.heapBottom -= size;
    return this.heapBottom;
  }

  private heapFree(ptr: number, bytes: number): void {
    const size = align(bytes);
    // insert sorted, then merge neighbours; a block touching the heap bottom returns to the free space
    let i = 0;
    while (i < this.free.length && this.free[i]!.ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    for (let j = Math.max(0, i - 1); j < this.free.length - 1; ) {
      const a = this.free[j]!;
      const b = this.free[j + 1]!;
      if (a.ptr + a.size === b.ptr) {
        a.size += b.size;
        this.free.splice(j + 1, 1);
      } else if (j >= i) break;
      else j++;
    }
    while (this.free.length && this.free[0]!.ptr === this.heapBottom) {
      this.heapBottom += this.free[0]!.size;
      this.free.shift();
    }
  }

  releasePacked(p: Packed): void {
    this.finalizer.unregister(p);
    this.heapFree(p.ptr, p.bytes);
  }

  private registerPacked(p: Packed): Packed {
    this.finalizer.register(p, { ptr: p.ptr, size: p.bytes, token: null }, p);
    return p;
  }

  /** Bytes of packed weights currently held (for tests and diagnostics). */
  heapInUse(): number {
    let free = 0;
    for (const b of this.free) free += b.size;
    return this.end - this.heapBottom - free;
  }

  // ---- staging of foreign arrays --------------------------------------------------------------------

  private resident(arr: AnyTyped): boolean {
    return arr.buffer === this.memory.buffer;
  }

  /** Pointer to `len` elements of arr, copying arr in when it lives outside this memory. */
  private input(arr: AnyTyped, len: number): number {
    if (this.resident(arr)) return arr.byteOffset;
    const bytes = len * arr.BYTES_PER_ELEMENT;
    const ptr = this.stackAlloc(bytes + SLACK);
    this.bytes.set(new Uint8Array(arr.buffer, arr.byteOffset, bytes), ptr);
    return ptr;
  }

  /** Pointer for an output of `len` elements; foreign arrays are staged and copied back by `finish`. */
  private output(st: Staging, arr: AnyTyped, len: number, readsToo: boolean): number {
    if (this.resident(arr)) return arr.byteOffset;
    const ptr = readsToo ? this.input(arr, len) : this.stackAlloc(len * arr.BYTES_PER_ELEMENT + SLACK);
    st.outputs.push({ arr, ptr, len });
    return ptr;
  }

  private finish(st: Staging): void {
    for (const o of st.outputs) {
      const bytes = o.len * o.arr.BYTES_PER_ELEMENT;
      new Uint8Array(o.arr.buffer, o.arr.byteOffset, bytes).set(this.bytes.subarray(o.ptr, o.ptr + bytes));
    }
  }

  /** Runs one kernel call with a temporary stack frame for staged arrays. */
  private call<T>(fn: (st: Staging) => T): T {
    const mark = this.sp;
    const st: Staging = { outputs: [] };
    try {
      const r = fn(st);
      this.finish(st);
      return r;
    } finally {
      this.sp = mark;
    }
  }

  private own(p: PackedF32 | PackedI8, kind: 'f32' | 'i8'): Packed {
    if (!(p instanceof Packed) || p.owner !== this) throw new MohaqError('INTERNAL', 'packed matrix belongs to another kernel backend');
    if (p.disposed) throw new MohaqError('INTERNAL', 'packed matrix was disposed');
    if (p.kind !== kind) throw new MohaqError('INTERNAL', `expected a ${kind} packed matrix`);
    return p;
  }

  // ---- products -----------------------------------------------------------------------------------

  packF32(b: Float32Array, k: number, n: number, transpose = false): PackedF32 {
    checkLength('packF32 B', b, k * n);
    const bytes = Math.ceil(n / 8) * k * 32;
    const ptr = this.heapAlloc(bytes);
    this.call(() => {
      const pb = this.input(b, k * n);
      this.x.pack_f32(pb, k, n, transpose ? k : n, transpose ? 1 : 0, ptr);
    });
    return this.registerPacked(new Packed(k, n, ptr, bytes, this, 'f32'));
  }

  gemmF32(a: Float32Array, m: number, k: number, b: PackedF32, c: Float32Array, opts: GemmOptions = {}): void {
    const p = this.own(b, 'f32');
    const n = p.n;
    const lda = opts.lda ?? k;
    const ldc = opts.ldc ?? n;
    checkGemm('gemmF32', a, m, k, lda, p.k, c, n, ldc, opts.bias);
    if (m === 0 || n === 0) return;
    this.call((st) => {
      const pa = this.input(a, (m - 1) * lda + k);
      // a strided C is copied in too, so the columns between the blocks survive the copy back
      const pc = this.output(st, c, (m - 1) * ldc + n, !!opts.accumulate || ldc > n);
      let pbias = 0;
      if (opts.bias) {
        // the micro-kernel reads whole 8-column panels of the bias: pass a zero-padded copy
        pbias = this.stackAlloc(Math.ceil(n / 8) * 32);
        this.f32v.fill(0, pbias >> 2, (pbias >> 2) + Math.ceil(n / 8) * 8);
        this.f32v.set(opts.bias.subarray(0, n), pbias >> 2);
      }
      const f = opts.fixedFrac;
      this.x.gemm_f32(pa, lda, m, k, p.ptr, n, pc, ldc, pbias, opts.accumulate ? 1 : 0, f === undefined ? 0 : 1, f === undefined ? 1 : 2 ** f, f === undefined ? 1 : 2 ** -f);
    });
  }

  gemmAtB(a: Float32Array, m: number, k: number, b: Float32Array, n: number, c: Float32Array, accumulate = false): void {
    checkLength('gemmAtB A', a, m * k);
    checkLength('gemmAtB B', b, m * n);
    checkLength('gemmAtB C', c, k * n);
    if (k === 0 || n === 0) return;
    this.call((st) => {
      const pa = this.input(a, m * k);
      const pb = this.input(b, m * n);
      const pc = this.output(st, c, k * n, accumulate);
      const at = this.stackAlloc(m * k * 4 + 16);
      this.x.transpose_f32(pa, m, k, k, at);
      const packed = this.stackAlloc(Math.ceil(n / 8) * m * 32);
      this.x.pack_f32(pb, m, n, n, 0, packed);
      this.x.gemm_f32(at, m, k, m, packed, n, pc, n, 0, accumulate ? 1 : 0, 0, 1, 1);
    });
  }

  packI8(b: Int8Array, k: number, n: number): PackedI8 {
    checkLength('packI8 B', b, k * n);
    const kp = k + (k & 1);
    const bytes = Math.ceil(n / 8) * kp * 16;
    const ptr = this.heapAlloc(bytes);
    this.call(() => {
      const pb = this.input(b, k * n);
      this.x.pack_i8(pb, k, n, kp, ptr);
    });
    return this.registerPacked(new Packed(k, n, ptr, bytes, this, 'i8'));
  }

  gemmI8(a: Int8Array, m: number, k: number, b: PackedI8, c: Int32Array, opts: { accumulate?: boolean; lda?: number; ldc?: number } = {}): void {
    const p = this.own(b, 'i8');
    const n = p.n;
    const lda = opts.lda ?? k;
    const ldc = opts.ldc ?? n;
    checkGemm('gemmI8', a, m, k, lda, p.k, c, n, ldc);
    if (m === 0 || n === 0) return;
    this.call((st) => {
      const pa = this.input(a, (m - 1) * lda + k);
      // a strided C is copied in too, so the columns between the blocks survive the copy back
      const pc = this.output(st, c, (m - 1) * ldc + n, !!opts.accumulate || ldc > n);
      const kp = k + (k & 1);
      const a16 = this.stackAlloc(m * kp * 2 + 16);
      this.x.widen_i8(pa, lda, m, k, a16, kp);
      this.x.gemm_i8(a16, kp, m, p.ptr, n, pc, ldc, opts.accumulate ? 1 : 0);
    });
  }

  // ---- quantization -------------------------------------------------------------------------------

  quantize(x: Float32Array, out: Int8Array, n: number, q: QuantParams): void {
    if (q.bits > 8) throw invalidParameter('bits', 'at most 8 for integer codes', q.bits);
    const { inv, lo, hi } = quantConstants(q);
    this.unary(x, out, n, (px, po) => this.x.quantize(px, po, n, inv, lo, hi));
  }

  fakeQuant(x: Float32Array, out: Float32Array, n: number, q: QuantParams): void {
    const { inv, step, lo, hi } = quantConstants(q);
    this.unary(x, out, n, (px, po) => this.x.fake_quant(px, po, n, inv, step, lo, hi));
  }

  fixedPoint(x: Float32Array, out: Float32Array, n: number, fracBits: number): void {
    this.unary(x, out, n, (px, po) => this.x.fixed_point(px, po, n, 2 ** fracBits, 2 ** -fracBits));
  }

  // ---- element-wise -------------------------------------------------------------------------------

  private unary(x: AnyTyped, out: AnyTyped, n: number, run: (px: number, po: number) => void): void {
    checkLength('input', x, n);
    checkLength('output', out, n);
    if (n === 0) return;
    this.call((st) => {
      const px = this.input(x, n);
      const po = out === x && !this.resident(x) ? px : this.output(st, out, n, false);
      if (out === x && !this.resident(x)) st.outputs.push({ arr: out, ptr: px, len: n });
      run(px, po);
    });
  }

  sigmoid(x: Float32Array, out: Float32Array, n: number): void {
    this.unary(x, out, n, (px, po) => this.x.sigmoid(px, po, n));
  }
  tanh(x: Float32Array, out: Float32Array, n: number): void {
    this.unary(x, out, n, (px, po) => this.x.tanh(px, po, n));
  }
  relu(x: Float32Array, out: Float32Array, n: number): void {
    this.unary(x, out, n, (px, po) => this.x.relu(px, po, n));
  }
  softmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    this.unary(x, out, rows * cols, (px, po) => this.x.softmax_rows(px, po, rows, cols));
  }
  logSoftmaxRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
    this.unary(x, out, rows * cols, (px, po) => this.x.log_softmax_rows(px, po, rows, cols));
  }

  // ---- decoding -----------------------------------------------------------------------------------

  viterbiForward(logPost: Float32Array, T: number, P: number, bigram: Float64Array, initial: Float64Array, logPriors: Float64Array | null, acousticScale: number, insertionPenalty: number, back: Int32Array, entered: Uint8Array, last: Float64Array): void {
    checkLength('viterbiForward logPost', logPost, T * P);
    checkLength('viterbiForward bigram', bigram, P * P);
    if (T === 0) return;
    this.call((st) => {
      const lp = this.input(logPost, T * P);
      const bg = this.input(bigram, P * P);
      const init = this.input(initial, P);
      const pri = logPriors ? this.input(logPriors, P) : this.constant('zeros', 2 * P);
      const pb = this.output(st, back, T * P, false);
      const pe = this.output(st, entered, T * P, false);
      const scratch = this.stackAlloc(4 * 8 * P + 64);
      const fin = this.x.viterbi_forward(lp, T, P, bg, init, pri, acousticScale, insertionPenalty, pb, pe, scratch, scratch + 8 * P, scratch + 16 * P, scratch + 24 * P);
      last.set(new Float64Array(this.memory.buffer, fin, P));
    });
  }

  // ---- delta products (see ../delta.ts for the semantics; wasm/delta-wat.ts for the code) -----------

  packDeltaI8(w: Int8Array, k: number, n: number): PackedDelta {
    return this.packRows(w, k, n, 'i8');
  }

  packDeltaF32(w: Float32Array, k: number, n: number): PackedDelta {
    return this.packRows(w, k, n, 'f32');
  }

  private packRows(w: Int8Array | Float32Array, k: number, n: number, kind: 'i8' | 'f32'): PackedDelta {
    checkLength(`packDelta${kind === 'i8' ? 'I8' : 'F32'} W`, w, k * n);
    const bytes = k * n * w.BYTES_PER_ELEMENT;
    const ptr = this.heapAlloc(Math.max(bytes, 1));
    this.bytes.set(new Uint8Array(w.buffer, w.byteOffset, bytes), ptr);
    return this.registerPacked(new PackedRows(k, n, ptr, Math.max(bytes, 1), this, kind)) as PackedRows;
  }

  private ownRows(w: PackedDelta, kind: 'i8' | 'f32', op: string): PackedRows {
    if (!(w instanceof PackedRows) || w.owner !== this) throw new MohaqError('INTERNAL', `${op}: packed weights belong to another kernel backend`);
    if (w.disposed) throw new MohaqError('INTERNAL', `${op}: packed weights were disposed`);
    if (w.kind !== kind) throw new MohaqError('INTERNAL', `${op}: expected ${kind} delta weights but received ${w.kind}`);
    return w;
  }

  deltaProductI8(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array, acc: Int32Array, ldacc: number): void {
    this.deltaProduct('i8', w, rows, start, index, delta, acc, ldacc);
  }

  deltaProductF64(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Float64Array, acc: Float64Array, ldacc: number): void {
    this.deltaProduct('f32', w, rows, start, index, delta, acc, ldacc);
  }

  /** The int8 (i32 sums) or f32 (f64 sums) delta product: the same staging, its own WASM kernel. */
  private deltaProduct(kind: 'i8' | 'f32', w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array | Float64Array, acc: Int32Array | Float64Array, ldacc: number): void {
    const op = kind === 'i8' ? 'deltaProductI8' : 'deltaProductF64';
    const p = this.ownRows(w, kind, op);
    const entries = checkDeltaProduct(op, w, rows, start, index, delta, acc, ldacc);
    if (rows === 0 || w.n === 0) return;
    this.call((st) => {
      const ps = this.input(start, rows + 1);
      const pi = this.input(index, entries);
      const pd = this.input(delta, entries);
      const pa = this.output(st, acc, (rows - 1) * ldacc + w.n, true);
      this.x[kind === 'i8' ? 'delta_product_i8' : 'delta_product_f64']!(p.ptr, w.n, rows, ps, pi, pd, pa, ldacc);
    });
  }

  deltaStepI8(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array, slot: Int32Array, acc: Int32Array, out: DeltaOutput): void {
    this.deltaStep('i8', w, rows, start, index, delta, slot, acc, out);
  }

  deltaStepF64(w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Float64Array, slot: Int32Array, acc: Float64Array, out: DeltaOutput): void {
    this.deltaStep('f32', w, rows, start, index, delta, slot, acc, out);
  }

  private deltaStep(kind: 'i8' | 'f32', w: PackedDelta, rows: number, start: Int32Array, index: Int32Array, delta: Int32Array | Float64Array, slot: Int32Array, acc: Int32Array | Float64Array, out: DeltaOutput): void {
    const op = kind === 'i8' ? 'deltaStepI8' : 'deltaStepF64';
    const p = this.ownRows(w, kind, op);
    const { entries, slots, yRows } = checkDeltaStep(op, w, rows, start, index, delta, slot, acc, out);
    if (rows === 0 || w.n === 0) return;
    this.call((st) => {
      const ps = this.input(start, rows + 1);
      const pi = this.input(index, entries);
      const pd = this.input(delta, entries);
      const pslot = this.input(slot, rows);
      const pa = this.output(st, acc, slots * w.n, true);
      const pscale = this.input(out.scale, w.n);
      const pbias = out.bias ? this.input(out.bias, w.n) : 0;
      // a staged output is copied in too: the rows and columns the call does not write survive the copy back
      const py = this.output(st, out.y, (yRows - 1) * out.ldy + w.n, true);
      const pyrow = this.input(out.yRow, rows);
      this.x[kind === 'i8' ? 'delta_step_i8' : 'delta_step_f64'](p.ptr, w.n, rows, ps, pi, pd, pslot, pa, pscale, pbias, py, pyrow, out.ldy, out.accumulate ? 1 : 0);
    });
  }

  // ---- cells (see ../cells.ts for the semantics; wasm/cells-wat.ts for the code) --------------------

  private constants: { zeros: { ptr: number; bytes: number } | null; ones: { ptr: number; bytes: number } | null } = { zeros: null, ones: null };

  /** A persistent read-only buffer of n copies of 0 or 1 (stands in for an absent state or dropout mask). */
  private constant(kind: 'zeros' | 'ones', n: number): number {
    const have = this.constants[kind];
    const bytes = Math.max(n, 16) * 4;
    if (have && have.bytes >= bytes) return have.ptr;
    if (have) this.heapFree(have.ptr, have.bytes);
    const size = Math.max(bytes, (have?.bytes ?? 0) * 2);
    const ptr = this.heapAlloc(size);
    this.f32v.fill(kind === 'ones' ? 1 : 0, ptr >> 2, (ptr + size) >> 2);
    this.constants[kind] = { ptr, bytes: size };
    return ptr;
  }

  /** Pointer of an optional input: the array (staged if foreign) or a constant buffer. */
  private optional(arr: Float32Array | null, len: number, kind: 'zeros' | 'ones'): number {
    return arr ? this.input(arr, len) : this.constant(kind, len);
  }

  private fxArgs(fx: FixedPointSpec | null): number[] {
    if (!fx) return [];
    return [fx.sigmoid, fx.candidate, fx.state, fx.output].flatMap((f) => [2 ** f, 2 ** -f]);
  }

  private rows(ld: number, B: number, H: number): number {
    return B > 0 ? (B - 1) * ld + H : 0;
  }

  lstmStep(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 4 * H, true);
      const pcp = this.optional(cPrev, B * H, 'zeros');
      const pc = this.output(st, c, B * H, false);
      const ph = this.output(st, h, this.rows(ldh, B, H), ldh > H);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      this.x[fx ? 'lstm_step_fx' : 'lstm_step']!(pg, pcp, pc, ph, ldh, B, H, pl, t, pd, ...this.fxArgs(fx));
    });
  }

  lstmStepBackward(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, dh: Float32Array, lddh: number, dc: Float32Array, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 4 * H, true);
      const pcp = this.optional(cPrev, B * H, 'zeros');
      const pc = this.input(c, B * H);
      const pdh = this.input(dh, this.rows(lddh, B, H));
      const pdc = this.output(st, dc, B * H, true);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      this.x.lstm_step_backward!(pg, pcp, pc, pdh, lddh, pdc, B, H, pl, t, pd);
    });
  }

  gruGatesStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, rh: Float32Array, B: number, H: number, lengths: Int32Array, t: number, fx: FixedPointSpec | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 3 * H, true);
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const prh = this.output(st, rh, B * H, false);
      const pl = this.input(lengths, B);
      this.x[fx ? 'gru_gates_step_fx' : 'gru_gates_step']!(pg, php, hPrev ? ldhp : H, prh, B, H, pl, t, ...this.fxArgs(fx));
    });
  }

  gruStep(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 3 * H, true);
      const pgh = gh ? this.input(gh, B * 3 * H) : 0;
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const ph = this.output(st, h, this.rows(ldh, B, H), ldh > H);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      const name = `gru_step_${gh ? 'torch' : 'kaldi'}${fx ? '_fx' : ''}`;
      this.x[name]!(pg, pgh, php, hPrev ? ldhp : H, ph, ldh, B, H, pl, t, pd, ...this.fxArgs(fx));
    });
  }

  gruStepBackward(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 3 * H, true);
      const pgh = gh ? this.output(st, gh, B * 3 * H, true) : 0;
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const pdh = this.input(dh, this.rows(lddh, B, H));
      const pdp = dhPrev ? this.output(st, dhPrev, this.rows(lddhp, B, H), true) : this.stackAlloc(B * H * 4 + 16);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      this.x[`gru_step_backward_${gh ? 'torch' : 'kaldi'}`]!(pg, pgh, php, hPrev ? ldhp : H, pdh, lddh, pdp, dhPrev ? lddhp : H, B, H, pl, t, pd);
    });
  }

  gruResetBackward(g: Float32Array, drh: Float32Array, hPrev: Float32Array | null, ldhp: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 3 * H, true);
      const pdrh = this.input(drh, B * H);
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const pdp = dhPrev ? this.output(st, dhPrev, this.rows(lddhp, B, H), true) : this.stackAlloc(B * H * 4 + 16);
      const pl = this.input(lengths, B);
      this.x.gru_reset_backward!(pg, pdrh, php, hPrev ? ldhp : H, pdp, dhPrev ? lddhp : H, B, H, pl, t);
    });
  }

  ligruStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 2 * H, true);
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const ph = this.output(st, h, this.rows(ldh, B, H), ldh > H);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      this.x[fx ? 'ligru_step_fx' : 'ligru_step']!(pg, php, hPrev ? ldhp : H, ph, ldh, B, H, pl, t, pd, ...this.fxArgs(fx));
    });
  }

  ligruStepBackward(g: Float32Array, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
    this.call((st) => {
      const pg = this.output(st, g, B * 2 * H, true);
      const php = hPrev ? this.input(hPrev, this.rows(ldhp, B, H)) : this.constant('zeros', B * H);
      const pdh = this.input(dh, this.rows(lddh, B, H));
      const pdp = dhPrev ? this.output(st, dhPrev, this.rows(lddhp, B, H), true) : this.stackAlloc(B * H * 4 + 16);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      this.x.ligru_step_backward!(pg, php, hPrev ? ldhp : H, pdh, lddh, pdp, dhPrev ? lddhp : H, B, H, pl, t, pd);
    });
  }

  private sruMode(K: number, x: Float32Array | null): 'k4' | 'x' | 'none' {
    return K === 4 ? 'k4' : x ? 'x' : 'none';
  }

  sruForward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, bias: Float32Array, c: Float32Array, h: Float32Array, ldh: number, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, fx: FixedPointSpec | null): void {
    const n = T * B;
    this.call((st) => {
      const pu = this.output(st, u, this.rows(ldu, n, K * H), true);
      const mode = this.sruMode(K, x);
      const px = mode === 'x' ? this.input(x!, this.rows(ldx, n, H)) : 0;
      const pv = this.input(v, 2 * H);
      const pb = this.input(bias, 2 * H);
      const pc = this.output(st, c, n * H, false);
      const ph = this.output(st, h, this.rows(ldh, n, H), ldh > H);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      const pz = this.constant('zeros', H);
      this.x[`sru_forward_${mode}${fx ? '_fx' : ''}`]!(pu, ldu, px, ldx, alpha, pv, pb, pc, ph, ldh, T, B, H, pl, reverse ? 1 : 0, pd, pz, ...this.fxArgs(fx));
    });
  }

  sruBackward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, c: Float32Array, dh: Float32Array, lddh: number, dx: Float32Array | null, lddx: number, dv: Float32Array, dbias: Float32Array, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, dc: Float32Array): void {
    const n = T * B;
    this.call((st) => {
      const mode = this.sruMode(K, x);
      const pu = this.output(st, u, this.rows(ldu, n, K * H), true);
      const px = mode === 'x' ? this.input(x!, this.rows(ldx, n, H)) : 0;
      const pv = this.input(v, 2 * H);
      const pc = this.input(c, n * H);
      const pdh = this.input(dh, this.rows(lddh, n, H));
      const pdx = mode === 'x' && dx ? this.output(st, dx, this.rows(lddx, n, H), true) : this.stackAlloc(n * H * 4 + 16);
      const acc = this.stackAlloc(4 * H * 4 + 16);
      this.f32v.fill(0, acc >> 2, (acc >> 2) + 4 * H);
      const pdc = this.output(st, dc, B * H, false);
      this.f32v.fill(0, pdc >> 2, (pdc >> 2) + B * H);
      const pl = this.input(lengths, B);
      const pd = this.optional(drop, B * H, 'ones');
      const pz = this.constant('zeros', H);
      this.x[`sru_backward_${mode}`]!(pu, ldu, K, px, ldx, alpha, pv, pc, pdh, lddh, pdx, mode === 'x' && dx ? lddx : H, acc, T, B, H, pl, reverse ? 1 : 0, pd, pdc, pz);
      const a = this.f32v.subarray(acc >> 2, (acc >> 2) + 4 * H);
      for (let j = 0; j < 2 * H; j++) {
        dv[j]! += a[j]!;
        dbias[j]! += a[2 * H + j]!;
      }
    });
  }
}

function envMemoryMiB(): number {
  const v = process.env.MOHAQ_KERNEL_MEMORY_MIB;
  if (v === undefined || v === '') return DEFAULT_MEMORY_MIB;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 4 || n > 2047) throw invalidParameter('MOHAQ_KERNEL_MEMORY_MIB', 'an integer number of MiB in 4..2047', v);
  return n;
}

/** A WASM SIMD kernels instance with its own memory (`memoryMiB`, default MOHAQ_KERNEL_MEMORY_MIB or 2047). */
export function createWasmKernels(memoryMiB?: number): Kernels {
  return new WasmKernels(loadModule(), memoryMiB);
}
