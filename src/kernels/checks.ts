/** Argument checks shared by both backends: a short array would make WASM read neighbours silently. */
import { MohaqError } from '../util/errors.js';

type Sized = { length: number };

export function checkLength(what: string, arr: Sized, needed: number): void {
  if (arr.length < needed) throw new MohaqError('INTERNAL', `${what}: array of ${arr.length} elements is shorter than the ${needed} the call needs`);
}

export function checkGemm(op: string, a: Sized, m: number, k: number, lda: number, bk: number, c: Sized, n: number, ldc: number, bias?: Sized): void {
  if (bk !== k) throw new MohaqError('INTERNAL', `${op}: A has ${k} columns but B has ${bk} rows`);
  if (lda < k) throw new MohaqError('INTERNAL', `${op}: lda ${lda} is smaller than k ${k}`);
  if (ldc < n) throw new MohaqError('INTERNAL', `${op}: ldc ${ldc} is smaller than n ${n}`);
  if (m > 0) {
    checkLength(`${op} A`, a, (m - 1) * lda + k);
    checkLength(`${op} C`, c, (m - 1) * ldc + n);
  }
  if (bias) checkLength(`${op} bias`, bias, n);
}
