/**
 * Synthetic run directories for the report tests: a real NSGA-II (src/search) over a toy but
 * plausible problem, the paper SRU's eight matrices with their MACs per frame, a SiLago-like or
 * Bitfusion-like cost model and a made-up error model (sensitivities per matrix, small deterministic
 * noise, beacons that recover part of the PTQ error). Written generation by generation through the
 * run-dir writers, exactly as a search would, so tests can also stop a run half way.
 */
import { appendEvaluations, appendHistory, createRunDir, writeCheckpoint, writeFront, writeStatus } from '../../src/search/run-dir.js';
import type { EvaluationRecord, FrontEntry, GeneSpec, ReferencePoint, RunConfig, RunState } from '../../src/search/run-format.js';
import { RUN_FORMAT } from '../../src/search/run-format.js';
import { createNSGA2 } from '../../src/search/nsga2.js';
import { hypervolume } from '../../src/search/indicators/hypervolume.js';
import { hashString } from '../../src/util/rng.js';
import { formatBitsSpec, parseBitsSpec } from '../../src/quant/bits-spec.js';

export const MATRICES = ['L0', 'L1.proj', 'L1', 'L2.proj', 'L2', 'L3.proj', 'L3', 'FC'];
/** MACs per frame of the paper SRU's matrices (both directions); they sum to 5,574,800. */
const MACS = [101_200, 281_600, 844_800, 281_600, 844_800, 281_600, 844_800, 2_094_400];
const TOTAL_MACS = MACS.reduce((a, b) => a + b, 0);
const EXTRA_BYTES = 38_400;
/** How much PER each matrix adds per unit of quantization damage, for weights and activations. */
const SENSITIVITY_W = [1.6, 0.5, 0.7, 0.45, 0.6, 0.4, 0.55, 0.9];
const SENSITIVITY_A = [1.2, 0.35, 0.5, 0.3, 0.45, 0.3, 0.4, 0.8];
const DAMAGE: Record<number, number> = { 32: 0, 16: 0.01, 8: 0.08, 4: 0.6, 2: 2.6 };
const FP32_ERROR = 16.92;
const MIB = 1024 ** 2;

export type SyntheticPlatform = 'silago' | 'bitfusion';

export interface SyntheticRunOptions {
  platform: SyntheticPlatform;
  /** Generations the config asks for. @default 12 */
  generations?: number;
  /** Stop after this many generations (an unfinished run). @default generations */
  stopAfter?: number;
  /** State written to status.json at the end. @default finished when the run completed, else running */
  state?: RunState;
  /** Bitfusion only: correct errors with beacons. @default true for bitfusion */
  beacons?: boolean;
  seed?: number;
  /** Write front.json (also for unfinished runs, as the search does after each generation). @default true */
  writeFront?: boolean;
}

interface Cost {
  error: number;
  speedup: number;
  energy: number;
  memoryBytes: number;
  compression: number;
}

function cost(platform: SyntheticPlatform, bits: Array<{ w: number; a: number }>, noiseKey: string): Cost {
  let speedNum = 0;
  let energy = 0;
  let memBits = 0;
  let damage = 0;
  bits.forEach(({ w, a }, i) => {
    const macs = MACS[i]!;
    if (platform === 'silago') {
      speedNum += macs * ({ 16: 1, 8: 2, 4: 4 } as Record<number, number>)[w]!;
      energy += macs * ({ 16: 1.666, 8: 1.084 / 2, 4: 0.613 / 4 } as Record<number, number>)[w]!;
    } else {
      speedNum += macs * Math.min(64, 256 / (w * a));
      energy += macs * (0.9 * (w * a) / 256 + 0.05);
    }
    energy += 0.08 * macs * w;
    memBits += macs * w;
    damage += SENSITIVITY_W[i]! * DAMAGE[w]! + SENSITIVITY_A[i]! * DAMAGE[a]!;
  });
  const noise = ((hashString(noiseKey) >>> 0) / 2 ** 32 - 0.5) * 0.3;
  const memoryBytes = memBits / 8 + EXTRA_BYTES;
  return {
    error: Math.round((FP32_ERROR + damage * (1 + damage / 40) + noise) * 1000) / 1000,
    speedup: speedNum / TOTAL_MACS,
    energy,
    memoryBytes,
    compression: (4 * TOTAL_MACS + 2 * EXTRA_BYTES) / memoryBytes,
  };
}

