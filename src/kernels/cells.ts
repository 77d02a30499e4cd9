/**
 * Element-wise recurrence kernels of the four cells (fused gate updates, forward and backward). They
 * belong to the kernel interface so the WASM backend can replace the reference loops; the reference
 * versions below are the oracle.
 *
 * Conventions shared by every kernel here
 * - Arrays are row-major views that start at the first element the kernel touches (callers pass
 *   `buf.subarray(offset)`); `ld*` arguments are row strides in elements. Rows are utterances b of a
 *   batch (B rows, one time step) or time-major frames t*B + b (T*B rows, whole sequence).
 * - Gate blocks are contiguous column blocks of H units: LSTM i,f,g,o; GRU r,z,n; LiGRU z,n; SRU
 *   x~,f,r(,x'). A gate buffer `g` holds the pre-activations (the products, plus bias or BatchNorm) on
 *   entry and the activated gates on return; backward kernels turn it into pre-activation gradients.
 * - Padding: row b at time t is padding when t >= lengths[b]. A padded step keeps the state (c, and
 *   the hidden state of GRU/LiGRU through the caller's zero output), writes a zero output and zero
 *   gates, and its backward writes zero gradients and passes the cell-state gradient through. Because
 *   padding is at the end of an utterance, the backward direction of a bidirectional layer starts at
 *   each utterance's own last frame with a zero state.
 * - A null previous state means zeros (the first step in processing order).
 * - `drop`: a (B x H) dropout mask (0 or 1/(1-p)), constant over time, applied where the reference
 *   implementations apply it: the LSTM candidate (`c = f c + i g m`), the GRU/LiGRU candidate
 *   (`h = z h + (1-z) n m`), and the SRU gated term (`h = x' + (c - x') m r`). Null in inference.
 * - `fx`: 16-bit fixed-point rounding of the recurrence (a quantization hook decides the formats), or
 *   null for plain floats. Backward kernels treat the rounding as identity (straight-through).
 * - No allocation per call apart from small per-call accumulators; nothing per step.
 */

/**
 * Fraction bits of the 16-bit fixed-point words the element-wise recurrence is rounded to:
 * v -> clamp(roundHalfEven(v * 2^f), -32768, 32767) / 2^f.
 */
export interface FixedPointSpec {
  /** Sigmoid gate values (LSTM i,f,o; GRU r,z; LiGRU z; SRU f,r). */
  sigmoid: number;
  /** Candidate values (LSTM g = tanh; GRU n = tanh; LiGRU n = ReLU). */
  candidate: number;
  /** Cell state c (LSTM, SRU). */
  state: number;
  /** Hidden output h (every cell; it is also the recurrent state of GRU/LiGRU). */
  output: number;
}

