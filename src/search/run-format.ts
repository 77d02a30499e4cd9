/**
 * The run directory of a search: plain files a person and a program can read, written atomically as the
 * search goes, so an interrupted run can be inspected, reported on and resumed.
 *
 *   RUN_DIR/
 *     config.json        RunConfig: what was searched, on what, with which settings (written first)
 *     status.json        RunStatus: running | finished | interrupted | failed, progress, timings
 *     evaluations.csv    one EvaluationRecord per evaluated genome (header + rows, appended per generation)
 *     history.jsonl      one GenerationRecord per generation (hypervolume, front size, ...)
 *     checkpoint.json    the algorithm state after the last completed generation (resume point)
 *     front.json         FrontFile: the final (or, while running, the current) Pareto front + reference points
 *     beacons/           beacon models (`<id>.safetensors`) and beacons.json (beacon search only)
 *     sections/          SectionFile per extra report section (`<name>.json`, e.g. a delta sweep)
 *     report.html        written by `mohaq report` (PNG copies of its plots in plots/ with --png)
 *
 * Metric conventions (all front and evaluation figures use these names and units):
 *   error          phone error rate in percent on the search split (PTQ, or min with the beacon's)
 *   speedup        x over all-16-bit on the same platform (higher is better)
 *   energy         pJ per frame (lower is better)
 *   memoryBytes    weights + 16-bit extras, bytes
 *   compression    fp32 size / quantized size (x)
 *   eliminatedOps  share of MACs skipped by delta networks, 0..1 (delta searches only)
 */

export const RUN_FORMAT = 'mohaq-run/1';

/** File and folder names inside a run directory (see the layout above). */
export const RUN_FILES = {
  config: 'config.json',
  status: 'status.json',
  evaluations: 'evaluations.csv',
  history: 'history.jsonl',
  checkpoint: 'checkpoint.json',
  front: 'front.json',
  beacons: 'beacons',
  /** Extra report sections written by other stages (`<name>.json`, see SectionFile). */
  sections: 'sections',
  report: 'report.html',
  /** PNG copies of the report's plots (`mohaq report --png`). */
  plots: 'plots',
} as const;

export type MetricName = 'error' | 'speedup' | 'energy' | 'memoryBytes' | 'compression' | 'eliminatedOps';

/** Objectives as named on the command line (`--objectives error,speedup`), each minimised or maximised. */
export type ObjectiveName = 'error' | 'speedup' | 'energy' | 'memory' | 'compression' | 'eliminated';

export const OBJECTIVE_METRIC: Readonly<Record<ObjectiveName, { metric: MetricName; sense: 'min' | 'max'; label: string }>> = {
  error: { metric: 'error', sense: 'min', label: 'PER (%)' },
  speedup: { metric: 'speedup', sense: 'max', label: 'speedup (x vs 16-bit)' },
  energy: { metric: 'energy', sense: 'min', label: 'energy (pJ/frame)' },
  memory: { metric: 'memoryBytes', sense: 'min', label: 'memory (bytes)' },
  compression: { metric: 'compression', sense: 'max', label: 'compression (x vs fp32)' },
  eliminated: { metric: 'eliminatedOps', sense: 'max', label: 'eliminated operations' },
};

/** One gene: which matrices it sets, whether it sets their weights, activations or both, and its choices. */
export interface GeneSpec {
  name: string;
  matrices: string[];
  target: 'w' | 'a' | 'wa' | 'delta';
  /** Allowed values in gene order (bits, or delta thresholds). */
  choices: number[];
}

export interface RunConfig {
  format: typeof RUN_FORMAT;
  mohaqVersion: string;
  createdAt: string;
  /** The command line that started the run, for the report. */
  command?: string;
  model: { path: string; name: string; sha256: string; parameters: number; fp32Bytes: number };
  data: { path: string; split: string; utterances: number; frames: number };
  platform: { name: string; description?: string; spec: unknown };
  objectives: ObjectiveName[];
  constraints: { maxMemoryBytes?: number; maxError?: number };
  search: {
    algorithm: 'nsga2' | 'exhaustive';
    populationSize: number;
    offspringSize: number;
    generations: number;
    seed: number;
    crossover: { prob: number; eta: number };
    mutation: { eta: number; prob?: number };
    workers: number;
  };
  /** Matrix names of the model, in forward order. */
  matrices: string[];
  genes: GeneSpec[];
  beacons?: {
    mode: 'auto' | 'file';
    file?: string;
    distance: number;
    maxBeacons: number;
    epochs: number;
    promise: { minError?: number; maxError?: number; minSpeedup?: number };
  };
  delta?: { thresholds: Record<string, number[]> };
  /** What else the search needs to resume exactly as it started (opt subset, quantizer options, ...). */
  settings?: Record<string, unknown>;
}

