/**
 * The cost of a genome on a platform: one pure function, `platformCost`.
 *
 * Units: energy in pJ per input frame, memory in bytes, cycles per frame, latency in seconds per frame.
 *
 * - Speedup is relative to every matrix at 16x16 on the same platform, so all-16 is exactly 1.
 *   Analytic platforms: sum_m MAC_m s_m / sum_m MAC_m (MAC-weighted, as the papers; not their
 *   normaliser 5,637,500 nor the variant halving it). Fusion-array platforms: cycles(all-16) / cycles.
 * - Energy (analytic): sum_m MAC_m E(w_m, a_m) + bits of parameters read per frame x pJ per bit
 *   (weights at their precision and the 16-bit extras; the bits beyond `memory.onChip` at the DRAM
 *   price). Saving = 1 - E / E(all-16), null when the platform has no 16x16 energy.
 * - Memory: see memory.ts. Feasible = every matrix runs at its requested precisions and the memory
 *   fits the platform capacity; `violations` says what is wrong, one sentence each.
 * - A request the platform cannot run (2-bit on SiLago, w != a on a shared datapath, 32-bit float
 *   anywhere but `size`) is costed as what would run: each operand rounded up to the next supported
 *   precision (or the widest), the wider of the two on a shared datapath. Those figures are for
 *   information; the genome is infeasible.
 */
import type { BitsAssignment, MatrixBits } from '../quant/bits-spec.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import type { Inventory } from './inventory.js';
import { extraBits, extrasBytes, fp32Bytes, matrixBytes, modelBytes, MIB } from './memory.js';
import { fusionArrayCosts } from './fusion-array.js';
import type { FusionMatrixCost } from './fusion-array.js';
import { lookupPrecision } from './platform.js';
import type { AnalyticModel, Platform, SpeedupSpec } from './platform.js';

export interface MatrixCost {
  readonly name: string;
  /** Requested precisions. */
  readonly w: number;
  readonly a: number;
  /** Precisions the platform runs (equal to w, a unless the request is infeasible). */
  readonly runW: number;
  readonly runA: number;
  readonly macsPerFrame: number;
  /** Bytes of the matrix at w bits (all copies). */
  readonly bytes: number;
  /** Speedup of this matrix vs 16x16 on the same platform. */
  readonly speedup: number;
  /** pJ per frame of this matrix (MACs and its weight traffic); null without an energy model. */
  readonly energyPj: number | null;
  /** Fusion-array platforms: cycles per frame and where they come from; null elsewhere. */
  readonly cycles: number | null;
  readonly detail: FusionMatrixCost | null;
}

export interface PlatformCost {
  readonly platform: string;
  readonly speedup: number;
  /** pJ per frame; null when the platform has no energy model. */
  readonly energyPj: number | null;
  readonly energyAll16Pj: number | null;
  /** 1 - energy / energy at all-16. */
  readonly energySaving: number | null;
  readonly memoryBytes: number;
  readonly fp32Bytes: number;
  /** fp32 bytes / memory bytes. */
  readonly compression: number;
  readonly extras: { readonly count: number; readonly bits: number; readonly bytes: number; readonly energyPj: number | null };
  /** Fusion-array platforms only (else null): cycles per frame, of all-16, and seconds per frame. */
  readonly cycles: number | null;
  readonly cyclesAll16: number | null;
  /** Compute cycles alone of all-16 (what all-16 would take if its weights were on chip). */
  readonly computeCyclesAll16: number | null;
  readonly latencySeconds: number | null;
  readonly dramBitsPerFrame: number | null;
  readonly feasible: boolean;
  readonly violations: readonly string[];
  readonly matrices: readonly MatrixCost[];
}

const ALL16: MatrixBits = { w: 16, a: 16 };

function bitsLabel(p: number): string {
  return p === 32 ? '32-bit float' : `${p}-bit`;
}

export function formatMiB(bytes: number): string {
  return `${(bytes / MIB).toFixed(2)} MiB`;
}