export interface CellKernels {
  /**
   * One LSTM step. g: (B x 4H) pre-activations [i f g o] -> activations; cPrev: (B x H) or null;
   * c: (B x H) new cell state; h: (B rows, stride ldh) new output.
   * c = f*cPrev + i*g*drop, h = o*tanh(c).
   */
  lstmStep(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void;
  /**
   * Backward of one LSTM step. g: (B x 4H) activations from the forward -> gradients of the
   * pre-activations; cPrev, c as in the forward; dh: (B rows, stride lddh) gradient of h_t (output
   * gradient plus the recurrent part); dc: (B x H) gradient of c_t on entry, of c_{t-1} on return.
   */
  lstmStepBackward(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, dh: Float32Array, lddh: number, dc: Float32Array, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void;

  /**
   * GRU (pytorch-kaldi convention, `U_n (r*h)`) first half of a step: g: (B x 3H) with the r,z blocks
   * holding their full pre-activations -> r,z activated (the n block is untouched); rh: (B x H) gets
   * r*hPrev, the operand of the candidate's recurrent product. hPrev: (B rows, stride ldhp) or null.
   */
  gruGatesStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, rh: Float32Array, B: number, H: number, lengths: Int32Array, t: number, fx: FixedPointSpec | null): void;
  /**
   * GRU step output. Two conventions:
   * - gh null (pytorch-kaldi): g's r,z blocks are already activated (gruGatesStep) and the n block is
   *   the full pre-activation W_n x + U_n (r*h) (+ b); n = tanh(g_n).
   * - gh (B x 3H) = U h + b_h (PyTorch/ONNX linear_before_reset): r = sigmoid(g_r + gh_r),
   *   z = sigmoid(g_z + gh_z), n = tanh(g_n + r*gh_n); gh is kept for the backward.
   * Then h = z*hPrev + (1-z)*n*drop, written to h (B rows, stride ldh); g gets r, z, n.
   */
  gruStep(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void;
  /**
   * Backward of gruStep. g: activations r,z,n -> gradients of the pre-activations of z and n (and of
   * r for the PyTorch convention; the pytorch-kaldi r gradient needs the candidate's product first and
   * comes from gruResetBackward). gh (PyTorch convention): U h + b_h from the forward -> gradient of
   * that product's output [dr dz dn*r]. dhPrev (B rows, stride lddhp; may be null) += dh*z, the
   * direct part of the previous state's gradient.
   */
  gruStepBackward(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void;
  /**
   * pytorch-kaldi GRU: gradient through rh = r*hPrev. drh: (B x H) gradient of rh (dn_pre . U_n^T);
   * g's r block: activation r -> gradient of r's pre-activation; dhPrev (may be null) += drh*r.
   */
  gruResetBackward(g: Float32Array, drh: Float32Array, hPrev: Float32Array | null, ldhp: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number): void;

  /**
   * One LiGRU step. g: (B x 2H) pre-activations [z n] -> activations; z = sigmoid, n = ReLU;
   * h = z*hPrev + (1-z)*n*drop.
   */
  ligruStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void;
  /** Backward of ligruStep: g -> pre-activation gradients; dhPrev (may be null) += dh*z. */
  ligruStepBackward(g: Float32Array, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void;

  /**
   * The SRU recurrence of one direction over the whole sequence (sru v2 semantics).
   * u: (T*B rows, stride ldu), K column blocks of H for this direction: x~, f~, r~ and, when K = 4,
   * x' (the skip term's projection). On return the f, r blocks hold the activated gates.
   * x: when K = 3 and the layer has a skip term, the layer input columns of this direction (T*B rows,
   * stride ldx), scaled by alpha; null otherwise (no skip term, or K = 4).
   * v, bias: (2H) [v_f v_r] and [b_f b_r] of this direction. c: (T*B x H) cell states out.
   * h: (T*B rows, stride ldh) outputs. reverse: process t = T-1 .. 0 (the backward direction).
   *   f = sigmoid(f~ + v_f c' + b_f), r = sigmoid(r~ + v_r c' + b_r),
   *   c = f c' + (1 - f) x~,  h = x' + (c - x') drop r  (h = c drop r without a skip term).
   */
  sruForward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, bias: Float32Array, c: Float32Array, h: Float32Array, ldh: number, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, fx: FixedPointSpec | null): void;
  /**
   * Backward of sruForward. u (as left by the forward) -> gradients of its K blocks (x~, f~, r~, x');
   * dh: (T*B rows, stride lddh) output gradients; dx (K = 3 with skip term only; stride lddx) +=
   * alpha * gradient of the skip term; dv, dbias: (2H) accumulated; dc: (B x H) scratch.
   */
  sruBackward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, c: Float32Array, dh: Float32Array, lddh: number, dx: Float32Array | null, lddx: number, dv: Float32Array, dbias: Float32Array, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, dc: Float32Array): void;
}

// ---- helpers ------------------------------------------------------------------------------------------

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** 16-bit fixed point with scale 2^f (inv = 2^-f), rounding half to even on the f32 product. */
function fixed(v: number, scale: number, inv: number): number {
  const p = Math.fround(Math.fround(v) * scale);
  let r = Math.round(p);
  if (r - p === 0.5 && r % 2 !== 0) r -= 1;
  return (r < -32768 ? -32768 : r > 32767 ? 32767 : r) * inv;
}

interface Scales {
  sig: number;
  sigInv: number;
  cand: number;
  candInv: number;
  state: number;
  stateInv: number;
  out: number;
  outInv: number;
}

function scales(fx: FixedPointSpec): Scales {
  return {
    sig: 2 ** fx.sigmoid,
    sigInv: 2 ** -fx.sigmoid,
    cand: 2 ** fx.candidate,
    candInv: 2 ** -fx.candidate,
    state: 2 ** fx.state,
    stateInv: 2 ** -fx.state,
    out: 2 ** fx.output,
    outInv: 2 ** -fx.output,
  };
}

// ---- LSTM ---------------------------------------------------------------------------------------------

function lstmStep(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
  const G = 4 * H;
  const q = fx ? scales(fx) : null;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const co = b * H;
    const ho = b * ldh;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      for (let j = 0; j < H; j++) {
        c[co + j] = cPrev ? cPrev[co + j]! : 0;
        h[ho + j] = 0;
      }
      continue;
    }
    for (let j = 0; j < H; j++) {
      let i = sigmoid(g[go + j]!);
      let f = sigmoid(g[go + H + j]!);
      let gg = Math.tanh(g[go + 2 * H + j]!);
      let o = sigmoid(g[go + 3 * H + j]!);
      if (q) {
        i = fixed(i, q.sig, q.sigInv);
        f = fixed(f, q.sig, q.sigInv);
        gg = fixed(gg, q.cand, q.candInv);
        o = fixed(o, q.sig, q.sigInv);
      }
      const cp = cPrev ? cPrev[co + j]! : 0;
      const m = drop ? drop[co + j]! : 1;
      let cv = f * cp + i * gg * m;
      if (q) cv = fixed(cv, q.state, q.stateInv);
      let hv = o * Math.tanh(cv);
      if (q) hv = fixed(hv, q.out, q.outInv);
      g[go + j] = i;
      g[go + H + j] = f;
      g[go + 2 * H + j] = gg;
      g[go + 3 * H + j] = o;
      c[co + j] = cv;
      h[ho + j] = hv;
    }
  }
}

