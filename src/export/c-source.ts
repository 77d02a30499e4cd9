/**
 * The C99 source of mohaq's integer-only engine, the twin of `fixed-point.ts` and
 * `integer-engine.ts` (same integers, bit for bit). `model.c` is these sections (only the cells the
 * model uses, so `-Wall -Werror` finds no unused function) plus the generated `mohaq_infer`.
 */

/** Types shared by model.h (the data) and model.c (the engine). */
export const C_TYPES = String.raw`/* How an int16 source value becomes an integer code of a product operand:
 * code = clamp(round_shift(v * mult[i], shift[i]) + zero, lo, hi) - zero.
 * mult == NULL: the values are the codes already (the model input). */
typedef struct {
  int16_t lo, hi, zero;
  const int64_t *mult;
  const int8_t *shift;
} mohaq_operand;

/* One weight block of N outputs and K inputs, output-major: output j's K codes are contiguous, as
 * dot-product kernels read them (8-bit codes int8 at j * K, 16-bit codes int16). 2- and 4-bit codes
 * are packed, each output's from a fresh byte (ceil(K * bits / 8) bytes per output), the first code
 * of a byte in its lowest bits, two's complement. */
typedef struct {
  int start, n, k, wbits;
  const int8_t *w8;
  const int16_t *w16;
  const uint8_t *wpacked;
  mohaq_operand in;
} mohaq_part;

/* A product and its requantization to int16 in Q(frac): per output column j,
 * y_j = sat16(round_shift(acc_j * mult[j] + g_j * gmult[j] + bias[j], shift[j])). */
typedef struct {
  int k, n, col0, nparts, frac;
  const mohaq_part *parts;
  const int64_t *mult, *gmult, *bias;
  const int8_t *shift;
} mohaq_product;

typedef struct {
  int state_frac, out_frac, gate_sum_frac, state_sum_frac, out_sum_frac;
} mohaq_sru_dir;

typedef struct {
  int hidden, dirs, blocks, in_size, out_size;
  const mohaq_product *proj, *gates;
  const int16_t *v, *b;
  int v_frac, b_frac;
  const int64_t *skip_mult;
  const int8_t *skip_shift;
  int skip_frac;
  mohaq_sru_dir dir[2];
} mohaq_sru_layer;

typedef struct {
  const mohaq_product *input;
  const mohaq_product *rec[2];
  int nrec;
  const int64_t *aff_mult, *aff_bias;
  int state_frac, out_frac, cand_frac, state_sum_frac, out_sum_frac, pre_sum_frac;
} mohaq_gated_dir;

/* cell: 0 LSTM, 1 GRU (pytorch-kaldi: U_n (r*h)), 2 GRU (PyTorch/ONNX: r*(U_n h + b_hn)), 3 LiGRU */
typedef struct {
  int cell, hidden, dirs, in_size, out_size;
  mohaq_gated_dir dir[2];
} mohaq_gated_layer;
`;

