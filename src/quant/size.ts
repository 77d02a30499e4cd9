/**
 * Size accounting of a quantized model, per matrix and in total, on the memory model of src/hw
 * (`matrixBytes`, `extrasBytes`, `fp32Bytes`): weights at their bits (each tensor rounded up to whole
 * bytes), extras (biases, BatchNorm, SRU vectors) at 16 bits in any quantized model and 32 in the
 * float one. Path skipping stores the candidate block of the skipped recurrent matrices at 16 bits
 * (or the matrix's bits when wider). Compression = fp32 bytes / bytes.
 */
import type { ResolvedArchitecture } from '../nn/arch.js';
import { buildInventory } from '../hw/inventory.js';
import type { InventoryMatrix } from '../hw/inventory.js';
import { extrasBytes, fp32Bytes, matrixBytes } from '../hw/memory.js';
import type { BitsAssignment, MatrixBits } from './bits-spec.js';
import { resolveQuantOptions } from './options.js';
import type { QuantOptions } from './options.js';

export interface MatrixSize {
  name: string;
  bits: MatrixBits;
  weights: number;
  /** Weights stored at 16 bits by path skipping (the candidate block). */
  skippedWeights: number;
  bytes: number;
  fp32Bytes: number;
  compression: number;
}

export interface ModelSize {
  matrices: MatrixSize[];
  extras: number;
  extrasBytes: number;
  bytes: number;
  fp32Bytes: number;
  compression: number;
}

function skippedColumns(arch: ResolvedArchitecture, m: InventoryMatrix, skipLayers: number): number {
  if (m.kind !== 'recurrent' || m.layer >= skipLayers) return 0;
  return arch.layers[m.layer]!.hidden; // one gate block per direction: LSTM g, GRU n, LiGRU n
}

/** Bytes and compression of a model under `bits` (see the module comment). */
export function modelSize(arch: ResolvedArchitecture, bits: BitsAssignment, opts: Pick<QuantOptions, 'skipCandidate'> = {}): ModelSize {
  const inv = buildInventory(arch);
  const { skipLayers } = resolveQuantOptions({ skipCandidate: opts.skipCandidate ?? null });
  const matrices = inv.matrices.map((m): MatrixSize => {
    const b = bits[m.name]!;
    const skipCols = b.w < 16 ? skippedColumns(arch, m, skipLayers) : 0;
    const bytes = skipCols > 0 ? matrixBytes({ ...m, cols: m.cols - skipCols }, b.w) + matrixBytes({ ...m, cols: skipCols }, 16) : matrixBytes(m, b.w);
    const full = matrixBytes(m, 32);
    return { name: m.name, bits: { ...b }, weights: m.weights, skippedWeights: skipCols * m.rows * m.copies, bytes, fp32Bytes: full, compression: full / bytes };
  });
  const extras = extrasBytes(inv, bits);
  const bytes = extras + matrices.reduce((s, m) => s + m.bytes, 0);
  const fp32 = fp32Bytes(inv);
  return { matrices, extras: inv.extras, extrasBytes: extras, bytes, fp32Bytes: fp32, compression: fp32 / bytes };
}

/** A text table of a size report: per matrix bits, weights, bytes and compression, then the totals. */
export function formatModelSize(size: ModelSize): string {
  const rows = size.matrices.map((m) => [m.name, `${m.bits.w}/${m.bits.a}`, String(m.weights), m.skippedWeights ? String(m.skippedWeights) : '', String(m.bytes), `${m.compression.toFixed(2)}x`]);
  rows.push(['extras (16-bit)', '', String(size.extras), '', String(size.extrasBytes), '']);
  rows.push(['total', '', '', '', String(size.bytes), `${size.compression.toFixed(2)}x`]);
  const head = ['matrix', 'W/A', 'weights', 'at 16 (skip)', 'bytes', 'compression'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return `${[line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\nfp32 ${size.fp32Bytes} bytes\n`;
}
