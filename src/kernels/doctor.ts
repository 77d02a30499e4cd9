/**
 * `mohaq doctor`: a self-check of the numeric core on this machine. It runs the fast backend against
 * the reference backend on a few shapes and times a GEMM, so a user knows mohaq computes correctly and
 * how fast it will be here.
 */
import { kernels } from './backend.js';
import { createRefKernels } from './ref.js';
import { VERSION } from '../util/version.js';
import { Rng } from '../util/rng.js';

export interface DoctorReport {
  ok: boolean;
  mohaq: string;
  node: string;
  backend: string;
  checks: Array<{ name: string; ok: boolean; maxError: number }>;
  gemmGflops: number;
}

export async function runDoctor(): Promise<DoctorReport> {
  const fast = kernels();
  const ref = createRefKernels();
  const rng = new Rng(1);
  const checks: DoctorReport['checks'] = [];
  for (const [m, k, n] of [
    [1, 7, 13],
    [33, 65, 31],
    [64, 128, 96],
  ] as const) {
    const a = new Float32Array(m * k);
    const b = new Float32Array(k * n);
    rng.fillUniform(a, -1, 1);
    rng.fillUniform(b, -1, 1);
    const c1 = new Float32Array(m * n);
    const c2 = new Float32Array(m * n);
    const p1 = fast.packF32(b, k, n);
    const p2 = ref.packF32(b, k, n);
    fast.gemmF32(a, m, k, p1, c1);
    ref.gemmF32(a, m, k, p2, c2);
    p1.dispose();
    let err = 0;
    for (let i = 0; i < c1.length; i++) err = Math.max(err, Math.abs(c1[i]! - c2[i]!));
    checks.push({ name: `gemm f32 ${m}x${k}x${n}`, ok: err < 1e-4, maxError: err });
  }
  {
    const [m, k, n] = [37, 130, 29];
    const a = Int8Array.from({ length: m * k }, () => rng.int(256) - 128);
    const b = Int8Array.from({ length: k * n }, () => rng.int(256) - 128);
    const c1 = new Int32Array(m * n);
    const c2 = new Int32Array(m * n);
    const p1 = fast.packI8(b, k, n);
    fast.gemmI8(a, m, k, p1, c1);
    ref.gemmI8(a, m, k, ref.packI8(b, k, n), c2);
    p1.dispose();
    let err = 0;
    for (let i = 0; i < c1.length; i++) err = Math.max(err, Math.abs(c1[i]! - c2[i]!));
    checks.push({ name: `gemm int8 ${m}x${k}x${n} (bit-exact)`, ok: err === 0, maxError: err });
  }
  const [m, k, n] = [256, 512, 512];
  const a = new Float32Array(m * k);
  const b = new Float32Array(k * n);
  rng.fillUniform(a, -1, 1);
  rng.fillUniform(b, -1, 1);
  const c = new Float32Array(m * n);
  const p = fast.packF32(b, k, n);
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    fast.gemmF32(a, m, k, p, c);
    times.push(performance.now() - t0);
  }
  p.dispose();
  times.sort((x, y) => x - y);
  const gemmGflops = (2 * m * k * n) / (times[2]! * 1e6);
  return {
    ok: checks.every((c) => c.ok),
    mohaq: VERSION,
    node: process.version,
    backend: fast.name,
    checks,
    gemmGflops,
  };
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines = [`mohaq ${r.mohaq} on Node ${r.node}`, `kernel backend: ${r.backend}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (max error ${c.maxError.toExponential(2)})`);
  lines.push(`fp32 GEMM 256x512x512: ${r.gemmGflops.toFixed(1)} GFLOP/s (median of 5)`);
  lines.push(r.ok ? 'all checks passed' : 'SOME CHECKS FAILED');
  return `${lines.join('\n')}\n`;
}
