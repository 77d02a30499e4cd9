/**
 * What an export starts from, resolved the same way for every format:
 * - a float model file with a bits spec and a calibration (a file, or computed on a feature store's
 *   optimization subset and cached there);
 * - a quantized model file (`mohaq quantize`): its stored bits, options, calibration and weight clips;
 * - an integer export (`mohaq export --format safetensors`): all of that plus its integer model;
 * - a search run and a solution id (`--run RUN_DIR --solution ID`): the bits of front entry ID (an
 *   evaluation index: front.json, else evaluations.csv), the run's model (or the beacon model whose
 *   weights gave the entry its error), data, calibration and quantizer options — the base model's
 *   calibration also for beacon weights, as the search scored them.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadFeatureStore } from '../data/store/store.js';
import type { FeatureStore } from '../data/store/store.js';
import { loadModel } from '../nn/io.js';
import type { Model } from '../nn/model.js';
import { readSafetensors } from '../nn/safetensors.js';
import type { BitsAssignment } from '../quant/bits-spec.js';
import { loadCalibration } from '../quant/calibration.js';
import type { Calibration } from '../quant/calibration.js';
import { resolveBits } from '../quant/hook.js';
import { QUANTIZATION_METADATA_KEY, storedQuantization } from '../quant/quantize-model.js';
import type { QuantOptions } from '../quant/options.js';
import { storeCalibration } from '../quant/store.js';
import type { OptSubsetOptions } from '../quant/subset.js';
import type { WeightParams } from '../quant/weights.js';
import { readBeacons } from '../search/beacons.js';
import { readRunDir } from '../search/run-dir.js';
import type { FrontEntry } from '../search/run-format.js';
import { MohaqError, invalidParameter } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import type { IntegerModel } from './integer-model.js';
import { isQuantizedExport, loadQuantizedModel } from './quantized-file.js';

export interface ExportSourceOptions {
  /** A model file (float, `mohaq quantize` output, or integer export). */
  model?: string;
  /** Bits spec (float models only). */
  bits?: string;
  /** A search run directory, with `solution`. */
  run?: string;
  /** Evaluation index of the run's solution to export. */
  solution?: number;
  /** Feature store: calibration (float models) and test utterances. */
  data?: string;
  /** Calibration file (float models). */
  calibration?: string;
  /** Optimization subset of the calibration. */
  opt?: OptSubsetOptions;
  /** Quantizer options (float models; a run uses its own). */
  quant?: QuantOptions;
  progress?: Progress;
}

export interface ExportSource {
  /** The model the weights come from: float, or fake-quantized with `weightParams`. */
  model: Model;
  modelPath: string;
  bits: BitsAssignment;
  calibration: Calibration;
  quant: QuantOptions;
  /** Stored weight quantization (quantized files), else null (computed from the float weights). */
  weightParams: Record<string, WeightParams> | null;
  /** The integer model of an integer export file. */
  integer: IntegerModel | null;
  /** The feature store when one is known (--data, or the run's). */
  store: FeatureStore | null;
  /** Where the export comes from, for messages. */
  description: string;
}

function storedParams(weights: Record<string, { kind: string; bits?: number; clips?: number[]; fracBits?: number }>): Record<string, WeightParams> {
  const out: Record<string, WeightParams> = {};
  for (const [key, p] of Object.entries(weights)) {
    out[key] = p.kind === 'integer' ? { kind: 'integer', bits: p.bits!, clips: Float64Array.from(p.clips!) } : p.kind === 'fixed' ? { kind: 'fixed', fracBits: p.fracBits! } : { kind: 'float' };
  }
  return out;
}

function fromModelFile(path: string, opts: ExportSourceOptions): ExportSource {
  const store = opts.data ? loadFeatureStore(opts.data) : null;
  const md = readSafetensors(path).metadata;
  if (isQuantizedExport(md) || md[QUANTIZATION_METADATA_KEY] !== undefined) {
    if (opts.bits !== undefined) throw invalidParameter('--bits', `no --bits for ${path}: it is already quantized`, opts.bits);
    if (opts.calibration !== undefined) throw invalidParameter('--calibration', `no --calibration for ${path}: its calibration is stored in it`, opts.calibration);
    if (isQuantizedExport(md)) {
      const q = loadQuantizedModel(path);
      return { model: q.model, modelPath: path, bits: q.stored.assignment, calibration: q.stored.calibration, quant: q.stored.options, weightParams: storedParams(q.stored.weights), integer: q.integer, store, description: `${path} (integer export, ${q.stored.bits})` };
    }
    const model = loadModel(path);
    const s = storedQuantization(model, path)!;
    return { model, modelPath: path, bits: s.assignment, calibration: s.calibration, quant: s.options, weightParams: storedParams(s.weights), integer: null, store, description: `${path} (quantized, ${s.bits})` };
  }
  const model = loadModel(path);
  if (opts.bits === undefined) throw invalidParameter('--bits', 'a bits spec such as "*=8/8,FC=4/8" (or --run RUN_DIR --solution ID)', undefined);
  const bits = resolveBits(model, opts.bits, '--bits');
  let calibration: Calibration;
  if (opts.calibration) calibration = loadCalibration(opts.calibration, model);
  else if (store) calibration = storeCalibration(model, store, { opt: opts.opt, progress: opts.progress }).calibration;
  else throw invalidParameter('--data or --calibration', 'a feature store to calibrate on, or a calibration file from mohaq calibrate', undefined);
  return { model, modelPath: path, bits, calibration, quant: opts.quant ?? {}, weightParams: null, integer: null, store, description: `${path} (${opts.bits})` };
}