export const C_COMMON = String.raw`/* ---- fixed point -------------------------------------------------------------------------------- */

/* v / 2^n rounded half to even (mohaq's quantizers round half to even); n >= 0. */
static int64_t round_shift(int64_t v, int n) {
  int64_t m, q, rem, half;
  if (n <= 0) return v;
  if (n > 62) return 0; /* |v| < 2^52 everywhere */
  m = v < 0 ? -v : v;
  q = m >> n;
  rem = m - q * ((int64_t)1 << n);
  half = (int64_t)1 << (n - 1);
  if (rem > half || (rem == half && (q & 1))) q++;
  return v < 0 ? -q : q;
}

/* A value in Q(from) expressed in Q(to). */
static int64_t align_q(int64_t v, int from, int to) {
  return to >= from ? v * ((int64_t)1 << (to - from)) : round_shift(v, from - to);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

static int16_t sat16(int64_t v) {
  return (int16_t)clamp64(v, -32768, 32767);
}

/* sigmoid(x) in Q30 for x in Q24: quadratic interpolation in a table at steps of 2^-7 over [0, 16]. */
#define SIG_R 17
#define SIG_LAST (MOHAQ_SIGMOID_ENTRIES - 2)
#define SIG_CAP ((int64_t)16 << 24)
#define Q30_ONE ((int64_t)1 << 30)
static int64_t sigmoid30(int64_t x) {
  int64_t a = x < 0 ? -x : x, v;
  int i;
  if (a > SIG_CAP) a = SIG_CAP;
  i = (int)(a >> SIG_R);
  if (i >= SIG_LAST) {
    v = mohaq_sigmoid_table[SIG_LAST];
  } else {
    int64_t t0 = mohaq_sigmoid_table[i], t1 = mohaq_sigmoid_table[i + 1], t2 = mohaq_sigmoid_table[i + 2];
    int64_t f = a & (((int64_t)1 << SIG_R) - 1);
    v = t0 + round_shift((t1 - t0) * f, SIG_R) + round_shift((t2 - 2 * t1 + t0) * f * (f - ((int64_t)1 << SIG_R)), 2 * SIG_R + 1);
  }
  return x < 0 ? Q30_ONE - v : v;
}

/* A Q30 activation value as a Q14 gate. */
static int32_t q14(int64_t v30) {
  return (int32_t)round_shift(v30, 16);
}

/* ---- products -------------------------------------------------------------------------------------- */

/* Operand codes of k source values (int32; layer outputs are int16, r*h of a GRU int32). */
static void operand_codes(const mohaq_operand *op, const int32_t *src, int k, int16_t *codes) {
  int i;
  for (i = 0; i < k; i++) {
    if (!op->mult) codes[i] = (int16_t)(src[i] - op->zero);
    else codes[i] = (int16_t)(clamp64(round_shift((int64_t)src[i] * op->mult[i], op->shift[i]) + op->zero, op->lo, op->hi) - op->zero);
  }
}

/* Packed codes to values: 4-bit nibbles and 2-bit pairs in two's complement. */
static const int8_t nibble4[16] = { 0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1 };
static const int8_t crumb2[4] = { 0, 1, -2, -1 };

/* acc[j] = sum_i x[i] W[j][i] for the part's outputs j in [j0, j1): a dot product per output
 * (int16 x int8/int16 products fit in int32; the sums are int64). */
static void part_product(const mohaq_part *p, const int16_t *x, int j0, int j1, int64_t *acc) {
  const int k = p->k;
  int i, j;
  for (j = j0; j < j1; j++) {
    int64_t s = 0;
    if (p->wbits == 8) {
      const int8_t *w = p->w8 + (long)j * k;
      for (i = 0; i < k; i++) s += (int32_t)x[i] * w[i];
    } else if (p->wbits == 16) {
      const int16_t *w = p->w16 + (long)j * k;
      for (i = 0; i < k; i++) s += (int32_t)x[i] * w[i];
    } else if (p->wbits == 4) {
      const uint8_t *w = p->wpacked + (long)j * ((k + 1) / 2);
      for (i = 0; i + 1 < k; i += 2) {
        const int b = w[i >> 1];
        s += (int32_t)x[i] * nibble4[b & 15] + (int32_t)x[i + 1] * nibble4[b >> 4];
      }
      if (i < k) s += (int32_t)x[i] * nibble4[w[i >> 1] & 15];
    } else {
      const uint8_t *w = p->wpacked + (long)j * ((k + 3) / 4);
      for (i = 0; i < k; i++) s += (int32_t)x[i] * crumb2[(w[i >> 2] >> ((i & 3) * 2)) & 3];
    }
    acc[j] = s;
  }
}

static int32_t src32[MOHAQ_MAX_K];
static int16_t codes16[MOHAQ_MAX_K];
static int64_t acc64[MOHAQ_MAX_N];

/* Columns [c0, c1) of a product of one source row into y[c0 - c0 .. c1 - c0), with an optional g term (g[c] for column c). */
static void product_row(const mohaq_product *p, const int32_t *src, const int16_t *g, int c0, int c1, int16_t *y) {
  int q, j;
  for (q = 0; q < p->nparts; q++) {
    const mohaq_part *part = &p->parts[q];
    int j0 = c0 - part->start, j1 = c1 - part->start;
    if (j0 < 0) j0 = 0;
    if (j1 > part->n) j1 = part->n;
    if (j0 >= j1) continue;
    operand_codes(&part->in, src, p->k, codes16);
    part_product(part, codes16, j0, j1, acc64 + part->start);
  }
  for (j = c0; j < c1; j++) {
    int64_t v = acc64[j] * p->mult[j] + p->bias[j];
    if (g && p->gmult) v += (int64_t)g[j] * p->gmult[j];
    y[j - c0] = sat16(round_shift(v, p->shift[j]));
  }
}

static void widen16(const int16_t *x, int n, int32_t *out) {
  int i;
  for (i = 0; i < n; i++) out[i] = x[i];
}
`;

