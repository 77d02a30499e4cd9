/**
 * Assembles the kernel module from its generated WebAssembly text with wabt. The build (`npm ci` →
 * prepare) writes the binary next to the compiled backend; running from source assembles in-process.
 */
import { kernelsWat } from './wat.js';

export const KERNELS_WASM_FILE = 'kernels.wasm';
/** Byte address of the 32-byte spill tile (inside the reserved low page). */
export const SPILL_ADDRESS = 1024;

const FEATURES = { simd: true, sat_float_to_int: true, sign_extension: true, mutable_globals: true, bulk_memory: true };

export async function assembleKernels(): Promise<Uint8Array> {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const mod = wabt.parseWat('mohaq-kernels.wat', kernelsWat(SPILL_ADDRESS), FEATURES);
  try {
    mod.validate();
    const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
    return new Uint8Array(buffer);
  } finally {
    mod.destroy();
  }
}
