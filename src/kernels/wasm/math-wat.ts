/** Vector math shared by the kernel generators, as inline WebAssembly text expressions. */

export const splat = (v: string) => `(v128.const f32x4 ${v} ${v} ${v} ${v})`;

/**
 * exp(x) on f32x4 as an expression (Cephes-style range reduction + degree-6 polynomial; |rel err| < 2e-7
 * on [-87, 88]), computed in the caller's v128 locals `${l}x`, `${l}n`, `${l}r`, `${l}p`. Hot kernels
 * inline it (V8 does not inline WASM calls); `$exp4` wraps the same code.
 */
export function expExpr(x: string, l = '$e'): string {
  const g = (n: string) => `(local.get ${l}${n})`;
  const poly = ['1.3981999507e-3', '8.3334519073e-3', '4.1665795894e-2', '1.6666665459e-1', '5.0000001201e-1'];
  return `(block (result v128)
    (local.set ${l}x (f32x4.min (f32x4.max ${x} ${splat('-87.3')}) ${splat('88.7')}))
    (local.set ${l}n (f32x4.nearest (f32x4.mul ${g('x')} ${splat('1.44269504')})))
    ;; r = x - n*ln2 (ln2 split into a high part exact in f32 and a low correction)
    (local.set ${l}r (f32x4.sub (f32x4.sub ${g('x')} (f32x4.mul ${g('n')} ${splat('0.693359375')})) (f32x4.mul ${g('n')} ${splat('-2.12194440e-4')})))
    (local.set ${l}p ${splat('1.9875691500e-4')})
    ${poly.map((c) => `(local.set ${l}p (f32x4.add (f32x4.mul ${g('p')} ${g('r')}) ${splat(c)}))`).join('\n    ')}
    ;; e^r = 1 + r + r^2 * p, times 2^n built in the exponent field
    (f32x4.mul (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${g('r')} ${g('r')}) ${g('p')}) ${g('r')}) ${splat('1')})
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${g('n')}) (v128.const i32x4 127 127 127 127)) (i32.const 23))))`;
}

/** The v128 locals `expExpr` needs. */
export const expLocals = (l = '$e'): string => ['x', 'n', 'r', 'p'].map((n) => `(local ${l}${n} v128)`).join(' ');

/** sigmoid(x) = 1 / (1 + exp(-x)) as an inline expression (see expExpr). */
export const sigmoidExpr = (x: string, l = '$e'): string => `(f32x4.div ${splat('1')} (f32x4.add ${splat('1')} ${expExpr(`(f32x4.neg ${x})`, l)}))`;