export function syntheticConfig(platform: SyntheticPlatform, opts: { generations: number; seed: number; beacons: boolean }): RunConfig {
  const silago = platform === 'silago';
  const genes: GeneSpec[] = silago
    ? MATRICES.map((m) => ({ name: m, matrices: [m], target: 'wa', choices: [4, 8, 16] }))
    : MATRICES.flatMap((m) => [
        { name: `${m}.w`, matrices: [m], target: 'w' as const, choices: [2, 4, 8, 16] },
        { name: `${m}.a`, matrices: [m], target: 'a' as const, choices: [2, 4, 8, 16] },
      ]);
  return {
    format: RUN_FORMAT,
    mohaqVersion: '0.1.0',
    createdAt: '2026-03-02T09:15:00.000Z',
    command: `mohaq search --model models/sru-timit.safetensors --platform ${platform} --generations ${opts.generations}`,
    model: { path: 'models/sru-timit.safetensors', name: 'sru-timit', sha256: 'ab'.repeat(32), parameters: TOTAL_MACS, fp32Bytes: 4 * TOTAL_MACS },
    data: { path: 'data/timit', split: 'dev-opt', utterances: 120, frames: 36_480 },
    platform: { name: platform, description: silago ? 'SiLago DRRA CGRA (16/8/4-bit, shared W/A)' : 'Bitfusion (2-16 bit, W and A independent)', spec: { name: platform } },
    objectives: silago ? ['error', 'speedup', 'energy'] : ['error', 'speedup'],
    constraints: silago ? { maxMemoryBytes: 6 * MIB, maxError: 24 } : { maxMemoryBytes: 2 * MIB, maxError: 30 },
    search: {
      algorithm: 'nsga2',
      populationSize: 40,
      offspringSize: 10,
      generations: opts.generations,
      seed: opts.seed,
      crossover: { prob: 1, eta: 3 },
      mutation: { eta: 3 },
      workers: 2,
    },
    matrices: [...MATRICES],
    genes,
    ...(opts.beacons ? { beacons: { mode: 'auto' as const, distance: 5, maxBeacons: 12, epochs: 20, promise: { minSpeedup: 8 } } } : {}),
  };
}

