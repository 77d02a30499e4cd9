/**
 * mohaq's integer-only engine: one utterance through an `IntegerModel` with integer arithmetic only
 * (the reference of the C export, which computes the same integers in the same order of
 * definitions; README.md states the semantics). The input is the codes of the model's first operand
 * (`quantizeInput` makes them from features exactly as fake quantization does); the output is int16
 * logits in Q(logitFrac).
 *
 * Products are exact integer sums. Here they run on the kernels' `gemmI8` (WASM SIMD) over int8
 * pieces of the codes (16-bit codes c = 256 hi + lo + 128, both int8, as the quant hook's
 * integer-exact mode), combined exactly in doubles; the C export loops over the codes directly. Both
 * give the same integers.
 */
import { kernels } from '../kernels/backend.js';
import { roundHalfEven } from '../kernels/ref.js';
import type { Kernels, PackedI8 } from '../kernels/types.js';
import { invalidParameter } from '../util/errors.js';
import { ACT_IN_FRAC, ACT_OUT_FRAC, GATE_FRAC, align, clamp, roundShift, sat16, sigmoid30, tanh30 } from './fixed-point.js';
import type { IntGatedLayer, IntOperand, IntPart, IntProduct, IntSruLayer, IntegerModel } from './integer-model.js';

const ONE_Q14 = 2 ** GATE_FRAC;
const Q30_TO_Q14 = ACT_OUT_FRAC - GATE_FRAC;

/** The codes of the model's first operand for features x (T x dim), as fake quantization makes them. */
export function quantizeInput(im: IntegerModel, x: Float32Array, T: number): Int16Array {
  const D = im.input.dim;
  if (x.length < T * D) throw invalidParameter('features', `${T} x ${D} values`, x);
  const op = im.input.operand;
  const out = new Int16Array(T * D);
  for (let i = 0; i < T * D; i++) out[i] = clamp(roundHalfEven(Math.fround(x[i]! * op.inv)) + op.zero, op.lo, op.hi);
  return out;
}

/** Real logits of int16 logits in Q(logitFrac). */
export function dequantizeLogits(im: IntegerModel, logits: Int16Array): Float32Array {
  const s = 2 ** -im.logitFrac;
  return Float32Array.from(logits, (v) => v * s);
}

// ---- exact products --------------------------------------------------------------------------------

interface PackedPart {
  /** int8 pieces of the weights: W = sum mult * piece + offset. */
  pieces: Array<{ packed: PackedI8; mult: number }>;
  offset: number;
  /** Per column: sum over rows of W. */
  colsum: Float64Array;
}

const packedCache = new WeakMap<Kernels, WeakMap<IntPart, PackedPart>>();
const disposer = new FinalizationRegistry<PackedI8[]>((list) => list.forEach((p) => p.dispose()));

function packedPart(k: Kernels, part: IntPart): PackedPart {
  let byPart = packedCache.get(k);
  if (!byPart) packedCache.set(k, (byPart = new WeakMap()));
  const hit = byPart.get(part);
  if (hit) return hit;
  const { k: K, n, codes } = part;
  const colsum = new Float64Array(n);
  for (let i = 0; i < codes.length; i++) colsum[i % n]! += codes[i]!;
  let entry: PackedPart;
  if (part.weightBits <= 8) {
    entry = { pieces: [{ packed: k.packI8(Int8Array.from(codes), K, n), mult: 1 }], offset: 0, colsum };
  } else {
    const hi = new Int8Array(codes.length);
    const lo = new Int8Array(codes.length);
    for (let i = 0; i < codes.length; i++) {
      hi[i] = codes[i]! >> 8;
      lo[i] = (codes[i]! & 255) - 128;
    }
    entry = { pieces: [{ packed: k.packI8(hi, K, n), mult: 256 }, { packed: k.packI8(lo, K, n), mult: 1 }], offset: 128, colsum };
  }
  disposer.register(part, entry.pieces.map((p) => p.packed));
  byPart.set(part, entry);
  return entry;
}

/**
 * acc (rows x n) = x (rows x K, operand codes minus zero point) . W: exact integers. x in [-32768,
 * 32767]; codes outside int8 are split as c = 256 hi + lo + 128.
 */