function lstmStepBackward(g: Float32Array, cPrev: Float32Array | null, c: Float32Array, dh: Float32Array, lddh: number, dc: Float32Array, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const co = b * H;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      continue;
    }
    const dho = b * lddh;
    for (let j = 0; j < H; j++) {
      const i = g[go + j]!;
      const f = g[go + H + j]!;
      const gg = g[go + 2 * H + j]!;
      const o = g[go + 3 * H + j]!;
      const tc = Math.tanh(c[co + j]!);
      const cp = cPrev ? cPrev[co + j]! : 0;
      const m = drop ? drop[co + j]! : 1;
      const dhv = dh[dho + j]!;
      const dcv = dc[co + j]! + dhv * o * (1 - tc * tc);
      dc[co + j] = dcv * f;
      g[go + j] = dcv * gg * m * i * (1 - i);
      g[go + H + j] = dcv * cp * f * (1 - f);
      g[go + 2 * H + j] = dcv * i * m * (1 - gg * gg);
      g[go + 3 * H + j] = dhv * tc * o * (1 - o);
    }
  }
}

// ---- GRU ----------------------------------------------------------------------------------------------

function gruGatesStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, rh: Float32Array, B: number, H: number, lengths: Int32Array, t: number, fx: FixedPointSpec | null): void {
  const G = 3 * H;
  const q = fx ? scales(fx) : null;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const ro = b * H;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + 2 * H);
      rh.fill(0, ro, ro + H);
      continue;
    }
    const hpo = b * ldhp;
    for (let j = 0; j < H; j++) {
      let r = sigmoid(g[go + j]!);
      let z = sigmoid(g[go + H + j]!);
      if (q) {
        r = fixed(r, q.sig, q.sigInv);
        z = fixed(z, q.sig, q.sigInv);
      }
      g[go + j] = r;
      g[go + H + j] = z;
      rh[ro + j] = hPrev ? r * hPrev[hpo + j]! : 0;
    }
  }
}

function gruStep(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
  const G = 3 * H;
  const q = fx ? scales(fx) : null;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const ho = b * ldh;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      h.fill(0, ho, ho + H);
      continue;
    }
    const hpo = b * ldhp;
    for (let j = 0; j < H; j++) {
      let r: number;
      let z: number;
      let n: number;
      if (gh) {
        r = sigmoid(g[go + j]! + gh[go + j]!);
        z = sigmoid(g[go + H + j]! + gh[go + H + j]!);
        if (q) {
          r = fixed(r, q.sig, q.sigInv);
          z = fixed(z, q.sig, q.sigInv);
        }
        n = Math.tanh(g[go + 2 * H + j]! + r * gh[go + 2 * H + j]!);
      } else {
        r = g[go + j]!;
        z = g[go + H + j]!;
        n = Math.tanh(g[go + 2 * H + j]!);
      }
      if (q) n = fixed(n, q.cand, q.candInv);
      const hp = hPrev ? hPrev[hpo + j]! : 0;
      const m = drop ? drop[b * H + j]! : 1;
      let hv = z * hp + (1 - z) * n * m;
      if (q) hv = fixed(hv, q.out, q.outInv);
      g[go + j] = r;
      g[go + H + j] = z;
      g[go + 2 * H + j] = n;
      h[ho + j] = hv;
    }
  }
}

