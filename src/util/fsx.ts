/**
 * File helpers that never leave a half-written result behind: every write goes to a temporary file in
 * the same directory, is flushed, and is renamed over the target (rename is atomic on POSIX).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { invalidFile, notFound } from './errors.js';

let counter = 0;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Read a file, turning a missing file into a clear error that names it and what it was for. */
export function readFileOrThrow(path: string, what = 'file'): Buffer {
  if (!existsSync(path)) throw notFound(what, path);
  return readFileSync(path);
}

/** Read and parse a JSON file; a syntax error names the file. */
export function readJson<T = unknown>(path: string, what = 'JSON file'): T {
  const text = readFileOrThrow(path, what).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw invalidFile(path, `not valid JSON (${(e as Error).message})`);
  }
}
