/**
 * Beacon-based search (DESIGN.md section 7): post-training quantization underrates aggressive genomes
 * that retraining would rescue, and retraining every candidate is unaffordable. A few promising
 * genomes are retrained (quantization-aware, from the full-precision model) into "beacons"; a genome
 * near a beacon is also scored with the beacon's weights re-quantized to its own bits, and keeps the
 * better of the two errors.
 *
 * Distance between genomes: the sum over weight genes of |log2 bits_a - log2 bits_b| (activation genes
 * do not count, as in the papers' code). Promising: inside the memory constraint, speedup at least
 * `minSpeedup`, error above `minError` (good enough already otherwise) and at most `maxError` (beyond
 * rescue otherwise).
 *
 * Beacons live in RUN_DIR/beacons/: one model file each and beacons.json (written atomically after
 * each beacon), so a resumed search reuses every finished beacon; a beacon whose retraining was killed
 * resumes from its training checkpoint.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { formatBitsSpec, parseBitsSpec } from '../quant/bits-spec.js';
import { MohaqError, invalidFile } from '../util/errors.js';
import { readJson, writeJsonAtomic } from '../util/fsx.js';
import type { GeneSpec } from './run-format.js';
import { decodeGenome, encodeGenome } from './genes.js';

export const BEACONS_DIR = 'beacons';
export const BEACONS_FILE = 'beacons.json';

export interface PromiseCriteria {
  /** A genome with a PTQ error at or below this is good enough without a beacon. */
  minError: number;
  /** A genome with a PTQ error above this is beyond rescue. */
  maxError: number;
  /** Only genomes at least this fast get a beacon. */
  minSpeedup: number;
}

export interface BeaconSettings {
  /** `auto` creates beacons as the search finds promising genomes; `file` uses a fixed set. */
  mode: 'auto' | 'file';
  file?: string;
  /** Largest distance at which a beacon serves a genome. @default 5 (the papers) */
  distance: number;
  /** Most beacons an `auto` search retrains. */
  maxBeacons: number;
  /** QAT epochs per beacon. */
  epochs: number;
  promise: PromiseCriteria;
  /** Retraining options passed to the trainer. */
  lr: number;
  batchSize: number;
}

export interface Beacon {
  id: string;
  bits: string;
  genome: number[];
  /** Model file, relative to the run directory. */
  model: string;
  /** Evaluation index of the genome that became this beacon (-1 for a fixed beacon). */
  origin: number;
  /** Seconds of retraining. */
  seconds: number;
  /** Dev PER (%) of the genome with the base model (PTQ) and after retraining. */
  devBefore: number;
  devAfter: number;
}

const beaconSchema = z.object({
  id: z.string().min(1),
  bits: z.string().min(1),
  genome: z.array(z.number().int().min(0)),
  model: z.string().min(1),
  origin: z.number().int(),
  seconds: z.number().min(0),
  devBefore: z.number(),
  devAfter: z.number(),
});
const beaconsFileSchema = z.object({ format: z.literal('mohaq-beacons/1'), beacons: z.array(beaconSchema) });

/** Distance between genomes over the weight genes, in log2-bit steps. */
export function weightDistance(genes: readonly GeneSpec[], a: readonly number[], b: readonly number[]): number {
  let d = 0;
  genes.forEach((g, i) => {
    if (g.target === 'w' || g.target === 'wa') d += Math.abs(Math.log2(g.choices[a[i]!]!) - Math.log2(g.choices[b[i]!]!));
  });
  return d;
}

export function isPromising(p: PromiseCriteria, m: { error: number; speedup: number; memoryOk: boolean }): boolean {
  return m.memoryOk && m.speedup >= p.minSpeedup && m.error > p.minError && m.error <= p.maxError;
}

/** The beacon nearest to a genome within `maxDistance` (ties: the older beacon), or null. */
export function nearestBeacon(genes: readonly GeneSpec[], beacons: readonly Beacon[], genome: readonly number[], maxDistance: number): { beacon: Beacon; distance: number } | null {
  let best: { beacon: Beacon; distance: number } | null = null;
  for (const b of beacons) {
    const d = weightDistance(genes, b.genome, genome);
    if (d <= maxDistance && (!best || d < best.distance)) best = { beacon: b, distance: d };
  }
  return best;
}

export function readBeacons(runDir: string): Beacon[] {
  const file = join(runDir, BEACONS_DIR, BEACONS_FILE);
  if (!existsSync(file)) return [];
  const r = beaconsFileSchema.safeParse(readJson(file, 'beacons file'));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalidFile(file, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const b of r.data.beacons) {
    if (!existsSync(join(runDir, b.model))) throw invalidFile(file, `beacon "${b.id}": its model ${b.model} is missing`);
  }
  return r.data.beacons;
}

export function writeBeacons(runDir: string, beacons: readonly Beacon[]): void {
  mkdirSync(join(runDir, BEACONS_DIR), { recursive: true });
  writeJsonAtomic(join(runDir, BEACONS_DIR, BEACONS_FILE), { format: 'mohaq-beacons/1', beacons });
}

/** Where a new beacon's model (and its training checkpoint) go. */
export function beaconModelPath(runDir: string, id: string): { absolute: string; relative: string } {
  const absolute = resolve(runDir, BEACONS_DIR, `${id}.safetensors`);
  return { absolute, relative: relative(resolve(runDir), absolute) };
}

/**
 * A fixed beacon set (`--beacons FILE`): JSON `[{ "bits": "*=4/4,FC=8/8", "model"?: "beacon.safetensors" }, ...]`.
 * Entries with a model are used as they are; the others are retrained at the start of the search.
 */
