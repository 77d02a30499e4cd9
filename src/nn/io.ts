/**
 * Model files: safetensors with every parameter tensor (names in params.ts) and `__metadata__`
 *   "mohaq.format": "mohaq-model/1"
 *   "mohaq.architecture": the Architecture as JSON, every default written out
 *   "mohaq.version": the mohaq version that wrote it
 * plus any other string entries the model carries (`model.metadata`, e.g. "mohaq.source"). Other parts
 * of mohaq read the architecture from the header alone (hw/arch-source.ts `readModelArchitecture`).
 */
import { MohaqError, invalidFile } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { parseArchitecture } from './arch.js';
import type { Architecture } from './arch.js';
import { modelFromParams, modelLayout, toResolved } from './model.js';
import type { Model } from './model.js';
import { readSafetensors, shapeString, tensorToFloat32, writeSafetensors } from './safetensors.js';
import type { SafetensorsFile } from './safetensors.js';

export const MODEL_FORMAT = 'mohaq-model/1';

export interface SaveModelOptions {
  /** Storage type of the parameters. F16/BF16 halve the file (values rounded to nearest even). @default 'F32' */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Extra metadata entries (merged over model.metadata). */
  metadata?: Record<string, string>;
}

/** Writes a model file atomically. */
export function saveModel(path: string, model: Model, opts: SaveModelOptions = {}): void {
  const dtype = opts.dtype ?? 'F32';
  const metadata: Record<string, string> = {
    ...model.metadata,
    ...opts.metadata,
    'mohaq.format': MODEL_FORMAT,
    'mohaq.architecture': JSON.stringify(model.spec),
    'mohaq.version': VERSION,
  };
  writeSafetensors(
    path,
    model.layout.entries.map((e) => ({ name: e.name, dtype, shape: e.shape, data: model.params.subarray(e.offset, e.offset + e.size) })),
    metadata,
  );
}

function architectureOf(st: SafetensorsFile): Architecture {
  const file = st.file;
  const format = st.metadata['mohaq.format'];
  if (format === undefined) throw invalidFile(file, 'not a mohaq model: the header has no "mohaq.format" metadata (convert PyTorch weights with `mohaq import torch`)');
  if (format !== MODEL_FORMAT) throw new MohaqError('UNSUPPORTED', `${file}: model format "${format}" is not supported (this mohaq reads ${MODEL_FORMAT})`);
  const text = st.metadata['mohaq.architecture'];
  if (text === undefined) throw invalidFile(file, 'the header has no "mohaq.architecture" metadata');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidFile(file, `metadata "mohaq.architecture" is not valid JSON (${(e as Error).message})`);
  }
  return parseArchitecture(value, `${file} (mohaq.architecture)`);
}

/** Loads a model file; every tensor must be present with its exact shape and finite values. */
export function loadModel(path: string): Model {
  const st = readSafetensors(path);
  const arch = architectureOf(st);
  const resolved = toResolved(arch);
  const model = modelFromParams(resolved, new Float32Array(modelLayout(resolved).total));
  for (const e of model.layout.entries) {
    const t = st.tensors.get(e.name);
    if (!t) throw invalidFile(path, `tensor "${e.name}" is missing`);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') throw invalidFile(path, `tensor "${e.name}": expected a float dtype (F32, F16, BF16 or F64) but found ${t.dtype}`);
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) throw invalidFile(path, `tensor "${e.name}": expected shape ${shapeString(e.shape)} but found ${shapeString(t.shape)}`);
    const values = tensorToFloat32(t);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw invalidFile(path, `tensor "${e.name}": element ${i} is ${values[i]} (parameters must be finite)`);
    }
    model.params.set(values, e.offset);
  }
  for (const name of st.tensors.keys()) {
    if (!model.layout.has(name)) throw invalidFile(path, `unexpected tensor "${name}" (not a parameter of the architecture in the header)`);
  }
  const extra: Record<string, string> = {};
  for (const [key, v] of Object.entries(st.metadata)) if (key !== 'mohaq.format' && key !== 'mohaq.architecture' && key !== 'mohaq.version') extra[key] = v;
  Object.assign(model.metadata, extra);
  return model;
}
