/**
 * The reference backend: straightforward loops, written to be obviously right. Products accumulate in
 * float64 and round once, so the tests can use it as the oracle for the WASM backend. Quantizers use
 * the exact f32 arithmetic the WASM backend uses (see `quantConstants`), so codes agree bit for bit.
 */
import type { GemmOptions, Kernels, PackedF32, PackedI8, QuantParams } from './types.js';
import { invalidParameter } from '../util/errors.js';
import { refCells } from './cells.js';
import { refDelta } from './delta.js';

/** Round half to even (what WASM's f32x4.nearest does). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The f32 constants both backends use for a quantizer: codes = round(x * inv), value = code * step. */
export function quantConstants(q: QuantParams): { inv: number; step: number; lo: number; hi: number } {
  if (!Number.isInteger(q.bits) || q.bits < 2 || q.bits > 16) throw invalidParameter('bits', 'an integer in 2..16', q.bits);
  const hi = 2 ** (q.bits - 1) - 1;
  const lo = -(2 ** (q.bits - 1));
  if (!(q.clip > 0) || !Number.isFinite(q.clip)) return { inv: 0, step: 0, lo, hi };
  const inv = Math.fround(hi / q.clip);
  const step = Math.fround(1 / inv);
  return { inv, step, lo, hi };
}

/** 16-bit fixed point: clamp(round(x * scale), -32768, 32767) * inv, on the f32 product. */
function fixedRound(x: number, scale: number, inv: number): number {
  const v = roundHalfEven(Math.fround(x * scale));
  return (v < -32768 ? -32768 : v > 32767 ? 32767 : v) * inv;
}

class RefPackedF32 implements PackedF32 {
  constructor(
    readonly k: number,
    readonly n: number,
    readonly data: Float32Array,
  ) {}
  dispose(): void {}
}

class RefPackedI8 implements PackedI8 {
  constructor(
    readonly k: number,
    readonly n: number,
    readonly data: Int8Array,
  ) {}
  dispose(): void {}
}

