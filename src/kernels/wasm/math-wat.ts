/** Vector math shared by the kernel generators, as inline WebAssembly text expressions. */

export const splat = (v: string) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;

/**
 * x clamped to [lo, hi] (constants, neither of them zero) with pseudo-min/max: one minps/maxps each on
 * x64, where f32x4.min/max cost about seven instructions for NaN and signed-zero rules that cannot
 * matter here (x first, so a NaN x stays NaN; bounds are nonzero, so no -0/+0 choice arises).
 */
export const clampExpr = (x: string, lo: string, hi: string): string => `(f32x4.pmin (f32x4.pmax ${x} ${splat(lo)}) ${splat(hi)})`;

/** 16-bit fixed point of x: round(x * scale) clamped to [-32768, 32767], times 1/scale. */
export const fixedPointExpr = (x: string, scale: string, inverse: string): string =>
  `(f32x4.mul ${clampExpr(`(f32x4.nearest (f32x4.mul ${x} ${scale}))`, '-32768', '32767')} ${inverse})`;

/**
 * exp(x) on f32x4 as an expression (Cephes-style range reduction + degree-6 polynomial; |rel err| < 2e-7
 * on [-87, 88]), computed in the caller's v128 locals `${l}x`, `${l}n`, `${l}r`, `${l}p`. Hot kernels
 * inline it (V8 does not inline WASM calls); `$exp4` wraps the same code.
 */
export function expExpr(x: string, l = '$e'): string {
  const g = (n: string) => `(local.get ${l}${n})`;
  const poly = ['1.3981999507e-3', '8.3334519073e-3', '4.1665795894e-2', '1.6666665459e-1', '5.0000001201e-1'];
  return `(block (result v128)
    (local.set ${l}x ${clampExpr(x, '-87.3', '88.7')})
    ;; t = x*log2(e) + 1.5*2^23 rounds to an integer (ties to even, as f32x4.nearest) held in t's low
    ;; mantissa bits; n = t - 1.5*2^23 is that integer as a float, and (bits(t) + 127) << 23 is 2^n
    ;; (the shift drops the magic constant's bits), cheaper than nearest + trunc_sat
    (local.set ${l}t (f32x4.add (f32x4.mul ${g('x')} ${splat('1.44269504')}) ${splat('12582912')}))
    (local.set ${l}n (f32x4.sub ${g('t')} ${splat('12582912')}))
    ;; r = x - n*ln2 (ln2 split into a high part exact in f32 and a low correction)
    (local.set ${l}r (f32x4.sub (f32x4.sub ${g('x')} (f32x4.mul ${g('n')} ${splat('0.693359375')})) (f32x4.mul ${g('n')} ${splat('-2.12194440e-4')})))
    (local.set ${l}p ${splat('1.9875691500e-4')})
    ${poly.map((c) => `(local.set ${l}p (f32x4.add (f32x4.mul ${g('p')} ${g('r')}) ${splat(c)}))`).join('\n    ')}
    ;; e^r = 1 + r + r^2 * p, times 2^n built in the exponent field
    (f32x4.mul (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${g('r')} ${g('r')}) ${g('p')}) ${g('r')}) ${splat('1')})
      (i32x4.shl (i32x4.add ${g('t')} (v128.const i32x4 127 127 127 127)) (i32.const 23))))`;
}

/** The v128 locals `expExpr` needs. */
export const expLocals = (l = '$e'): string => ['x', 'n', 'r', 'p', 't'].map((n) => `(local ${l}${n} v128)`).join(' ');

/** sigmoid(x) = 1 / (1 + exp(-x)) as an inline expression (see expExpr). */
export const sigmoidExpr = (x: string, l = '$e'): string => `(f32x4.div ${splat('1')} (f32x4.add ${splat('1')} ${expExpr(`(f32x4.neg ${x})`, l)}))`;