function exactProduct(k: Kernels, part: IntPart, x: Int16Array, rows: number, acc: Float64Array): void {
  const K = part.k;
  const n = part.n;
  const W = packedPart(k, part);
  let wide = false;
  for (let i = 0; i < rows * K; i++) {
    if (x[i]! < -128 || x[i]! > 127) {
      wide = true;
      break;
    }
  }
  acc.fill(0, 0, rows * n);
  k.scope(() => {
    const tmp = k.i32(rows * n);
    const pieces: Array<{ codes: Int8Array; mult: number }> = [];
    if (!wide) {
      const c = k.i8(rows * K);
      for (let i = 0; i < rows * K; i++) c[i] = x[i]!;
      pieces.push({ codes: c, mult: 1 });
    } else {
      const hi = k.i8(rows * K);
      const lo = k.i8(rows * K);
      for (let i = 0; i < rows * K; i++) {
        hi[i] = x[i]! >> 8;
        lo[i] = (x[i]! & 255) - 128;
      }
      pieces.push({ codes: hi, mult: 256 }, { codes: lo, mult: 1 });
    }
    for (const p of pieces) {
      for (const q of W.pieces) {
        k.gemmI8(p.codes, rows, K, q.packed, tmp);
        const m = p.mult * q.mult;
        for (let i = 0; i < rows * n; i++) acc[i]! += m * tmp[i]!;
      }
    }
  });
  // (X' + ox)(W' + ow) = X'W' + ow rowsum(X) + ox colsum(W) - K ox ow, with X', W' the piece sums
  const ox = wide ? 128 : 0;
  const ow = W.offset;
  if (ox === 0 && ow === 0) return;
  for (let r = 0; r < rows; r++) {
    let rowsum = 0;
    if (ow !== 0) for (let i = 0; i < K; i++) rowsum += x[r * K + i]!;
    for (let j = 0; j < n; j++) acc[r * n + j]! += ow * rowsum + ox * W.colsum[j]! - K * ox * ow;
  }
}

/** Operand codes (minus zero point) of `rows` source rows: src row r starts at r * ld + off; `input`: src holds the model's input codes. */
function operandCodes(op: IntOperand, src: ArrayLike<number>, rows: number, K: number, ld: number, off: number, out: Int16Array): void {
  const r = op.rescale;
  for (let t = 0; t < rows; t++) {
    const so = t * ld + off;
    const oo = t * K;
    if (!r) {
      for (let i = 0; i < K; i++) out[oo + i] = src[so + i]! - op.zero;
      continue;
    }
    for (let i = 0; i < K; i++) out[oo + i] = clamp(roundShift(src[so + i]! * r.mult[i]!, r.shift[i]!) + op.zero, op.lo, op.hi) - op.zero;
  }
}

/** A product over `rows` source rows into acc (rows x p.n): every part with its own operand codes. */
function productAcc(k: Kernels, p: IntProduct, src: ArrayLike<number>, rows: number, ld: number, off: number, acc: Float64Array): void {
  if (p.parts.length === 1) {
    const part = p.parts[0]!;
    const x = new Int16Array(rows * part.k);
    operandCodes(part.operand, src, rows, part.k, ld, off, x);
    exactProduct(k, part, x, rows, acc);
    return;
  }
  const tmp = new Float64Array(rows * p.n);
  for (const part of p.parts) {
    const x = new Int16Array(rows * part.k);
    operandCodes(part.operand, src, rows, part.k, ld, off, x);
    exactProduct(k, part, x, rows, tmp);
    for (let r = 0; r < rows; r++) for (let j = 0; j < part.n; j++) acc[r * p.n + part.start + j] = tmp[r * part.n + j]!;
  }
}

/** y_j = sat16(roundShift(acc_j mult_j + g_j gmult_j + bias_j, shift_j)) for one row. */
function requantRow(p: IntProduct, acc: Float64Array, ao: number, g: Int16Array | null, go: number, y: Int16Array, yo: number): void {
  const { mult, gmult, bias, shift } = p;
  for (let j = 0; j < p.n; j++) {
    let v = acc[ao + j]! * mult[j]! + bias[j]!;
    if (g && gmult) v += g[go + j]! * gmult[j]!;
    y[yo + j] = sat16(roundShift(v, shift[j]!));
  }
}

/** A sequence product of T rows, requantized: y (T x p.n) int16. */
function sequenceProduct(k: Kernels, p: IntProduct, src: ArrayLike<number>, T: number, ld: number): Int16Array {
  const acc = new Float64Array(T * p.n);
  productAcc(k, p, src, T, ld, 0, acc);
  const y = new Int16Array(T * p.n);
  for (let t = 0; t < T; t++) requantRow(p, acc, t * p.n, null, 0, y, t * p.n);
  return y;
}

// ---- layers ----------------------------------------------------------------------------------------

const q14 = (v30: number) => roundShift(v30, Q30_TO_Q14);

