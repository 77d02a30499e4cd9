/**
 * Training checkpoints: one safetensors file, written atomically after every epoch, that holds all a
 * run needs to continue as if it had never stopped:
 *
 *   tensors   master   F32  the trainer's slab: model parameters (layout order), then auxiliary head
 *             adam.m   F32  Adam first moments (same layout)
 *             adam.v   F32  Adam second moments
 *             best     F32  the slab of the best dev epoch so far (absent before the first)
 *   metadata  "mohaq.checkpoint": JSON `CheckpointState` (epochs done, step, RNG state, schedule,
 *             history, the settings that must not change on resume)
 */
import { existsSync } from 'node:fs';
import { MohaqError, invalidFile } from '../util/errors.js';
import type { RngState } from '../util/rng.js';
import { readSafetensors, tensorToFloat32, writeSafetensors } from '../nn/safetensors.js';
import type { TensorToWrite } from '../nn/safetensors.js';
import type { ScheduleState } from './schedule.js';

export const CHECKPOINT_FORMAT = 'mohaq-train-checkpoint/1';

/** One epoch of the training log. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  lr: number;
  /** Longest training sequence of the epoch (curriculum), or null. */
  maxLength: number | null;
  steps: number;
  trainFrames: number;
  /** Mean NLL per frame over the epoch's training batches (with dropout). */
  trainLoss: number;
  trainFer: number;
  /** Auxiliary head's mean NLL per frame, when there is one. */
  auxLoss?: number;
  devLoss: number;
  devFer: number;
  /** Dev PER (the trainer's phone loop: by default the training transcripts' loop, untuned), or null when not computed. */
  devPer: number | null;
  /** Mean gradient norm before clipping, and the share of steps that were clipped. */
  gradNorm: number;
  clipped: number;
  best: boolean;
  halved: boolean;
  seconds: number;
  framesPerSecond: number;
}

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  /** Epochs completed. */
  epochs: number;
  /** Optimizer steps taken. */
  step: number;
  /** The batch-order stream. */
  orderRng: RngState;
  schedule: ScheduleState;
  history: EpochRecord[];
  /** Wall-clock seconds of training so far (all sessions). */
  seconds: number;
  /** Settings a resumed run must share (compared field by field). */
  settings: Record<string, unknown>;
}

export interface Checkpoint {
  state: CheckpointState;
  master: Float32Array;
  m: Float32Array;
  v: Float32Array;
  best: Float32Array | null;
}

export function saveCheckpoint(path: string, c: Checkpoint): void {
  const tensors: TensorToWrite[] = [
    { name: 'master', dtype: 'F32', shape: [c.master.length], data: c.master },
    { name: 'adam.m', dtype: 'F32', shape: [c.m.length], data: c.m },
    { name: 'adam.v', dtype: 'F32', shape: [c.v.length], data: c.v },
  ];
  if (c.best) tensors.push({ name: 'best', dtype: 'F32', shape: [c.best.length], data: c.best });
  writeSafetensors(path, tensors, { 'mohaq.checkpoint': JSON.stringify(c.state) });
}

export function checkpointExists(path: string): boolean {
  return existsSync(path);
}

export function loadCheckpoint(path: string, slabSize: number): Checkpoint {
  const st = readSafetensors(path);
  const text = st.metadata['mohaq.checkpoint'];
  if (text === undefined) throw invalidFile(path, 'not a mohaq training checkpoint: the header has no "mohaq.checkpoint" metadata');
  let state: CheckpointState;
  try {
    state = JSON.parse(text) as CheckpointState;
  } catch (e) {
    throw invalidFile(path, `metadata "mohaq.checkpoint" is not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== CHECKPOINT_FORMAT) throw new MohaqError('UNSUPPORTED', `${path}: checkpoint format "${state.format}" is not supported (this mohaq reads ${CHECKPOINT_FORMAT})`);
  const get = (name: string, required: boolean): Float32Array | null => {
    const t = st.tensors.get(name);
    if (!t) {
      if (required) throw invalidFile(path, `tensor "${name}" is missing`);
      return null;
    }
    if (t.dtype !== 'F32' || t.shape.length !== 1 || t.shape[0] !== slabSize) {
      throw invalidFile(path, `tensor "${name}": expected F32 [${slabSize}] (the model of this run) but found ${t.dtype} [${t.shape.join(', ')}]`);
    }
    return tensorToFloat32(t);
  };
  return { state, master: get('master', true)!, m: get('adam.m', true)!, v: get('adam.v', true)!, best: get('best', false) };
}

/**
 * Throws when a setting of the run differs from the checkpoint's: resuming with other settings would
 * silently give a model neither run describes.
 */
export function checkResumeSettings(path: string, saved: Record<string, unknown>, current: Record<string, unknown>): void {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  for (const key of keys) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) {
      const show = (v: string | undefined) => (v === undefined ? 'nothing' : v);
      throw new MohaqError(
        'INVALID_ARGUMENT',
        `Expected ${key} ${show(a)} (as in the checkpoint ${path}) but received ${show(b)}; resume with the same settings, or start afresh without --resume`,
      );
    }
  }
}
