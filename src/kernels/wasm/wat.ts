/**
 * The WASM SIMD128 kernels, written as WebAssembly text generated from TypeScript. `assemble.ts` turns
 * this text into the `.wasm` binary with wabt at build time (or in-process when running from source).
 *
 * Memory is imported (the host sizes it once and never grows it, so typed-array views stay valid).
 * Pointers are byte addresses; strides (`lda`, `ldc`) are in elements.
 *
 * fp32 GEMM: B is packed into panels of 8 columns, `Bp[panel][k][8]` (the last panel zero-padded), so
 * the 4x8 micro-kernel streams one contiguous panel per row block: per k it does 2 loads of B, 4 splats
 * of A and 8 multiply+add pairs into 8 accumulators. Rows are processed in blocks of 64 so the A block
 * stays in L2 while each panel (k x 32 bytes) stays in L1.
 *
 * int8 GEMM: i32x4.dot_i16x8_s multiplies 8 pairs of i16 and adds adjacent products, i.e. two k-steps of
 * four columns in one instruction. B is packed (widened to i16) as `Bp[panel][k/2][8 cols][2]`: for each
 * pair of rows (k, k+1) and column j, the two values B[k][j], B[k+1][j] are adjacent. A is widened to i16
 * rows of even length, and a 32-bit splat of A[i][k..k+1] feeds the dot.
 */

import { cellsWat } from './cells-wat.js';
import { expExpr, expLocals, fixedPointExpr } from './math-wat.js';
import { deltaWat } from './delta-wat.js';

const PANEL = 8; // columns per packed panel
const MBLOCK = 64; // rows per block

function expF32x4(): string {
  return `
  (func $exp4 (param $x v128) (result v128) ${expLocals()}
    ${expExpr('(local.get $x)')})
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x))))))
  ;; tanh(x) = sign(x) (1 - 2 / (e^{2|x|} + 1)); small |x| uses x (1 - x^2/3 + 2x^4/15) to keep relative accuracy
  (func $tanh4 (param $x v128) (result v128)
    (local $ax v128) (local $big v128) (local $small v128) (local $x2 v128)
    (local.set $ax (f32x4.abs (local.get $x)))
    (local.set $big (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2) (f32x4.add (call $exp4 (f32x4.add (local.get $ax) (local.get $ax))) (v128.const f32x4 1 1 1 1)))))
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $small (f32x4.mul (local.get $x)
      (f32x4.add (v128.const f32x4 1 1 1 1)
        (f32x4.mul (local.get $x2) (f32x4.add (v128.const f32x4 -0.33333334 -0.33333334 -0.33333334 -0.33333334)
          (f32x4.mul (local.get $x2) (v128.const f32x4 0.13333334 0.13333334 0.13333334 0.13333334)))))))
    (v128.bitselect (local.get $small) (local.get $big) (f32x4.lt (local.get $ax) (v128.const f32x4 0.0625 0.0625 0.0625 0.0625))))
  (func $exp1 (param $x f32) (result f32) (f32x4.extract_lane 0 (call $exp4 (f32x4.splat (local.get $x)))))
`;
}

/**
 * A unary element-wise map over n floats: 4 lanes at a time, the tail through the same vector code on a
 * splat (so the tail computes exactly what the body does).
 */
function mapF32(name: string, body: (x: string) => string, extraParams = ''): string {
  return `
  (func $${name} (export "${name}") (param $x i32) (param $out i32) (param $n i32) ${extraParams}
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4 (loop $l4
      (br_if $done4 (i32.ge_u (local.get $x) (local.get $end4)))
      (v128.store (local.get $out) ${body('(v128.load (local.get $x))')})
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $l4)))
    (block $done (loop $l1
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $out) (f32x4.extract_lane 0 ${body('(f32x4.splat (f32.load (local.get $x)))')}))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $l1))))
`;
}

