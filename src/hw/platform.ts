/**
 * Platforms as data. One zod schema validates the built-in platforms (platforms/*.ts) and user JSON
 * files alike; `parsePlatform` turns a spec into a resolved `Platform` that `platformCost` reads.
 *
 * A platform is one of two kinds:
 * - analytic (has `speedup`): a speedup factor per (weight, activation) precision pair, an energy per
 *   MAC per pair and per bit of parameters read each frame. SiLago and the papers' Bitfusion model.
 * - fusion array (has `fusionArray`): a Bitfusion-style array of fusion units costed cycle by cycle
 *   per matrix, with SRAM capacities and DRAM traffic (see fusion-array.ts).
 *
 * Units everywhere: bits, bytes, pJ (energy), pJ per bit, MHz, cycles. Precision tables are keyed by
 * "WxA" (weights x activations, e.g. "8x4") or by "P", which applies to every pair whose wider operand
 * is P (the datapath runs at the wider of the two); an exact "WxA" entry wins over "P".
 *
 * Errors name the file and the field as a dot path and say what was expected:
 * `my.json: energy.perMac.8: Expected a positive number (pJ per MAC) but received "x"`.
 */
import { z } from 'zod';
import { parseSize } from '../util/units.js';
import { KNOWN_BITS } from '../quant/bits-spec.js';
import { MohaqError, describeValue, invalidFile } from '../util/errors.js';
import { readJson } from '../util/fsx.js';

// ---------------------------------------------------------------------------------------------
// Schema (the JSON form)

const positive = (what: string) => z.number({ error: what }).positive({ error: what });
const nonNegative = (what: string) => z.number({ error: what }).nonnegative({ error: what });
const positiveInt = (what: string) => z.number({ error: what }).int({ error: what }).positive({ error: what });

const TABLE_KEY = /^([1-9]\d?)(?:x([1-9]\d?))?$/;
const tableKey = z.string().regex(TABLE_KEY, { error: 'a precision key "W x A" such as "8x4", or "P" such as "8" (the wider operand)' });
/** `unit` says what the numbers are: "pJ per MAC", "speedup factor vs 16x16". */
const precisionTable = (unit: string) => z.record(tableKey, positive(`a positive number (${unit})`), { error: `an object of ${unit} keyed by "WxA" or "P"` });

const SIZE_TEXT = 'a size in bytes or a string such as "2MiB", "512KiB", "6MB"';
const size = z.custom<number | string>((v) => (typeof v === 'number' && Number.isFinite(v) && v > 0) || typeof v === 'string', { error: SIZE_TEXT });

const precisionList = (what: string) =>
  z
    .array(z.number({ error: `one of ${KNOWN_BITS.join(', ')}` }).refine((b) => KNOWN_BITS.includes(b), { error: `one of ${KNOWN_BITS.join(', ')}` }), {
      error: `a list of ${what} precisions in bits`,
    })
    .min(1, { error: `at least one ${what} precision` });

const speedupSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('table'), table: precisionTable('speedup factor vs 16x16') }).strict(),
    z.object({ kind: z.literal('per-mac'), perMac: precisionTable('speedup factor per MAC vs 16-bit') }).strict(),
    z.object({ kind: z.literal('bitfusion'), max: positive('the largest speedup factor (64 on Bitfusion)').optional() }).strict(),
    z.object({ kind: z.literal('none') }).strict(),
  ],
  { error: 'a speedup model with kind "table", "per-mac", "bitfusion" or "none"' },
);

const energySchema = z
  .object({
    perMac: precisionTable('pJ per MAC').optional(),
    perBitSram: nonNegative('a number >= 0 (pJ per bit of parameters read from on-chip memory each frame)').optional(),
    perBitDram: nonNegative('a number >= 0 (pJ per bit of parameters beyond memory.onChip, read from DRAM each frame)').optional(),
  })
  .strict();

const perBuffer = (what: string) =>
  z
    .object({ weights: nonNegative(what), activations: nonNegative(what), outputs: nonNegative(what) }, { error: `an object { weights, activations, outputs } of ${what}` })
    .strict();