function gruStepBackward(g: Float32Array, gh: Float32Array | null, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      if (gh) gh.fill(0, go, go + G);
      continue;
    }
    const hpo = b * ldhp;
    const dho = b * lddh;
    const dpo = b * lddhp;
    for (let j = 0; j < H; j++) {
      const r = g[go + j]!;
      const z = g[go + H + j]!;
      const n = g[go + 2 * H + j]!;
      const hp = hPrev ? hPrev[hpo + j]! : 0;
      const m = drop ? drop[b * H + j]! : 1;
      const dhv = dh[dho + j]!;
      const daz = dhv * (hp - n * m) * z * (1 - z);
      const dan = dhv * (1 - z) * m * (1 - n * n);
      if (dhPrev) dhPrev[dpo + j]! += dhv * z;
      g[go + H + j] = daz;
      g[go + 2 * H + j] = dan;
      if (gh) {
        const dar = dan * gh[go + 2 * H + j]! * r * (1 - r);
        g[go + j] = dar;
        gh[go + j] = dar;
        gh[go + H + j] = daz;
        gh[go + 2 * H + j] = dan * r;
      }
    }
  }
}

function gruResetBackward(g: Float32Array, drh: Float32Array, hPrev: Float32Array | null, ldhp: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + H);
      continue;
    }
    const hpo = b * ldhp;
    const dpo = b * lddhp;
    for (let j = 0; j < H; j++) {
      const r = g[go + j]!;
      const d = drh[b * H + j]!;
      const hp = hPrev ? hPrev[hpo + j]! : 0;
      g[go + j] = d * hp * r * (1 - r);
      if (dhPrev) dhPrev[dpo + j]! += d * r;
    }
  }
}

// ---- LiGRU --------------------------------------------------------------------------------------------

function ligruStep(g: Float32Array, hPrev: Float32Array | null, ldhp: number, h: Float32Array, ldh: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null, fx: FixedPointSpec | null): void {
  const G = 2 * H;
  const q = fx ? scales(fx) : null;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const ho = b * ldh;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      h.fill(0, ho, ho + H);
      continue;
    }
    const hpo = b * ldhp;
    for (let j = 0; j < H; j++) {
      let z = sigmoid(g[go + j]!);
      const a = g[go + H + j]!;
      let n = a > 0 ? a : 0;
      if (q) {
        z = fixed(z, q.sig, q.sigInv);
        n = fixed(n, q.cand, q.candInv);
      }
      const hp = hPrev ? hPrev[hpo + j]! : 0;
      const m = drop ? drop[b * H + j]! : 1;
      let hv = z * hp + (1 - z) * n * m;
      if (q) hv = fixed(hv, q.out, q.outInv);
      g[go + j] = z;
      g[go + H + j] = n;
      h[ho + j] = hv;
    }
  }
}

function ligruStepBackward(g: Float32Array, hPrev: Float32Array | null, ldhp: number, dh: Float32Array, lddh: number, dhPrev: Float32Array | null, lddhp: number, B: number, H: number, lengths: Int32Array, t: number, drop: Float32Array | null): void {
  const G = 2 * H;
  for (let b = 0; b < B; b++) {
    const go = b * G;
    if (t >= lengths[b]!) {
      g.fill(0, go, go + G);
      continue;
    }
    const hpo = b * ldhp;
    const dho = b * lddh;
    const dpo = b * lddhp;
    for (let j = 0; j < H; j++) {
      const z = g[go + j]!;
      const n = g[go + H + j]!;
      const hp = hPrev ? hPrev[hpo + j]! : 0;
      const m = drop ? drop[b * H + j]! : 1;
      const dhv = dh[dho + j]!;
      if (dhPrev) dhPrev[dpo + j]! += dhv * z;
      g[go + j] = dhv * (hp - n * m) * z * (1 - z);
      g[go + H + j] = n > 0 ? dhv * (1 - z) * m : 0;
    }
  }
}

// ---- SRU ----------------------------------------------------------------------------------------------