/** Throws unless `bits` has exactly the inventory's matrices with positive integer bits. */
export function checkAssignment(inventory: Inventory, bits: BitsAssignment): void {
  const names = new Set(inventory.matrices.map((m) => m.name));
  for (const m of inventory.matrices) {
    const b = bits[m.name];
    if (!b) throw new MohaqError('INVALID_ARGUMENT', `The bits assignment has no entry for ${m.name} (every matrix of ${inventory.architecture} needs one)`);
    for (const k of ['w', 'a'] as const) {
      if (!Number.isInteger(b[k]) || b[k] < 1 || b[k] > 32) throw invalidParameter(`bits of ${m.name}.${k}`, 'an integer number of bits in 1..32', b[k]);
    }
  }
  for (const k of Object.keys(bits)) {
    if (!names.has(k)) throw invalidParameter('the bits assignment', `only matrices of ${inventory.architecture} (${[...names].join(', ')})`, k);
  }
}

/** The supported precision a requested one runs at: itself, the next wider, or the widest. */
function runnable(supported: readonly number[], p: number): number {
  return supported.find((s) => s >= p) ?? supported[supported.length - 1]!;
}

function runPrecisions(platform: Platform, inventory: Inventory, bits: BitsAssignment, violations: string[]): MatrixBits[] {
  return inventory.matrices.map((m) => {
    const { w, a } = bits[m.name]!;
    let runW = runnable(platform.weights, w);
    let runA = runnable(platform.activations, a);
    const reasons: string[] = [];
    if (runW !== w) reasons.push(`${bitsLabel(w)} weights (supported: ${platform.weights.join(', ')})`);
    if (runA !== a) reasons.push(`${bitsLabel(a)} activations (supported: ${platform.activations.join(', ')})`);
    if (platform.shared && runW !== runA) {
      runW = runA = Math.max(runW, runA);
      reasons.push('different weight and activation precisions (one shared precision per matrix)');
    } else if (platform.shared && w !== a) {
      reasons.push('different weight and activation precisions (one shared precision per matrix)');
    }
    if (reasons.length > 0) violations.push(`${m.name}: ${w}/${a} is not supported by ${platform.name}: ${reasons.join('; ')}; costed as ${runW}/${runA}`);
    return { w: runW, a: runA };
  });
}

function speedupFactor(s: SpeedupSpec, w: number, a: number): number {
  switch (s.kind) {
    case 'table':
      return lookupPrecision(s.table, w, a) ?? NaN;
    case 'per-mac':
      return lookupPrecision(s.perMac, w, a) ?? NaN;
    case 'bitfusion':
      return Math.min(s.max ?? 64, 256 / (w * a));
    case 'none':
      return 1;
  }
}

/**
 * Energy per matrix and of the extras for one frame, or null without an energy model or when a MAC
 * energy is missing for a pair (only possible for the all-16 reference of a platform without 16-bit).
 */
function analyticEnergy(model: AnalyticModel, inventory: Inventory, run: readonly MatrixBits[], extraBitsEach: number): { matrices: number[]; extras: number } | null {
  const e = model.energy;
  if (!e) return null;
  let onChipLeft = e.onChipBytes === null ? Infinity : e.onChipBytes * 8;
  // Parameters fill the on-chip memory in forward order after the (small, always needed) extras.
  const readCost = (bitsRead: number): number => {
    const sram = Math.min(bitsRead, onChipLeft);
    onChipLeft -= sram;
    return sram * e.perBitSram + (bitsRead - sram) * e.perBitDram;
  };
  const extras = readCost(inventory.extras * extraBitsEach);
  const matrices: number[] = [];
  for (let i = 0; i < inventory.matrices.length; i++) {
    const m = inventory.matrices[i]!;
    const { w, a } = run[i]!;
    let pj = 0;
    if (e.perMac) {
      const perMac = lookupPrecision(e.perMac, w, a);
      if (perMac === undefined) return null;
      pj += m.macsPerFrame * perMac;
    }
    pj += readCost(m.weights * w);
    matrices.push(pj);
  }
  return { matrices, extras };
}