export const C_TANH = String.raw`
/* tanh(x) = 2 sigmoid(2x) - 1 in Q30 for x in Q24. */
static int64_t tanh30(int64_t x) {
  int64_t a = x < 0 ? -x : x, t;
  t = 2 * sigmoid30(a < SIG_CAP ? 2 * a : SIG_CAP) - Q30_ONE;
  return x < 0 ? -t : t;
}
`;

export const C_SRU = String.raw`
/* ---- SRU (sru v2): f = sigmoid(u_f + v_f c' + b_f), r = sigmoid(u_r + v_r c' + b_r),
 *      c = f c' + (1 - f) x~, h = r c + (1 - r) x' --------------------------------------------------- */

static int16_t sru_proj[MOHAQ_MAX_N];
static int16_t sru_u[MOHAQ_MAX_N];
static int32_t sru_c[MOHAQ_MAX_H];

/* x: T rows of in_size int16 (the model input codes for layer 0, x_zero their zero point). */
static void sru_layer(const mohaq_sru_layer *l, const int16_t *x, int16_t x_zero, int T, int16_t *out) {
  const int H = l->hidden, K = l->blocks;
  const int fw = l->gates->frac;
  int d, s, j;
  for (d = 0; d < l->dirs; d++) {
    const mohaq_sru_dir *q = &l->dir[d];
    const int16_t *v = l->v + d * 2 * H, *b = l->b + d * 2 * H;
    const int skip_frac = K == 4 ? fw : l->skip_frac;
    for (j = 0; j < H; j++) sru_c[j] = 0;
    for (s = 0; s < T; s++) {
      const int t = d == 1 ? T - 1 - s : s;
      const int16_t *xt = x + (long)t * l->in_size;
      /* u = x W for this direction's K blocks (after the projection, when there is one) */
      widen16(xt, l->in_size, src32);
      if (l->proj) {
        product_row(l->proj, src32, 0, 0, l->proj->n, sru_proj);
        widen16(sru_proj, l->proj->n, src32);
      }
      product_row(l->gates, src32, 0, d * K * H, (d + 1) * K * H, sru_u);
      for (j = 0; j < H; j++) {
        const int64_t cp = sru_c[j];
        int64_t zf = align_q(sru_u[H + j], fw, q->gate_sum_frac) + align_q(v[j] * cp, l->v_frac + q->state_frac, q->gate_sum_frac) + align_q(b[j], l->b_frac, q->gate_sum_frac);
        int64_t zr = align_q(sru_u[2 * H + j], fw, q->gate_sum_frac) + align_q(v[H + j] * cp, l->v_frac + q->state_frac, q->gate_sum_frac) + align_q(b[H + j], l->b_frac, q->gate_sum_frac);
        const int64_t f = q14(sigmoid30(align_q(zf, q->gate_sum_frac, 24)));
        const int64_t r = q14(sigmoid30(align_q(zr, q->gate_sum_frac, 24)));
        const int64_t c = sat16(align_q(align_q(f * cp, 14 + q->state_frac, q->state_sum_frac) + align_q((16384 - f) * sru_u[j], 14 + fw, q->state_sum_frac), q->state_sum_frac, q->state_frac));
        int16_t h;
        if (K == 4 || l->skip_mult) {
          int64_t xp;
          if (K == 4) xp = sru_u[3 * H + j];
          else xp = round_shift((int64_t)(xt[d * H + j] - x_zero) * l->skip_mult[d * H + j], l->skip_shift[d * H + j]);
          h = sat16(align_q(align_q(r * c, 14 + q->state_frac, q->out_sum_frac) + align_q((16384 - r) * xp, 14 + skip_frac, q->out_sum_frac), q->out_sum_frac, q->out_frac));
        } else {
          h = sat16(align_q(r * c, 14 + q->state_frac, q->out_frac));
        }
        sru_c[j] = (int32_t)c;
        out[(long)t * l->out_size + d * H + j] = h;
      }
    }
  }
}
`;