function sruForward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, bias: Float32Array, c: Float32Array, h: Float32Array, ldh: number, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, fx: FixedPointSpec | null): void {
  const q = fx ? scales(fx) : null;
  const skip = K === 4 || x !== null;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const tp = s === 0 ? -1 : reverse ? t + 1 : t - 1;
    for (let b = 0; b < B; b++) {
      const row = t * B + b;
      const uo = row * ldu;
      const co = row * H;
      const ho = row * ldh;
      const po = tp < 0 ? -1 : (tp * B + b) * H;
      if (t >= lengths[b]!) {
        for (let j = 0; j < H; j++) {
          c[co + j] = po < 0 ? 0 : c[po + j]!;
          h[ho + j] = 0;
          u[uo + H + j] = 0;
          u[uo + 2 * H + j] = 0;
        }
        continue;
      }
      const xo = row * ldx;
      const mo = b * H;
      for (let j = 0; j < H; j++) {
        const cp = po < 0 ? 0 : c[po + j]!;
        const xt = u[uo + j]!;
        let f = sigmoid(u[uo + H + j]! + v[j]! * cp + bias[j]!);
        let r = sigmoid(u[uo + 2 * H + j]! + v[H + j]! * cp + bias[H + j]!);
        if (q) {
          f = fixed(f, q.sig, q.sigInv);
          r = fixed(r, q.sig, q.sigInv);
        }
        let cv = f * cp + (1 - f) * xt;
        if (q) cv = fixed(cv, q.state, q.stateInv);
        const m = drop ? drop[mo + j]! : 1;
        let hv: number;
        if (skip) {
          const xp = K === 4 ? u[uo + 3 * H + j]! : alpha * x![xo + j]!;
          hv = xp + (cv - xp) * m * r;
        } else {
          hv = cv * m * r;
        }
        if (q) hv = fixed(hv, q.out, q.outInv);
        u[uo + H + j] = f;
        u[uo + 2 * H + j] = r;
        c[co + j] = cv;
        h[ho + j] = hv;
      }
    }
  }
}

function sruBackward(u: Float32Array, ldu: number, K: number, x: Float32Array | null, ldx: number, alpha: number, v: Float32Array, c: Float32Array, dh: Float32Array, lddh: number, dx: Float32Array | null, lddx: number, dv: Float32Array, dbias: Float32Array, T: number, B: number, H: number, lengths: Int32Array, reverse: boolean, drop: Float32Array | null, dc: Float32Array): void {
  const skip = K === 4 || x !== null;
  // parameter gradients sum over T*B rows: accumulate in float64, add once
  const acc = new Float64Array(4 * H);
  dc.fill(0, 0, B * H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const tp = s === 0 ? -1 : reverse ? t + 1 : t - 1;
    for (let b = 0; b < B; b++) {
      const row = t * B + b;
      const uo = row * ldu;
      if (t >= lengths[b]!) {
        u.fill(0, uo, uo + K * H);
        continue;
      }
      const co = row * H;
      const po = tp < 0 ? -1 : (tp * B + b) * H;
      const xo = row * ldx;
      const dho = row * lddh;
      const dxo = row * lddx;
      const mo = b * H;
      for (let j = 0; j < H; j++) {
        const cp = po < 0 ? 0 : c[po + j]!;
        const xt = u[uo + j]!;
        const f = u[uo + H + j]!;
        const r = u[uo + 2 * H + j]!;
        const cv = c[co + j]!;
        const m = drop ? drop[mo + j]! : 1;
        const dhv = dh[dho + j]!;
        const dcv = dc[mo + j]! + dhv * m * r;
        let dr: number;
        let dxp = 0;
        if (skip) {
          const xp = K === 4 ? u[uo + 3 * H + j]! : alpha * x![xo + j]!;
          dr = dhv * m * (cv - xp);
          dxp = dhv * (1 - m * r);
        } else {
          dr = dhv * m * cv;
        }
        const dfp = dcv * (cp - xt) * f * (1 - f);
        const drp = dr * r * (1 - r);
        dc[mo + j] = dcv * f + dfp * v[j]! + drp * v[H + j]!;
        acc[j]! += dfp * cp;
        acc[H + j]! += drp * cp;
        acc[2 * H + j]! += dfp;
        acc[3 * H + j]! += drp;
        u[uo + j] = dcv * (1 - f);
        u[uo + H + j] = dfp;
        u[uo + 2 * H + j] = drp;
        if (K === 4) u[uo + 3 * H + j] = dxp;
        else if (skip && dx) dx[dxo + j]! += alpha * dxp;
      }
    }
  }
  for (let j = 0; j < 2 * H; j++) {
    dv[j]! += acc[j]!;
    dbias[j]! += acc[2 * H + j]!;
  }
}

/** The reference cell kernels: plain loops, the oracle of the WASM versions. */
export const refCells: CellKernels = {
  lstmStep,
  lstmStepBackward,
  gruGatesStep,
  gruStep,
  gruStepBackward,
  gruResetBackward,
  ligruStep,
  ligruStepBackward,
  sruForward,
  sruBackward,
};