function quantizers(): string {
  const q = (x: string) =>
    `(f32x4.min (f32x4.max (f32x4.nearest (f32x4.mul ${x} (f32x4.splat (local.get $inv)))) (f32x4.splat (local.get $lo))) (f32x4.splat (local.get $hi)))`;
  const fq = (x: string) => `(f32x4.mul ${q(x)} (f32x4.splat (local.get $step)))`;
  return (
    mapF32('fake_quant', fq, '(param $inv f32) (param $step f32) (param $lo f32) (param $hi f32)') +
    `
  ;; integer codes as int8: 4 at a time through saturating narrows (values are already clamped)
  (func $quantize (export "quantize") (param $x i32) (param $out i32) (param $n i32) (param $inv f32) (param $lo f32) (param $hi f32)
    (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4 (loop $l4
      (br_if $done4 (i32.ge_u (local.get $x) (local.get $end4)))
      (local.set $v (i32x4.trunc_sat_f32x4_s ${q('(v128.load (local.get $x))')}))
      (local.set $v (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)) (local.get $v)))
      (v128.store32_lane 0 (local.get $out) (local.get $v))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $l4)))
    (block $done (loop $l1
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (i32x4.trunc_sat_f32x4_s ${q('(f32x4.splat (f32.load (local.get $x)))')}))
      (i32.store8 (local.get $out) (i32x4.extract_lane 0 (local.get $v)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 1)))
      (br $l1))))
`
  );
}

function rowOps(): string {
  // softmax and log-softmax of each row: max, sum of exp(x - max), then the output pass
  const rowLoop = (name: string, finish: string) => `
  (func $${name} (export "${name}") (param $x i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $j i32) (local $cols4 i32) (local $xr i32) (local $or i32)
    (local $mx v128) (local $m f32) (local $sv v128) (local $s f32) (local $t f32)
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (block $rdone (loop $rl
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $or (i32.add (local.get $out) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      ;; max
      (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $j (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j) (local.get $cols4)))
        (local.set $mx (f32x4.max (local.get $mx) (v128.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l1)))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
                             (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $m (f32.max (local.get $m) (f32.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l2)))
      ;; sum of exp(x - max)
      (local.set $sv (v128.const f32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $j) (local.get $cols4)))
        (local.set $sv (f32x4.add (local.get $sv) (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2)))) (f32x4.splat (local.get $m))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l3)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sv)) (f32x4.extract_lane 1 (local.get $sv)))
                             (f32.add (f32x4.extract_lane 2 (local.get $sv)) (f32x4.extract_lane 3 (local.get $sv)))))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $s (f32.add (local.get $s) (call $exp1 (f32.sub (f32.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2)))) (local.get $m)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l4)))
      ${finish}
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))
`;
  const outPass = (vec: (v: string) => string, scalar: (v: string) => string, prep: string) => `
      ${prep}
      (local.set $j (i32.const 0))
      (block $d5 (loop $l5
        (br_if $d5 (i32.ge_u (local.get $j) (local.get $cols4)))
        (v128.store (i32.add (local.get $or) (i32.shl (local.get $j) (i32.const 2)))
          ${vec('(v128.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2))))')})
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l5)))
      (block $d6 (loop $l6
        (br_if $d6 (i32.ge_u (local.get $j) (local.get $cols)))
        (f32.store (i32.add (local.get $or) (i32.shl (local.get $j) (i32.const 2)))
          ${scalar('(f32.load (i32.add (local.get $xr) (i32.shl (local.get $j) (i32.const 2))))')})
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l6)))`;
  // softmax: exp(x - m) / s; log-softmax: x - (m + log s)
  const softmax = rowLoop(
    'softmax_rows',
    outPass(
      (v) => `(f32x4.div (call $exp4 (f32x4.sub ${v} (f32x4.splat (local.get $m)))) (f32x4.splat (local.get $s)))`,
      (v) => `(f32.div (call $exp1 (f32.sub ${v} (local.get $m))) (local.get $s))`,
      '',
    ),
  );
  const logSoftmax = rowLoop(
    'log_softmax_rows',
    outPass(
      (v) => `(f32x4.sub ${v} (f32x4.splat (local.get $t)))`,
      (v) => `(f32.sub ${v} (local.get $t))`,
      '(local.set $t (f32.add (local.get $m) (call $log1 (local.get $s))))',
    ),
  );
  return softmax + logSoftmax;
}

