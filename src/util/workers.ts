/**
 * Worker threads that work both from the built package (dist/*.js) and from TypeScript source (tests,
 * benchmarks): from source a small shim registers tsx in the worker before loading the entry, because
 * Node 20 does not carry the parent's `--import tsx` into worker threads.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of a sibling module `name` (without extension) of `importMetaUrl`, as .ts from source or .js when built. */
export function siblingModule(importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl);
}

const SHIM = new URL('./worker-shim.mjs', import.meta.url);

/** How to start `entry` in a worker: the file to load and the argv to pass (for `Worker` or piscina). */
export function workerEntry(entry: URL): { filename: URL; argv: string[] } {
  if (entry.href.endsWith('.ts')) return { filename: SHIM, argv: [entry.href] };
  return { filename: entry, argv: [] };
}

export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const { filename, argv } = workerEntry(entry);
  return new Worker(filename, { ...options, argv: [...(options.argv ?? []), ...argv] });
}