export interface FixedBeacon {
  bits: string;
  genome: number[];
  model?: string;
}

const fixedSchema = z.array(z.object({ id: z.string().optional(), bits: z.string().min(1), model: z.string().optional() }).strict()).min(1);

export function readFixedBeacons(file: string, genes: readonly GeneSpec[], matrices: readonly string[]): FixedBeacon[] {
  const r = fixedSchema.safeParse(readJson(file, 'beacon set file'));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalidFile(file, `${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') || '(root)'}: ${issue.message}; expected [{ "bits": "*=4/4,FC=8/8", "model": "optional.safetensors" }, ...]`);
  }
  return r.data.map((e, i) => {
    const bits = parseBitsSpec(e.bits, matrices, { flag: `${file} [${i}].bits` });
    const genome = encodeGenome(genes, bits);
    if (!genome) throw new MohaqError('INVALID_ARGUMENT', `${file} [${i}].bits: ${formatBitsSpec(bits, [...matrices])} is not a genome of this platform's genes`);
    if (e.model && !existsSync(e.model)) throw invalidFile(file, `[${i}].model: ${e.model} does not exist`);
    return { bits: formatBitsSpec(decodeGenome(genes, genome), [...matrices]), genome, ...(e.model ? { model: resolve(e.model) } : {}) };
  });
}

/** What the beacon manager needs from the search: scoring genomes with a model, and retraining one. */
export interface BeaconServices {
  /** PER (%) of genomes quantized from the given model file (`id` names it for the worker caches). */
  score(id: string, modelPath: string, genomes: readonly number[][]): Promise<number[]>;
  /** QAT of the base model at a genome's bits into `out` (resuming its checkpoint if one exists). */
  retrain(genome: readonly number[], out: string): Promise<{ devBefore: number; devAfter: number }>;
  log(message: string): void;
}

/** A record the manager may correct: its genome, PTQ error, and whether it is a candidate at all. */
export interface BeaconCandidate {
  genome: number[];
  index: number;
  error: number;
  speedup: number;
  memoryOk: boolean;
  /** Set by `correct` when a beacon served the genome. */
  baseError?: number;
  beacon?: string;
  beaconError?: number;
}

export class BeaconManager {
  readonly beacons: Beacon[];

  constructor(
    readonly runDir: string,
    readonly genes: readonly GeneSpec[],
    readonly matrices: readonly string[],
    readonly settings: BeaconSettings,
    readonly services: BeaconServices,
  ) {
    this.beacons = readBeacons(runDir);
  }

  /** A fixed set: retrain the entries that have no model yet (already-finished ones are reused). */
  async prepareFixed(): Promise<void> {
    if (this.settings.mode !== 'file' || !this.settings.file) return;
    const fixed = readFixedBeacons(this.settings.file, this.genes, this.matrices);
    for (const [i, f] of fixed.entries()) {
      const id = `f${i + 1}`;
      if (this.beacons.some((b) => b.id === id)) continue;
      if (f.model) {
        this.add({ id, bits: f.bits, genome: f.genome, model: f.model, origin: -1, seconds: 0, devBefore: NaN, devAfter: NaN });
      } else {
        await this.create(id, f.genome, -1);
      }
    }
  }

  private add(b: Beacon): void {
    this.beacons.push(b);
    writeBeacons(this.runDir, this.beacons);
  }

  private async create(id: string, genome: readonly number[], origin: number): Promise<Beacon> {
    const path = beaconModelPath(this.runDir, id);
    const bits = formatBitsSpec(decodeGenome(this.genes, genome), [...this.matrices]);
    this.services.log(`beacon ${id}: retraining ${bits} (${this.settings.epochs} QAT epochs)`);
    const t0 = Date.now();
    const r = await this.services.retrain(genome, path.absolute);
    const b: Beacon = { id, bits, genome: [...genome], model: path.relative, origin, seconds: (Date.now() - t0) / 1000, devBefore: r.devBefore, devAfter: r.devAfter };
    this.add(b);
    this.services.log(`beacon ${id}: dev PER ${r.devBefore.toFixed(2)}% -> ${r.devAfter.toFixed(2)}% in ${b.seconds.toFixed(0)} s`);
    return b;
  }

  modelPath(b: Beacon): string {
    return resolve(this.runDir, b.model);
  }

  /**
   * Serves promising candidates, in order: the nearest beacon within the distance, or (auto mode,
   * below the limit) a new beacon made from the candidate itself. Each served candidate gets the error
   * of its genome quantized from the beacon's weights, and keeps the smaller error.
   */
  async correct(candidates: BeaconCandidate[]): Promise<void> {
    const served = new Map<Beacon, BeaconCandidate[]>();
    for (const c of candidates) {
      if (!isPromising(this.settings.promise, c)) continue;
      let b = nearestBeacon(this.genes, this.beacons, c.genome, this.settings.distance)?.beacon ?? null;
      if (!b && this.settings.mode === 'auto' && this.beacons.length < this.settings.maxBeacons) {
        b = await this.create(`b${this.beacons.filter((x) => x.id.startsWith('b')).length + 1}`, c.genome, c.index);
      }
      if (!b) continue;
      const list = served.get(b) ?? [];
      list.push(c);
      served.set(b, list);
    }
    const jobs = [...served.entries()].map(async ([b, list]) => {
      const errors = await this.services.score(b.id, this.modelPath(b), list.map((c) => c.genome));
      list.forEach((c, i) => {
        c.baseError = c.error;
        c.beacon = b.id;
        c.beaconError = errors[i]!;
        c.error = Math.min(c.error, errors[i]!);
      });
    });
    await Promise.all(jobs);
  }
}