/** log(x) for x >= 1 (row sums of exp are >= 1): frexp + atanh series, accurate to ~1 ulp. */
function logScalar(): string {
  return `
  (func $log1 (param $x f32) (result f32)
    (local $bits i32) (local $e i32) (local $m f32) (local $z f32) (local $z2 f32)
    (local.set $bits (i32.reinterpret_f32 (local.get $x)))
    (local.set $e (i32.sub (i32.shr_u (local.get $bits) (i32.const 23)) (i32.const 127)))
    (local.set $m (f32.reinterpret_i32 (i32.or (i32.and (local.get $bits) (i32.const 0x007fffff)) (i32.const 0x3f800000))))
    ;; keep m in [sqrt(1/2), sqrt(2))
    (if (f32.gt (local.get $m) (f32.const 1.41421356))
      (then (local.set $m (f32.mul (local.get $m) (f32.const 0.5))) (local.set $e (i32.add (local.get $e) (i32.const 1)))))
    (local.set $z (f32.div (f32.sub (local.get $m) (f32.const 1)) (f32.add (local.get $m) (f32.const 1))))
    (local.set $z2 (f32.mul (local.get $z) (local.get $z)))
    (f32.add
      (f32.mul (f32.convert_i32_s (local.get $e)) (f32.const 0.693147181))
      (f32.mul (f32.mul (f32.const 2) (local.get $z))
        (f32.add (f32.const 1) (f32.mul (local.get $z2)
          (f32.add (f32.const 0.333333333) (f32.mul (local.get $z2)
            (f32.add (f32.const 0.2) (f32.mul (local.get $z2)
              (f32.add (f32.const 0.142857143) (f32.mul (local.get $z2) (f32.const 0.111111111))))))))))))
`;
}

/**
 * One row-tile of the fp32 GEMM: R rows (1..4) x 8 columns of one panel. Accumulators acc{r}{h} hold
 * columns 0-3 (h=0) and 4-7 (h=1) of row r.
 */
function gemmF32Tile(R: number): string {
  const rows = [...Array(R).keys()];
  const decl = rows.map((r) => `(local $a${r} i32) (local $acc${r}0 v128) (local $acc${r}1 v128) (local $c${r} i32)`).join(' ');
  const setA = rows
    .map((r) => `(local.set $a${r} (i32.add (local.get $a) (i32.shl (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $lda)) (i32.const 2))))`)
    .join('\n      ');
  const body = rows
    .map(
      (r) => `
        (local.set $x (v128.load32_splat (local.get $a${r})))
        (local.set $acc${r}0 (f32x4.add (local.get $acc${r}0) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $acc${r}1 (f32x4.add (local.get $acc${r}1) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $a${r} (i32.add (local.get $a${r}) (i32.const 4)))`,
    )
    .join('');
  const zero = rows.map((r) => `(local.set $acc${r}0 (v128.const i64x2 0 0)) (local.set $acc${r}1 (v128.const i64x2 0 0))`).join(' ');
  const fix = (v: string) => fixedPointExpr(v, '(f32x4.splat (local.get $fs))', '(f32x4.splat (local.get $fi))');
  const store = rows
    .map(
      (r) => `
      (local.set $c${r} (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $ldc)) (local.get $col)) (i32.const 2))))
      (if (local.get $bias) (then
        (local.set $acc${r}0 (f32x4.add (local.get $acc${r}0) (v128.load (local.get $biasp))))
        (local.set $acc${r}1 (f32x4.add (local.get $acc${r}1) (v128.load offset=16 (local.get $biasp))))))
      ;; a partial tile reads (never writes) past its last column: the host keeps slack after every array
      (if (local.get $accumulate) (then
        (local.set $acc${r}0 (f32x4.add (local.get $acc${r}0) (v128.load (local.get $c${r}))))
        (local.set $acc${r}1 (f32x4.add (local.get $acc${r}1) (v128.load offset=16 (local.get $c${r}))))))
      (if (local.get $fixed) (then
        (local.set $acc${r}0 ${fix(`(local.get $acc${r}0)`)})
        (local.set $acc${r}1 ${fix(`(local.get $acc${r}1)`)})))
      (if (i32.eq (local.get $ncols) (i32.const 8))
        (then
          (v128.store (local.get $c${r}) (local.get $acc${r}0))
          (v128.store offset=16 (local.get $c${r}) (local.get $acc${r}1)))
        (else
          (v128.store (global.get $spill) (local.get $acc${r}0))
          (v128.store offset=16 (global.get $spill) (local.get $acc${r}1))
          (call $store_partial (local.get $c${r}) (local.get $ncols) (i32.const 0))))`,
    )
    .join('');
  return `
  (func $gemm_f32_tile${R} (param $a i32) (param $lda i32) (param $i i32) (param $k i32) (param $bpanel i32)
        (param $c i32) (param $ldc i32) (param $col i32) (param $ncols i32) (param $bias i32) (param $biasp i32) (param $accumulate i32)
        (param $fixed i32) (param $fs f32) (param $fi f32)
    (local $x v128) (local $b0 v128) (local $b1 v128) (local $bp i32) (local $kk i32) ${decl}
    ${zero}
    ${setA}
    (local.set $bp (local.get $bpanel))
    (local.set $kk (local.get $k))
    (block $kdone (loop $kl
      (br_if $kdone (i32.eqz (local.get $kk)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      ${body}
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
      (br $kl)))
    ${store})
`;
}