export type RunState = 'running' | 'finished' | 'interrupted' | 'failed';

export interface RunStatus {
  state: RunState;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  generation: number;
  generations: number;
  evaluations: number;
  /** Wall-clock seconds spent in this run, summed over resumed sessions. */
  seconds: number;
  message?: string;
}

/** One row of evaluations.csv (columns in this order; empty cells for absent optional values). */
export interface EvaluationRecord {
  index: number;
  generation: number;
  /** Gene values, `;`-separated in the CSV. */
  genome: number[];
  /** The bits spec of the genome (canonical short form). */
  bits: string;
  error: number;
  speedup: number;
  energy: number;
  memoryBytes: number;
  compression: number;
  eliminatedOps?: number;
  feasible: boolean;
  /** `;`-separated reasons when infeasible. */
  violations: string[];
  cacheHit: boolean;
  seconds: number;
  /** Beacon search: PTQ error with the base model. */
  baseError?: number;
  /** Beacon search: id of the beacon used (if any). */
  beacon?: string;
  /** Beacon search: PTQ error with the beacon's weights. */
  beaconError?: number;
  /** Delta search: the delta thresholds of the genome (threshold spec, quantization steps). */
  thresholds?: string;
}

export const EVALUATION_COLUMNS: ReadonlyArray<keyof EvaluationRecord> = [
  'index',
  'generation',
  'genome',
  'bits',
  'error',
  'speedup',
  'energy',
  'memoryBytes',
  'compression',
  'eliminatedOps',
  'feasible',
  'violations',
  'cacheHit',
  'seconds',
  'baseError',
  'beacon',
  'beaconError',
  'thresholds',
];

export interface GenerationRecord {
  generation: number;
  evaluations: number;
  cacheHits: number;
  frontSize: number;
  /** Hypervolume of the feasible front in normalised objective space (see FrontFile.hypervolumeReference). */
  hypervolume: number;
  seconds: number;
}

export interface FrontEntry {
  /** Evaluation index (row of evaluations.csv). */
  id: number;
  bits: string;
  perMatrix: Record<string, { w: number; a: number }>;
  error: number;
  speedup: number;
  energy: number;
  memoryBytes: number;
  compression: number;
  eliminatedOps?: number;
  /** Delta search: the genome's delta thresholds. */
  thresholds?: string;
  baseError?: number;
  beacon?: string;
  /** Whether the point's error came from a beacon (it beat the base model's PTQ error). */
  fromBeacon: boolean;
}

export interface ReferencePoint {
  name: 'fp32' | 'all-16' | 'all-8' | 'all-4' | string;
  bits: string;
  error: number;
  speedup: number;
  energy: number;
  memoryBytes: number;
  compression: number;
  feasible: boolean;
}

export interface FrontFile {
  format: typeof RUN_FORMAT;
  objectives: ObjectiveName[];
  /** Final once the run finished; otherwise the current front of an unfinished run. */
  final: boolean;
  entries: FrontEntry[];
  references: ReferencePoint[];
  hypervolume: number;
  /** The reference point of the hypervolume in objective space (all objectives as minimised). */
  hypervolumeReference: number[];
}

/**
 * checkpoint.json: the resume point after a completed generation. The envelope is the run format's;
 * `algorithm` is `GeneticAlgorithm.getState()` and `extra` anything else the search needs to resume
 * (beacon set, caches), both validated by the search itself when it resumes.
 */
export interface RunCheckpoint {
  format: typeof RUN_FORMAT;
  /** Generations completed; evaluation rows and history lines of later generations are not covered. */
  generation: number;
  evaluations: number;
  savedAt: string;
  algorithm: unknown;
  extra?: Record<string, unknown>;
}

/**
 * An extra section of the report that another stage writes into `RUN_DIR/sections/<name>.json` (a
 * delta-threshold sweep, a test-set re-evaluation, ...). The report renders it after its own sections,
 * in `order` and then file-name order.
 */
export interface SectionFile {
  format: typeof RUN_FORMAT;
  title: string;
  order?: number;
  /** A paragraph of plain text under the title. */
  text?: string;
  /** Vega-Lite specs with inline data (`data.values`); the report renders each to SVG. */
  plots?: Array<Record<string, unknown>>;
  table?: { columns: string[]; rows: Array<Array<string | number | boolean | null>> };
}