function sruLayer(k: Kernels, im: IntegerModel, l: IntSruLayer, x: Int16Array, T: number, out: Int16Array): void {
  const H = l.hidden;
  const K = l.blocks;
  const table = im.sigmoid;
  let operand: Int16Array = x;
  let ld = l.inputSize;
  if (l.proj) {
    operand = sequenceProduct(k, l.proj, x, T, ld);
    ld = l.proj.n;
  }
  const u = sequenceProduct(k, l.gates, operand, T, ld);
  const cols = l.gates.n;
  const fW = l.gates.frac;
  const inputZero = l.index === 0 ? im.input.operand.zero : 0;
  const c = new Int32Array(H);
  for (let d = 0; d < l.directions; d++) {
    const dir = l.dirs[d]!;
    const { stateFrac: fs, outFrac: fo, gateSumFrac: Fg, stateSumFrac: Fc, outSumFrac: Fh } = dir;
    const v = l.v.subarray(d * 2 * H, (d + 1) * 2 * H);
    const b = l.b.subarray(d * 2 * H, (d + 1) * 2 * H);
    const skipFrac = K === 4 ? fW : l.skip ? l.skip.frac : 0;
    c.fill(0);
    for (let s = 0; s < T; s++) {
      const t = d === 1 ? T - 1 - s : s;
      const uo = t * cols + d * K * H;
      for (let j = 0; j < H; j++) {
        const cp = c[j]!;
        const zf = align(u[uo + H + j]!, fW, Fg) + align(v[j]! * cp, l.vFrac + fs, Fg) + align(b[j]!, l.bFrac, Fg);
        const zr = align(u[uo + 2 * H + j]!, fW, Fg) + align(v[H + j]! * cp, l.vFrac + fs, Fg) + align(b[H + j]!, l.bFrac, Fg);
        const f = q14(sigmoid30(table, align(zf, Fg, ACT_IN_FRAC)));
        const r = q14(sigmoid30(table, align(zr, Fg, ACT_IN_FRAC)));
        const cv = sat16(align(align(f * cp, GATE_FRAC + fs, Fc) + align((ONE_Q14 - f) * u[uo + j]!, GATE_FRAC + fW, Fc), Fc, fs));
        let h: number;
        if (K === 4 || l.skip) {
          let xp: number;
          if (K === 4) xp = u[uo + 3 * H + j]!;
          else {
            const i = d * H + j;
            xp = roundShift((x[t * l.inputSize + i]! - inputZero) * l.skip!.mult[i]!, l.skip!.shift[i]!);
          }
          h = sat16(align(align(r * cv, GATE_FRAC + fs, Fh) + align((ONE_Q14 - r) * xp, GATE_FRAC + skipFrac, Fh), Fh, fo));
        } else {
          h = sat16(align(r * cv, GATE_FRAC + fs, fo));
        }
        c[j] = cv;
        out[t * l.outputSize + d * H + j] = h;
      }
    }
  }
}