function gemmF32(): string {
  return `
  ;; writes the first ncols floats of the spill tile to c (adding to c when accumulating)
  (func $store_partial (param $c i32) (param $ncols i32) (param $accumulate i32)
    (local $j i32) (local $v f32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $ncols)))
      (local.set $v (f32.load (i32.add (global.get $spill) (i32.shl (local.get $j) (i32.const 2)))))
      (if (local.get $accumulate) (then (local.set $v (f32.add (local.get $v) (f32.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))))))
      (f32.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))
  ${[1, 2, 3, 4].map(gemmF32Tile).join('')}
  ;; C[m x n] (+)= A[m x k] . Bp (+ bias), rounded to 16-bit fixed point (scale fs = 2^f, fi = 2^-f)
  ;; when fixed; bias points at a panel-padded copy (or 0)
  (func $gemm_f32 (export "gemm_f32") (param $a i32) (param $lda i32) (param $m i32) (param $k i32) (param $bp i32) (param $n i32)
        (param $c i32) (param $ldc i32) (param $bias i32) (param $accumulate i32) (param $fixed i32) (param $fs f32) (param $fi f32)
    (local $i0 i32) (local $iend i32) (local $p i32) (local $panels i32) (local $bpanel i32) (local $col i32)
    (local $ncols i32) (local $i i32) (local $rest i32) (local $biasp i32)
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const ${PANEL - 1})) (i32.const 3)))
    (block $mdone (loop $ml
      (br_if $mdone (i32.ge_u (local.get $i0) (local.get $m)))
      (local.set $iend (i32.add (local.get $i0) (i32.const ${MBLOCK})))
      (if (i32.gt_u (local.get $iend) (local.get $m)) (then (local.set $iend (local.get $m))))
      (local.set $p (i32.const 0))
      (block $pdone (loop $pl
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $col (i32.shl (local.get $p) (i32.const 3)))
        (local.set $ncols (i32.sub (local.get $n) (local.get $col)))
        (if (i32.gt_u (local.get $ncols) (i32.const 8)) (then (local.set $ncols (i32.const 8))))
        (local.set $bpanel (i32.add (local.get $bp) (i32.mul (i32.mul (local.get $p) (local.get $k)) (i32.const 32))))
        (local.set $biasp (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2))))
        (local.set $i (local.get $i0))
        (block $idone (loop $il
          (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $iend)))
          (call $gemm_f32_tile4 (local.get $a) (local.get $lda) (local.get $i) (local.get $k) (local.get $bpanel)
            (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $bias) (local.get $biasp) (local.get $accumulate) (local.get $fixed) (local.get $fs) (local.get $fi))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $il)))
        (local.set $rest (i32.sub (local.get $iend) (local.get $i)))
        (if (i32.eq (local.get $rest) (i32.const 3)) (then
          (call $gemm_f32_tile3 (local.get $a) (local.get $lda) (local.get $i) (local.get $k) (local.get $bpanel)
            (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $bias) (local.get $biasp) (local.get $accumulate) (local.get $fixed) (local.get $fs) (local.get $fi))))
        (if (i32.eq (local.get $rest) (i32.const 2)) (then
          (call $gemm_f32_tile2 (local.get $a) (local.get $lda) (local.get $i) (local.get $k) (local.get $bpanel)
            (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $bias) (local.get $biasp) (local.get $accumulate) (local.get $fixed) (local.get $fs) (local.get $fi))))
        (if (i32.eq (local.get $rest) (i32.const 1)) (then
          (call $gemm_f32_tile1 (local.get $a) (local.get $lda) (local.get $i) (local.get $k) (local.get $bpanel)
            (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $bias) (local.get $biasp) (local.get $accumulate) (local.get $fixed) (local.get $fs) (local.get $fi))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $i0 (local.get $iend))
      (br $ml))))
`;
}