/** Writes a synthetic run into `dir` (created) and returns what it wrote. */
export function writeSyntheticRun(dir: string, options: SyntheticRunOptions): { config: RunConfig; evaluations: EvaluationRecord[] } {
  const generations = options.generations ?? 12;
  const stopAfter = Math.min(options.stopAfter ?? generations, generations);
  const seed = options.seed ?? 7;
  const silago = options.platform === 'silago';
  const useBeacons = !silago && (options.beacons ?? true);
  const config = syntheticConfig(options.platform, { generations, seed, beacons: useBeacons });
  createRunDir(dir, config, { now: new Date(config.createdAt) });

  const genes = config.genes;
  const bitsOf = (x: number[]): Array<{ w: number; a: number }> =>
    MATRICES.map((_, i) => (silago ? { w: genes[i]!.choices[x[i]!]!, a: genes[i]!.choices[x[i]!]! } : { w: genes[2 * i]!.choices[x[2 * i]!]!, a: genes[2 * i + 1]!.choices[x[2 * i + 1]!]! }));
  const { maxMemoryBytes, maxError } = config.constraints;
  const beacons: Array<{ id: string; w: number[] }> = [];
  const distance = (a: number[], b: number[]) => a.reduce((s, w, i) => s + Math.abs(Math.log2(w) - Math.log2(b[i]!)), 0);

  const algorithm = createNSGA2(
    { variables: genes.map((g) => ({ type: 'integer' as const, lower: 0, upper: g.choices.length - 1 })), objectives: config.objectives.length, constraints: 2 },
    { generations, populationSize: 40, offspringSize: 10, seed, crossover: { prob: 1, eta: 3 }, mutation: { eta: 3 } },
  );
  const evaluations: EvaluationRecord[] = [];
  const byGenome = new Map<string, EvaluationRecord>();
  // normalised objectives (PER / 40, -speedup / max speedup, energy / all-16 energy), reference at 1 (0 for speedup)
  const hvReference = silago ? [1, 0, 1] : [1, 0];
  const energy16 = cost(options.platform, MATRICES.map(() => ({ w: 16, a: 16 })), 'hv').energy;
  const normalised = (r: EvaluationRecord) => (silago ? [r.error / 40, -r.speedup / 4, r.energy / energy16] : [r.error / 40, -r.speedup / 64]);
  let seconds = 0;
  const started = Date.parse(config.createdAt);
  for (let generation = 1; generation <= stopAfter && algorithm.hasNext(); generation++) {
    const X = algorithm.ask();
    const records: EvaluationRecord[] = X.map((x) => {
      const key = x.join(';');
      const cached = byGenome.get(key);
      const bits = bitsOf(x);
      const c = cost(options.platform, bits, `${seed}:${key}`);
      let rec: EvaluationRecord = {
        index: evaluations.length,
        generation,
        genome: x.slice(),
        bits: formatBitsSpec(Object.fromEntries(MATRICES.map((m, i) => [m, bits[i]!])), MATRICES),
        ...c,
        feasible: true,
        violations: [],
        cacheHit: cached !== undefined,
        seconds: cached ? 0.002 : 1.8 + ((hashString(key) >>> 0) % 1000) / 1000,
      };
      if (useBeacons) {
        const w = bits.map((b) => b.w);
        rec.baseError = c.error;
        if (c.speedup >= 8 && c.error > FP32_ERROR + 1.5) {
          let nearest = beacons.map((b) => ({ b, d: distance(w, b.w) })).sort((p, q) => p.d - q.d)[0];
          if ((!nearest || nearest.d > 5) && beacons.length < 12) {
            beacons.push({ id: `b${beacons.length}`, w });
            nearest = { b: beacons[beacons.length - 1]!, d: 0 };
          }
          if (nearest && nearest.d <= 5) {
            const beaconError = Math.round((FP32_ERROR + (c.error - FP32_ERROR) * (0.45 + 0.08 * nearest.d)) * 1000) / 1000;
            rec = { ...rec, beacon: nearest.b.id, beaconError, error: Math.min(c.error, beaconError) };
          }
        }
      }
      const violations: string[] = [];
      if (maxMemoryBytes !== undefined && rec.memoryBytes > maxMemoryBytes) violations.push(`memory ${(rec.memoryBytes / MIB).toFixed(2)} MiB > limit ${(maxMemoryBytes / MIB).toFixed(2)} MiB`);
      if (maxError !== undefined && rec.error > maxError) violations.push(`PER ${rec.error.toFixed(2)}% > limit ${maxError}%; not kept`);
      rec.feasible = violations.length === 0;
      rec.violations = violations;
      byGenome.set(key, rec);
      evaluations.push(rec);
      return rec;
    });
    appendEvaluations(dir, records);
    algorithm.tell(
      records.map((r) => ({
        objectives: silago ? [r.error, -r.speedup, r.energy / 1e7] : [r.error, -r.speedup],
        constraints: [(r.memoryBytes - (maxMemoryBytes ?? Infinity)) / MIB, r.error - (maxError ?? Infinity)],
      })),
    );
    const front = algorithm.front().map((s) => byGenome.get(s.x.join(';'))!);
    const hv = hypervolume(front.map(normalised), hvReference);
    const genSeconds = records.reduce((s, r) => s + r.seconds, 0) / 2;
    seconds += genSeconds;
    appendHistory(dir, { generation, evaluations: evaluations.length, cacheHits: evaluations.filter((e) => e.cacheHit).length, frontSize: front.length, hypervolume: hv, seconds: genSeconds });
    const done = generation === generations || !algorithm.hasNext();
    if (options.writeFront ?? true) {
      writeFront(dir, {
        format: RUN_FORMAT,
        objectives: config.objectives,
        final: done,
        entries: front.map(frontEntry),
        references: references(options.platform),
        hypervolume: hv,
        hypervolumeReference: hvReference,
      });
    }
    writeCheckpoint(dir, { format: RUN_FORMAT, generation, evaluations: evaluations.length, savedAt: new Date(started + seconds * 1000).toISOString(), algorithm: algorithm.getState() });
    const state: RunState = done ? 'finished' : 'running';
    writeStatus(dir, {
      state: generation === stopAfter && options.state ? options.state : state,
      startedAt: config.createdAt,
      updatedAt: new Date(started + seconds * 1000).toISOString(),
      ...(done ? { finishedAt: new Date(started + seconds * 1000).toISOString() } : {}),
      generation,
      generations,
      evaluations: evaluations.length,
      seconds,
      ...(options.state === 'failed' && generation === stopAfter ? { message: 'out of memory in worker 1' } : {}),
    });
  }
  return { config, evaluations };
}

function frontEntry(r: EvaluationRecord): FrontEntry {
  return {
    id: r.index,
    bits: r.bits,
    perMatrix: parseBitsSpec(r.bits, MATRICES),
    error: r.error,
    speedup: r.speedup,
    energy: r.energy,
    memoryBytes: r.memoryBytes,
    compression: r.compression,
    ...(r.baseError !== undefined ? { baseError: r.baseError } : {}),
    ...(r.beacon !== undefined ? { beacon: r.beacon } : {}),
    fromBeacon: r.beaconError !== undefined && r.baseError !== undefined && r.beaconError < r.baseError,
  };
}

function references(platform: SyntheticPlatform): ReferencePoint[] {
  const uniform = (b: number) => MATRICES.map(() => ({ w: b, a: b }));
  const maxMemoryBytes = platform === 'silago' ? 6 * MIB : 2 * MIB;
  const out: ReferencePoint[] = [];
  const fp32Bytes = 4 * TOTAL_MACS + 2 * EXTRA_BYTES;
  out.push({ name: 'fp32', bits: '*=32/32', error: FP32_ERROR, speedup: 0.5, energy: cost(platform, uniform(16), 'fp32').energy * 2, memoryBytes: fp32Bytes, compression: 1, feasible: false });
  for (const b of [16, 8, 4]) {
    const c = cost(platform, uniform(b), `ref${b}`);
    out.push({ name: `all-${b}`, bits: `*=${b}/${b}`, ...c, feasible: c.memoryBytes <= maxMemoryBytes });
  }
  return out;
}
