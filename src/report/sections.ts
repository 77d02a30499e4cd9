/**
 * Extra sections: the hook through which other stages add to a report without the report knowing
 * them (a delta-threshold sweep, a test-set re-evaluation, the demo's narrative). A caller passes
 * `ReportSection`s to the render functions; a stage that only writes files puts a `SectionFile` into
 * `RUN_DIR/sections/<name>.json` and every later report of that run shows it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeValue, invalidFile } from '../util/errors.js';
import { readJson } from '../util/fsx.js';
import { RUN_FILES, RUN_FORMAT, type SectionFile } from '../search/run-format.js';

export type SectionCell = string | number | boolean | null;

export interface ReportSection {
  title: string;
  /** A paragraph of plain text under the title. */
  text?: string;
  /** Vega-Lite specs with inline data; rendered to SVG like the report's own plots (the report's look is the default config). */
  plots?: Array<Record<string, unknown>>;
  /** Ready SVG markup, inserted as is (trusted: it comes from the calling program, not from a file). */
  svg?: string[];
  table?: { columns: string[]; rows: SectionCell[][] };
}

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const sectionFileSchema = z.object({
  format: z.literal(RUN_FORMAT),
  title: z.string().min(1),
  order: z.number().optional(),
  text: z.string().optional(),
  plots: z.array(z.record(z.string(), z.unknown())).optional(),
  table: z.object({ columns: z.array(z.string()).min(1), rows: z.array(z.array(cell)) }).optional(),
});

/** Checks one section file's content; errors name the file and the field. */
export function parseSectionFile(value: unknown, file: string): SectionFile {
  const r = sectionFileSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
    let received: unknown = value;
    for (const p of issue.path) received = received !== null && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[p] : undefined;
    const expected = issue.code === 'invalid_value' ? issue.values.map((v) => JSON.stringify(v)).join(' or ') : issue.code === 'invalid_type' ? `a value of type ${issue.expected}` : issue.message;
    throw invalidFile(file, `${path}: Expected ${expected} but received ${describeValue(received)}`);
  }
  const data = r.data as SectionFile;
  data.table?.rows.forEach((row, i) => {
    if (row.length !== data.table!.columns.length) {
      throw invalidFile(file, `table.rows[${i}]: Expected ${data.table!.columns.length} cells (one per column) but received ${row.length}`);
    }
  });
  return data;
}

/** The section files of a run directory, in `order` and then file-name order (none when the folder does not exist). */
export function readSectionFiles(runDir: string): ReportSection[] {
  const dir = join(runDir, RUN_FILES.sections);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const sections = files.map((f) => {
    const path = join(dir, f);
    return parseSectionFile(readJson(path, 'report section'), path);
  });
  return sections
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.order ?? 0) - (b.s.order ?? 0) || a.i - b.i)
    .map(({ s }) => {
      const out: ReportSection = { title: s.title };
      if (s.text !== undefined) out.text = s.text;
      if (s.plots !== undefined) out.plots = s.plots;
      if (s.table !== undefined) out.table = s.table;
      return out;
    });
}