/** One row-tile of the int8 GEMM (values widened to i16): R rows x 8 columns, two k per step. */
function gemmI8Tile(R: number): string {
  const rows = [...Array(R).keys()];
  const decl = rows.map((r) => `(local $a${r} i32) (local $acc${r}0 v128) (local $acc${r}1 v128) (local $c${r} i32)`).join(' ');
  // A rows are i16 with even stride $kp (elements)
  const setA = rows
    .map((r) => `(local.set $a${r} (i32.add (local.get $a) (i32.shl (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $kp)) (i32.const 1))))`)
    .join('\n      ');
  const body = rows
    .map(
      (r) => `
        (local.set $x (v128.load32_splat (local.get $a${r})))
        (local.set $acc${r}0 (i32x4.add (local.get $acc${r}0) (i32x4.dot_i16x8_s (local.get $x) (local.get $b0))))
        (local.set $acc${r}1 (i32x4.add (local.get $acc${r}1) (i32x4.dot_i16x8_s (local.get $x) (local.get $b1))))
        (local.set $a${r} (i32.add (local.get $a${r}) (i32.const 4)))`,
    )
    .join('');
  const zero = rows.map((r) => `(local.set $acc${r}0 (v128.const i64x2 0 0)) (local.set $acc${r}1 (v128.const i64x2 0 0))`).join(' ');
  const store = rows
    .map(
      (r) => `
      (local.set $c${r} (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $ldc)) (local.get $col)) (i32.const 2))))
      (if (i32.eq (local.get $ncols) (i32.const 8))
        (then
          (if (local.get $accumulate) (then
            (local.set $acc${r}0 (i32x4.add (local.get $acc${r}0) (v128.load (local.get $c${r}))))
            (local.set $acc${r}1 (i32x4.add (local.get $acc${r}1) (v128.load offset=16 (local.get $c${r}))))))
          (v128.store (local.get $c${r}) (local.get $acc${r}0))
          (v128.store offset=16 (local.get $c${r}) (local.get $acc${r}1)))
        (else
          (v128.store (global.get $spill) (local.get $acc${r}0))
          (v128.store offset=16 (global.get $spill) (local.get $acc${r}1))
          (call $store_partial_i32 (local.get $c${r}) (local.get $ncols) (local.get $accumulate))))`,
    )
    .join('');
  return `
  (func $gemm_i8_tile${R} (param $a i32) (param $kp i32) (param $i i32) (param $bpanel i32)
        (param $c i32) (param $ldc i32) (param $col i32) (param $ncols i32) (param $accumulate i32)
    (local $x v128) (local $b0 v128) (local $b1 v128) (local $bp i32) (local $kk i32) ${decl}
    ${zero}
    ${setA}
    (local.set $bp (local.get $bpanel))
    (local.set $kk (i32.shr_u (local.get $kp) (i32.const 1)))
    (block $kdone (loop $kl
      (br_if $kdone (i32.eqz (local.get $kk)))
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      ${body}
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
      (br $kl)))
    ${store})
`;
}

function gemmI8(): string {
  return `
  (func $store_partial_i32 (param $c i32) (param $ncols i32) (param $accumulate i32)
    (local $j i32) (local $v i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $ncols)))
      (local.set $v (i32.load (i32.add (global.get $spill) (i32.shl (local.get $j) (i32.const 2)))))
      (if (local.get $accumulate) (then (local.set $v (i32.add (local.get $v) (i32.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))))))
      (i32.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))
  ${[1, 2, 3, 4].map(gemmI8Tile).join('')}
  ;; widens int8 rows A[m x k] (row stride lda) to int16 rows of even length kp (zero-padded)
  (func (export "widen_i8") (param $a i32) (param $lda i32) (param $m i32) (param $k i32) (param $out i32) (param $kp i32)
    (local $i i32) (local $j i32) (local $src i32) (local $dst i32) (local $k8 i32)
    (local.set $k8 (i32.and (local.get $k) (i32.const -8)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $src (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $kp)) (i32.const 1))))
      (local.set $j (i32.const 0))
      (block $d8 (loop $l8
        (br_if $d8 (i32.ge_u (local.get $j) (local.get $k8)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 1)))
          (i16x8.extend_low_i8x16_s (v128.load64_zero (i32.add (local.get $src) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $l8)))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j) (local.get $k)))
        (i32.store16 (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 1))) (i32.load8_s (i32.add (local.get $src) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l1)))
      (if (i32.lt_u (local.get $k) (local.get $kp)) (then
        (i32.store16 (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 1))) (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))
  ;; C[m x n] (+)= A16[m x kp] . Bp (i32 accumulation)
  (func $gemm_i8 (export "gemm_i8") (param $a i32) (param $kp i32) (param $m i32) (param $bp i32) (param $n i32)
        (param $c i32) (param $ldc i32) (param $accumulate i32)
    (local $i0 i32) (local $iend i32) (local $p i32) (local $panels i32) (local $bpanel i32) (local $col i32)
    (local $ncols i32) (local $i i32) (local $rest i32)
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const ${PANEL - 1})) (i32.const 3)))
    (block $mdone (loop $ml
      (br_if $mdone (i32.ge_u (local.get $i0) (local.get $m)))
      (local.set $iend (i32.add (local.get $i0) (i32.const ${MBLOCK})))
      (if (i32.gt_u (local.get $iend) (local.get $m)) (then (local.set $iend (local.get $m))))
      (local.set $p (i32.const 0))
      (block $pdone (loop $pl
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $col (i32.shl (local.get $p) (i32.const 3)))
        (local.set $ncols (i32.sub (local.get $n) (local.get $col)))
        (if (i32.gt_u (local.get $ncols) (i32.const 8)) (then (local.set $ncols (i32.const 8))))
        ;; panel p: kp/2 k-pairs x 8 columns x 2 values x 2 bytes = kp * 16 bytes
        (local.set $bpanel (i32.add (local.get $bp) (i32.mul (i32.mul (local.get $p) (local.get $kp)) (i32.const 16))))
        (local.set $i (local.get $i0))
        (block $idone (loop $il
          (br_if $idone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $iend)))
          (call $gemm_i8_tile4 (local.get $a) (local.get $kp) (local.get $i) (local.get $bpanel) (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $accumulate))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $il)))
        (local.set $rest (i32.sub (local.get $iend) (local.get $i)))
        (if (i32.eq (local.get $rest) (i32.const 3)) (then
          (call $gemm_i8_tile3 (local.get $a) (local.get $kp) (local.get $i) (local.get $bpanel) (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $accumulate))))
        (if (i32.eq (local.get $rest) (i32.const 2)) (then
          (call $gemm_i8_tile2 (local.get $a) (local.get $kp) (local.get $i) (local.get $bpanel) (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $accumulate))))
        (if (i32.eq (local.get $rest) (i32.const 1)) (then
          (call $gemm_i8_tile1 (local.get $a) (local.get $kp) (local.get $i) (local.get $bpanel) (local.get $c) (local.get $ldc) (local.get $col) (local.get $ncols) (local.get $accumulate))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $i0 (local.get $iend))
      (br $ml))))
`;
}

