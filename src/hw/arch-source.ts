/**
 * Where an architecture comes from on the command line: a preset name, an ARCH.json, or a model file
 * (MODEL.safetensors carrying its architecture as JSON text in `__metadata__["mohaq.architecture"]`).
 * Only the safetensors header is read (8-byte little-endian length + JSON), never the tensors.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { PRESETS, parseArchitecture, presetNames, resolveArchitecture } from '../nn/arch.js';
import type { Architecture, ResolvedArchitecture } from '../nn/arch.js';
import { invalidFile, invalidParameter, notFound } from '../util/errors.js';
import { readJson } from '../util/fsx.js';

export const ARCHITECTURE_METADATA_KEY = 'mohaq.architecture';
/** A safetensors header larger than this is not a header (the format caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/** The `__metadata__` string map of a safetensors file (empty when it has none). */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  if (!existsSync(path)) throw notFound('model file', path);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = readExactly(fd, 8, 0);
    if (head.length < 8) throw invalidFile(path, `not a safetensors file (${size} bytes, shorter than the 8-byte header length)`);
    const length = Number(head.readBigUInt64LE(0));
    if (length < 2 || length > MAX_HEADER_BYTES || 8 + length > size) {
      throw invalidFile(path, `not a safetensors file (header length ${length} does not fit the file of ${size} bytes)`);
    }
    let header: unknown;
    try {
      header = JSON.parse(readExactly(fd, length, 8).toString('utf8'));
    } catch (e) {
      throw invalidFile(path, `safetensors header is not valid JSON (${(e as Error).message})`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw invalidFile(path, 'safetensors header is not a JSON object');
    const meta = (header as Record<string, unknown>)['__metadata__'];
    if (meta === undefined) return {};
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw invalidFile(path, '__metadata__: Expected an object of strings');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== 'string') throw invalidFile(path, `__metadata__.${k}: Expected a string (safetensors metadata values are strings)`);
    }
    return meta as Record<string, string>;
  } finally {
    closeSync(fd);
  }
}

/** The architecture stored in a mohaq model file. */
export function readModelArchitecture(path: string): Architecture {
  const meta = readSafetensorsMetadata(path);
  const text = meta[ARCHITECTURE_METADATA_KEY];
  if (text === undefined) throw invalidFile(path, `no "${ARCHITECTURE_METADATA_KEY}" in the safetensors __metadata__ (not a mohaq model file?)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidFile(path, `__metadata__.${ARCHITECTURE_METADATA_KEY} is not valid JSON (${(e as Error).message})`);
  }
  return parseArchitecture(value, path);
}

/** Resolves `--arch`: a preset name, an architecture JSON file, or a .safetensors model file. */
export function loadArchitectureArgument(value: string, flag = '--arch'): ResolvedArchitecture {
  if (Object.hasOwn(PRESETS, value)) return resolveArchitecture(structuredClone(PRESETS[value]!) as Architecture);
  if (value.endsWith('.safetensors')) return resolveArchitecture(readModelArchitecture(value));
  if (value.endsWith('.json') || existsSync(value)) return resolveArchitecture(parseArchitecture(readJson(value, 'architecture file'), value));
  throw invalidParameter(flag, `a preset (one of ${presetNames().join(', ')}), an architecture .json or a model .safetensors`, value);
}