export const C_GATED = String.raw`
/* ---- LSTM, GRU, LiGRU: pre = W x (+ b, or BatchNorm folded) + U h, gates in Q14 ----------------------- */

static int16_t g_in[MOHAQ_MAX_N];
static int16_t g_pre[MOHAQ_MAX_N];
static int32_t g_h[MOHAQ_MAX_H];
static int32_t g_c[MOHAQ_MAX_H];
static int32_t g_z[MOHAQ_MAX_H];
static int32_t g_rh[MOHAQ_MAX_H];

/* h = z h' + (1 - z) n: z in Q14, h' in Q(fo), n in Q(fn), summed in Q(F). */
static int16_t mix_output(int64_t z, int64_t hp, int64_t n, int fo, int fn, int F) {
  return sat16(align_q(align_q(z * hp, 14 + fo, F) + align_q((16384 - z) * n, 14 + fn, F), F, fo));
}

static void gated_layer(const mohaq_gated_layer *l, const int16_t *x, int T, int16_t *out) {
  const int H = l->hidden;
  int d, s, j;
  for (d = 0; d < l->dirs; d++) {
    const mohaq_gated_dir *q = &l->dir[d];
    const mohaq_product *U = q->rec[0];
    const int G = q->input->n;
    for (j = 0; j < H; j++) g_h[j] = g_c[j] = 0;
    for (s = 0; s < T; s++) {
      const int t = d == 1 ? T - 1 - s : s;
      int16_t *h = out + (long)t * l->out_size + d * H;
      widen16(x + (long)t * l->in_size, l->in_size, src32);
      product_row(q->input, src32, 0, 0, G, g_in);
      if (l->cell == 2) {
        /* PyTorch GRU: gh = U h + b_h; r = sigmoid(g_r + gh_r), z = sigmoid(g_z + gh_z), n = tanh(g_n + r gh_n) */
        const int F = q->pre_sum_frac;
        product_row(U, g_h, 0, 0, G, g_pre);
        for (j = 0; j < H; j++) {
          int64_t zr = g_in[j] * q->aff_mult[j] + q->aff_bias[j] + align_q(g_pre[j], U->frac, F);
          int64_t zz = g_in[H + j] * q->aff_mult[H + j] + q->aff_bias[H + j] + align_q(g_pre[H + j], U->frac, F);
          const int64_t r = q14(sigmoid30(align_q(zr, F, 24)));
          const int64_t z = q14(sigmoid30(align_q(zz, F, 24)));
          int64_t zn = g_in[2 * H + j] * q->aff_mult[2 * H + j] + q->aff_bias[2 * H + j] + align_q(r * g_pre[2 * H + j], 14 + U->frac, F);
          const int64_t n = q14(tanh30(align_q(zn, F, 24)));
          h[j] = mix_output(z, g_h[j], n, q->out_frac, 14, q->out_sum_frac);
        }
      } else if (l->cell == 1) {
        /* pytorch-kaldi GRU: r, z from W x + U_rz h; n = tanh(W_n x + U_n (r h)) */
        const mohaq_product *Un = q->rec[1];
        product_row(U, g_h, g_in + U->col0, 0, U->n, g_pre + U->col0);
        for (j = 0; j < H; j++) {
          const int64_t r = q14(sigmoid30(align_q(g_pre[j], U->frac, 24)));
          g_z[j] = q14(sigmoid30(align_q(g_pre[H + j], U->frac, 24)));
          g_rh[j] = (int32_t)(r * g_h[j]);
        }
        product_row(Un, g_rh, g_in + Un->col0, 0, Un->n, g_pre + Un->col0);
        for (j = 0; j < H; j++) {
          const int64_t n = q14(tanh30(align_q(g_pre[2 * H + j], Un->frac, 24)));
          h[j] = mix_output(g_z[j], g_h[j], n, q->out_frac, 14, q->out_sum_frac);
        }
      } else {
        product_row(U, g_h, g_in, 0, G, g_pre);
        if (l->cell == 0) {
          /* LSTM: c = f c' + i g, h = o tanh(c) */
          for (j = 0; j < H; j++) {
            const int64_t ig = q14(sigmoid30(align_q(g_pre[j], U->frac, 24)));
            const int64_t fg = q14(sigmoid30(align_q(g_pre[H + j], U->frac, 24)));
            const int64_t gg = q14(tanh30(align_q(g_pre[2 * H + j], U->frac, 24)));
            const int64_t og = q14(sigmoid30(align_q(g_pre[3 * H + j], U->frac, 24)));
            const int64_t c = sat16(align_q(align_q(fg * g_c[j], 14 + q->state_frac, q->state_sum_frac) + align_q(ig * gg, 28, q->state_sum_frac), q->state_sum_frac, q->state_frac));
            g_c[j] = (int32_t)c;
            h[j] = sat16(align_q(og * tanh30(align_q(c, q->state_frac, 24)), 44, q->out_frac));
          }
        } else {
          /* LiGRU: z = sigmoid(.), n = ReLU(.), h = z h' + (1 - z) n */
          for (j = 0; j < H; j++) {
            const int64_t z = q14(sigmoid30(align_q(g_pre[j], U->frac, 24)));
            const int64_t a = g_pre[H + j];
            const int64_t n = sat16(align_q(a > 0 ? a : 0, U->frac, q->cand_frac));
            h[j] = mix_output(z, g_h[j], n, q->out_frac, q->cand_frac, q->out_sum_frac);
          }
        }
      }
      for (j = 0; j < H; j++) g_h[j] = h[j];
    }
  }
}
`;