const fusionArraySchema = z
  .object({
    rows: positiveInt('a positive integer (operand lanes N of the array)'),
    cols: positiveInt('a positive integer (output lanes M of the array)'),
    pmax: positiveInt('a positive integer (widest operand a fusion unit takes in one pass, 8 on Bitfusion)'),
    pmin: positiveInt('a positive integer (narrowest operand, 2 on Bitfusion)'),
    frequencyMHz: positive('a positive number (clock in MHz)'),
    dramBitsPerCycle: positive('a positive number (DRAM interface width in bits per cycle)'),
    sram: z.object({ weights: size, activations: size, outputs: size }, { error: 'an object { weights, activations, outputs } of SRAM sizes' }).strict(),
    energy: z
      .object(
        {
          corePerCycle: nonNegative('a number >= 0 (pJ per compute cycle of the whole array)'),
          sramRead: perBuffer('pJ per bit read'),
          sramWrite: perBuffer('pJ per bit written'),
          dramPerBit: nonNegative('a number >= 0 (pJ per bit moved to or from DRAM)'),
        },
        { error: 'an object { corePerCycle, sramRead, sramWrite, dramPerBit }' },
      )
      .strict(),
  }, { error: 'an object describing the fusion array' })
  .strict();

export const platformSchema = z
  .object(
    {
      name: z.string({ error: 'a platform name' }).min(1, { error: 'a non-empty platform name' }),
      description: z.string({ error: 'a string' }).optional(),
      /** Where the constants come from. */
      source: z.string({ error: 'a string' }).optional(),
      precisions: z
        .object(
          {
            weights: precisionList('weight'),
            activations: precisionList('activation').optional(),
            shared: z.boolean({ error: 'true or false (weights and activations of a matrix share one precision)' }),
          },
          { error: 'an object { weights, activations, shared }' },
        )
        .strict(),
      speedup: speedupSchema.optional(),
      energy: energySchema.optional(),
      fusionArray: fusionArraySchema.optional(),
      memory: z
        .object({ capacity: size.optional(), capacityBytes: size.optional(), onChip: size.optional() }, { error: 'an object { capacity, onChip }' })
        .strict()
        .optional(),
      deltaSkipping: z.boolean({ error: 'true or false (the platform skips zero deltas)' }).optional(),
    },
    { error: 'a platform object' },
  )
  .strict();

/** A platform as written in JSON (and in the built-in data modules). */
export type PlatformSpec = z.input<typeof platformSchema>;
export type SpeedupSpec = z.output<typeof speedupSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved form

/** Keyed by "WxA" or "P"; see `lookupPrecision`. */
export type PrecisionTable = Readonly<Record<string, number>>;

export interface AnalyticModel {
  readonly kind: 'analytic';
  readonly speedup: SpeedupSpec;
  /** null when the platform has no energy model (energy is then reported as null). */
  readonly energy: {
    readonly perMac: PrecisionTable | null;
    readonly perBitSram: number;
    readonly perBitDram: number;
    /** Parameter bytes held on chip; the rest is read from DRAM every frame. null = everything on chip. */
    readonly onChipBytes: number | null;
  } | null;
}

export interface FusionArrayModel {
  readonly kind: 'fusion-array';
  /** N: operand lanes (input features consumed per cycle at pmax x pmax). */
  readonly rows: number;
  /** M: output lanes. */
  readonly cols: number;
  readonly pmax: number;
  readonly pmin: number;
  readonly frequencyHz: number;
  readonly dramBitsPerCycle: number;
  readonly sramBytes: { readonly weights: number; readonly activations: number; readonly outputs: number };
  readonly energy: {
    readonly corePerCycle: number;
    readonly sramRead: { readonly weights: number; readonly activations: number; readonly outputs: number };
    readonly sramWrite: { readonly weights: number; readonly activations: number; readonly outputs: number };
    readonly dramPerBit: number;
  };
}

export interface Platform {
  readonly name: string;
  readonly description: string;
  readonly source: string | null;
  /** Supported weight precisions, ascending. */
  readonly weights: readonly number[];
  /** Supported activation precisions, ascending. */
  readonly activations: readonly number[];
  /** Weights and activation of a matrix must share one precision. */
  readonly shared: boolean;
  /** Largest model (bytes) the platform accepts; null = no limit. */
  readonly capacityBytes: number | null;
  readonly deltaSkipping: boolean;
  readonly model: AnalyticModel | FusionArrayModel;
  /** The validated spec, as it would be written in JSON. */
  readonly spec: PlatformSpec;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The entry of a precision table for weights `w` and activations `a`: "WxA" if present, else "P" for
 * the wider operand P = max(w, a); undefined when neither exists.
 */
export function lookupPrecision(table: PrecisionTable, w: number, a: number): number | undefined {
  return table[`${w}x${a}`] ?? table[String(Math.max(w, a))];
}

/** The (w, a) pairs a platform runs: every combination, or only w = a when shared. */
export function supportedPairs(p: Pick<Platform, 'weights' | 'activations' | 'shared'>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const w of p.weights) for (const a of p.activations) if (!p.shared || w === a) out.push([w, a]);
  return out;
}

function dotPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** The field names the schema allows at `path` (following the kind of discriminated unions in `value`). */
function allowedKeys(schema: z.ZodType, value: unknown, path: readonly PropertyKey[]): string[] {
  const unwrap = (s: z.ZodType, v: unknown): z.ZodType => {
    let t = s;
    for (;;) {
      if (t instanceof z.ZodOptional) t = t.unwrap() as z.ZodType;
      else if (t instanceof z.ZodDiscriminatedUnion) {
        const key = t.def.discriminator;
        const kind = (v as Record<string, unknown> | undefined)?.[key];
        const option = (t.options as z.ZodType[]).find((o) => o instanceof z.ZodObject && (o.shape[key] as z.ZodLiteral).values.has(kind as never));
        if (!option) return t;
        t = option;
      } else return t;
    }
  };
  let s = unwrap(schema, value);
  let v = value;
  for (const p of path) {
    v = valueAt(v, [p]);
    if (s instanceof z.ZodObject) s = s.shape[String(p)] as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.def.valueType as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
    if (!s) return [];
    s = unwrap(s, v);
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function describeReceived(v: unknown): string {
  if (Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x === 'number')) return `[${v.join(', ')}]`;
  return describeValue(v);
}

function fieldError(where: string, path: string, expected: string, received: unknown): MohaqError {
  return invalidFile(where, `${path || '(root)'}: Expected ${expected} but received ${describeReceived(received)}`);
}

function renderIssue(issue: z.core.$ZodIssue, value: unknown, where: string): MohaqError {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(platformSchema, value, issue.path);
    const base = dotPath(issue.path);
    const field = issue.keys.map((k) => (base ? `${base}.${k}` : k)).join(', ');
    return invalidFile(where, `${field}: Unknown field${allowed.length ? ` (expected one of ${allowed.join(', ')})` : ''}`);
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    const key = issue.path[issue.path.length - 1];
    return fieldError(where, dotPath(issue.path), inner?.message ?? 'a valid key', key);
  }
  const options = (issue as { options?: unknown }).options;
  if (issue.code === 'invalid_union' && Array.isArray(options)) {
    // an unknown `kind` of a discriminated union: list the kinds
    return fieldError(where, dotPath(issue.path), `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`, valueAt(value, issue.path));
  }
  return fieldError(where, dotPath(issue.path), issue.message, valueAt(value, issue.path));
}

function resolveSize(v: number | string | undefined, where: string, path: string): number | null {
  if (v === undefined) return null;
  const bytes = typeof v === 'number' ? Math.round(v) : parseSize(v);
  if (bytes === null || bytes <= 0) throw fieldError(where, path, SIZE_TEXT, v);
  return bytes;
}