/** Packing of weights (done once per variant, so plain loops are enough; the host calls these). */
function packing(): string {
  return `
  ;; Bp[panel][k][8] from B[k x n] (row stride ldb); transposed: from Bt[n x k] (B = Bt^T)
  (func (export "pack_f32") (param $b i32) (param $k i32) (param $n i32) (param $ldb i32) (param $transpose i32) (param $out i32)
    (local $p i32) (local $panels i32) (local $r i32) (local $j i32) (local $col i32) (local $dst i32) (local $v f32)
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $p) (local.get $panels)))
      (local.set $r (i32.const 0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $k)))
        (local.set $dst (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.mul (local.get $p) (local.get $k)) (i32.const 8)) (i32.mul (local.get $r) (i32.const 8))) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (i32.const 8)))
          (local.set $col (i32.add (i32.shl (local.get $p) (i32.const 3)) (local.get $j)))
          (local.set $v (f32.const 0))
          (if (i32.lt_u (local.get $col) (local.get $n)) (then
            (if (local.get $transpose)
              (then (local.set $v (f32.load (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $col) (local.get $ldb)) (local.get $r)) (i32.const 2))))))
              (else (local.set $v (f32.load (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ldb)) (local.get $col)) (i32.const 2)))))))))
          (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl))))
  ;; Bp[panel][kp/2][8][2] (i16) from int8 B[k x n], zero-padded to even kp and to whole panels
  (func (export "pack_i8") (param $b i32) (param $k i32) (param $n i32) (param $kp i32) (param $out i32)
    (local $p i32) (local $panels i32) (local $r i32) (local $j i32) (local $col i32) (local $dst i32) (local $v i32)
    (local.set $panels (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $p) (local.get $panels)))
      (local.set $r (i32.const 0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $kp)))
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (i32.const 8)))
          (local.set $col (i32.add (i32.shl (local.get $p) (i32.const 3)) (local.get $j)))
          (local.set $v (i32.const 0))
          (if (i32.and (i32.lt_u (local.get $col) (local.get $n)) (i32.lt_u (local.get $r) (local.get $k))) (then
            (local.set $v (i32.load8_s (i32.add (local.get $b) (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $col)))))))
          ;; element (pair r/2, column j, slot r%2)
          (local.set $dst (i32.add (local.get $out)
            (i32.shl (i32.add (i32.add (i32.mul (local.get $p) (i32.mul (local.get $kp) (i32.const 8)))
                                       (i32.mul (i32.shr_u (local.get $r) (i32.const 1)) (i32.const 16)))
                              (i32.add (i32.shl (local.get $j) (i32.const 1)) (i32.and (local.get $r) (i32.const 1))))
                     (i32.const 1))))
          (i32.store16 (local.get $dst) (local.get $v))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl))))
  ;; out[k x m] = A[m x k]^T (row stride lda), for weight gradients
  (func (export "transpose_f32") (param $a i32) (param $m i32) (param $k i32) (param $lda i32) (param $out i32)
    (local $i i32) (local $j i32) (local $i0 i32) (local $j0 i32) (local $iend i32) (local $jend i32)
    ;; 16x16 blocks keep both sides in cache
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_u (local.get $i0) (local.get $m)))
      (local.set $iend (i32.add (local.get $i0) (i32.const 16)))
      (if (i32.gt_u (local.get $iend) (local.get $m)) (then (local.set $iend (local.get $m))))
      (local.set $j0 (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $j0) (local.get $k)))
        (local.set $jend (i32.add (local.get $j0) (i32.const 16)))
        (if (i32.gt_u (local.get $jend) (local.get $k)) (then (local.set $jend (local.get $k))))
        (local.set $i (local.get $i0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $i) (local.get $iend)))
          (local.set $j (local.get $j0))
          (block $d3 (loop $l3
            (br_if $d3 (i32.ge_u (local.get $j) (local.get $jend)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $m)) (local.get $i)) (i32.const 2)))
              (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $lda)) (local.get $j)) (i32.const 2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $l3)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l2)))
        (local.set $j0 (local.get $jend))
        (br $l1)))
      (local.set $i0 (local.get $iend))
      (br $l0))))
`;
}