export function createRefKernels(): Kernels {
  let depth = 0;
  const needScope = () => {
    if (depth === 0) throw new Error('kernel working arrays must be allocated inside kernels.scope()');
  };
  return {
    ...refCells,
    ...refDelta,
    name: 'ref',
    scope<T>(fn: () => T): T {
      depth++;
      try {
        return fn();
      } finally {
        depth--;
      }
    },
    f32: (n) => (needScope(), new Float32Array(n)),
    i32: (n) => (needScope(), new Int32Array(n)),
    i16: (n) => (needScope(), new Int16Array(n)),
    i8: (n) => (needScope(), new Int8Array(n)),

    packF32(b, k, n, transpose = false) {
      const data = new Float32Array(k * n);
      if (transpose) {
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) data[i * n + j] = b[j * k + i]!;
      } else {
        data.set(b.subarray(0, k * n));
      }
      return new RefPackedF32(k, n, data);
    },

    gemmF32(a, m, k, packed, c, opts: GemmOptions = {}) {
      const b = (packed as RefPackedF32).data;
      const n = packed.n;
      if (packed.k !== k) throw new Error(`gemmF32: A has ${k} columns but B has ${packed.k} rows`);
      const lda = opts.lda ?? k;
      const ldc = opts.ldc ?? n;
      const fixed = opts.fixedFrac === undefined ? null : { scale: 2 ** opts.fixedFrac, inv: 2 ** -opts.fixedFrac };
      const row = new Float64Array(n);
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = a[i * lda + p]!;
          if (av === 0) continue;
          const bo = p * n;
          for (let j = 0; j < n; j++) row[j]! += av * b[bo + j]!;
        }
        const co = i * ldc;
        for (let j = 0; j < n; j++) {
          let v = row[j]!;
          if (opts.bias) v += opts.bias[j]!;
          if (opts.accumulate) v += c[co + j]!;
          c[co + j] = fixed ? fixedRound(Math.fround(v), fixed.scale, fixed.inv) : v;
        }
      }
    },

    gemmAtB(a, m, k, b, n, c, accumulate = false) {
      const acc = new Float64Array(k * n);
      for (let r = 0; r < m; r++) {
        for (let i = 0; i < k; i++) {
          const av = a[r * k + i]!;
          if (av === 0) continue;
          const o = i * n;
          for (let j = 0; j < n; j++) acc[o + j]! += av * b[r * n + j]!;
        }
      }
      for (let i = 0; i < k * n; i++) c[i] = accumulate ? c[i]! + acc[i]! : acc[i]!;
    },

    packI8(b, k, n) {
      return new RefPackedI8(k, n, Int8Array.from(b.subarray(0, k * n)));
    },

    gemmI8(a, m, k, packed, c, opts = {}) {
      const b = (packed as RefPackedI8).data;
      const n = packed.n;
      if (packed.k !== k) throw new Error(`gemmI8: A has ${k} columns but B has ${packed.k} rows`);
      const lda = opts.lda ?? k;
      const ldc = opts.ldc ?? n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = opts.accumulate ? c[i * ldc + j]! : 0;
          for (let p = 0; p < k; p++) s += a[i * lda + p]! * b[p * n + j]!;
          c[i * ldc + j] = s;
        }
      }
    },

    quantize(x, out, n, q) {
      const { inv, lo, hi } = quantConstants(q);
      if (q.bits > 8) throw invalidParameter('bits', 'at most 8 for integer codes', q.bits);
      for (let i = 0; i < n; i++) {
        const v = roundHalfEven(Math.fround(x[i]! * inv));
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    },

    fakeQuant(x, out, n, q) {
      const { inv, step, lo, hi } = quantConstants(q);
      for (let i = 0; i < n; i++) {
        let v = roundHalfEven(Math.fround(x[i]! * inv));
        v = v < lo ? lo : v > hi ? hi : v;
        out[i] = Math.fround(v * step);
      }
    },

    fixedPoint(x, out, n, fracBits) {
      const s = 2 ** fracBits;
      const inv = 2 ** -fracBits;
      for (let i = 0; i < n; i++) out[i] = fixedRound(x[i]!, s, inv);
    },

    sigmoid(x, out, n) {
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]!));
    },
    tanh(x, out, n) {
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
    },
    relu(x, out, n) {
      for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? x[i]! : 0;
    },
    softmaxRows(x, out, rows, cols) {
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let max = -Infinity;
        for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]!);
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - max);
        for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j]! - max) / sum;
      }
    },
    viterbiForward(logPost, T, P, bigram, initial, logPriors, acw, pen, back, entered, last) {
      let prev = new Float64Array(P);
      let cur = new Float64Array(P);
      const best = new Float64Array(P);
      const arg = new Int32Array(P);
      const acoustic = (t: number, q: number) => acw * (logPost[t * P + q]! - (logPriors ? logPriors[q]! : 0));
      for (let q = 0; q < P; q++) {
        prev[q] = initial[q]! - pen + acoustic(0, q);
        back[q] = -1;
        entered[q] = 1;
      }
      for (let t = 1; t < T; t++) {
        // p-outer so the bigram is read row by row; ties keep the smallest p
        best.fill(-Infinity);
        arg.fill(0);
        for (let p = 0; p < P; p++) {
          const from = prev[p]!;
          if (from === -Infinity) continue;
          const o = p * P;
          for (let q = 0; q < P; q++) {
            const v = from + bigram[o + q]!;
            if (v > best[q]!) {
              best[q] = v;
              arg[q] = p;
            }
          }
        }
        const row = t * P;
        for (let q = 0; q < P; q++) {
          const a = acoustic(t, q);
          const enter = best[q]! - pen;
          const stay = prev[q]!;
          if (stay >= enter) {
            cur[q] = stay + a;
            back[row + q] = q;
            entered[row + q] = 0;
          } else {
            cur[q] = enter + a;
            back[row + q] = arg[q]!;
            entered[row + q] = 1;
          }
        }
        [prev, cur] = [cur, prev];
      }
      last.set(prev.subarray(0, P));
    },
    logSoftmaxRows(x, out, rows, cols) {
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let max = -Infinity;
        for (let j = 0; j < cols; j++) max = Math.max(max, x[o + j]!);
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - max);
        const lse = max + Math.log(sum);
        for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! - lse;
      }
    },
  };
}