function gatedLayer(k: Kernels, im: IntegerModel, l: IntGatedLayer, x: Int16Array, T: number, out: Int16Array): void {
  const H = l.hidden;
  const table = im.sigmoid;
  const ldo = l.outputSize;
  const hPrev = new Int32Array(H);
  const c = new Int32Array(H);
  for (let d = 0; d < l.directions; d++) {
    const dir = l.dirs[d]!;
    const G = dir.input.n;
    const gin = sequenceProduct(k, dir.input, x, T, l.inputSize);
    const fo = dir.outFrac;
    const rec = dir.recurrent;
    const pre = new Int16Array(G);
    const accs = rec.map((p) => new Float64Array(p.n));
    const rh = new Int32Array(H);
    hPrev.fill(0);
    c.fill(0);
    for (let s = 0; s < T; s++) {
      const t = d === 1 ? T - 1 - s : s;
      const go = t * G;
      const ho = t * ldo + d * H;
      if (l.type === 'gru' && l.convention === 'torch') {
        const U = rec[0]!;
        productAcc(k, U, hPrev, 1, H, 0, accs[0]!);
        requantRow(U, accs[0]!, 0, null, 0, pre, 0);
        const aff = dir.inputAffine!;
        const Fp = dir.preSumFrac;
        const fU = U.frac;
        for (let j = 0; j < H; j++) {
          const zr = gin[go + j]! * aff.mult[j]! + aff.bias[j]! + align(pre[j]!, fU, Fp);
          const zz = gin[go + H + j]! * aff.mult[H + j]! + aff.bias[H + j]! + align(pre[H + j]!, fU, Fp);
          const r = q14(sigmoid30(table, align(zr, Fp, ACT_IN_FRAC)));
          const z = q14(sigmoid30(table, align(zz, Fp, ACT_IN_FRAC)));
          const zn = gin[go + 2 * H + j]! * aff.mult[2 * H + j]! + aff.bias[2 * H + j]! + align(r * pre[2 * H + j]!, GATE_FRAC + fU, Fp);
          const n = q14(tanh30(table, align(zn, Fp, ACT_IN_FRAC)));
          out[ho + j] = mixOutput(z, hPrev[j]!, n, fo, GATE_FRAC, dir.outSumFrac);
        }
      } else if (l.type === 'gru') {
        const [Urz, Un] = rec as [IntProduct, IntProduct];
        productAcc(k, Urz, hPrev, 1, H, 0, accs[0]!);
        requantRow(Urz, accs[0]!, 0, gin, go + Urz.colStart, pre, Urz.colStart);
        const f = Urz.frac;
        const z = new Int32Array(H);
        for (let j = 0; j < H; j++) {
          const r = q14(sigmoid30(table, align(pre[j]!, f, ACT_IN_FRAC)));
          z[j] = q14(sigmoid30(table, align(pre[H + j]!, f, ACT_IN_FRAC)));
          rh[j] = r * hPrev[j]!;
        }
        productAcc(k, Un, rh, 1, H, 0, accs[1]!);
        requantRow(Un, accs[1]!, 0, gin, go + Un.colStart, pre, Un.colStart);
        for (let j = 0; j < H; j++) {
          const n = q14(tanh30(table, align(pre[2 * H + j]!, Un.frac, ACT_IN_FRAC)));
          out[ho + j] = mixOutput(z[j]!, hPrev[j]!, n, fo, GATE_FRAC, dir.outSumFrac);
        }
      } else {
        const U = rec[0]!;
        productAcc(k, U, hPrev, 1, H, 0, accs[0]!);
        requantRow(U, accs[0]!, 0, gin, go, pre, 0);
        const f = U.frac;
        if (l.type === 'lstm') {
          const fs = dir.stateFrac;
          for (let j = 0; j < H; j++) {
            const ig = q14(sigmoid30(table, align(pre[j]!, f, ACT_IN_FRAC)));
            const fg = q14(sigmoid30(table, align(pre[H + j]!, f, ACT_IN_FRAC)));
            const gg = q14(tanh30(table, align(pre[2 * H + j]!, f, ACT_IN_FRAC)));
            const og = q14(sigmoid30(table, align(pre[3 * H + j]!, f, ACT_IN_FRAC)));
            const Fc = dir.stateSumFrac;
            const cv = sat16(align(align(fg * c[j]!, GATE_FRAC + fs, Fc) + align(ig * gg, 2 * GATE_FRAC, Fc), Fc, fs));
            c[j] = cv;
            out[ho + j] = sat16(align(og * tanh30(table, align(cv, fs, ACT_IN_FRAC)), GATE_FRAC + ACT_OUT_FRAC, fo));
          }
        } else {
          for (let j = 0; j < H; j++) {
            const z = q14(sigmoid30(table, align(pre[j]!, f, ACT_IN_FRAC)));
            const a = pre[H + j]!;
            const n = sat16(align(a > 0 ? a : 0, f, dir.candFrac));
            out[ho + j] = mixOutput(z, hPrev[j]!, n, fo, dir.candFrac, dir.outSumFrac);
          }
        }
      }
      for (let j = 0; j < H; j++) hPrev[j] = out[ho + j]!;
    }
  }
}

/** h = z h' + (1 - z) n: z in Q14, h' in Q(fo), n in Q(fn), summed in Q(F), rounded to Q(fo). */
function mixOutput(z: number, hp: number, n: number, fo: number, fn: number, F: number): number {
  return sat16(align(align(z * hp, GATE_FRAC + fo, F) + align((ONE_Q14 - z) * n, GATE_FRAC + fn, F), F, fo));
}

/**
 * Logits (T x output, int16 in Q(im.logitFrac)) of one utterance given as the codes of the model's
 * first operand (T x dim, see `quantizeInput`).
 */
export function runIntegerModel(im: IntegerModel, input: Int16Array, T: number, opts: { kernels?: Kernels; onLayer?: (index: number, output: Int16Array) => void } = {}): Int16Array {
  const k = opts.kernels ?? kernels();
  const D = im.input.dim;
  if (!Number.isInteger(T) || T < 0) throw invalidParameter('T', 'a number of frames >= 0', T);
  if (input.length < T * D) throw invalidParameter('input codes', `${T} x ${D} values`, input);
  const op = im.input.operand;
  for (let i = 0; i < T * D; i++) {
    const v = input[i]!;
    if (v < op.lo || v > op.hi) throw invalidParameter(`input code ${i} (frame ${Math.floor(i / D)})`, `a ${op.bits}-bit code in ${op.lo}..${op.hi}`, v);
  }
  let x: Int16Array = input;
  for (const l of im.layers) {
    const out = new Int16Array(T * l.outputSize);
    if (l.type === 'sru') sruLayer(k, im, l, x, T, out);
    else gatedLayer(k, im, l, x, T, out);
    opts.onLayer?.(l.index, out);
    x = out;
  }
  return sequenceProduct(k, im.fc, x, T, im.fc.k);
}