function checkTable(table: PrecisionTable, pairs: Array<[number, number]>, where: string, path: string, what: string): void {
  for (const [w, a] of pairs) {
    if (lookupPrecision(table, w, a) === undefined) {
      throw invalidFile(where, `${path}.${w}x${a}: Expected ${what} for weights ${w} / activations ${a} (an entry "${w}x${a}", or "${Math.max(w, a)}" for the wider operand) but received nothing`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Validates a platform (JSON value or built-in data) and resolves it. `file` names the source in
 * errors (a path, or e.g. `platform silago`).
 */
export function parsePlatform(value: unknown, file = 'platform'): Platform {
  const r = platformSchema.safeParse(value);
  if (!r.success) throw renderIssue(r.error.issues[0]!, value, file);
  const spec = r.data;

  const unique = (list: number[], path: string): number[] => {
    const seen = new Set<number>();
    list.forEach((b, i) => {
      if (seen.has(b)) throw fieldError(file, `${path}[${i}]`, 'each precision once', b);
      seen.add(b);
    });
    return [...list].sort((x, y) => x - y);
  };
  const weights = unique(spec.precisions.weights, 'precisions.weights');
  if (spec.precisions.activations === undefined && !spec.precisions.shared) {
    throw fieldError(file, 'precisions.activations', 'a list of activation precisions in bits (it may be omitted only when precisions.shared is true)', undefined);
  }
  const activations = spec.precisions.activations ? unique(spec.precisions.activations, 'precisions.activations') : weights;
  if (spec.precisions.shared && activations.join() !== weights.join()) {
    throw fieldError(file, 'precisions.activations', `the same precisions as precisions.weights (${weights.join(', ')}) because precisions.shared is true`, spec.precisions.activations);
  }
  const shared = spec.precisions.shared;
  const pairs = supportedPairs({ weights, activations, shared });

  const memory = spec.memory ?? {};
  if (memory.capacity !== undefined && memory.capacityBytes !== undefined) {
    throw fieldError(file, 'memory.capacityBytes', 'either memory.capacity or memory.capacityBytes, not both', memory.capacityBytes);
  }
  const capacityBytes = memory.capacity !== undefined ? resolveSize(memory.capacity, file, 'memory.capacity') : resolveSize(memory.capacityBytes, file, 'memory.capacityBytes');
  const onChipBytes = resolveSize(memory.onChip, file, 'memory.onChip');

  let model: AnalyticModel | FusionArrayModel;
  if (spec.speedup && spec.fusionArray) {
    throw fieldError(file, 'fusionArray', 'either speedup (an analytic platform) or fusionArray, not both', spec.fusionArray);
  } else if (spec.speedup) {
    const s = spec.speedup;
    if (s.kind === 'table' || s.kind === 'per-mac') {
      const table = s.kind === 'table' ? s.table : s.perMac;
      const path = s.kind === 'table' ? 'speedup.table' : 'speedup.perMac';
      checkTable(table, pairs, file, path, 'a speedup factor');
      for (const key of ['16x16', '16']) {
        if (table[key] !== undefined && table[key] !== 1) throw fieldError(file, `${path}.${key}`, '1 (speedups are relative to 16x16 on the same platform)', table[key]);
      }
    }
    let energy: AnalyticModel['energy'] = null;
    if (spec.energy) {
      const e = spec.energy;
      if (e.perMac) checkTable(e.perMac, pairs, file, 'energy.perMac', 'pJ per MAC');
      if (onChipBytes !== null && e.perBitDram === undefined) {
        throw fieldError(file, 'energy.perBitDram', 'pJ per bit read from DRAM, because memory.onChip is set', undefined);
      }
      energy = { perMac: e.perMac ?? null, perBitSram: e.perBitSram ?? 0, perBitDram: e.perBitDram ?? 0, onChipBytes };
    } else if (onChipBytes !== null) {
      throw fieldError(file, 'energy', 'an energy model (memory.onChip only affects energy)', undefined);
    }
    model = { kind: 'analytic', speedup: s, energy };
  } else if (spec.fusionArray) {
    const f = spec.fusionArray;
    if (spec.energy) throw fieldError(file, 'energy', 'no top-level energy on a fusion-array platform (its energies are in fusionArray.energy)', spec.energy);
    if (onChipBytes !== null) throw fieldError(file, 'memory.onChip', 'no memory.onChip on a fusion-array platform (its SRAM sizes are in fusionArray.sram)', memory.onChip);
    if (f.pmin > f.pmax) throw fieldError(file, 'fusionArray.pmin', `at most fusionArray.pmax (${f.pmax})`, f.pmin);
    for (const [list, path] of [[weights, 'precisions.weights'], [activations, 'precisions.activations']] as const) {
      list.forEach((b) => {
        if (b === 32 || (b > f.pmax && b % f.pmax !== 0)) {
          throw fieldError(file, path, `integer precisions a fusion array runs (at most pmax = ${f.pmax}, or multiples of it in several passes; no 32-bit float)`, b);
        }
      });
    }
    model = {
      kind: 'fusion-array',
      rows: f.rows,
      cols: f.cols,
      pmax: f.pmax,
      pmin: f.pmin,
      frequencyHz: f.frequencyMHz * 1e6,
      dramBitsPerCycle: f.dramBitsPerCycle,
      sramBytes: {
        weights: resolveSize(f.sram.weights, file, 'fusionArray.sram.weights')!,
        activations: resolveSize(f.sram.activations, file, 'fusionArray.sram.activations')!,
        outputs: resolveSize(f.sram.outputs, file, 'fusionArray.sram.outputs')!,
      },
      energy: f.energy,
    };
  } else {
    throw fieldError(file, 'speedup', 'a speedup model ({ "kind": "table" | "per-mac" | "bitfusion" | "none" }) or a fusionArray section', undefined);
  }

  return {
    name: spec.name,
    description: spec.description ?? '',
    source: spec.source ?? null,
    weights,
    activations,
    shared,
    capacityBytes,
    deltaSkipping: spec.deltaSkipping ?? false,
    model,
    spec: value as PlatformSpec,
  };
}

/** Reads and validates a platform JSON file. */
export function readPlatformFile(path: string): Platform {
  return parsePlatform(readJson(path, 'platform file'), path);
}
