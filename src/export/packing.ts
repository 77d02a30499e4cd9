/**
 * Sub-byte packing of 2- and 4-bit integer codes: codes in row-major order, 8 / bits codes per byte,
 * the first code in the lowest bits, each in two's complement (4-bit -8..7, 2-bit -2..1). A partial
 * last byte has zero high bits. The C export and the safetensors export use this one layout.
 */
import { invalidParameter } from '../util/errors.js';

export const PACKING_LAYOUT = 'row-major codes, 8/bits per byte, first code in the lowest bits, two\'s complement';

export function packedLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

export function packCodes(codes: ArrayLike<number>, bits: number): Uint8Array {
  if (bits !== 2 && bits !== 4) throw invalidParameter('packed bits', '2 or 4', bits);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const lo = -(1 << (bits - 1));
  const hi = (1 << (bits - 1)) - 1;
  const out = new Uint8Array(packedLength(codes.length, bits));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (!Number.isInteger(c) || c < lo || c > hi) throw invalidParameter(`code ${i}`, `a ${bits}-bit code in ${lo}..${hi}`, c);
    out[Math.floor(i / per)]! |= (c & mask) << ((i % per) * bits);
  }
  return out;
}

export function unpackCodes(bytes: Uint8Array, bits: number, count: number): Int8Array {
  if (bits !== 2 && bits !== 4) throw invalidParameter('packed bits', '2 or 4', bits);
  if (bytes.length !== packedLength(count, bits)) throw invalidParameter('packed codes', `${packedLength(count, bits)} bytes for ${count} ${bits}-bit codes`, bytes.length);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const sign = 1 << (bits - 1);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (bytes[Math.floor(i / per)]! >> ((i % per) * bits)) & mask;
    out[i] = v >= sign ? v - (1 << bits) : v;
  }
  return out;
}
