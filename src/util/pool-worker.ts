// The piscina task function of every pool: loads the pool's worker module and initialises it once.
import { workerData } from 'node:worker_threads';
import type { WorkerModule } from './pool.js';

const { entry, init } = workerData as { entry: string; init: unknown };
let ready: Promise<WorkerModule<unknown, unknown, unknown>> | null = null;

async function load(): Promise<WorkerModule<unknown, unknown, unknown>> {
  const mod = (await import(entry)) as WorkerModule<unknown, unknown, unknown>;
  await mod.init?.(init);
  return mod;
}

export default async function runTask(task: unknown): Promise<unknown> {
  ready ??= load();
  return (await ready).default(task);
}
