/**
 * Benchmark helpers: warm up, repeat, report medians. Benchmarks live here, never in the tests; each
 * `bench/<topic>.bench.ts` is a script that prints its own table through `report`.
 */
export interface Measurement {
  name: string;
  /** Median seconds per run. */
  median: number;
  min: number;
  max: number;
  runs: number;
  /** Optional throughput figure derived from the median (e.g. GFLOP/s, frames/s). */
  rate?: { value: number; unit: string };
  /** Optional target, printed beside the figure. */
  target?: string;
}

export interface MeasureOptions {
  warmup?: number;
  repeats?: number;
  /** Work per run, to report a rate: e.g. { amount: flops / 1e9, unit: 'GFLOP/s' }. */
  work?: { amount: number; unit: string };
  target?: string;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function measure(name: string, fn: () => unknown | Promise<unknown>, opts: MeasureOptions = {}): Promise<Measurement> {
  const warmup = opts.warmup ?? 1;
  const repeats = opts.repeats ?? 5;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  const med = median(times);
  const m: Measurement = { name, median: med, min: Math.min(...times), max: Math.max(...times), runs: repeats };
  if (opts.work) m.rate = { value: opts.work.amount / med, unit: opts.work.unit };
  if (opts.target) m.target = opts.target;
  return m;
}

function fmtSeconds(s: number): string {
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} us`;
  if (s < 1) return `${(s * 1e3).toFixed(2)} ms`;
  return `${s.toFixed(3)} s`;
}

function fmtRate(v: number): string {
  if (v >= 1000) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Prints a table of measurements (median, min-max, rate, target). */
export function report(title: string, rows: Measurement[]): void {
  console.log(`\n## ${title}`);
  const lines = rows.map((r) => [
    r.name,
    fmtSeconds(r.median),
    `${fmtSeconds(r.min)} - ${fmtSeconds(r.max)}`,
    r.rate ? `${fmtRate(r.rate.value)} ${r.rate.unit}` : '',
    r.target ?? '',
  ]);
  const head = ['benchmark', 'median', 'min - max', 'rate (median)', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}
