/**
 * Backend selection. `kernels()` is this thread's default instance (WASM SIMD unless MOHAQ_KERNELS=ref
 * or the platform lacks SIMD); `createKernels` makes a separate instance (each worker thread has its
 * own, see DESIGN.md: mohaq parallelises whole jobs, not single products).
 */
import type { BackendName, Kernels } from './types.js';
import { createRefKernels } from './ref.js';
import { createWasmKernels } from './wasm/backend.js';
import { invalidParameter } from '../util/errors.js';
import './wasm/wasm-global.js';

export interface KernelOptions {
  backend?: BackendName;
  /** WASM memory of this instance in MiB (default MOHAQ_KERNEL_MEMORY_MIB or 2047; reserved, not committed). */
  memoryMiB?: number;
}

export function createKernels(opts: KernelOptions = {}): Kernels {
  const name = opts.backend ?? envBackend();
  if (name === 'ref') return createRefKernels();
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    process.emitWarning('WebAssembly SIMD is not available here; mohaq falls back to its slow reference kernels');
    return createRefKernels();
  }
  return createWasmKernels(opts.memoryMiB);
}

function envBackend(): BackendName {
  const v = process.env.MOHAQ_KERNELS;
  if (v === undefined || v === '') return 'wasm';
  if (v !== 'wasm' && v !== 'ref') throw invalidParameter('MOHAQ_KERNELS', 'wasm or ref', v);
  return v;
}

// (module (func (result v128) (v128.const i64x2 0 0)))
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

let defaultInstance: Kernels | null = null;

export function kernels(): Kernels {
  if (!defaultInstance) defaultInstance = createKernels();
  return defaultInstance;
}

/** Replace this thread's default backend (tests, `--kernels ref`). */
export function setDefaultBackend(name: BackendName): Kernels {
  defaultInstance = createKernels({ backend: name });
  return defaultInstance;
}
