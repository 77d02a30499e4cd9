/**
 * Reading and writing a run directory (its layout, types and units are in run-format.ts).
 *
 * How files are written, and why:
 * - JSON files (config, status, front, checkpoint) are replaced atomically (temporary file, fsync,
 *   rename), so a reader never sees half of one.
 * - evaluations.csv and history.jsonl grow by fsync'd appends, not by atomic rewrites: rewriting the
 *   whole file every generation copies O(n^2) bytes over a long or exhaustive search, an append only
 *   the new rows. The price is that a kill during an append can leave a partial last line. Readers
 *   ignore it with a note (it may be cut anywhere, even inside a number, so it is never trusted), and
 *   the next append cuts it off before writing.
 * - A generation's rows are appended before its checkpoint is written, so after a kill the files can
 *   hold rows of a generation the checkpoint does not cover; `rollbackToCheckpoint` drops them before a
 *   resumed search runs that generation again. A row's `generation` is the generation whose completion
 *   it belongs to (the one `GenerationInfo.generation` reports after it).
 *
 * CSV cells: numbers in JavaScript's shortest round-trip form (`String(x)`, `-0` kept), so they read
 * back bit-exactly; booleans `true`/`false`; an absent optional value is an empty cell; the genome is
 * `;`-separated numbers; violations are `;`-separated with `\;` and `\\` escaping a `;` or `\` inside a
 * reason; cells holding `,` `"` or a line break are quoted as in RFC 4180.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MohaqError, describeValue, invalidFile, invalidParameter } from '../util/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/fsx.js';
import {
  EVALUATION_COLUMNS,
  RUN_FILES,
  RUN_FORMAT,
  type EvaluationRecord,
  type FrontFile,
  type GenerationRecord,
  type RunCheckpoint,
  type RunConfig,
  type RunStatus,
} from './run-format.js';

/** Everything a run directory holds, validated. */
export interface RunDirContents {
  dir: string;
  config: RunConfig;
  status: RunStatus;
  /** Rows of evaluations.csv in file order (a repeated index keeps its last row). */
  evaluations: EvaluationRecord[];
  history: GenerationRecord[];
  front?: FrontFile;
  checkpoint?: RunCheckpoint;
  /** What a reader should know that does not stop a report: ignored partial lines, missing optional files, ... */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// Schemas

const count = z.number().int().nonnegative();
const finite = z.number();
const isoDate = z.string().min(1);

const geneSchema = z.object({
  name: z.string().min(1),
  matrices: z.array(z.string()),
  target: z.enum(['w', 'a', 'wa', 'delta']),
  choices: z.array(finite).min(1),
});

const configSchema = z.object({
  format: z.literal(RUN_FORMAT),
  mohaqVersion: z.string(),
  createdAt: isoDate,
  command: z.string().optional(),
  model: z.object({ path: z.string(), name: z.string(), sha256: z.string(), parameters: count, fp32Bytes: count }),
  data: z.object({ path: z.string(), split: z.string(), utterances: count, frames: count }),
  platform: z.object({ name: z.string().min(1), description: z.string().optional(), spec: z.unknown() }),
  objectives: z.array(z.enum(['error', 'speedup', 'energy', 'memory', 'compression', 'eliminated'])).min(1),
  constraints: z.object({ maxMemoryBytes: finite.positive().optional(), maxError: finite.optional() }),
  search: z.object({
    algorithm: z.enum(['nsga2', 'exhaustive']),
    populationSize: count,
    offspringSize: count,
    generations: count,
    seed: z.number().int(),
    crossover: z.object({ prob: finite, eta: finite }),
    mutation: z.object({ eta: finite, prob: finite.optional() }),
    workers: count,
  }),
  matrices: z.array(z.string().min(1)).min(1),
  genes: z.array(geneSchema),
  beacons: z
    .object({
      mode: z.enum(['auto', 'file']),
      file: z.string().optional(),
      distance: finite,
      maxBeacons: count,
      epochs: count,
      promise: z.object({ minError: finite.optional(), maxError: finite.optional(), minSpeedup: finite.optional() }),
    })
    .optional(),
  delta: z.object({ thresholds: z.record(z.string(), z.array(finite)) }).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

const statusSchema = z.object({
  state: z.enum(['running', 'finished', 'interrupted', 'failed']),
  startedAt: isoDate,
  updatedAt: isoDate,
  finishedAt: isoDate.optional(),
  generation: count,
  generations: count,
  evaluations: count,
  seconds: finite.nonnegative(),
  message: z.string().optional(),
});

const generationSchema = z.object({
  generation: count,
  evaluations: count,
  cacheHits: count,
  frontSize: count,
  hypervolume: finite,
  seconds: finite.nonnegative(),
});

const frontEntrySchema = z.object({
  id: count,
  bits: z.string().min(1),
  perMatrix: z.record(z.string(), z.object({ w: finite, a: finite })),
  error: finite,
  speedup: finite,
  energy: finite,
  memoryBytes: finite,
  compression: finite,
  eliminatedOps: finite.optional(),
  thresholds: z.string().optional(),
  baseError: finite.optional(),
  beacon: z.string().optional(),
  fromBeacon: z.boolean(),
});

const referenceSchema = z.object({
  name: z.string().min(1),
  bits: z.string(),
  error: finite,
  speedup: finite,
  energy: finite,
  memoryBytes: finite,
  compression: finite,
  feasible: z.boolean(),
});

const frontSchema = z.object({
  format: z.literal(RUN_FORMAT),
  objectives: configSchema.shape.objectives,
  final: z.boolean(),
  entries: z.array(frontEntrySchema),
  references: z.array(referenceSchema),
  hypervolume: finite,
  hypervolumeReference: z.array(finite),
});

const checkpointSchema = z.object({
  format: z.literal(RUN_FORMAT),
  generation: count,
  evaluations: count,
  savedAt: isoDate,
  algorithm: z.unknown().refine((v) => v !== undefined, { message: 'the algorithm state' }),
  extra: z.record(z.string(), z.unknown()).optional(),
});

function dotPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

const TYPE_NAMES: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'an array' };

/** What the schema wanted, as the middle of "Expected ... but received ...". */
function expectedText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'a non-empty string';
      return `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    default:
      return issue.message;
  }
}

/** Validates `value` against a schema; the first issue becomes `<file>: <field>: Expected ... but received ...`. */
function parseWith<T>(schema: z.ZodType<T>, value: unknown, file: string, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = dotPath(issue.path);
  throw invalidFile(file, `${prefix}${path || '(root)'}: Expected ${expectedText(issue)} but received ${describeValue(valueAt(value, issue.path))}`);
}

/** Validates a value the caller passes to a writer: `Expected ... for <what>.<field> but received ...`. */
function checkArgument<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = dotPath(issue.path);
  throw invalidParameter(path ? `${what}${path.startsWith('[') ? '' : '.'}${path}` : what, expectedText(issue), valueAt(value, issue.path));
}

// ---------------------------------------------------------------------------------------------
// evaluations.csv

export const EVALUATIONS_HEADER = EVALUATION_COLUMNS.join(',');

type ColumnKind = 'count' | 'number' | 'optionalNumber' | 'boolean' | 'string' | 'optionalString' | 'genome' | 'list';

const COLUMN_KIND: Record<keyof EvaluationRecord, ColumnKind> = {
  index: 'count',
  generation: 'count',
  genome: 'genome',
  bits: 'string',
  error: 'number',
  speedup: 'number',
  energy: 'number',
  memoryBytes: 'number',
  compression: 'number',
  eliminatedOps: 'optionalNumber',
  feasible: 'boolean',
  violations: 'list',
  cacheHit: 'boolean',
  seconds: 'number',
  baseError: 'optionalNumber',
  beacon: 'optionalString',
  beaconError: 'optionalNumber',
  thresholds: 'optionalString',
};

const KIND_TEXT: Record<ColumnKind, string> = {
  count: 'a non-negative integer',
  number: 'a number',
  optionalNumber: 'a number or an empty cell',
  boolean: 'true or false',
  string: 'a non-empty text',
  optionalString: 'a text or an empty cell',
  genome: '";"-separated numbers',
  list: '";"-separated texts',
};

function formatNumber(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?Infinity$|^NaN$/;

function parseNumber(text: string): number | undefined {
  return NUMBER_RE.test(text) ? Number(text) : undefined;
}

function escapeListItem(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;');
}

function splitList(cell: string): string[] {
  if (cell === '') return [];
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < cell.length; i++) {
    const c = cell[i]!;
    if (c === '\\' && i + 1 < cell.length) cur += cell[++i];
    else if (c === ';') {
      items.push(cur);
      cur = '';
    } else cur += c;
  }
  items.push(cur);
  return items;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const recordSchema = z.object({
  index: count,
  generation: count,
  genome: z.array(z.number()),
  bits: z.string().min(1),
  error: z.number(),
  speedup: z.number(),
  energy: z.number(),
  memoryBytes: z.number(),
  compression: z.number(),
  eliminatedOps: z.number().optional(),
  feasible: z.boolean(),
  violations: z.array(z.string().min(1)),
  cacheHit: z.boolean(),
  seconds: z.number(),
  baseError: z.number().optional(),
  // an empty id would read back as "no beacon"
  beacon: z.string().min(1).optional(),
  beaconError: z.number().optional(),
  thresholds: z.string().min(1).optional(),
});

// zod's number() refuses Infinity and NaN, which a failed evaluation may legitimately carry
const numberOrNonFinite = z.union([z.number(), z.literal(Infinity), z.literal(-Infinity), z.nan()]);
const writableRecordSchema = recordSchema.extend({
  error: numberOrNonFinite,
  speedup: numberOrNonFinite,
  energy: numberOrNonFinite,
  memoryBytes: numberOrNonFinite,
  compression: numberOrNonFinite,
  eliminatedOps: numberOrNonFinite.optional(),
  seconds: numberOrNonFinite,
  baseError: numberOrNonFinite.optional(),
  beaconError: numberOrNonFinite.optional(),
  genome: z.array(numberOrNonFinite),
});

function formatCell(kind: ColumnKind, v: unknown): string {
  if (v === undefined) return '';
  switch (kind) {
    case 'count':
    case 'number':
    case 'optionalNumber':
      return formatNumber(v as number);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
    case 'optionalString':
      return csvCell(v as string);
    case 'genome':
      return (v as number[]).map(formatNumber).join(';');
    case 'list':
      return csvCell((v as string[]).map(escapeListItem).join(';'));
  }
}

/** CSV rows (each ending in a newline, no header) of validated records. */
export function formatEvaluationRows(records: readonly EvaluationRecord[]): string {
  let out = '';
  records.forEach((r, i) => {
    checkArgument(writableRecordSchema, r, `records[${i}]`);
    out += `${EVALUATION_COLUMNS.map((c) => formatCell(COLUMN_KIND[c], r[c])).join(',')}\n`;
  });
  return out;
}

/** The whole evaluations.csv text of `records`. */
export function formatEvaluationsCsv(records: readonly EvaluationRecord[]): string {
  return `${EVALUATIONS_HEADER}\n${formatEvaluationRows(records)}`;
}

interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  cells: string[];
  /** False for a last row without its final newline (an interrupted append). */
  complete: boolean;
  /** Set when quoting is broken. */
  malformed?: string;
}

/** RFC 4180 rows; a row ends at a newline outside quotes (a `\r` before it is dropped). */
function splitCsvRows(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const row: CsvRow = { line, cells: [], complete: false };
    let cell = '';
    for (;;) {
      if (i >= n) {
        row.cells.push(cell);
        break;
      }
      const c = text[i]!;
      if (c === '"' && cell === '') {
        // quoted cell
        let j = i + 1;
        let closed = false;
        let value = '';
        while (j < n) {
          const q = text.indexOf('"', j);
          if (q < 0) break;
          value += text.slice(j, q);
          if (text[q + 1] === '"') {
            value += '"';
            j = q + 2;
          } else {
            j = q + 1;
            closed = true;
            break;
          }
        }
        for (let k = i; k < (closed ? j : n); k++) if (text[k] === '\n') line++;
        if (!closed) {
          row.cells.push(value);
          i = n;
          break;
        }
        cell = value;
        i = j;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
          row.malformed ??= `a quoted cell must be followed by "," or the end of the line (cell ${row.cells.length + 1})`;
        }
        continue;
      }
      if (c === ',') {
        row.cells.push(cell);
        cell = '';
        i++;
        continue;
      }
      if (c === '\n') {
        row.cells.push(cell.endsWith('\r') ? cell.slice(0, -1) : cell);
        row.complete = true;
        line++;
        i++;
        break;
      }
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
        continue;
      }
      // plain run of characters up to the next separator
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      if (j === i) j++;
      cell += text.slice(i, j);
      i = j;
    }
    rows.push(row);
  }
  return rows;
}

function decodeRow(row: CsvRow, file: string, genes: number | undefined): EvaluationRecord {
  const where = `line ${row.line}`;
  if (row.malformed) throw invalidFile(file, `${where}: ${row.malformed}`);
  if (row.cells.length !== EVALUATION_COLUMNS.length) {
    throw invalidFile(file, `${where}: Expected ${EVALUATION_COLUMNS.length} comma-separated cells (the columns of the header) but received ${row.cells.length}`);
  }
  const out: Record<string, unknown> = {};
  EVALUATION_COLUMNS.forEach((column, k) => {
    const cell = row.cells[k]!;
    const kind = COLUMN_KIND[column];
    const bad = (): MohaqError => invalidFile(file, `${where}, column ${column}: Expected ${KIND_TEXT[kind]} but received ${describeValue(cell)}`);
    switch (kind) {
      case 'count': {
        const v = parseNumber(cell);
        if (v === undefined || !Number.isSafeInteger(v) || v < 0) throw bad();
        out[column] = v;
        break;
      }
      case 'number':
      case 'optionalNumber': {
        if (cell === '' && kind === 'optionalNumber') break;
        const v = parseNumber(cell);
        if (v === undefined) throw bad();
        out[column] = v;
        break;
      }
      case 'boolean':
        if (cell !== 'true' && cell !== 'false') throw bad();
        out[column] = cell === 'true';
        break;
      case 'string':
        if (cell === '') throw bad();
        out[column] = cell;
        break;
      case 'optionalString':
        if (cell !== '') out[column] = cell;
        break;
      case 'genome': {
        const values = cell === '' ? [] : cell.split(';').map(parseNumber);
        if (values.some((v) => v === undefined)) throw bad();
        if (genes !== undefined && values.length !== genes) {
          throw invalidFile(file, `${where}, column genome: Expected ${genes} gene values (the genes of config.json) but received ${values.length}`);
        }
        out[column] = values;
        break;
      }
      case 'list':
        out[column] = splitList(cell);
        break;
    }
  });
  return out as unknown as EvaluationRecord;
}

export interface ParsedEvaluations {
  records: EvaluationRecord[];
  problems: string[];
}

/**
 * Parses evaluations.csv. `file` names it in errors and notes; `genes`, when given, is the genome
 * length every row must have. A partial last line is ignored with a note; any other bad line throws.
 */
export function parseEvaluationsCsv(text: string, file: string, opts: { genes?: number } = {}): ParsedEvaluations {
  const problems: string[] = [];
  const rows = splitCsvRows(text);
  if (rows.length === 0 || (rows.length === 1 && !rows[0]!.complete)) {
    problems.push(`${file} has no header line yet (the run stopped while creating it); no evaluations are shown`);
    return { records: [], problems };
  }
  const header = rows[0]!;
  if (header.cells.join(',') !== EVALUATIONS_HEADER) {
    throw invalidFile(file, `line 1: Expected the header ${EVALUATIONS_HEADER} but received ${describeValue(header.cells.join(','))}`);
  }
  const last = rows[rows.length - 1]!;
  if (!last.complete) {
    rows.pop();
    problems.push(`${file} line ${last.line} is incomplete (the run was stopped while writing it) and was ignored`);
  }
  const records: EvaluationRecord[] = [];
  const byIndex = new Map<number, number>();
  let repeated = 0;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.cells.length === 1 && row.cells[0] === '') continue; // blank line
    const rec = decodeRow(row, file, opts.genes);
    const at = byIndex.get(rec.index);
    if (at !== undefined) {
      records[at] = rec;
      repeated++;
    } else {
      byIndex.set(rec.index, records.length);
      records.push(rec);
    }
  }
  if (repeated > 0) {
    problems.push(`${file} repeats ${repeated} evaluation ${repeated === 1 ? 'index' : 'indexes'} (rows written again after a resume); the last row of each is used`);
  }
  return { records, problems };
}

// ---------------------------------------------------------------------------------------------
// history.jsonl

export interface ParsedHistory {
  records: GenerationRecord[];
  problems: string[];
}

export function parseHistoryJsonl(text: string, file: string): ParsedHistory {
  const problems: string[] = [];
  const lines = text.split('\n');
  // a file that does not end in a newline ends in an interrupted append
  const partial = lines.pop()!;
  if (partial !== '') problems.push(`${file} line ${lines.length + 1} is incomplete (the run was stopped while writing it) and was ignored`);
  const byGeneration = new Map<number, GenerationRecord>();
  lines.forEach((raw, k) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw invalidFile(file, `line ${k + 1}: not valid JSON (${(e as Error).message})`);
    }
    const rec = parseWith(generationSchema, value, file, `line ${k + 1}: `);
    byGeneration.set(rec.generation, rec);
  });
  const records = [...byGeneration.values()].sort((a, b) => a.generation - b.generation);
  return { records, problems };
}

// ---------------------------------------------------------------------------------------------
// Appends

/** Cuts a partial last line (one without its newline) off an append-only file. Returns the new size. */
function cutPartialLine(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, size - 1);
  if (one[0] === 0x0a) return size;
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const k = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (k >= 0) {
      ftruncateSync(fd, start + k + 1);
      return start + k + 1;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return 0;
}

/** Appends `text` durably; `header` is written first when the file is new or empty. */
function appendDurably(path: string, text: string, header?: string): void {
  if (!existsSync(path)) {
    writeFileAtomic(path, (header ?? '') + text);
    return;
  }
  const fd = openSync(path, 'r+');
  try {
    const size = cutPartialLine(fd);
    const bytes = Buffer.from((size === 0 && header ? header : '') + text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, size + off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Writers

function path(dir: string, name: keyof typeof RUN_FILES): string {
  return join(dir, RUN_FILES[name]);
}

export interface CreateRunDirOptions {
  /** Replace an earlier run in `dir` (its run files are deleted). @default false */
  overwrite?: boolean;
  /** The time the run starts. @default now */
  now?: Date;
}

/**
 * Starts a run directory: config.json first (it marks the directory as a run), then an empty
 * evaluations.csv (header only), an empty history.jsonl and a `running` status at generation 0.
 */
export function createRunDir(dir: string, config: RunConfig, opts: CreateRunDirOptions = {}): void {
  const valid = checkArgument(configSchema, config, 'config');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw invalidParameter('the run directory', 'a directory', dir);
  if (existsSync(path(dir, 'config'))) {
    if (!opts.overwrite) {
      throw new MohaqError('INVALID_ARGUMENT', `${dir} already holds a mohaq run (${RUN_FILES.config} exists); resume it, choose another directory, or overwrite it`);
    }
    for (const name of Object.values(RUN_FILES)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path(dir, 'config'), config);
  writeFileAtomic(path(dir, 'evaluations'), `${EVALUATIONS_HEADER}\n`);
  writeFileAtomic(path(dir, 'history'), '');
  const now = (opts.now ?? new Date()).toISOString();
  writeStatus(dir, {
    state: 'running',
    startedAt: now,
    updatedAt: now,
    generation: 0,
    generations: valid.search.generations,
    evaluations: 0,
    seconds: 0,
  });
}

export function writeStatus(dir: string, status: RunStatus): void {
  checkArgument(statusSchema, status, 'status');
  writeJsonAtomic(path(dir, 'status'), status);
}

/** Appends evaluation rows to evaluations.csv (fsync'd; see the file comment). */
export function appendEvaluations(dir: string, records: readonly EvaluationRecord[]): void {
  if (records.length === 0) return;
  appendDurably(path(dir, 'evaluations'), formatEvaluationRows(records), `${EVALUATIONS_HEADER}\n`);
}

/** Appends one line per generation to history.jsonl (fsync'd). */
export function appendHistory(dir: string, records: GenerationRecord | readonly GenerationRecord[]): void {
  const list = Array.isArray(records) ? (records as readonly GenerationRecord[]) : [records as GenerationRecord];
  if (list.length === 0) return;
  let text = '';
  list.forEach((r, i) => {
    checkArgument(generationSchema, r, list.length === 1 ? 'history record' : `history records[${i}]`);
    text += `${JSON.stringify(r)}\n`;
  });
  appendDurably(path(dir, 'history'), text);
}

export function writeFront(dir: string, front: FrontFile): void {
  checkArgument(frontSchema, front, 'front');
  writeJsonAtomic(path(dir, 'front'), front);
}

export function writeCheckpoint(dir: string, checkpoint: RunCheckpoint): void {
  checkArgument(checkpointSchema, checkpoint, 'checkpoint');
  writeJsonAtomic(path(dir, 'checkpoint'), checkpoint);
}

/** The checkpoint of a run, or undefined when it has none yet; a malformed one throws. */
export function readCheckpoint(dir: string): RunCheckpoint | undefined {
  const file = path(dir, 'checkpoint');
  if (!existsSync(file)) return undefined;
  return parseWith(checkpointSchema, readJson(file, 'checkpoint'), file) as RunCheckpoint;
}

/**
 * Before resuming: drops the evaluation rows and history lines of generations the checkpoint does not
 * cover (written after it, before the kill), so the resumed search writes them once. Without a
 * checkpoint the search starts over and both files are emptied. Returns the checkpoint.
 */
export function rollbackToCheckpoint(dir: string): RunCheckpoint | undefined {
  const checkpoint = readCheckpoint(dir);
  const keep = checkpoint?.generation ?? -1;
  const csvFile = path(dir, 'evaluations');
  const rows = existsSync(csvFile) ? parseEvaluationsCsv(readFileSync(csvFile, 'utf8'), csvFile).records : [];
  writeFileAtomic(csvFile, formatEvaluationsCsv(rows.filter((r) => r.generation <= keep)));
  const historyFile = path(dir, 'history');
  const history = existsSync(historyFile) ? parseHistoryJsonl(readFileSync(historyFile, 'utf8'), historyFile).records : [];
  writeFileAtomic(historyFile, history.filter((h) => h.generation <= keep).map((h) => `${JSON.stringify(h)}\n`).join(''));
  return checkpoint;
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads and validates a whole run directory. Errors (thrown) name the file and the field or line: a
 * directory that is not a run, a malformed file, a finished run without its front. An unfinished or
 * interrupted run is not an error: what exists is returned, and `problems` says what is missing.
 */
export function readRunDir(dir: string): RunDirContents {
  if (!existsSync(dir)) throw new MohaqError('NOT_FOUND', `not a mohaq run directory: ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new MohaqError('INVALID_ARGUMENT', `not a mohaq run directory: ${dir} is a file`);
  const configFile = path(dir, 'config');
  if (!existsSync(configFile)) throw new MohaqError('NOT_FOUND', `not a mohaq run directory: ${configFile} is missing`);
  const config = parseWith(configSchema, readJson(configFile, 'run config'), configFile) as RunConfig;
  const problems: string[] = [];

  const csvFile = path(dir, 'evaluations');
  let evaluations: EvaluationRecord[] = [];
  if (existsSync(csvFile)) {
    const parsed = parseEvaluationsCsv(readFileSync(csvFile, 'utf8'), csvFile, { genes: config.genes.length });
    evaluations = parsed.records;
    problems.push(...parsed.problems);
  } else {
    problems.push(`${csvFile} is missing: evaluated points are not shown`);
  }

  const historyFile = path(dir, 'history');
  let history: GenerationRecord[] = [];
  if (existsSync(historyFile)) {
    const parsed = parseHistoryJsonl(readFileSync(historyFile, 'utf8'), historyFile);
    history = parsed.records;
    problems.push(...parsed.problems);
  } else {
    problems.push(`${historyFile} is missing: the hypervolume per generation is not shown`);
  }

  const statusFile = path(dir, 'status');
  let status: RunStatus;
  if (existsSync(statusFile)) {
    status = parseWith(statusSchema, readJson(statusFile, 'run status'), statusFile) as RunStatus;
  } else {
    // killed between config.json and the first status: say so, and describe what the files show
    problems.push(`${statusFile} is missing (the run stopped right after it started); it is shown as interrupted`);
    status = {
      state: 'interrupted',
      startedAt: config.createdAt,
      updatedAt: config.createdAt,
      generation: history.length > 0 ? history[history.length - 1]!.generation : 0,
      generations: config.search.generations,
      evaluations: evaluations.length,
      seconds: history.reduce((s, h) => s + h.seconds, 0),
    };
  }
  if (evaluations.length < status.evaluations && existsSync(csvFile)) {
    problems.push(`${csvFile} has ${evaluations.length} rows but ${statusFile} counts ${status.evaluations} evaluations`);
  }

  const frontFile = path(dir, 'front');
  let front: FrontFile | undefined;
  if (existsSync(frontFile)) {
    front = parseWith(frontSchema, readJson(frontFile, 'front'), frontFile) as FrontFile;
    if (front.objectives.join() !== config.objectives.join()) {
      throw invalidFile(frontFile, `objectives: Expected the objectives of ${configFile} (${config.objectives.join(', ')}) but received ${front.objectives.join(', ')}`);
    }
    if (status.state === 'finished' && !front.final) problems.push(`${frontFile} is not marked final although the run finished`);
    if (evaluations.length > 0) {
      const known = new Set(evaluations.map((e) => e.index));
      const unknown = front.entries.filter((e) => !known.has(e.id)).map((e) => e.id);
      if (unknown.length > 0) problems.push(`${frontFile} lists solutions that ${csvFile} does not have (id ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''})`);
    }
  } else if (status.state === 'finished') {
    throw new MohaqError('NOT_FOUND', `${frontFile} is missing, but ${statusFile} says the run finished`);
  }

  let checkpoint: RunCheckpoint | undefined;
  try {
    checkpoint = readCheckpoint(dir);
  } catch (e) {
    // the report does not need the checkpoint; a resume (readCheckpoint) will throw this error
    problems.push(`${(e as Error).message} (a resume would fail)`);
  }

  return { dir, config, status, evaluations, history, front, checkpoint, problems };
}
