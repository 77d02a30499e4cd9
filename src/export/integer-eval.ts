/**
 * Evaluation of an integer-only model (`mohaq eval --integer-only`): frame and phone error rates
 * scored exactly as `evaluateModel` scores (src/quant/scoring.ts: log-softmax of the logits, phone
 * loop, PER on the 39 scoring phones), with the logits of `runIntegerModel` (int16 in Q(logitFrac),
 * read as logit / 2^logitFrac). Utterances are independent, so any number of threads gives the same
 * figures.
 */
import type { FeatureSet } from '../data/store/feature-set.js';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import type { PhoneLoopModel, PhoneLoopOptions } from '../metrics/phone-loop.js';
import { SetScorer, scoreBatch } from '../quant/scoring.js';
import type { BatchScore, EvaluationResult } from '../quant/scoring.js';
import { invalidParameter } from '../util/errors.js';
import { createPool } from '../util/pool.js';
import { silentProgress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';
import { siblingModule } from '../util/workers.js';
import { dequantizeLogits, quantizeInput, runIntegerModel } from './integer-engine.js';
import type { IntegerModel } from './integer-model.js';

export interface IntegerEvaluateOptions {
  /** The phone loop (required: the integer model does not carry one). */
  decoder: PhoneLoopDecoder;
  /** Worker threads. @default 1 */
  threads?: number;
  progress?: Progress;
}

/** One job: a run of utterances of the set, their features and frame labels. */
export interface IntegerEvalTask {
  utterances: number[];
  frames: number[];
  /** Features of the utterances, concatenated (frames x dim). */
  feats: Float32Array;
  /** Frame labels, concatenated. */
  labels: Int32Array;
}

export interface IntegerEvalInit {
  model: IntegerModel;
  decoder: { model: PhoneLoopModel; options: PhoneLoopOptions };
  numLabels: number;
}

/** Scores the utterances of a task (the worker's function; also used on the calling thread). */
export function scoreIntegerTask(im: IntegerModel, decoder: PhoneLoopDecoder, numLabels: number, task: IntegerEvalTask): BatchScore {
  const D = im.input.dim;
  const out: BatchScore = { utterances: [], frameErrors: [], frames: [], hyps: [] };
  let offset = 0;
  task.utterances.forEach((u, i) => {
    const T = task.frames[i]!;
    const codes = quantizeInput(im, task.feats.subarray(offset * D, (offset + T) * D), T);
    const logits = dequantizeLogits(im, runIntegerModel(im, codes, T));
    const s = scoreBatch(logits, { T, B: 1, lengths: Int32Array.of(T), labels: task.labels.subarray(offset, offset + T), utterances: [u] }, numLabels, decoder);
    out.utterances.push(u);
    out.frameErrors.push(s.frameErrors[0]!);
    out.frames.push(s.frames[0]!);
    out.hyps.push(s.hyps[0]!);
    offset += T;
  });
  return out;
}

/** Splits a set into tasks of about `frames` frames each. */
function tasksOf(set: FeatureSet, frames: number): IntegerEvalTask[] {
  const tasks: IntegerEvalTask[] = [];
  let cur: number[] = [];
  let n = 0;
  const flush = () => {
    if (!cur.length) return;
    const total = cur.reduce((s, u) => s + set.utterances[u]!.frames, 0);
    const feats = new Float32Array(total * set.dim);
    const labels = new Int32Array(total);
    let o = 0;
    for (const u of cur) {
      const { offset, frames: T } = set.utterances[u]!;
      feats.set(set.feats.subarray(offset * set.dim, (offset + T) * set.dim), o * set.dim);
      labels.set(set.labels.subarray(offset, offset + T), o);
      o += T;
    }
    tasks.push({ utterances: cur, frames: cur.map((u) => set.utterances[u]!.frames), feats, labels });
    cur = [];
    n = 0;
  };
  set.utterances.forEach((u, i) => {
    cur.push(i);
    n += u.frames;
    if (n >= frames) flush();
  });
  flush();
  return tasks;
}

/** FER and PER of an integer-only model on a set (see the module comment). */
export async function evaluateIntegerModel(im: IntegerModel, set: FeatureSet, opts: IntegerEvaluateOptions): Promise<EvaluationResult> {
  const t0 = performance.now();
  if (set.dim !== im.input.dim) throw invalidParameter(`the features of ${set.name}`, `${im.input.dim} values per frame (the model's input size)`, set.dim);
  if (set.numLabels !== im.fc.n) throw invalidParameter(`the labels of ${set.name}`, `${im.fc.n} labels (the model's outputs)`, set.numLabels);
  const threads = opts.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw invalidParameter('threads', 'an integer >= 1', threads);
  const progress = opts.progress ?? silentProgress;
  const scorer = new SetScorer(set);
  const tasks = tasksOf(set, 4000);
  progress.start(set.utterances.length, `evaluate ${set.name} (integer-only)`);
  let done = 0;
  const took = (s: BatchScore) => {
    scorer.add(s);
    done += s.utterances.length;
    progress.update(done);
  };
  try {
    if (threads === 1 || tasks.length <= 1) {
      for (const t of tasks) took(scoreIntegerTask(im, opts.decoder, set.numLabels, t));
    } else {
      const init: IntegerEvalInit = { model: im, decoder: opts.decoder.toJSON(), numLabels: set.numLabels };
      const pool = await createPool<IntegerEvalInit, IntegerEvalTask, BatchScore>(siblingModule(import.meta.url, 'integer-eval-worker'), init, Math.min(threads, tasks.length));
      try {
        await Promise.all(tasks.map((t) => pool.run(t).then(took)));
      } finally {
        await pool.close();
      }
    }
  } finally {
    progress.stop();
  }
  return scorer.result((performance.now() - t0) / 1000);
}

/** Worker side (integer-eval-worker.ts). */
export function integerEvalWorker(): { init(data: IntegerEvalInit): void; run(task: IntegerEvalTask): BatchScore } {
  let state: { im: IntegerModel; decoder: PhoneLoopDecoder; numLabels: number } | null = null;
  return {
    init(data) {
      state = { im: data.model, decoder: new PhoneLoopDecoder(data.decoder.model, data.decoder.options), numLabels: data.numLabels };
    },
    run(task) {
      return scoreIntegerTask(state!.im, state!.decoder, state!.numLabels, task);
    },
  };
}