function fromRun(dir: string, id: number, opts: ExportSourceOptions): ExportSource {
  if (opts.bits !== undefined) throw invalidParameter('--bits', `no --bits with --run (the bits are solution ${id}'s)`, opts.bits);
  const run = readRunDir(dir);
  const entry: FrontEntry | undefined = run.front?.entries.find((e) => e.id === id);
  const record = run.evaluations.find((e) => e.index === id);
  if (!entry && !record) {
    const ids = run.front?.entries.map((e) => e.id) ?? [];
    throw new MohaqError('NOT_FOUND', `solution ${id} not found in ${dir}: it is neither in front.json${ids.length ? ` (ids ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', ...' : ''})` : ''} nor in evaluations.csv (${run.evaluations.length} evaluations)`);
  }
  const bitsSpec = entry?.bits ?? record!.bits;
  const beaconId = entry ? (entry.fromBeacon ? entry.beacon : undefined) : record!.beacon !== undefined && record!.beaconError !== undefined && record!.baseError !== undefined && record!.beaconError < record!.baseError ? record!.beacon : undefined;
  const settings = (run.config.settings ?? {}) as { opt?: OptSubsetOptions; quant?: QuantOptions; calibration?: string };
  const basePath = run.config.model.path;
  if (!existsSync(basePath)) throw new MohaqError('NOT_FOUND', `${dir}/config.json: the run's model ${basePath} does not exist`);
  const base = loadModel(basePath);
  const store = opts.data ? loadFeatureStore(opts.data) : existsSync(run.config.data.path) ? loadFeatureStore(run.config.data.path) : null;
  let calibration: Calibration;
  const calibFile = opts.calibration ?? settings.calibration;
  if (calibFile) calibration = loadCalibration(calibFile, base);
  else if (store) calibration = storeCalibration(base, store, { opt: settings.opt, progress: opts.progress }).calibration;
  else throw new MohaqError('NOT_FOUND', `${dir}/config.json: the run's data ${run.config.data.path} does not exist; give --data FEATDIR or --calibration FILE`);
  let model = base;
  let modelPath = basePath;
  if (beaconId !== undefined) {
    const beacon = readBeacons(dir).find((b) => b.id === beaconId);
    if (!beacon) throw new MohaqError('NOT_FOUND', `${dir}: solution ${id} was scored with beacon "${beaconId}", which beacons/beacons.json does not list`);
    modelPath = isAbsolute(beacon.model) ? beacon.model : join(dir, beacon.model);
    model = loadModel(modelPath);
  }
  const bits = resolveBits(model, bitsSpec, `solution ${id}'s bits`);
  return { model, modelPath, bits, calibration, quant: settings.quant ?? {}, weightParams: null, integer: null, store, description: `${dir} solution ${id} (${bitsSpec}${beaconId !== undefined ? `, beacon ${beaconId}` : ''})` };
}

/** The model, bits, calibration and options of an export (see the module comment). */
export function resolveExportSource(opts: ExportSourceOptions): ExportSource {
  if (opts.run !== undefined) {
    if (opts.model !== undefined) throw invalidParameter('--model', 'either --model or --run, not both', opts.model);
    if (opts.solution === undefined) throw invalidParameter('--solution', 'the id of a front entry of the run (its evaluation index)', undefined);
    return fromRun(opts.run, opts.solution, opts);
  }
  if (opts.model === undefined) throw invalidParameter('--model', 'a model file (or --run RUN_DIR --solution ID)', undefined);
  if (opts.solution !== undefined) throw invalidParameter('--solution', 'no --solution without --run', opts.solution);
  return fromModelFile(opts.model, opts);
}