/**
 * Viterbi over a phone loop in float64 (see Kernels.viterbiForward): the max-plus step over the bigram
 * runs two destination phones per f64x2 operation; predecessors are carried as f64 lanes so one
 * bitselect updates score and argument together. Returns the address of the final scores (the last of
 * the two ping-pong buffers written).
 */
function viterbi(): string {
  const ld = (a: string) => `(f64.load ${a})`;
  return `
  (func (export "viterbi_forward") (param $lp i32) (param $T i32) (param $P i32) (param $bg i32) (param $init i32) (param $pri i32)
        (param $acw f64) (param $pen f64) (param $back i32) (param $ent i32) (param $prev i32) (param $cur i32) (param $best i32) (param $arg i32) (result i32)
    (local $t i32) (local $p i32) (local $q i32) (local $P2 i32) (local $from f64) (local $fv v128) (local $pv v128) (local $v v128) (local $m v128)
    (local $a f64) (local $enter f64) (local $stay f64) (local $row i32) (local $bgrow i32) (local $tmp i32) (local $vs f64)
    (local.set $P2 (i32.and (local.get $P) (i32.const -2)))
    (local.set $q (i32.const 0))
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_u (local.get $q) (local.get $P)))
      (f64.store (i32.add (local.get $prev) (i32.shl (local.get $q) (i32.const 3)))
        (f64.add (f64.sub ${ld(`(i32.add (local.get $init) (i32.shl (local.get $q) (i32.const 3)))`)} (local.get $pen))
          (f64.mul (local.get $acw) (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $lp) (i32.shl (local.get $q) (i32.const 2)))))
            ${ld(`(i32.add (local.get $pri) (i32.shl (local.get $q) (i32.const 3)))`)}))))
      (i32.store (i32.add (local.get $back) (i32.shl (local.get $q) (i32.const 2))) (i32.const -1))
      (i32.store8 (i32.add (local.get $ent) (local.get $q)) (i32.const 1))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l0)))
    (local.set $t (i32.const 1))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $t) (local.get $T)))
      ;; best = -inf, arg = 0
      (local.set $q (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $q) (local.get $P)))
        (f64.store (i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3))) (f64.const -inf))
        (f64.store (i32.add (local.get $arg) (i32.shl (local.get $q) (i32.const 3))) (f64.const 0))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $l1)))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $from ${ld(`(i32.add (local.get $prev) (i32.shl (local.get $p) (i32.const 3)))`)})
        (if (f64.ne (local.get $from) (f64.const -inf)) (then
          (local.set $fv (f64x2.splat (local.get $from)))
          (local.set $pv (f64x2.splat (f64.convert_i32_u (local.get $p))))
          (local.set $bgrow (i32.add (local.get $bg) (i32.shl (i32.mul (local.get $p) (local.get $P)) (i32.const 3))))
          (local.set $q (i32.const 0))
          (block $qd (loop $ql
            (br_if $qd (i32.ge_u (local.get $q) (local.get $P2)))
            (local.set $v (f64x2.add (local.get $fv) (v128.load (i32.add (local.get $bgrow) (i32.shl (local.get $q) (i32.const 3))))))
            (local.set $m (f64x2.gt (local.get $v) (v128.load (i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3))))))
            (v128.store (i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3)))
              (v128.bitselect (local.get $v) (v128.load (i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3)))) (local.get $m)))
            (v128.store (i32.add (local.get $arg) (i32.shl (local.get $q) (i32.const 3)))
              (v128.bitselect (local.get $pv) (v128.load (i32.add (local.get $arg) (i32.shl (local.get $q) (i32.const 3)))) (local.get $m)))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $ql)))
          (if (i32.lt_u (local.get $q) (local.get $P)) (then
            (local.set $vs (f64.add (local.get $from) ${ld(`(i32.add (local.get $bgrow) (i32.shl (local.get $q) (i32.const 3)))`)}))
            (if (f64.gt (local.get $vs) ${ld(`(i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3)))`)}) (then
              (f64.store (i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3))) (local.get $vs))
              (f64.store (i32.add (local.get $arg) (i32.shl (local.get $q) (i32.const 3))) (f64.convert_i32_u (local.get $p)))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $row (i32.mul (local.get $t) (local.get $P)))
      (local.set $q (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $q) (local.get $P)))
        (local.set $a (f64.mul (local.get $acw) (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $lp) (i32.shl (i32.add (local.get $row) (local.get $q)) (i32.const 2)))))
          ${ld(`(i32.add (local.get $pri) (i32.shl (local.get $q) (i32.const 3)))`)})))
        (local.set $enter (f64.sub ${ld(`(i32.add (local.get $best) (i32.shl (local.get $q) (i32.const 3)))`)} (local.get $pen)))
        (local.set $stay ${ld(`(i32.add (local.get $prev) (i32.shl (local.get $q) (i32.const 3)))`)})
        (if (f64.ge (local.get $stay) (local.get $enter))
          (then
            (f64.store (i32.add (local.get $cur) (i32.shl (local.get $q) (i32.const 3))) (f64.add (local.get $stay) (local.get $a)))
            (i32.store (i32.add (local.get $back) (i32.shl (i32.add (local.get $row) (local.get $q)) (i32.const 2))) (local.get $q))
            (i32.store8 (i32.add (local.get $ent) (i32.add (local.get $row) (local.get $q))) (i32.const 0)))
          (else
            (f64.store (i32.add (local.get $cur) (i32.shl (local.get $q) (i32.const 3))) (f64.add (local.get $enter) (local.get $a)))
            (i32.store (i32.add (local.get $back) (i32.shl (i32.add (local.get $row) (local.get $q)) (i32.const 2)))
              (i32.trunc_f64_u ${ld(`(i32.add (local.get $arg) (i32.shl (local.get $q) (i32.const 3)))`)}))
            (i32.store8 (i32.add (local.get $ent) (i32.add (local.get $row) (local.get $q))) (i32.const 1))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $l2)))
      (local.set $tmp (local.get $prev))
      (local.set $prev (local.get $cur))
      (local.set $cur (local.get $tmp))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl)))
    (local.get $prev))
`;
}

/** The whole module. `spillAddress` is a 32-byte scratch area the host reserves for partial tiles. */
export function kernelsWat(spillAddress: number): string {
  return `(module
  (import "env" "memory" (memory 1))
  (global $spill i32 (i32.const ${spillAddress}))
  ${expF32x4()}
  ${logScalar()}
  ${mapF32('sigmoid', (x) => `(call $sigmoid4 ${x})`)}
  ${mapF32('tanh', (x) => `(call $tanh4 ${x})`)}
  ${mapF32('relu', (x) => `(f32x4.max ${x} (v128.const f32x4 0 0 0 0))`)}
  ${mapF32('exp', (x) => `(call $exp4 ${x})`)}
  ${quantizers()}
  ${mapF32(
    'fixed_point',
    (x) => fixedPointExpr(x, '(f32x4.splat (local.get $s))', '(f32x4.splat (local.get $inv))'),
    '(param $s f32) (param $inv f32)',
  )}
  ${rowOps()}
  ${gemmF32()}
  ${gemmI8()}
  ${packing()}
  ${viterbi()}
  ${cellsWat()}
  ${deltaWat()}
)`;
}

export const WASM_PANEL = PANEL;