/** Speedup, energy, memory and feasibility of `bits` on `platform` for the model of `inventory`. */
export function platformCost(platform: Platform, inventory: Inventory, bits: BitsAssignment, opts: { capacityBytes?: number | null } = {}): PlatformCost {
  checkAssignment(inventory, bits);
  const violations: string[] = [];
  const run = runPrecisions(platform, inventory, bits, violations);
  const all16 = inventory.matrices.map(() => ALL16);

  const memoryBytes = modelBytes(inventory, bits);
  const capacity = opts.capacityBytes !== undefined ? opts.capacityBytes : platform.capacityBytes;
  if (capacity !== null && memoryBytes > capacity) {
    violations.push(`memory ${formatMiB(memoryBytes)} (${memoryBytes} bytes) exceeds the capacity of ${platform.name}, ${formatMiB(capacity)} (${capacity} bytes)`);
  }
  const xBits = extraBits(inventory, bits);
  const fp32 = fp32Bytes(inventory);

  let speedups: number[];
  let energies: number[] | null;
  let extrasEnergy: number | null = null;
  let energyAll16: number | null = null;
  let fusion: FusionMatrixCost[] | null = null;
  let cyclesAll16: number | null = null;
  let computeCyclesAll16: number | null = null;
  let speedup: number;

  if (platform.model.kind === 'analytic') {
    const model = platform.model;
    speedups = run.map(({ w, a }) => speedupFactor(model.speedup, w, a));
    let weighted = 0;
    inventory.matrices.forEach((m, i) => (weighted += m.macsPerFrame * speedups[i]!));
    speedup = inventory.totalMacs > 0 ? weighted / inventory.totalMacs : 1;
    const energy = analyticEnergy(model, inventory, run, run.every((b) => b.w === 32 && b.a === 32) ? 32 : 16);
    energies = energy?.matrices ?? null;
    extrasEnergy = energy?.extras ?? null;
    const ref = analyticEnergy(model, inventory, all16, 16);
    energyAll16 = ref ? ref.extras + ref.matrices.reduce((s, x) => s + x, 0) : null;
  } else {
    fusion = fusionArrayCosts(platform.model, inventory, run);
    const ref = fusionArrayCosts(platform.model, inventory, all16);
    speedups = fusion.map((f, i) => ref[i]!.cycles / f.cycles);
    energies = fusion.map((f) => f.energyPj);
    cyclesAll16 = ref.reduce((s, f) => s + f.cycles, 0);
    computeCyclesAll16 = ref.reduce((s, f) => s + f.computeCycles, 0);
    const cycles = fusion.reduce((s, f) => s + f.cycles, 0);
    speedup = cycles > 0 ? cyclesAll16 / cycles : 1;
    energyAll16 = ref.reduce((s, f) => s + f.energyPj, 0);
  }

  const matrices: MatrixCost[] = inventory.matrices.map((m, i) => ({
    name: m.name,
    w: bits[m.name]!.w,
    a: bits[m.name]!.a,
    runW: run[i]!.w,
    runA: run[i]!.a,
    macsPerFrame: m.macsPerFrame,
    bytes: matrixBytes(m, bits[m.name]!.w),
    speedup: speedups[i]!,
    energyPj: energies ? energies[i]! : null,
    cycles: fusion ? fusion[i]!.cycles : null,
    detail: fusion ? fusion[i]! : null,
  }));
  const energyPj = energies ? energies.reduce((s, x) => s + x, 0) + (extrasEnergy ?? 0) : null;
  const cycles = fusion ? fusion.reduce((s, f) => s + f.cycles, 0) : null;
  return {
    platform: platform.name,
    speedup,
    energyPj,
    energyAll16Pj: energyAll16,
    energySaving: energyPj !== null && energyAll16 !== null && energyAll16 > 0 ? 1 - energyPj / energyAll16 : null,
    memoryBytes,
    fp32Bytes: fp32,
    compression: fp32 / memoryBytes,
    extras: { count: inventory.extras, bits: xBits, bytes: extrasBytes(inventory, bits), energyPj: extrasEnergy },
    cycles,
    cyclesAll16,
    computeCyclesAll16,
    latencySeconds: cycles !== null && platform.model.kind === 'fusion-array' ? cycles / platform.model.frequencyHz : null,
    dramBitsPerFrame: fusion ? fusion.reduce((s, f) => s + f.dramBits, 0) : null,
    feasible: violations.length === 0,
    violations,
    matrices,
  };
}