export const C_MAIN = String.raw`
#ifdef MOHAQ_MAIN
#include <stdio.h>

/* Test driver: reads utterances as "T D" followed by T*D integer codes (the model's first operand,
 * see model.h), from the file named by the first argument or from stdin, and prints for each
 * "T OUTPUTS" followed by T lines of int16 logits in Q(MOHAQ_LOGIT_FRAC). */
int main(int argc, char **argv) {
  static int16_t x[(long)MOHAQ_MAX_FRAMES * MOHAQ_INPUT_DIM];
  static int16_t y[(long)MOHAQ_MAX_FRAMES * MOHAQ_OUTPUT_DIM];
  FILE *in = argc > 1 ? fopen(argv[1], "r") : stdin;
  int T, D, n = 0;
  if (!in) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  while (fscanf(in, "%d %d", &T, &D) == 2) {
    long i;
    int t, j, rc;
    if (D != MOHAQ_INPUT_DIM || T < 0 || T > MOHAQ_MAX_FRAMES) {
      fprintf(stderr, "utterance %d: expected D = %d and T in 0..%d but read T = %d, D = %d\n", n, MOHAQ_INPUT_DIM, MOHAQ_MAX_FRAMES, T, D);
      return 1;
    }
    for (i = 0; i < (long)T * D; i++) {
      int v;
      if (fscanf(in, "%d", &v) != 1) {
        fprintf(stderr, "utterance %d: input ends after %ld of %ld codes\n", n, i, (long)T * D);
        return 1;
      }
      x[i] = (int16_t)v;
    }
    rc = mohaq_infer(x, T, y);
    if (rc != 0) {
      fprintf(stderr, "utterance %d: mohaq_infer failed (%d)\n", n, rc);
      return 1;
    }
    printf("%d %d\n", T, MOHAQ_OUTPUT_DIM);
    for (t = 0; t < T; t++) {
      for (j = 0; j < MOHAQ_OUTPUT_DIM; j++) printf(j + 1 < MOHAQ_OUTPUT_DIM ? "%d " : "%d\n", y[(long)t * MOHAQ_OUTPUT_DIM + j]);
    }
    n++;
  }
  if (in != stdin) fclose(in);
  return 0;
}
#endif
`;
