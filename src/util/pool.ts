/**
 * Job-level parallelism: a pool of worker threads, each with its own state (its own WASM kernels, a
 * loaded model, ...), running independent tasks. Results never depend on the worker count: a task's
 * result is a function of the task alone, and `map` returns results in task order.
 *
 * A worker module exports `init(data)` (called once per worker, e.g. to load a model) and a default
 * function `(task) => result`. With `threads <= 1` the module runs in this thread, same contract.
 */
import { Piscina } from 'piscina';
import { siblingModule, workerEntry } from './workers.js';

export interface WorkerModule<Init, Task, Result> {
  init?(data: Init): void | Promise<void>;
  default(task: Task): Result | Promise<Result>;
}

export interface JobPool<Task, Result> {
  readonly threads: number;
  run(task: Task): Promise<Result>;
  /** Runs all tasks (in parallel across workers) and returns their results in order. */
  map(tasks: readonly Task[]): Promise<Result[]>;
  close(): Promise<void>;
}

export async function createPool<Init, Task, Result>(entry: URL, init: Init, threads: number): Promise<JobPool<Task, Result>> {
  if (threads <= 1) {
    const mod = (await import(entry.href)) as WorkerModule<Init, Task, Result>;
    await mod.init?.(init);
    return {
      threads: 1,
      run: async (task) => mod.default(task),
      map: async (tasks) => {
        const out: Result[] = [];
        for (const t of tasks) out.push(await mod.default(t));
        return out;
      },
      close: async () => {},
    };
  }
  const { filename, argv } = workerEntry(siblingModule(import.meta.url, 'pool-worker'));
  const piscina = new Piscina({
    filename: filename.href,
    argv,
    workerData: { entry: entry.href, init },
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
  });
  return {
    threads,
    run: (task) => piscina.run(task) as Promise<Result>,
    map: (tasks) => Promise.all(tasks.map((t) => piscina.run(t) as Promise<Result>)),
    close: () => piscina.destroy(),
  };
}
