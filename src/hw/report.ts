/**
 * What `mohaq hw` shows: the per-matrix table and the totals of a genome on a platform (text or JSON),
 * and the matrix list of an architecture. The JSON form has the same content as the text.
 */
import { formatBitsSpec } from '../quant/bits-spec.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { formatMiB, platformCost } from './cost.js';
import type { MatrixCost, PlatformCost } from './cost.js';
import type { Inventory, InventoryMatrix } from './inventory.js';
import { MIB } from './memory.js';
import type { Platform } from './platform.js';

export interface HwReportMatrix extends Omit<MatrixCost, 'detail'> {
  readonly kind: InventoryMatrix['kind'];
  readonly rows: number;
  readonly cols: number;
  readonly copies: number;
  readonly weights: number;
  /** Fusion-array platforms: compute/memory cycles, DRAM bits, residency; null elsewhere. */
  readonly detail: MatrixCost['detail'];
}

export interface HwReport {
  readonly architecture: string;
  readonly platform: { readonly name: string; readonly description: string; readonly source: string | null; readonly capacityBytes: number | null };
  /** Canonical bits spec of the genome. */
  readonly bits: string;
  readonly matrices: readonly HwReportMatrix[];
  readonly totals: Omit<PlatformCost, 'matrices' | 'platform'> & {
    readonly macsPerFrame: number;
    readonly weights: number;
    readonly memoryMiB: number;
    readonly capacityBytes: number | null;
  };
}

export function hwReport(platform: Platform, inventory: Inventory, bits: BitsAssignment, opts: { capacityBytes?: number | null } = {}): HwReport {
  const cost = platformCost(platform, inventory, bits, opts);
  const capacityBytes = opts.capacityBytes !== undefined ? opts.capacityBytes : platform.capacityBytes;
  const { matrices, platform: _name, ...totals } = cost;
  return {
    architecture: inventory.architecture,
    platform: { name: platform.name, description: platform.description, source: platform.source, capacityBytes },
    bits: formatBitsSpec(bits, inventory.matrices),
    matrices: matrices.map((c, i) => {
      const m = inventory.matrices[i]!;
      return { ...c, kind: m.kind, rows: m.rows, cols: m.cols, copies: m.copies, weights: m.weights };
    }),
    totals: { ...totals, macsPerFrame: inventory.totalMacs, weights: inventory.totalWeights, memoryMiB: cost.memoryBytes / MIB, capacityBytes },
  };
}

// ---------------------------------------------------------------------------------------------
// Text

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function energyText(pj: number | null): string {
  if (pj === null) return '-';
  const nj = pj / 1000;
  return nj >= 100 ? nj.toFixed(1) : nj.toFixed(2);
}

/** Columns: left-aligned first column, right-aligned others. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function fusionBound(m: HwReportMatrix): string {
  const d = m.detail;
  if (!d) return '';
  const where = d.memoryCycles > d.computeCycles ? 'DRAM' : 'compute';
  return d.weightsResident ? where : `${where}, streamed`;
}

export function formatHwReport(r: HwReport): string {
  const fusion = r.totals.cycles !== null;
  const header = ['matrix', 'rows x cols', 'copies', 'MACs/frame', 'weights', 'W/A', 'bytes', 'speedup', 'energy nJ'];
  if (fusion) header.push('cycles', 'bound');
  const rows = r.matrices.map((m) => {
    const wa = m.runW !== m.w || m.runA !== m.a ? `${m.w}/${m.a}*` : `${m.w}/${m.a}`;
    const row = [m.name, `${m.rows} x ${m.cols}`, String(m.copies), int(m.macsPerFrame), int(m.weights), wa, int(m.bytes), m.speedup.toFixed(2), energyText(m.energyPj)];
    if (fusion) row.push(int(m.cycles ?? 0), fusionBound(m));
    return row;
  });
  const t = r.totals;
  const extrasRow = [`extras (${t.extras.bits}-bit)`, '', '', '', int(t.extras.count), '', int(t.extras.bytes), '', energyText(t.extras.energyPj)];
  const totalRow = ['total', '', '', int(t.macsPerFrame), int(t.weights), '', int(t.memoryBytes), t.speedup.toFixed(2), energyText(t.energyPj)];
  if (fusion) {
    extrasRow.push('', '');
    totalRow.push(int(t.cycles ?? 0), '');
  }

  const out: string[] = [];
  out.push(`${r.architecture} on ${r.platform.name}${r.platform.description ? ` (${r.platform.description})` : ''}`);
  out.push(`bits ${r.bits}`);
  out.push('');
  out.push(table(header, [...rows, extrasRow, totalRow]));
  if (r.matrices.some((m) => m.runW !== m.w || m.runA !== m.a)) out.push('* not supported by the platform: costed at the precision it would run (see the violations)');
  out.push('');
  const capacity = t.capacityBytes !== null ? `, capacity ${formatMiB(t.capacityBytes)}` : '';
  out.push(`memory    ${int(t.memoryBytes)} bytes (${formatMiB(t.memoryBytes)})${capacity}; ${t.compression.toFixed(2)}x smaller than fp32 (${formatMiB(t.fp32Bytes)})`);
  out.push(`speedup   ${t.speedup.toFixed(3)}x vs all-16 on ${r.platform.name}`);
  if (t.cycles !== null && t.cyclesAll16 !== null) {
    const latency = t.latencySeconds !== null ? ` (${(t.latencySeconds * 1e6).toFixed(2)} us)` : '';
    const all16 =
      t.computeCyclesAll16 !== null && t.computeCyclesAll16 < t.cyclesAll16
        ? `all-16 ${int(t.cyclesAll16)} (DRAM-bound; ${int(t.computeCyclesAll16)} with its weights on chip)`
        : `all-16 ${int(t.cyclesAll16)}`;
    out.push(`cycles    ${int(t.cycles)} per frame${latency}; ${all16}; DRAM ${int((t.dramBitsPerFrame ?? 0) / 8)} bytes per frame`);
  }
  if (t.energyPj !== null) {
    const all16 = t.energyAll16Pj !== null ? `; all-16 ${(t.energyAll16Pj / 1e6).toFixed(3)} uJ` : '';
    const saving = t.energySaving !== null ? `; saving ${(t.energySaving * 100).toFixed(1)}%` : '';
    out.push(`energy    ${(t.energyPj / 1e6).toFixed(3)} uJ per frame${all16}${saving}`);
  } else {
    out.push(`energy    not modelled by ${r.platform.name}`);
  }
  out.push(`feasible  ${t.feasible ? 'yes' : 'no'}`);
  for (const v of t.violations) out.push(`  - ${v}`);
  return `${out.join('\n')}\n`;
}

/** `mohaq hw --list-matrices`: names and shapes of an architecture's matrices. */
export function formatMatrixList(inventory: Inventory): string {
  const rows = inventory.matrices.map((m) => [m.name, m.kind, String(m.rows), String(m.cols), String(m.copies), int(m.macsPerFrame), int(m.weights), m.operand]);
  const out = [
    `${inventory.architecture}: ${inventory.matrices.length} matrices, ${int(inventory.totalMacs)} MACs per frame, ${int(inventory.totalWeights)} weights, ${int(inventory.extras)} 16-bit extras`,
    '',
    table(['name', 'kind', 'rows', 'cols', 'copies', 'MACs/frame', 'weights', 'operand'], rows),
  ];
  return `${out.join('\n')}\n`;
}
