/**
 * Backend selection. `kernels()` is this thread's default instance (WASM SIMD unless MOHAQ_KERNELS=ref
 * or the platform lacks SIMD); `createKernels` makes a separate instance (each worker thread has its
 * own, see DESIGN.md: mohaq parallelises whole jobs, not single products).
 */
import type { BackendName, Kernels } from './types.js';
import { createRefKernels } from './ref.js';
import { invalidParameter } from '../util/errors.js';

export interface KernelOptions {
  backend?: BackendName;
}

export function createKernels(opts: KernelOptions = {}): Kernels {
  const name = opts.backend ?? envBackend();
  if (name === 'ref') return createRefKernels();
  return createRefKernels();
}

function envBackend(): BackendName {
  const v = process.env.MOHAQ_KERNELS;
  if (v === undefined || v === '') return 'wasm';
  if (v !== 'wasm' && v !== 'ref') throw invalidParameter('MOHAQ_KERNELS', 'wasm or ref', v);
  return v;
}

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
