/**
 * Kaldi script files (`.scp`): one `key rxfilename` per line, the rxfilename being
 * `path/to/x.ark:OFFSET` (OFFSET = byte position of the object, just after `key `), optionally with a
 * Kaldi range `[r1:r2]` / `[r1:r2,c1:c2]` (inclusive; an empty side or `:` means all), or the path of a
 * file holding one object. Pipes (`cmd |`) need a shell and are not run: write the archive to a file
 * first (e.g. `copy-feats scp:feats.scp ark,scp:x.ark,x.scp`).
 *
 * Relative paths are resolved like Kaldi does, against the current directory, and then, because scp
 * files are usually read from elsewhere than the recipe directory, against the scp's own folder and
 * its parents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { invalidFile, MohaqError } from '../../util/errors.js';
import { readFileOrThrow } from '../../util/fsx.js';
import { maybeGunzip, readArk, readKaldiObject, type KaldiObject } from './ark.js';

export interface ScpEntry {
  key: string;
  path: string;
  /** Byte offset in `path`, or null for a whole single-object file. */
  offset: number | null;
  rows: [number, number] | null;
  cols: [number, number] | null;
  /** 1-based line in the scp. */
  line: number;
}

function parseRange(text: string, file: string, line: number): [number, number] | null {
  const t = text.trim();
  if (t === '' || t === ':') return null;
  const m = /^(\d+):(\d+)$/.exec(t);
  if (!m || Number(m[2]) < Number(m[1])) throw invalidFile(file, `line ${line}: bad range ${JSON.stringify(text)} (expected first:last, e.g. 0:99)`);
  return [Number(m[1]), Number(m[2])];
}

export function parseScp(text: string, file = 'scp file'): ScpEntry[] {
  const out: ScpEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (!s) return;
    const m = /^(\S+)\s+(.+)$/.exec(s);
    if (!m) throw invalidFile(file, `line ${line}: expected "key rxfilename" but found ${JSON.stringify(s.slice(0, 80))}`);
    const key = m[1]!;
    let spec = m[2]!.trim();
    if (spec.endsWith('|')) {
      throw new MohaqError('UNSUPPORTED', `${file}: line ${line} (utterance "${key}"): piped input ${JSON.stringify(spec.slice(0, 60))} is not run; write the archive to a file first (copy-feats scp:${file} ark,scp:feats.ark,feats.scp)`);
    }
    if (spec === '-' || spec.startsWith('-:')) throw new MohaqError('UNSUPPORTED', `${file}: line ${line} (utterance "${key}"): standard input is not supported as a source`);
    let rows: [number, number] | null = null;
    let cols: [number, number] | null = null;
    const range = /\[([^\]]*)\]$/.exec(spec);
    if (range) {
      const [r, c] = range[1]!.split(',');
      rows = parseRange(r ?? '', file, line);
      cols = c === undefined ? null : parseRange(c, file, line);
      spec = spec.slice(0, range.index);
    }
    let offset: number | null = null;
    const off = /:(\d+)$/.exec(spec);
    if (off) {
      offset = Number(off[1]);
      spec = spec.slice(0, off.index);
    }
    if (seen.has(key)) throw invalidFile(file, `line ${line}: utterance "${key}" appears twice`);
    seen.add(key);
    out.push({ key, path: spec, offset, rows, cols, line });
  });
  return out;
}

/** Where a path written in an scp is on this machine (see the module comment). */
export function resolveScpPath(path: string, scpFile: string): string | null {
  if (isAbsolute(path)) return existsSync(path) ? path : null;
  const candidates = [resolve(path)];
  let dir = dirname(resolve(scpFile));
  for (let up = 0; up < 4; up++) {
    candidates.push(join(dir, path));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return candidates.find((c) => existsSync(c)) ?? null;
}

function sliceMatrix(value: KaldiObject, e: ScpEntry, what: string): KaldiObject {
  if (!e.rows && !e.cols) return value;
  if (value.kind !== 'matrix') throw invalidFile(what, `utterance "${e.key}": a row/column range needs a matrix but the object is a ${value.kind}`);
  const [r0, r1] = e.rows ?? [0, value.rows - 1];
  const [c0, c1] = e.cols ?? [0, value.cols - 1];
  if (r1 >= value.rows || c1 >= value.cols) {
    throw invalidFile(what, `utterance "${e.key}": range [${r0}:${r1},${c0}:${c1}] is outside the ${value.rows}x${value.cols} matrix`);
  }
  const rows = r1 - r0 + 1;
  const cols = c1 - c0 + 1;
  const data = new (value.data.constructor as Float32ArrayConstructor)(rows * cols);
  for (let r = 0; r < rows; r++) data.set(value.data.subarray((r0 + r) * value.cols + c0, (r0 + r) * value.cols + c0 + cols), r * cols);
  return { kind: 'matrix', rows, cols, data, format: value.format };
}

/** Reads the objects an scp points at, in scp order. Files are read once (a few are kept open at a time). */
export function* readScp(scpFile: string, text?: string): Generator<{ key: string; value: KaldiObject }> {
  const entries = parseScp(text ?? readFileOrThrow(scpFile, 'Kaldi scp file').toString('utf8'), scpFile);
  const cache = new Map<string, Uint8Array>();
  for (const e of entries) {
    const path = resolveScpPath(e.path, scpFile);
    if (!path) throw new MohaqError('NOT_FOUND', `${scpFile}: line ${e.line} (utterance "${e.key}"): file ${e.path} not found (looked relative to the current directory and to ${dirname(scpFile)} and its parents)`);
    let buf = cache.get(path);
    if (!buf) {
      buf = maybeGunzip(readFileSync(path), path);
      if (cache.size >= 2) cache.delete(cache.keys().next().value!);
      cache.set(path, buf);
    }
    let offset = e.offset ?? 0;
    if (e.offset === null && buf[0] === 0 && buf[1] === 0x42) offset = 0; // a single binary object file starts with \0B
    if (offset > buf.length) throw invalidFile(path, `utterance "${e.key}" (${scpFile} line ${e.line}): offset ${offset} is past the end of the file (${buf.length} bytes)`);
    const { value } = readKaldiObject(buf, offset, path, e.key);
    yield { key: e.key, value: sliceMatrix(value, e, path) };
  }
}

/**
 * Reads a Kaldi table given as a path or an rspecifier: `scp:feats.scp`, `ark:feats.ark`,
 * `ark,t:ali.txt`, or a bare path (`.scp` files are script files, anything else an archive, gzip allowed).
 */
export function* readTable(spec: string): Generator<{ key: string; value: KaldiObject }> {
  const m = /^(ark|scp)(,[a-z,]*)?:(.*)$/.exec(spec);
  const kind = m ? m[1] : spec.toLowerCase().endsWith('.scp') ? 'scp' : 'ark';
  const path = m ? m[3]! : spec;
  if (path.trim().endsWith('|')) throw new MohaqError('UNSUPPORTED', `${spec}: piped input is not run; write it to a file first`);
  if (kind === 'scp') {
    yield* readScp(path);
    return;
  }
  for (const e of readArk(readFileOrThrow(path, 'Kaldi archive'), path)) yield { key: e.key, value: e.value };
}

/** The file a table spec names (without the `ark:`/`scp:` prefix). */
export function tablePath(spec: string): string {
  const m = /^(ark|scp)(,[a-z,]*)?:(.*)$/.exec(spec);
  return m ? m[3]! : spec;
}
